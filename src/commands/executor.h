// Executor: the one way a command runs. Whoever has a command — a client
// connection, AOF replay, the primary's stream on a replica, EXEC, and next a
// script's redis.call or FCALL — hands it the parsed arguments, the Session it
// runs for (database, identity, origin) and a reply builder. Lookup,
// subcommand and arity checks, admission (auth, loading, MISCONF, NOREPLICAS,
// READONLY, MASTERDOWN, OOM, the RESP2 subscribed context), MULTI queueing,
// the handler, statistics, the slow log, and the write bookkeeping a
// connection's reply waits on happen here once.
//
// CLIENT PAUSE is not an admission check here: a paused connection leaves the
// request unparsed in its buffer (server::Client), as Redis does.
//
// Thread-safety: stateless apart from the host; any worker thread may call it
// for a Session it owns.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace basalt::acl {
class Registry;
class User;
}
namespace basalt::config {
class Config;
}
namespace basalt::protocol {
class ReplyBuilder;
}
namespace basalt::replication {
class WriteLog;
}
namespace basalt::scripting {
class Runtime;
}

namespace basalt::commands {

class CommandTable;
class Host;
class MonitorFeed;
class Session;
struct CommandSpec;
struct ThreadStats;

class Executor {
 public:
  // The host's configuration, write log and command table are passed
  // directly so the hot path makes no virtual call to reach them; they must
  // outlive the executor (the host owns them and the executor).
  Executor(Host& host, config::Config& config, replication::WriteLog& log,
           const CommandTable& table, scripting::Runtime& scripts);
  ~Executor();

  // Runs one request of `s` through every check and answers into rb.
  void Dispatch(Session& s, std::span<const std::string_view> args, protocol::ReplyBuilder& rb);
  // Runs a resolved command now: the handler, statistics, the slow log and
  // the write bookkeeping (Session::OnWrite, woff). Blocked commands re-run
  // through here.
  void Execute(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
               protocol::ReplyBuilder& rb);

  // --- MONITOR ---
  // The server's monitor registry (null in in-process tests: MONITOR is
  // refused). Set once before any command runs.
  void set_monitors(MonitorFeed* m) { monitors_ = m; }
  MonitorFeed* monitors() const { return monitors_; }

  // --- Scripts ---
  // DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands.
  void set_deny_scripts_disabled(bool v) { deny_scripts_disabled_.store(v); }
  // What a running script may do, for ScriptCall.
  struct ScriptRules {
    bool read_only = false;     // EVAL_RO, FCALL_RO, `no-writes`
    bool check_oom = true;      // no shebang flags: deny-oom commands refused at the limit
    bool wrote = false;         // the script has written (OOM no longer checked)
    bool oom = false;           // over maxmemory when the script started (Redis's
                                // pre-command OOM state; nothing is evicted inside)
  };
  // A script's redis.call: lookup, arity and the rules for scripts (no
  // `noscript` commands, no writes from read-only scripts, READONLY,
  // NOREPLICAS, MISCONF, OOM as Redis checks them inside a script), then the
  // handler. `s` is the script's session (origin kScript), whose exec_log()
  // collects the script's effects.
  void ScriptCall(Session& s, ScriptRules& rules, std::span<const std::string_view> args,
                  protocol::ReplyBuilder& rb);
  // The command (or container subcommand) args name, or nullptr if none:
  // what a script can call (redis.call, redis.acl_check_cmd).
  const CommandSpec* Resolve(std::span<const std::string_view> args) const;

  // --- ACL (acl_check.cc) ---
  // Builds the ACL registry from the finalized command table, follows
  // requirepass and loads the config's `user` lines or the aclfile. Call
  // once at start-up, before any command runs; until then (and in sessions
  // the ACL does not apply to) every command is allowed. Returns "" or the
  // reason start-up must stop (Redis's texts).
  std::string InitAcl();
  acl::Registry* acl() const { return acl_.get(); }
  // acl-replicate-users: replicas get each named user as ACL SETUSER <name>
  // resetpass resetkeys resetchannels clearselectors -@all <rules>, or ACL
  // DELUSER if it is gone; in the replication stream
  // only (not the AOF). Nothing when the directive is off.
  void ReplicateUsers(std::span<const std::string> names);
  // Every user, as above: the start of a replica's stream (full or partial
  // sync), so a replica that missed changes or restarted has them all.
  void ReplicateAllUsers();
  // The session's user, re-read when the registry changed; null when it was
  // deleted.
  const acl::User* AclUser(Session& s);
  // Whether a new connection starts authenticated: the default user is on
  // and has nopass (or, before InitAcl, requirepass is empty).
  bool AclDefaultOpen() const;
  // Makes `user` the session's user (AUTH, HELLO AUTH, RESET).
  void SetSessionUser(Session& s, std::shared_ptr<const acl::User> user);
  // Whether s's user may run spec with args. If not, logs the refusal to
  // the ACL LOG (context multi when queueing, lua in a script) and sets
  // *refusal to the error Redis sends from that context.
  enum class AclContext { kTopLevel, kMulti, kExec, kScript };
  bool AclAllowed(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
                  AclContext where, std::string* refusal);
  // SORT BY/GET: some selector of s's user allows the command and every key
  // for reading (allkeys, or a `*` pattern with read permission).
  bool AclFullKeyAccess(Session& s, const CommandSpec& spec,
                        std::span<const std::string_view> args);
  // A failed AUTH / HELLO AUTH, for the ACL LOG (reason auth).
  void AclLogAuthFailure(Session& s, std::string_view username, std::string_view object);
  // tls-auth-clients-user CN, after the handshake: the session becomes the
  // enabled user the certificate's CN names; otherwise it stays as it was
  // and the ACL LOG gets a "tls-cert" entry (as Valkey 8.1).
  void AuthenticateByCertificate(Session& s, std::string_view cn);
  // Whether `user` may run args (ACL DRYRUN, redis.acl_check_cmd): "" if so,
  // else the DRYRUN text. *unknown is set when no such command exists.
  std::string AclDryRun(const acl::User& user, std::span<const std::string_view> args,
                        bool* unknown);

  // --- Transactions ---
  void BeginMulti(Session& s);
  // EXEC: runs the queued commands atomically (every shard they touch locked
  // first) and writes the reply array; the writes reach the log as one group.
  void Exec(Session& s, protocol::ReplyBuilder& rb);
  void DiscardMulti(Session& s);
  void Watch(Session& s, std::string_view key);
  void Unwatch(Session& s);

 private:
  // Whether EXEC now would run a queued write (min-replicas gates it).
  static bool QueuedWrites(const Session& s);
  // AclAllowed past its quick yes: the full check for u (null: the user
  // was deleted), the ACL LOG entry and the refusal text.
  bool AclCheckFully(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
                     const acl::User* u, AclContext where, std::string* refusal);
  // Whether spec may run for s now; if not, *refusal is the error to send.
  bool Admit(Session& s, const CommandSpec& spec, std::string* refusal);
  void Reject(Session& s, const CommandSpec* spec, std::string msg, protocol::ReplyBuilder& rb);
  void ScriptReject(const CommandSpec* spec, std::string_view msg, protocol::ReplyBuilder& rb);
  void Run(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
           protocol::ReplyBuilder& rb, ThreadStats& stats);
  // Sends the command to every monitor.
  void FeedMonitors(Session& s, const CommandSpec& spec, std::span<const std::string_view> args);
  void LogSlow(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
               int64_t took_us);

  Host& host_;
  config::Config& config_;
  replication::WriteLog& log_;
  const CommandTable& table_;
  scripting::Runtime& scripts_;
  MonitorFeed* monitors_ = nullptr;
  std::atomic<bool> deny_scripts_disabled_{false};
  std::unique_ptr<acl::Registry> acl_;
};

}  // namespace basalt::commands
