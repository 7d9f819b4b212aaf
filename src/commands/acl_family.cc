// ACL: SETUSER GETUSER DELUSER USERS LIST WHOAMI CAT GENPASS DRYRUN LOG HELP
// SAVE LOAD. The users, rules and log live in acl/ (acl::Registry, owned by
// the executor); this file parses the subcommands and writes the replies.
#include <algorithm>
#include <cctype>
#include <mutex>
#include <utility>

#include "acl/acl_file.h"
#include "acl/registry.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "commands/host.h"
#include "commands/session.h"
#include "common/clock.h"
#include "common/numbers.h"
#include "common/random.h"
#include "common/strings.h"
#include "config/config.h"

namespace basalt::commands {
namespace {

acl::Registry& Acl(CommandContext& ctx) { return *ctx.host.executor().acl(); }

std::string SyntaxError(std::string_view sub) {
  return "ERR unknown subcommand or wrong number of arguments for '" + CStringPrefix(sub, 128) +
         "'. Try ACL HELP.";
}

bool HasSpaceOrNul(std::string_view s) {
  for (char c : s) {
    if (c == '\0' || std::isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// Closes every connection authenticated as one of `names` (ACL DELUSER,
// ACL LOAD); the caller's own connection closes after this reply.
void KillUsersClients(CommandContext& ctx, const std::vector<std::string>& names) {
  bool self = false;
  ctx.admin().ForEachSession([&](Session& c) {
    bool match = false;
    for (const std::string& n : names) match = match || c.user_name == n;
    if (!match) return;
    if (&c == &ctx.session) {
      self = true;
    } else {
      ctx.admin().KillSession(c);
    }
  });
  if (self) ctx.session.CloseAfterReply();
}

// After a user's rules changed: its connections subscribed to a channel or
// pattern the new rules refuse are closed, as Redis 7.0 does.
void KillRevokedSubscribers(CommandContext& ctx, std::string_view name) {
  std::shared_ptr<const acl::User> u = Acl(ctx).Get(name);
  if (u == nullptr) return;
  std::vector<uint64_t> failing = ctx.admin().pubsub().SubscribersFailing(
      [&](const Session&, SubKind kind, const std::string& channel) {
        return u->ChannelAllowed(channel, kind == SubKind::kPattern);
      });
  if (failing.empty()) return;
  bool self = false;
  ctx.admin().ForEachSession([&](Session& c) {
    if (c.user_name != name) return;
    if (std::find(failing.begin(), failing.end(), c.id) == failing.end()) return;
    if (&c == &ctx.session) {
      self = true;
    } else {
      ctx.admin().KillSession(c);
    }
  });
  if (self) ctx.session.CloseAfterReply();
}

// ACL SETUSER username [rule [rule ...]]
void CmdAclSetUser(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (HasSpaceOrNul(name)) {
    ctx.Error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  acl::Registry& reg = Acl(ctx);
  reg.SyncRequirepass(ctx.config().requirepass());
  std::shared_ptr<const acl::User> old;
  std::string err =
      reg.SetUser(name, ctx.args.subspan(3), ctx.config().acl_pubsub_allchannels(), &old);
  if (!err.empty()) {
    // (Redis replaces newlines in the echoed rule by spaces.)
    for (char& c : err) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    ctx.Error("ERR " + err);
    return;
  }
  if (old != nullptr) KillRevokedSubscribers(ctx, name);
  std::string names[] = {std::string(name)};
  ctx.host.executor().ReplicateUsers(names);
  ctx.reply.Ok();
}

void ReplySelector(CommandContext& ctx, const acl::Selector& s, const acl::Catalog& cat) {
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(s.DescribeCommands(cat));
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(s.DescribeKeys());
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(s.DescribeChannels());
}

// ACL GETUSER username
void CmdAclGetUser(CommandContext& ctx) {
  acl::Registry& reg = Acl(ctx);
  reg.SyncRequirepass(ctx.config().requirepass());
  std::shared_ptr<const acl::User> u = reg.Get(ctx.args[2]);
  if (u == nullptr) {
    ctx.reply.Null();
    return;
  }
  const acl::Catalog& cat = reg.catalog();
  auto& r = ctx.reply;
  r.MapHeader(6);
  r.Bulk("flags");
  std::vector<std::string> flags = u->FlagNames();
  r.SetHeader(flags.size());
  for (const std::string& f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.ArrayHeader(u->passwords().size());
  for (const std::string& p : u->passwords()) r.Bulk(p);
  const acl::Selector& root = u->selectors()[0];
  r.Bulk("commands");
  r.Bulk(root.DescribeCommands(cat));
  r.Bulk("keys");
  r.Bulk(root.DescribeKeys());
  r.Bulk("channels");
  r.Bulk(root.DescribeChannels());
  r.Bulk("selectors");
  r.ArrayHeader(u->selectors().size() - 1);
  for (size_t i = 1; i < u->selectors().size(); i++) ReplySelector(ctx, u->selectors()[i], cat);
}

// ACL DELUSER username [username ...]
void CmdAclDelUser(CommandContext& ctx) {
  auto names = ctx.args.subspan(2);
  for (std::string_view n : names) {
    if (n == "default") {
      ctx.Error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  std::vector<std::string> gone;
  for (std::string_view n : names) {
    if (Acl(ctx).Get(n) != nullptr) gone.emplace_back(n);
  }
  int deleted = Acl(ctx).DelUsers(names);
  ctx.host.executor().ReplicateUsers(gone);
  KillUsersClients(ctx, gone);
  ctx.reply.Integer(deleted);
}

// ACL USERS
void CmdAclUsers(CommandContext& ctx) {
  auto users = Acl(ctx).All();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk(u->name());
}

// ACL LIST
void CmdAclList(CommandContext& ctx) {
  acl::Registry& reg = Acl(ctx);
  reg.SyncRequirepass(ctx.config().requirepass());
  auto users = reg.All();
  ctx.reply.ArrayHeader(users.size());
  for (const auto& u : users) ctx.reply.Bulk("user " + u->name() + " " + u->Describe(reg.catalog()));
}

// ACL WHOAMI
void CmdAclWhoami(CommandContext& ctx) { ctx.reply.Bulk(ctx.session.user_name); }

// ACL CAT [category]
void CmdAclCat(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(SyntaxError(ctx.args[1]));
    return;
  }
  if (ctx.args.size() == 2) {
    ctx.reply.ArrayHeader(acl::kCategoryCount);
    for (const char* c : acl::kCategoryNames) ctx.reply.Bulk(c);
    return;
  }
  int ci = acl::CategoryIndex(ctx.args[2]);
  if (ci < 0) {
    ctx.Error("ERR Unknown category '" + CStringPrefix(ctx.args[2], 128) + "'");
    return;
  }
  const acl::Catalog& cat = Acl(ctx).catalog();
  std::vector<std::string_view> names;
  for (int id : cat.top()) {
    if (cat.at(id).categories & (1u << ci)) names.push_back(cat.at(id).fullname);
    for (int sub : cat.at(id).subs) {
      if (cat.at(sub).categories & (1u << ci)) names.push_back(cat.at(sub).fullname);
    }
  }
  ctx.reply.BulkArray(names);
}

// ACL GENPASS [bits]
void CmdAclGenPass(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(SyntaxError(ctx.args[1]));
    return;
  }
  int64_t bits = 256;
  if (ctx.args.size() == 3) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v) {
      ctx.Error(errors::kNotInteger);
      return;
    }
    bits = *v;
  }
  if (bits <= 0 || bits > 4096) {
    ctx.Error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
        "number up to 4096");
    return;
  }
  ctx.reply.Bulk(RandomHex(size_t((bits + 3) / 4)));
}

// ACL DRYRUN username command [arg ...]
void CmdAclDryRun(CommandContext& ctx) {
  acl::Registry& reg = Acl(ctx);
  std::shared_ptr<const acl::User> u = reg.Get(ctx.args[2]);
  if (u == nullptr) {
    ctx.Error("ERR User '" + CStringPrefix(ctx.args[2], std::string_view::npos) + "' not found");
    return;
  }
  auto cmd = ctx.args.subspan(3);
  Executor& ex = ctx.host.executor();
  const CommandSpec* spec = ex.Resolve(cmd);
  if (spec == nullptr) {
    ctx.Error("ERR Command '" + CStringPrefix(cmd[0], std::string_view::npos) + "' not found");
    return;
  }
  int argc = int(cmd.size());
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    ctx.Error("ERR wrong number of arguments for '" + spec->name + "' command");
    return;
  }
  bool unknown = false;
  std::string why = ex.AclDryRun(*u, cmd, &unknown);
  if (why.empty()) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Bulk(why);
  }
}

// ACL LOG [count | RESET]
void CmdAclLog(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(SyntaxError(ctx.args[1]));
    return;
  }
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (EqualsIgnoreCase(ctx.args[2], "reset")) {
      Acl(ctx).ResetLog();
      ctx.reply.Ok();
      return;
    }
    auto v = ParseInt64(ctx.args[2]);
    if (!v) {
      ctx.Error(errors::kNotInteger);
      return;
    }
    count = std::max<int64_t>(0, *v);
  }
  std::vector<acl::LogEntry> entries = Acl(ctx).LogEntries(size_t(count));
  int64_t now = NowMs();
  auto& r = ctx.reply;
  r.ArrayHeader(entries.size());
  for (const acl::LogEntry& e : entries) {
    r.MapHeader(7);
    r.Bulk("count");
    r.Integer(e.count);
    r.Bulk("reason");
    r.Bulk(acl::ReasonName(e.reason));
    r.Bulk("context");
    r.Bulk(acl::ContextName(e.context));
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(double(now - e.ctime_ms) / 1000);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
  }
}

constexpr char kNoAclFile[] =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

// ACL SAVE
void CmdAclSave(CommandContext& ctx) {
  std::string path = ctx.config().aclfile();
  if (path.empty()) {
    ctx.Error(kNoAclFile);
    return;
  }
  acl::Registry& reg = Acl(ctx);
  reg.SyncRequirepass(ctx.config().requirepass());
  Status st = acl::SaveAclFile(reg, path);
  if (!st.ok()) {
    ctx.Error("ERR There was an error trying to save the ACLs. Please check the server logs for "
              "more information");
    return;
  }
  ctx.reply.Ok();
}

// ACL LOAD
void CmdAclLoad(CommandContext& ctx) {
  std::string path = ctx.config().aclfile();
  if (path.empty()) {
    ctx.Error(kNoAclFile);
    return;
  }
  acl::Registry& reg = Acl(ctx);
  std::vector<acl::User> users;
  std::string err;
  if (!acl::ParseAclFile(reg.catalog(), path, ctx.config().acl_pubsub_allchannels(), &users,
                         &err)) {
    for (char& c : err) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    ctx.Error("ERR " + err);
    return;
  }
  std::vector<std::pair<std::string, std::string>> before;  // name, ACL LIST form
  for (const auto& u : reg.All()) before.emplace_back(u->name(), u->Describe(reg.catalog()));
  reg.ReplaceAll(std::move(users));
  // Connections of users that are gone or changed close (redis-server 7.0
  // closes those of every user but default, changed or not); the default
  // user's stay, except subscribers to channels its new rules refuse.
  std::vector<std::string> gone, closing;
  bool default_changed = false;
  for (const auto& [name, was] : before) {
    std::shared_ptr<const acl::User> now = reg.Get(name);
    if (now == nullptr) {
      gone.push_back(name);
      closing.push_back(name);
    } else if (now->Describe(reg.catalog()) != was) {
      if (name == "default") {
        default_changed = true;
      } else {
        closing.push_back(name);
      }
    }
  }
  ctx.host.executor().ReplicateUsers(gone);
  ctx.host.executor().ReplicateAllUsers();
  KillUsersClients(ctx, closing);
  if (default_changed) KillRevokedSubscribers(ctx, "default");
  ctx.reply.Ok();
}

// ACL HELP
void CmdAclHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdAclContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterAclFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "acl", -2, kNoFlags, 0, 0, 0, "@slow", CmdAclContainer));
  const CommandFlag admin = kAdmin | kNoScript | kLoading | kStale;
  const CommandFlag plain = kNoScript | kLoading | kStale;
  const char* admin_cats = "@admin @slow @dangerous";
  auto sub = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h) {
    t.AddSub("acl", Spec(g, name, arity, flags, 0, 0, 0, acl, h));
  };
  sub("cat", -2, plain, "@slow", CmdAclCat);
  sub("deluser", -3, admin, admin_cats, CmdAclDelUser);
  sub("dryrun", -4, admin, admin_cats, CmdAclDryRun);
  sub("genpass", -2, plain, "@slow", CmdAclGenPass);
  sub("getuser", 3, admin, admin_cats, CmdAclGetUser);
  sub("help", 2, kLoading | kStale, "@slow", CmdAclHelp);
  sub("list", 2, admin, admin_cats, CmdAclList);
  sub("load", 2, admin, admin_cats, CmdAclLoad);
  sub("log", -2, admin, admin_cats, CmdAclLog);
  sub("save", 2, admin, admin_cats, CmdAclSave);
  sub("setuser", -3, admin, admin_cats, CmdAclSetUser);
  sub("users", 2, admin, admin_cats, CmdAclUsers);
  sub("whoami", 2, plain, "@slow", CmdAclWhoami);
}

}  // namespace basalt::commands
