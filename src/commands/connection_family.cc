// Connection commands: PING ECHO QUIT HELLO AUTH RESET and CLIENT
// (ID SETNAME GETNAME LIST INFO KILL PAUSE UNPAUSE NO-EVICT REPLY HELP).
#include <vector>

#include "acl/registry.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/monitor.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "commands/tracking.h"
#include "common/clock.h"
#include "common/version.h"

namespace basalt::commands {
namespace {

// PING [message]
void CmdPing(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.Error(errors::WrongArity("ping"));
    return;
  }
  // A RESP2 connection in subscribed mode gets PING's answer as a message.
  if (ctx.session.resp() == 2 &&
      (ctx.session.sub_count() > 0 || !ctx.session.subscriptions(SubKind::kShard).empty())) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
    return;
  }
  if (ctx.args.size() == 2) {
    ctx.reply.Bulk(ctx.args[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

// ECHO message
void CmdEcho(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

// QUIT
void CmdQuit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.session.CloseAfterReply();
}

// Authenticates the session as `user` if `pass` is right (AUTH, HELLO AUTH);
// a failure goes to the ACL LOG with the command's name as typed.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  Executor& ex = ctx.host.executor();
  if (ex.acl() == nullptr) {
    std::string required = ctx.config().requirepass();
    if (user != "default" || !(required.empty() || pass == required)) return false;
    ctx.session.set_authenticated(true);
    return true;
  }
  ex.acl()->SyncRequirepass(ctx.config().requirepass());
  std::shared_ptr<const acl::User> u = ex.acl()->Authenticate(user, pass);
  if (u == nullptr) {
    ex.AclLogAuthFailure(ctx.session, user, ctx.args[0]);
    return false;
  }
  ex.SetSessionUser(ctx.session, std::move(u));
  ctx.session.set_authenticated(true);
  return true;
}

// The WRONGPASS reply; past max-auth-failures-per-connection failures the
// connection closes after it.
void RefuseAuth(CommandContext& ctx) {
  ctx.Error(errors::kWrongPass);
  int64_t limit = ctx.config().max_auth_failures_per_connection();
  if (limit > 0 && ++ctx.session.auth_failures >= uint64_t(limit) && !ctx.session.is_script()) {
    ctx.session.CloseAfterReply();
    if (acl::Registry* reg = ctx.host.executor().acl()) reg->CountAuthLimitDisconnection();
  }
}

// AUTH [username] password
void CmdAuth(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  std::string_view user = "default", pass = ctx.args[1];
  if (ctx.args.size() == 3) {
    user = ctx.args[1];
    pass = ctx.args[2];
  } else if (ctx.host.executor().AclDefaultOpen()) {
    // (Redis: the two-argument form with a nopass default user.)
    ctx.Error(errors::kAuthWithoutPassword);
    return;
  }
  if (!Authenticate(ctx, user, pass)) {
    RefuseAuth(ctx);
    return;
  }
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void SetName(CommandContext& ctx, std::string_view name) {
  std::lock_guard<std::mutex> lock(ctx.host.registry_mu());
  ctx.session.name = std::string(name);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void CmdHello(CommandContext& ctx) {
  int64_t ver = ctx.session.resp();
  size_t j = 1;
  if (ctx.args.size() >= 2) {
    auto v = ParseInt64(ctx.args[1]);
    if (!v) {
      ctx.Error(errors::kProtoVersionNotInteger);
      return;
    }
    ver = *v;
    j = 2;
    if (ver < 2 || ver > 3) {
      ctx.Error(errors::kNoProto);
      return;
    }
  }
  // Redis applies AUTH and SETNAME as it parses them, before any later error.
  for (; j < ctx.args.size(); j++) {
    size_t left = ctx.args.size() - j - 1;
    if (EqualsIgnoreCase(ctx.args[j], "auth") && left >= 2) {
      if (!Authenticate(ctx, ctx.args[j + 1], ctx.args[j + 2])) {
        RefuseAuth(ctx);
        return;
      }
      j += 2;
    } else if (EqualsIgnoreCase(ctx.args[j], "setname") && left >= 1) {
      if (!ValidClientName(ctx.args[j + 1])) {
        ctx.Error(errors::kBadName);
        return;
      }
      SetName(ctx, ctx.args[j + 1]);
      j += 1;
    } else {
      ctx.Error(errors::HelloSyntax(ctx.args[j]));
      return;
    }
  }
  if (!ctx.session.authenticated()) {
    ctx.Error(errors::kHelloNoAuth);
    return;
  }
  ctx.session.set_resp(int(ver));
  auto& r = ctx.reply;
  // A sentinel has no role field, as in redis-sentinel.
  const bool sentinel = ctx.admin().sentinel() != nullptr;
  r.MapHeader(sentinel ? 6 : 7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisCompatVersion);
  r.Bulk("proto");
  r.Integer(ver);
  r.Bulk("id");
  r.Integer(int64_t(ctx.session.id));
  r.Bulk("mode");
  r.Bulk(sentinel ? "sentinel" : "standalone");
  if (!sentinel) {
    r.Bulk("role");
    r.Bulk(ctx.host.is_replica() ? "replica" : "master");
  }
  r.Bulk("modules");
  r.ArrayHeader(0);
}

// RESET
void CmdReset(CommandContext& ctx) {
  if (ctx.session.in_multi()) ctx.host.executor().DiscardMulti(ctx.session);
  ctx.host.executor().Unwatch(ctx.session);
  ctx.admin().pubsub().UnsubscribeAll(&ctx.session);
  if (TrackingHub* t = ctx.host.tracking()) t->Disable(ctx.session);
  if (MonitorFeed* m = ctx.host.executor().monitors()) m->Remove(ctx.session);
  ctx.session.set_db(0);
  ctx.session.set_resp(2);
  ctx.session.set_reply_mode(ReplyMode::kOn);
  ctx.session.set_no_evict(false);
  Executor& ex = ctx.host.executor();
  if (ex.acl() != nullptr) {
    ex.acl()->SyncRequirepass(ctx.config().requirepass());
    if (auto d = ex.acl()->Default()) ex.SetSessionUser(ctx.session, std::move(d));
  }
  ctx.session.set_authenticated(ex.AclDefaultOpen());
  SetName(ctx, "");
  ctx.reply.SimpleString("RESET");
}

// CLIENT ID
void CmdClientId(CommandContext& ctx) { ctx.reply.Integer(int64_t(ctx.session.id)); }

// CLIENT SETNAME connection-name
void CmdClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.args[2])) {
    ctx.Error(errors::kBadName);
    return;
  }
  SetName(ctx, ctx.args[2]);
  ctx.reply.Ok();
}

// CLIENT GETNAME
void CmdClientGetName(CommandContext& ctx) {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(ctx.host.registry_mu());
    name = ctx.session.name;
  }
  if (name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(name);
  }
}

bool KnownClientType(std::string_view t) {
  return EqualsIgnoreCase(t, "normal") || EqualsIgnoreCase(t, "master") ||
         EqualsIgnoreCase(t, "replica") || EqualsIgnoreCase(t, "slave") ||
         EqualsIgnoreCase(t, "pubsub");
}

// Whether c is of CLIENT LIST/KILL's TYPE `type` ("slave" = "replica").
bool IsClientType(const Session& c, std::string_view type) {
  std::string_view kind = c.TypeName();
  if (EqualsIgnoreCase(type, "slave")) type = "replica";
  return EqualsIgnoreCase(kind, type);
}

// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
void CmdClientList(CommandContext& ctx) {
  std::string_view type;
  std::vector<uint64_t> ids;
  for (size_t j = 2; j < ctx.args.size(); j++) {
    if (EqualsIgnoreCase(ctx.args[j], "type") && j + 1 < ctx.args.size()) {
      type = ctx.args[++j];
      if (!KnownClientType(type)) {
        ctx.Error(errors::UnknownClientType(type));
        return;
      }
    } else if (EqualsIgnoreCase(ctx.args[j], "id") && j + 1 < ctx.args.size()) {
      for (j++; j < ctx.args.size(); j++) {
        auto v = ParseInt64(ctx.args[j]);
        if (!v || *v < 0) {
          ctx.Error(errors::kInvalidClientId);
          return;
        }
        ids.push_back(uint64_t(*v));
      }
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  std::vector<std::pair<uint64_t, std::string>> lines;
  ctx.admin().ForEachSession([&](Session& c) {
    if (!type.empty() && !IsClientType(c, type)) return;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c.id) == ids.end()) return;
    lines.emplace_back(c.id, c.InfoLine());
  });
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& [id, l] : lines) {
    out += l;
    out += '\n';
  }
  ctx.reply.Verbatim(out);
}

// CLIENT INFO
void CmdClientInfo(CommandContext& ctx) {
  std::string line;
  {
    std::lock_guard<std::mutex> lock(ctx.host.registry_mu());
    line = ctx.session.InfoLine();
  }
  line += '\n';
  ctx.reply.Verbatim(line);
}

// CLIENT KILL ip:port
// CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]
void CmdClientKill(CommandContext& ctx) {
  auto& a = ctx.args;
  if (a.size() == 3) {
    std::string_view addr = a[2];
    bool found = false;
    Session* self_target = nullptr;
    ctx.admin().ForEachSession([&](Session& c) {
      if (found || c.address() != addr) return;
      found = true;
      if (&c == &ctx.session) {
        self_target = &c;
      } else {
        ctx.admin().KillSession(c);
      }
    });
    if (!found) {
      ctx.Error(errors::kNoSuchClient);
      return;
    }
    if (self_target != nullptr) ctx.session.CloseAfterReply();
    ctx.reply.Ok();
    return;
  }
  if (a.size() % 2 != 0) {
    ctx.Error(errors::kSyntax);
    return;
  }
  uint64_t id = 0;
  std::string_view type, user, addr, laddr;
  bool skipme = true;
  for (size_t j = 2; j + 1 < a.size(); j += 2) {
    std::string_view o = a[j], v = a[j + 1];
    if (EqualsIgnoreCase(o, "id")) {
      auto n = ParseInt64(v);
      if (!n || *n <= 0) {
        ctx.Error(errors::kClientIdPositive);
        return;
      }
      id = uint64_t(*n);
    } else if (EqualsIgnoreCase(o, "type")) {
      if (!KnownClientType(v)) {
        ctx.Error(errors::UnknownClientType(v));
        return;
      }
      type = v;
    } else if (EqualsIgnoreCase(o, "addr")) {
      addr = v;
    } else if (EqualsIgnoreCase(o, "laddr")) {
      laddr = v;
    } else if (EqualsIgnoreCase(o, "user")) {
      acl::Registry* reg = ctx.host.executor().acl();
      if (reg != nullptr ? reg->Get(v) == nullptr : v != "default") {
        ctx.Error(errors::NoSuchUser(v));
        return;
      }
      user = v;
    } else if (EqualsIgnoreCase(o, "skipme")) {
      if (EqualsIgnoreCase(v, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(v, "no")) {
        skipme = false;
      } else {
        ctx.Error(errors::kSyntax);
        return;
      }
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  int64_t killed = 0;
  bool kill_self = false;
  ctx.admin().ForEachSession([&](Session& c) {
    if (!type.empty() && !IsClientType(c, type)) return;
    if (id != 0 && c.id != id) return;
    if (!addr.empty() && c.address() != addr) return;
    if (!laddr.empty() && c.local_address() != laddr) return;
    if (!user.empty() && c.user_name != user) return;  // (registry mutex held)
    if (&c == &ctx.session) {
      if (skipme) return;
      kill_self = true;
    } else {
      ctx.admin().KillSession(c);
    }
    killed++;
  });
  if (kill_self) ctx.session.CloseAfterReply();
  ctx.reply.Integer(killed);
}

// CLIENT PAUSE timeout [WRITE | ALL]
void CmdClientPause(CommandContext& ctx) {
  auto t = ParseInt64(ctx.args[2]);
  if (!t) {
    ctx.Error(errors::kTimeoutNotInteger);
    return;
  }
  if (*t < 0) {
    ctx.Error(errors::kTimeoutNegative);
    return;
  }
  bool all = true;
  if (ctx.args.size() > 4) {
    ctx.Error(errors::kClientPauseArity);
    return;
  }
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "write")) {
      all = false;
    } else if (!EqualsIgnoreCase(ctx.args[3], "all")) {
      ctx.Error(errors::kClientPauseMode);
      return;
    }
  }
  int64_t until = NowMs() + *t;
  ctx.admin().Pause(until > 0 ? until : 1, all);
  ctx.reply.Ok();
}

// CLIENT UNPAUSE
void CmdClientUnpause(CommandContext& ctx) {
  ctx.admin().Unpause();
  ctx.reply.Ok();
}

// CLIENT NO-EVICT ON|OFF
void CmdClientNoEvict(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "on")) {
    ctx.session.set_no_evict(true);
  } else if (EqualsIgnoreCase(ctx.args[2], "off")) {
    ctx.session.set_no_evict(false);
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  ctx.reply.Ok();
}

// CLIENT REPLY ON|OFF|SKIP
void CmdClientReply(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "on")) {
    ctx.session.set_reply_mode(ReplyMode::kOn);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(ctx.args[2], "off")) {
    ctx.session.set_reply_mode(ReplyMode::kOff);
  } else if (EqualsIgnoreCase(ctx.args[2], "skip")) {
    if (ctx.session.reply_mode() == ReplyMode::kOn) {
      ctx.session.set_reply_mode(ReplyMode::kSkip);
    }
  } else {
    ctx.Error(errors::kSyntax);
  }
}

// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
void CmdClientUnblock(CommandContext& ctx) {
  auto id = ParseInt64(ctx.args[2]);
  if (!id) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  bool error = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "error")) {
      error = true;
    } else if (!EqualsIgnoreCase(ctx.args[3], "timeout")) {
      ctx.Error(errors::kClientUnblockReason);
      return;
    }
  } else if (ctx.args.size() > 4) {
    ctx.Error(errors::kSyntax);
    return;
  }
  ctx.reply.Integer(ctx.admin().UnblockSession(uint64_t(*id), error) ? 1 : 0);
}

// CLIENT HELP
void CmdClientHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME.",
      "LIST [options ...]",
      "    Return information about client connections. Options: TYPE, ID.",
      "GETNAME",
      "    Return the name of the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend clients (all, or those sending write commands) for <timeout> ms.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "NO-EVICT (ON|OFF)",
      "    Protect the current client connection from eviction.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdContainer(CommandContext& ctx) {
  // Only reached for a container called without a subcommand (arity -2 catches it).
  ctx.Error(errors::WrongArity(ctx.spec.name));
}

}  // namespace

void RegisterConnectionFamily(CommandTable& t) {
  const char* g = "connection";
  t.Add(Spec(g, "ping", -1, kFast, 0, 0, 0, "@fast @connection", CmdPing));
  t.Add(Spec(g, "echo", 2, kLoading | kStale | kFast, 0, 0, 0, "@fast @connection", CmdEcho));
  t.Add(Spec(g, "quit", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
             "@fast @connection", CmdQuit));
  t.Add(Spec(g, "auth", -2, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
             "@fast @connection", CmdAuth));
  t.Add(Spec(g, "hello", -1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
             "@fast @connection", CmdHello));
  t.Add(Spec(g, "reset", 1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, 0, 0, 0,
             "@fast @connection", CmdReset));
  t.Add(Spec(g, "client", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  auto sub = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h) {
    t.AddSub("client", Spec(g, name, arity, flags, 0, 0, 0, acl, h));
  };
  sub("id", 2, kNoScript | kLoading | kStale, "@slow @connection", CmdClientId);
  sub("setname", 3, kNoScript | kLoading | kStale, "@slow @connection", CmdClientSetName);
  sub("getname", 2, kNoScript | kLoading | kStale, "@slow @connection", CmdClientGetName);
  sub("list", -2, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientList);
  sub("info", 2, kNoScript | kLoading | kStale, "@slow @connection", CmdClientInfo);
  sub("kill", -3, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientKill);
  sub("pause", -3, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientPause);
  sub("unpause", 2, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientUnpause);
  sub("no-evict", 3, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientNoEvict);
  sub("reply", 3, kNoScript | kLoading | kStale, "@slow @connection", CmdClientReply);
  sub("unblock", -3, kAdmin | kNoScript | kLoading | kStale, "@admin @slow @dangerous @connection",
      CmdClientUnblock);
  sub("help", 2, kLoading | kStale, "@slow @connection", CmdClientHelp);
  RegisterClientTracking(t);
}

}  // namespace basalt::commands
