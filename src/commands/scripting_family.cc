// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//
// A script runs on the caller's worker, inside the script gate (one script
// at a time, scripting/runtime.h). It holds the shards of its declared keys
// from the start and any other shard from its first use to its end
// (storage::SetGrowingTransaction), so it is atomic for every client on
// every thread, while commands on other shards keep running. Its redis.call
// goes through Executor::ScriptCall with a session of origin kScript whose
// writes are collected; they reach the write log (AOF, replicas) as the
// script's effects — one command alone, several as MULTI ... EXEC — before
// its shard locks are released, never as the script.
#include "commands/scripting_family.h"

#include <string>
#include <vector>

#include "acl/user.h"
#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "commands/host.h"
#include "commands/session.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/strings.h"
#include "config/config.h"
#include "protocol/reply_builder.h"
#include "replication/write_log.h"
#include "scripting/runtime.h"
#include "storage/keyspace.h"

namespace basalt::commands {
namespace {

// The session a script's commands run in: the caller's database at the start
// (a SELECT inside the script stays inside it), the script's RESP version.
class ScriptSession final : public Session {
 public:
  explicit ScriptSession(const Session& caller) : Session(caller.id, Origin::kScript, true) {
    set_db(caller.db());
    // The script runs as its caller's user (ACL checks in ScriptCall).
    user_name = caller.user_name;
    acl_user = caller.acl_user;
    acl_gen = caller.acl_gen;
  }
  int resp() const override { return resp_; }
  void set_resp(int v) override { resp_ = v; }

 private:
  int resp_ = 2;
};

// What the Lua engine reaches of the server while a script runs.
class Bridge final : public scripting::ScriptHost {
 public:
  Bridge(CommandContext& ctx, ScriptSession& session, Executor::ScriptRules rules,
         ExecLog* effects)
      : ctx_(ctx), session_(session), rules_(rules), effects_(effects) {}

  void Call(std::span<const std::string_view> args, int resp, std::string* reply) override {
    session_.set_resp(resp);
    protocol::ReplyBuilder rb(reply, resp);
    ctx_.host.executor().ScriptCall(session_, rules_, args, rb);
    if (rules_.wrote) ctx_.host.scripts().MarkWrote();
  }

  const char* SetReplication(int flags) override {
    if (flags == scripting::kReplAll) {
      session_.set_exec_log(effects_);
    } else if (flags == scripting::kReplNone) {
      session_.set_exec_log(&dropped_);
    } else {
      // One write log feeds both the AOF and the replicas.
      return "ERR redis.set_repl() with REPL_AOF or REPL_REPLICA alone is not supported by "
             "Basalt; use REPL_ALL or REPL_NONE";
    }
    return nullptr;
  }

  void Log(int level, std::string_view message) override {
    basalt::Log(LogLevel(level), "%.*s", int(message.size()), message.data());
  }

  const char* Poll() override {
    scripting::Runtime& rt = ctx_.host.scripts();
    if (rt.busy()) {
      // Past the threshold, this worker's other connections are served every
      // few milliseconds (with -BUSY, or SCRIPT KILL / FUNCTION STATS / ...).
      int64_t now = MonotonicUs();
      if (now - last_serve_us_ >= 2000) {
        last_serve_us_ = now;
        ctx_.session.ServeOthersWhileBusy();
      }
    }
    return rt.PollStop();
  }

  int AclCheck(std::span<const std::string_view> args) override {
    Executor& ex = ctx_.host.executor();
    if (ex.Resolve(args) == nullptr) return -1;
    if (ex.acl() == nullptr || session_.is_primary_link()) return 1;
    const acl::User* u = ex.AclUser(session_);
    if (u == nullptr) return 0;
    bool unknown = false;
    return ex.AclDryRun(*u, args, &unknown).empty() ? 1 : 0;
  }

  bool wrote() const { return rules_.wrote; }

 private:
  CommandContext& ctx_;
  ScriptSession& session_;
  Executor::ScriptRules rules_;
  ExecLog* effects_;
  ExecLog dropped_;  // writes made under redis.set_repl(redis.REPL_NONE)
  int64_t last_serve_us_ = 0;
};


// The checks a script with shebang flags gets before it runs (a script
// without flags is checked command by command instead).
bool AdmitFlaggedScript(CommandContext& ctx, const scripting::ScriptFlags& flags) {
  if (!ctx.session.admitted()) return true;
  Host& host = ctx.host;
  const config::Config& cfg = ctx.config();
  // A stale replica runs only scripts flagged allow-stale (none without a
  // shebang).
  if (!flags.allow_stale && host.is_replica() && !host.primary_link_up() &&
      !cfg.replica_serve_stale_data()) {
    ctx.Error(errors::kMasterDown);
    return false;
  }
  if (!flags.shebang) return true;
  // A script that may write (no `no-writes`) is checked as a write, even for
  // EVAL_RO / FCALL_RO, which refuse it afterwards.
  if (flags.no_writes) return true;
  if (host.is_replica() && cfg.replica_read_only()) {
    ctx.Error(errors::kReadOnlyReplica);
    return false;
  }
  std::string why = host.PersistenceWriteRefusal();
  if (why.empty()) why = host.ReplicasWriteRefusal();
  if (!why.empty()) {
    ctx.Error(why);
    return false;
  }
  if (!flags.allow_oom && cfg.maxmemory() > 0 &&
      !(host.is_replica() && cfg.replica_ignore_maxmemory()) && !host.EvictIfNeeded()) {
    ctx.Error(errors::kOom);
    return false;
  }
  return true;
}

}  // namespace

ScriptGate::ScriptGate(CommandContext& ctx) : rt_(ctx.host.scripts()) {
  if (!ctx.session.admitted()) {
    // The loader and the primary's stream wait; they are never refused.
    rt_.Enter();
    entered_ = true;
    return;
  }
  entered_ = rt_.EnterUnlessBusy();
  if (!entered_) ctx.Error(rt_.running_function() ? errors::kBusyFunction : errors::kBusyScript);
}

ScriptGate::~ScriptGate() {
  if (entered_) rt_.Leave();
}

void ReplyKill(CommandContext& ctx, bool function) {
  using R = scripting::Runtime::KillResult;
  switch (ctx.host.scripts().RequestKill(function)) {
    case R::kNotBusy:
      ctx.Error(errors::kNotBusy);
      return;
    case R::kUnkillable:
      ctx.Error(errors::kUnkillable);
      return;
    case R::kWrongKind:
      // The running one is of the other kind: its BUSY text names its KILL.
      ctx.Error(function ? errors::kBusyScript : errors::kBusyFunction);
      return;
    case R::kKilled:
      ctx.reply.Ok();
      return;
  }
}

void ReplyLines(CommandContext& ctx, std::span<const char* const> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (const char* l : lines) ctx.reply.SimpleString(l);
}

bool ParseNumkeys(CommandContext& ctx, size_t numkeys_index, int64_t* numkeys) {
  auto n = ParseInt64(ctx.args[numkeys_index]);
  if (!n) {
    ctx.Error(errors::kNotInteger);
    return false;
  }
  if (*n < 0) {
    ctx.Error(errors::kNumkeysNegative);
    return false;
  }
  if (*n > int64_t(ctx.args.size() - numkeys_index - 1)) {
    ctx.Error(errors::kNumkeysTooMany);
    return false;
  }
  *numkeys = *n;
  return true;
}

void RunScript(CommandContext& ctx, scripting::LuaEngine& engine, int ref, std::string_view name,
               const scripting::ScriptFlags& flags, bool read_only, bool fcall,
               std::span<const std::string_view> keys, std::span<const std::string_view> args) {
  scripting::Runtime& rt = ctx.host.scripts();
  if (!AdmitFlaggedScript(ctx, flags)) return;
  if (read_only && flags.shebang && !flags.no_writes) {
    ctx.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  Executor::ScriptRules rules;
  rules.read_only = read_only || flags.no_writes;
  rules.check_oom = !flags.shebang && ctx.session.admitted();
  if (rules.check_oom) {
    // Decided once, before the script holds any shard (eviction locks them).
    const config::Config& cfg = ctx.config();
    rules.oom = cfg.maxmemory() > 0 &&
                !(ctx.host.is_replica() && cfg.replica_ignore_maxmemory()) &&
                !ctx.host.EvictIfNeeded();
  }

  ScriptSession session(ctx.session);
  ExecLog effects;
  // Inside EXEC the effects join the transaction's, and EXEC holds the locks.
  ExecLog* outer = ctx.session.exec_log();
  ExecLog* target = outer != nullptr ? outer : &effects;
  session.set_exec_log(target);
  storage::LockSet locks;
  if (outer == nullptr) {
    storage::Database& db = ctx.db();
    for (std::string_view k : keys) locks.AddKey(db, k);
    locks.Acquire();
    storage::SetGrowingTransaction(&locks);
  }
  Bridge bridge(ctx, session, rules, target);
  rt.BeginRun(fcall, ctx.config().busy_reply_threshold());
  std::string* out = ctx.reply.out();
  size_t mark = out->size();
  int64_t frozen_before = t_frozen_now_ms;
  if (frozen_before == 0) t_frozen_now_ms = NowMs();
  engine.Run(ref, name, fcall, keys, args, bridge, ctx.reply);
  t_frozen_now_ms = frozen_before;
  rt.EndRun();
  if (rt.aborting()) {
    // Stopped by a shutdown: like Redis, the caller gets no reply; its
    // connection closes with the process.
    out->resize(mark);
    ctx.session.CloseAfterReply();
  }
  if (out->size() > mark && (*out)[mark] == '-') {
    // An error reply fails the EVAL/FCALL; errorstats count it unless the
    // command it came from already did (redis.call's errors).
    ctx.failed = true;
    if (!engine.error_counted()) {
      size_t eol = out->find('\r', mark);
      ctx.host.CountError(std::string_view(*out).substr(mark + 1, eol - mark - 1));
    }
  }
  if (outer == nullptr) {
    // The effects reach the log while the shards are still held, so they are
    // ordered with every conflicting write. A script stopped half-way (an
    // error, SCRIPT KILL before a write, shutdown) logs what it did.
    if (effects.size() == 1) {
      std::vector<std::string_view> views(effects[0].second.begin(), effects[0].second.end());
      ctx.log.Append(effects[0].first, views);
    } else if (effects.size() > 1) {
      ctx.log.AppendTransaction(effects);
    }
    storage::SetGrowingTransaction(nullptr);
    locks.Release();
  }
  if (bridge.wrote()) ctx.session.MarkWrote();
}

namespace {

// EVAL script numkeys [key [key ...]] [arg [arg ...]]
// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
void EvalGeneric(CommandContext& ctx, bool by_sha, bool read_only) {
  int64_t numkeys;
  if (!ParseNumkeys(ctx, 2, &numkeys)) return;
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  scripting::LuaEngine& engine = ctx.host.scripts().eval();
  const scripting::LuaEngine::Script* script;
  std::string sha;
  std::string_view sha_view;
  if (by_sha) {
    script = engine.FindScript(ctx.args[1]);
    if (script == nullptr) {
      ctx.Error(errors::kNoScript);
      return;
    }
    sha_view = script->sha;
  } else {
    auto loaded = engine.LoadScript(ctx.args[1], &sha);
    if (!loaded.ok()) {
      ctx.Error(loaded.status().message());
      return;
    }
    script = *loaded;
    sha_view = script->sha;
    scripting::Runtime& rt = ctx.host.scripts();
    if (engine.script_count() != rt.scripts_count.load(std::memory_order_relaxed)) {
      rt.RefreshCounters();  // a new script in the cache
    }
  }
  auto keys = ctx.args.subspan(3, size_t(numkeys));
  auto argv = ctx.args.subspan(3 + size_t(numkeys));
  RunScript(ctx, engine, script->ref, sha_view, script->flags, read_only, false, keys, argv);
}

void CmdEval(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
void CmdEvalRo(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
void CmdEvalSha(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
void CmdEvalShaRo(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

// SCRIPT LOAD script
void CmdScriptLoad(CommandContext& ctx) {
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  std::string sha;
  auto loaded = ctx.host.scripts().eval().LoadScript(ctx.args[2], &sha);
  if (!loaded.ok()) {
    ctx.Error(loaded.status().message());
    return;
  }
  ctx.host.scripts().RefreshCounters();
  ctx.reply.Bulk(sha);
}

// SCRIPT EXISTS sha1 [sha1 ...]
void CmdScriptExists(CommandContext& ctx) {
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  scripting::LuaEngine& engine = ctx.host.scripts().eval();
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Integer(engine.FindScript(ctx.args[i]) != nullptr ? 1 : 0);
  }
}

// SCRIPT FLUSH [ASYNC|SYNC]
void CmdScriptFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3 ||
      (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "async") &&
       !EqualsIgnoreCase(ctx.args[2], "sync"))) {
    ctx.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  // The cache is small next to a keyspace: both modes free it now.
  ctx.host.scripts().eval().FlushScripts();
  ctx.host.scripts().RefreshCounters();
  ctx.reply.Ok();
}

// SCRIPT KILL
void CmdScriptKill(CommandContext& ctx) { ReplyKill(ctx, false); }

// SCRIPT DEBUG YES|SYNC|NO
void CmdScriptDebug(CommandContext& ctx) {
  ctx.Error("ERR SCRIPT DEBUG (the Lua debugger) is not supported by Basalt");
}

// SCRIPT HELP
void CmdScriptHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ReplyLines(ctx, kLines);
}

void CmdContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }


}  // namespace

void RegisterScriptingFamily(CommandTable& t) {
  const char* g = "scripting";
  const CommandFlag common = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys;
  auto add = [&](const char* name, CommandFlag flags, Handler h) {
    t.Add(Spec(g, name, -3, flags, 0, 0, 0, "@slow @scripting", h));
  };
  add("eval", common, CmdEval);
  add("evalsha", common, CmdEvalSha);
  add("eval_ro", common | kReadOnly, CmdEvalRo);
  add("evalsha_ro", common | kReadOnly, CmdEvalShaRo);

  t.Add(Spec(g, "script", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  t.AddSub("script", Spec(g, "load", 3, kNoScript | kStale, 0, 0, 0, "@slow @scripting",
                          CmdScriptLoad));
  t.AddSub("script", Spec(g, "exists", -3, kNoScript, 0, 0, 0, "@slow @scripting",
                          CmdScriptExists));
  t.AddSub("script", Spec(g, "flush", -2, kNoScript, 0, 0, 0, "@slow @scripting",
                          CmdScriptFlush));
  t.AddSub("script", Spec(g, "kill", 2, kNoScript | kAllowBusy, 0, 0, 0, "@slow @scripting",
                          CmdScriptKill));
  t.AddSub("script", Spec(g, "debug", 3, kNoScript, 0, 0, 0, "@slow @scripting", CmdScriptDebug));
  t.AddSub("script", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow @scripting",
                          CmdScriptHelp));
}

}  // namespace basalt::commands
