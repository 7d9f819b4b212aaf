// The ACL side of the executor: the registry built from the command table,
// the session's user, and the one permission check every origin goes
// through (Dispatch when a command is queued or run, Exec when a queued
// command runs, ScriptCall for redis.call/pcall). Commands whose keys the
// check needs are searched with the key specs (command_getkeys.cc), only
// for users that do not have allkeys.
#include <algorithm>
#include <mutex>

#include "acl/acl_file.h"
#include "acl/registry.h"
#include "acl/user.h"
#include "commands/command_key_specs.h"
#include "commands/command_table.h"
#include "commands/executor.h"
#include "commands/host.h"
#include "commands/session.h"
#include "commands/tracking.h"
#include "common/clock.h"
#include "common/strings.h"
#include "config/config.h"
#include "replication/write_log.h"

namespace basalt::commands {
namespace {

bool HasWord(std::string_view flags, std::string_view w) {
  size_t at = 0;
  while ((at = flags.find(w, at)) != std::string_view::npos) {
    bool start = at == 0 || flags[at - 1] == ' ';
    bool end = at + w.size() == flags.size() || flags[at + w.size()] == ' ';
    if (start && end) return true;
    at += w.size();
  }
  return false;
}

uint8_t PermOf(std::string_view flags) {
  uint8_t perm = 0;
  if (HasWord(flags, "access")) perm |= acl::kPermRead;
  if (HasWord(flags, "insert") || HasWord(flags, "delete") || HasWord(flags, "update")) {
    perm |= acl::kPermWrite;
  }
  return perm;
}

// The request's keys with the permissions Redis derives from their key
// spec flags (ACLSelectorCheckKey): access -> read; insert, delete,
// update -> write. Placed from the catalog's fixed ranges when it has
// them (acl::PlaceKeys), else searched with the key specs; on first use
// only.
class SpecKeys final : public acl::KeySource {
 public:
  SpecKeys(const CommandSpec& spec, const acl::CatalogCommand& cc,
           std::span<const std::string_view> args)
      : spec_(spec), cc_(cc), args_(args) {}
  std::span<const acl::KeyArg> Keys() override {
    if (!done_) {
      done_ = true;
      if (cc_.set_keys || cc_.simple_keys) {
        acl::PlaceKeys(cc_, args_, &keys_);
      } else {
        // (A per-thread buffer: one check at a time runs on a thread.)
        static thread_local std::vector<KeyRef> refs;
        if (FindKeys(spec_, args_, &refs)) {
          for (const KeyRef& r : refs) keys_.push_back(acl::KeyArg{r.pos, PermOf(r.flags)});
        }
      }
    }
    return keys_.span();
  }

 private:
  const CommandSpec& spec_;
  const acl::CatalogCommand& cc_;
  std::span<const std::string_view> args_;
  bool done_ = false;
  acl::KeyArgs keys_;
};

// Fills cc.key_ranges when every key of the command sits at a fixed place
// (see acl::PlaceKeys); leaves simple_keys false otherwise.
void DeriveKeyRanges(const CommandSpec& c, acl::CatalogCommand* cc) {
  // (Commands without key specs keep the key search: FindKeys.)
  if (c.key_specs.empty()) return;
  if (c.parent == nullptr && c.name == "set") {
    cc->set_keys = true;
    return;
  }
  if (c.flags & kMovableKeys) return;
  for (const KeySpec& ks : c.key_specs) {
    if (HasWord(ks.flags, "not_key")) continue;
    if (ks.begin_unknown || !ks.keyword.empty() || ks.find_unknown || ks.keynum ||
        HasWord(ks.flags, "incomplete") || HasWord(ks.flags, "variable_flags")) {
      cc->key_ranges.clear();
      return;
    }
    acl::KeyRange r;
    r.first = ks.begin_index;
    r.last = ks.lastkey;
    r.step = ks.keystep;
    r.limit = ks.limit;
    r.perm = PermOf(ks.flags);
    cc->key_ranges.push_back(r);
  }
  cc->simple_keys = true;
}

acl::CatalogCommand::Channels ChannelKind(const std::string& name) {
  if (name == "publish" || name == "spublish") return acl::CatalogCommand::kFirstChannel;
  if (name == "subscribe" || name == "ssubscribe") return acl::CatalogCommand::kAllChannels;
  if (name == "psubscribe") return acl::CatalogCommand::kAllPatterns;
  return acl::CatalogCommand::kNoChannels;
}

const char* NoPermText(acl::Denial d) {
  switch (d) {
    case acl::Denial::kKey:
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case acl::Denial::kChannel:
      return "NOPERM this user has no permissions to access one of the channels used as "
             "arguments";
    default:
      return "NOPERM no permission";
  }
}

}  // namespace

Executor::Executor(Host& host, config::Config& config, replication::WriteLog& log,
                   const CommandTable& table, scripting::Runtime& scripts)
    : host_(host), config_(config), log_(log), table_(table), scripts_(scripts) {}

Executor::~Executor() = default;

void Executor::ReplicateUsers(std::span<const std::string> names) {
  if (!config_.acl_replicate_users() || acl_ == nullptr) return;
  for (const std::string& name : names) {
    std::vector<std::string> cmd = {"ACL"};
    if (std::shared_ptr<const acl::User> u = acl_->Get(name)) {
      // Not "reset": it would also set sanitize-payload, which a user
      // created without it does not have.
      cmd.insert(cmd.end(),
                 {"SETUSER", name, "resetpass", "resetkeys", "resetchannels", "clearselectors",
                  "-@all"});
      std::vector<std::string> rules = u->Rules(acl_->catalog());
      cmd.insert(cmd.end(), rules.begin(), rules.end());
    } else {
      cmd.insert(cmd.end(), {"DELUSER", name});
    }
    std::vector<std::string_view> args(cmd.begin(), cmd.end());
    log_.AppendStreamOnly(args);
  }
}

void Executor::ReplicateAllUsers() {
  if (!config_.acl_replicate_users() || acl_ == nullptr) return;
  acl_->SyncRequirepass(config_.requirepass());
  std::vector<std::string> names;
  for (const auto& u : acl_->All()) names.push_back(u->name());
  ReplicateUsers(names);
}

std::string Executor::InitAcl() {
  acl::Catalog cat;
  for (const CommandSpec* c : table_.by_id()) {
    acl::CatalogCommand cc;
    cc.id = c->id;
    cc.fullname = c->name;
    cc.parent = c->parent != nullptr ? c->parent->id : -1;
    cc.categories = acl::CategoryMask(c->acl);
    cc.no_auth = c->flags & kNoAuth;
    cc.channels = c->parent == nullptr ? ChannelKind(c->name) : acl::CatalogCommand::kNoChannels;
    DeriveKeyRanges(*c, &cc);
    cat.Add(std::move(cc));
  }
  acl_ = std::make_unique<acl::Registry>(std::move(cat));
  acl::Registry* reg = acl_.get();
  reg->SyncRequirepass(config_.requirepass());
  config_.OnChange("requirepass", [this, reg](const config::Config& c) {
    reg->SyncRequirepass(c.requirepass());
    std::string d[] = {"default"};
    ReplicateUsers(d);
  });
  config::Config* cfg = &config_;
  config_.SetUserLinesForRewrite([reg, cfg]() {
    return cfg->aclfile().empty() ? acl::UserLines(*reg) : std::vector<std::string>();
  });

  const bool allch = config_.acl_pubsub_allchannels();
  const auto& lines = config_.user_directives();
  const std::string aclfile = config_.aclfile();
  if (!aclfile.empty() && !lines.empty()) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors and "
           "security holes, please define either an ACL file or declare users directly in your "
           "redis.conf, but not both.";
  }
  if (!lines.empty()) {
    std::vector<acl::User> users;
    bool has_default = false;
    for (const std::vector<std::string>& line : lines) {
      const std::string& name = line[0];
      for (const acl::User& u : users) {
        if (u.name() == name) {
          return "Error in user declaration '" + name +
                 "': Duplicate user found. A user can only be defined once in config files";
        }
      }
      if (name.find_first_of(std::string(" \t\r\n\v\f\0", 7)) != std::string::npos) {
        return "Error in user declaration '" + name + "': Syntax error";
      }
      acl::User u = name == "default" ? *reg->Default() : acl::User(name, allch);
      std::string err;
      if (name == "default") {
        std::string_view r[] = {"reset"};
        u.ApplyAll(reg->catalog(), r, allch, &err);
      }
      std::vector<std::string_view> ops(line.begin() + 1, line.end());
      std::vector<std::string> merged;
      if (!acl::MergeSelectorArgs(ops, &merged, &err)) {
        return "Error in user declaration '" + name + "': " + err;
      }
      for (const std::string& op : merged) {
        if (!u.Apply(reg->catalog(), op, allch, &err)) {
          return "Error in user declaration '" + op + "': " + err;
        }
      }
      has_default = has_default || name == "default";
      users.push_back(std::move(u));
    }
    if (!has_default) users.push_back(*reg->Default());
    reg->ReplaceAll(std::move(users));
  }
  if (!aclfile.empty()) {
    std::vector<acl::User> users;
    std::string err;
    if (!acl::ParseAclFile(reg->catalog(), aclfile, allch, &users, &err)) {
      return "Aborting Redis startup because of ACL errors: " + err;
    }
    reg->ReplaceAll(std::move(users));
  }
  return "";
}

bool Executor::AclDefaultOpen() const {
  if (acl_ == nullptr) return config_.requirepass().empty();
  std::shared_ptr<const acl::User> d = acl_->Default();
  return d != nullptr && d->nopass() && d->enabled();
}

const acl::User* Executor::AclUser(Session& s) {
  uint64_t gen = acl_->generation();
  if (s.acl_gen != gen) {
    s.acl_user = acl_->Get(s.user_name);
    s.acl_gen = gen;
  }
  return s.acl_user.get();
}

void Executor::SetSessionUser(Session& s, std::shared_ptr<const acl::User> user) {
  {
    std::lock_guard<std::mutex> lock(host_.registry_mu());
    s.user_name = user->name();
  }
  s.acl_user = std::move(user);
  s.acl_gen = 0;  // re-read on the next command
}

bool Executor::AclAllowed(Session& s, const CommandSpec& spec,
                          std::span<const std::string_view> args, AclContext where,
                          std::string* refusal) {
  if (acl_ == nullptr) return true;
  const acl::User* u = AclUser(s);
  // (The rest out of line, so that this stays small and QuickAllows is
  // inlined here: it runs for every command of a restricted user.)
  if (u != nullptr && (u->unrestricted() || u->QuickAllows(acl_->catalog().at(spec.id), args))) {
    return true;
  }
  return AclCheckFully(s, spec, args, u, where, refusal);
}

bool Executor::AclCheckFully(Session& s, const CommandSpec& spec,
                             std::span<const std::string_view> args, const acl::User* u,
                             AclContext where, std::string* refusal) {
  int pos = 0;
  acl::Denial d = acl::Denial::kCommand;
  if (u != nullptr) {
    const acl::CatalogCommand& cc = acl_->catalog().at(spec.id);
    SpecKeys keys(spec, cc, args);
    d = u->Check(cc, args, &keys, &pos);
    if (d == acl::Denial::kNone) return true;
  }
  acl::LogEntry e;
  e.reason = d;
  e.context = where == AclContext::kScript ? acl::LogContext::kLua
              : (where == AclContext::kMulti || where == AclContext::kExec)
                  ? acl::LogContext::kMulti
                  : acl::LogContext::kTopLevel;
  e.object = d == acl::Denial::kCommand ? spec.name : std::string(args[size_t(pos)]);
  e.username = s.user_name;
  e.ctime_ms = NowMs();
  Session* real = s.is_script() ? CurrentCaller() : &s;
  if (real != nullptr) {
    // client-info shows the command being refused (cmd=), as Redis's does.
    if (!s.is_script()) real->last_cmd.store(&spec, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(host_.registry_mu());
    e.client_info = real->InfoLine();
  }
  acl_->AddLog(std::move(e), size_t(std::max<int64_t>(0, config_.acllog_max_len())));
  if (where == AclContext::kExec) {
    *refusal =
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
        "EXEC call. This command is no longer allowed for the following reason: ";
    *refusal += d == acl::Denial::kKey       ? "no permission to touch the specified keys"
                : d == acl::Denial::kChannel ? "no permission to access one of the channels "
                                               "used as arguments"
                                             : "no permission to execute the command or "
                                               "subcommand";
    return false;
  }
  if (where == AclContext::kScript) {
    switch (d) {
      case acl::Denial::kKey:
        *refusal =
            "ERR The user executing the script can't access at least one of the keys mentioned "
            "in the command arguments";
        break;
      case acl::Denial::kChannel:
        *refusal =
            "ERR The user executing the script can't publish to the channel mentioned in the "
            "command";
        break;
      default:
        *refusal = "ERR The user executing the script can't run this command or subcommand";
    }
    return false;
  }
  if (d == acl::Denial::kCommand) {
    *refusal = "NOPERM this user has no permissions to run the '" + spec.name + "' command";
  } else {
    *refusal = NoPermText(d);
  }
  return false;
}

bool Executor::AclFullKeyAccess(Session& s, const CommandSpec& spec,
                                std::span<const std::string_view> args) {
  if (acl_ == nullptr || s.is_loader() || s.is_primary_link()) return true;
  const acl::User* u = AclUser(s);
  if (u == nullptr) return false;
  if (u->unrestricted()) return true;
  const acl::CatalogCommand& cc = acl_->catalog().at(spec.id);
  SpecKeys keys(spec, cc, args);
  for (const acl::Selector& sel : u->selectors()) {
    int pos = 0;
    if (sel.Check(cc, args, &keys, &pos) != acl::Denial::kNone) continue;
    if (sel.allkeys()) return true;
    for (const acl::KeyPattern& p : sel.key_patterns()) {
      if ((p.perm & acl::kPermRead) && p.pattern == "*") return true;
    }
  }
  return false;
}

void Executor::AclLogAuthFailure(Session& s, std::string_view username, std::string_view object) {
  if (acl_ == nullptr) return;
  acl::LogEntry e;
  e.reason = acl::Denial::kAuth;
  e.context = s.in_multi() ? acl::LogContext::kMulti : acl::LogContext::kTopLevel;
  e.object = std::string(object);
  e.username = std::string(username);
  e.ctime_ms = NowMs();
  {
    std::lock_guard<std::mutex> lock(host_.registry_mu());
    e.client_info = s.InfoLine();
  }
  acl_->AddLog(std::move(e), size_t(std::max<int64_t>(0, config_.acllog_max_len())));
}

void Executor::AuthenticateByCertificate(Session& s, std::string_view cn) {
  if (acl_ == nullptr) return;
  std::shared_ptr<const acl::User> u = acl_->Get(cn);
  if (u != nullptr && u->enabled()) {
    SetSessionUser(s, std::move(u));
    s.set_authenticated(true);
    return;
  }
  acl::LogEntry e;
  e.reason = acl::Denial::kTlsCert;
  e.context = acl::LogContext::kTopLevel;
  e.object = std::string(cn);
  e.username = std::string(cn);
  e.ctime_ms = NowMs();
  {
    std::lock_guard<std::mutex> lock(host_.registry_mu());
    e.client_info = s.InfoLine();
  }
  acl_->AddLog(std::move(e), size_t(std::max<int64_t>(0, config_.acllog_max_len())));
}

std::string Executor::AclDryRun(const acl::User& user, std::span<const std::string_view> args,
                                bool* unknown) {
  const CommandSpec* spec = Resolve(args);
  *unknown = spec == nullptr;
  if (spec == nullptr) return "";
  int pos = 0;
  const acl::CatalogCommand& cc = acl_->catalog().at(spec->id);
  SpecKeys keys(*spec, cc, args);
  acl::Denial d = user.Check(cc, args, &keys, &pos);
  switch (d) {
    case acl::Denial::kNone:
      return "";
    case acl::Denial::kKey:
      return "This user has no permissions to access the '" + std::string(args[size_t(pos)]) +
             "' key";
    case acl::Denial::kChannel:
      return "This user has no permissions to access the '" + std::string(args[size_t(pos)]) +
             "' channel";
    default:
      return "This user has no permissions to run the '" + spec->name + "' command";
  }
}

}  // namespace basalt::commands
