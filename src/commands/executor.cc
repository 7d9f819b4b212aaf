#include "commands/executor.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <iterator>
#include <mutex>

#include "commands/command_context.h"
#include "commands/command_stats.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/host.h"
#include "commands/monitor.h"
#include "commands/session.h"
#include "commands/slowlog.h"
#include "commands/tracking.h"
#include "commands/watch_registry.h"
#include "common/clock.h"
#include "common/hash.h"
#include "common/latency_monitor.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/panic.h"
#include "common/strings.h"
#include "config/config.h"
#include "protocol/reply_builder.h"
#include "replication/write_log.h"
#include "scripting/runtime.h"
#include "storage/keyspace.h"

namespace basalt::commands {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string UnknownCommand(std::span<const std::string_view> args) {
  std::string msg =
      "ERR unknown command '" + CStringPrefix(args[0], 128) + "', with args beginning with: ";
  std::string rest;
  for (size_t i = 1; i < args.size() && rest.size() < 128; i++) {
    rest += "'" + CStringPrefix(args[i], 128 - rest.size()) + "' ";
  }
  return msg + rest;
}

// "POST" or "Host:": the first word of an HTTP request or of its headers.
bool IsHttpRequestLine(std::string_view cmd) {
  return EqualsIgnoreCase(cmd, "post") || EqualsIgnoreCase(cmd, "host:");
}

// A write from the primary while this replica cannot persist (the MISCONF
// state: a failed BGSAVE with stop-writes-on-bgsave-error, or a failed AOF
// write). Redis 7.0's replica-ignore-disk-write-errors: "no" panics rather
// than hold data its disk does not; "yes" applies it and warns (at most
// every 10 seconds). PING is never a reason to panic.
void CheckReplicaDiskError(Host& host, const config::Config& cfg, const CommandSpec& spec) {
  if (host.PersistenceWriteRefusal().empty()) return;
  if (!cfg.replica_ignore_disk_write_errors() && spec.name != "ping") {
    Panic("Replica was unable to write command to disk.");
  }
  static std::atomic<int64_t> last_log_ms{0};
  int64_t now = NowMs();
  if (now - last_log_ms.load(std::memory_order_relaxed) >= 10000) {
    last_log_ms.store(now, std::memory_order_relaxed);
    Log(LogLevel::kWarning,
        "Replica is applying a command even though it is unable to write to disk.");
  }
}

}  // namespace

void Executor::Reject(Session& s, const CommandSpec* spec, std::string msg,
                      protocol::ReplyBuilder& rb) {
  // A refused EXEC answers EXECABORT (in or out of MULTI) and discards any
  // transaction, as Redis does.
  if (spec != nullptr && spec->traits.is_exec) {
    if (s.in_multi_) DiscardMulti(s);
    std::string_view why = msg;
    if (why.starts_with("ERR ")) why.remove_prefix(4);
    msg = errors::kExecAbortPrefix + std::string(why);
  }
  host_.CountError(msg);
  rb.Error(msg);
  // A command refused while queueing dooms the transaction (EXECABORT).
  if (s.in_multi_) s.multi_error_ = true;
}

namespace {

// Writes refused by the server's state get a log line for operators: at most
// one per reason every 10 s, with the number refused since the last line.
void LogRefusedWrite(std::string_view refusal, const CommandSpec& spec) {
  static constexpr std::string_view kReasons[] = {"MISCONF", "NOREPLICAS", "READONLY", "OOM",
                                                  "MASTERDOWN"};
  static std::atomic<uint64_t> refused[std::size(kReasons)];
  static std::atomic<int64_t> last_ms[std::size(kReasons)];
  std::string_view code = refusal.substr(0, refusal.find(' '));
  size_t i = 0;
  while (i < std::size(kReasons) && kReasons[i] != code) i++;
  if (i == std::size(kReasons)) return;
  refused[i].fetch_add(1, std::memory_order_relaxed);
  int64_t now = NowMs(), last = last_ms[i].load(std::memory_order_relaxed);
  if (now - last < 10000 || !last_ms[i].compare_exchange_strong(last, now)) return;
  uint64_t n = refused[i].exchange(0, std::memory_order_relaxed);
  const std::string& name = spec.parent != nullptr ? spec.parent->name : spec.name;
  std::string_view text = refusal.substr(0, std::min<size_t>(refusal.size(), 200));
  LogEvent(LogLevel::kWarning, "write_refused",
           {{"reason", std::string(code)}, {"count", std::to_string(n)}, {"command", name}},
           "%llu write(s) refused since the last report (last: %s): %.*s",
           (unsigned long long)n, name.c_str(), int(text.size()), text.data());
}

}  // namespace

bool Executor::Admit(Session& s, const CommandSpec& spec, std::string* refusal) {
  const uint32_t flags = spec.flags;
  if (!s.authenticated() && !(flags & kNoAuth)) {
    *refusal = errors::kNoAuth;
    return false;
  }
  const bool write = flags & kWrite;
  if (s.admitted()) {
    // A script past busy-reply-threshold: only what may stop it runs.
    // (Also on the script's own thread: its other connections are served
    // from inside the script, scripting_family.cc.)
    if (scripts_.running() && !(flags & kAllowBusy) && scripts_.busy()) {
      *refusal = scripts_.running_function() ? errors::kBusyFunction : errors::kBusyScript;
      return false;
    }
    if (!(flags & kLoading) && host_.loading()) {
      *refusal = errors::kLoading;
      return false;
    }
    if (spec.traits.misconf_gated) {
      std::string why = host_.PersistenceWriteRefusal();
      if (!why.empty()) {
        *refusal = std::move(why);
        return false;
      }
    }
    if (write || (spec.traits.is_exec && QueuedWrites(s))) {
      // min-replicas-to-write / min-replicas-ack: too few replicas.
      std::string why = host_.ReplicasWriteRefusal();
      if (!why.empty()) {
        *refusal = std::move(why);
        return false;
      }
    }
  }
  if (s.is_primary_link()) {
    if (spec.traits.misconf_gated) CheckReplicaDiskError(host_, config_, spec);
    return true;
  }
  const config::Config& cfg = config_;
  if (write && host_.is_replica() && cfg.replica_read_only()) {
    *refusal = errors::kReadOnlyReplica;
    return false;
  }
  if (!(flags & kStale) && !cfg.replica_serve_stale_data() && host_.is_replica() &&
      !host_.primary_link_up()) {
    *refusal = errors::kMasterDown;
    return false;
  }
  if (cfg.maxmemory() > 0 && !(host_.is_replica() && cfg.replica_ignore_maxmemory()) &&
      !host_.EvictIfNeeded() &&
      ((flags & kDenyOom) || (s.in_multi_ && !spec.traits.transaction_control))) {
    // Inside MULTI every queued command is refused at the limit: the queue
    // itself takes memory (Redis 7.0).
    *refusal = errors::kOom;
    return false;
  }
  return true;
}

void Executor::Dispatch(Session& s, std::span<const std::string_view> args,
                        protocol::ReplyBuilder& rb) {
  ThreadStats& stats = CurrentStats();
  // EXEC's and a script's commands run for this connection (tracking, NOLOOP).
  CallerScope caller(s.is_connection() ? &s : CurrentCaller());
  const bool counted = !s.is_loader();
  if (counted) Bump(stats.commands);
  const CommandSpec* spec = table_.Find(args[0]);
  if (spec == nullptr) {
    if (IsHttpRequestLine(args[0]) && s.is_connection()) {
      // Someone sent HTTP to the data port (a browser, or a cross-protocol
      // attack through one): no reply at all, the connection is dropped.
      Log(LogLevel::kWarning,
          "Possible cross-protocol attack: a client sent an HTTP request (%s) to the data "
          "port; its connection is closed without a reply.",
          std::string(args[0]).c_str());
      s.DropConnection();
      return;
    }
    return Reject(s, nullptr, UnknownCommand(args), rb);
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* found = spec->FindSubcommand(Lower(args[1]));
    if (found == nullptr) {
      std::string upper = spec->name;
      for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
      return Reject(
          s, spec,
          "ERR unknown subcommand '" + CStringPrefix(args[1], 128) + "'. Try " + upper + " HELP.", rb);
    }
    spec = found;
  }
  int argc = int(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    if (counted) Bump(stats.cmd[spec->id].rejected);
    return Reject(s, spec, errors::WrongArity(spec->name), rb);
  }
  std::string refusal;
  // ACL: after NOAUTH and the MULTI refusal, before the other admission
  // checks, as Redis orders them.
  if (acl_ != nullptr && s.admitted() && (s.authenticated() || (spec->flags & kNoAuth)) &&
      !(s.in_multi_ && (spec->flags & kNoMulti) && !spec->traits.transaction_control) &&
      !AclAllowed(s, *spec, args, s.in_multi_ ? AclContext::kMulti : AclContext::kTopLevel,
                  &refusal)) {
    if (counted) Bump(stats.cmd[spec->id].rejected);
    return Reject(s, spec, std::move(refusal), rb);
  }
  if (!Admit(s, *spec, &refusal)) {
    if (counted) Bump(stats.cmd[spec->id].rejected);
    if (spec->is_write() || spec->traits.is_exec) LogRefusedWrite(refusal, *spec);
    return Reject(s, spec, std::move(refusal), rb);
  }
  // A monitor only watches: it may not read or write the keyspace (Redis
  // treats it as a replica here).
  // (Redis counts PUBLISH and the script commands as may-replicate here.)
  if (s.monitor.load(std::memory_order_relaxed) &&
      ((spec->flags & (kWrite | kReadOnly | kMayReplicate)) ||
       ((spec->flags & kSkipMonitor) && spec->traits.runs_script) || spec->name == "publish" ||
       spec->name == "spublish")) {
    if (counted) Bump(stats.cmd[spec->id].rejected);
    return Reject(s, spec, errors::kMonitorKeyspace, rb);
  }
  if (s.subscribed() && !spec->traits.subscribed_ok && s.resp() == 2) {
    return Reject(s, spec, errors::SubscribedContext(spec->name), rb);
  }
  if (s.in_multi_ && !spec->traits.transaction_control) {
    if (spec->flags & kNoMulti) {
      if (counted) Bump(stats.cmd[spec->id].rejected);
      return Reject(s, spec, errors::kNotInMulti, rb);
    }
    // Once EXEC is bound to fail (an error while queueing, or a watched key
    // touched) nothing more is kept, as Redis does.
    if (!s.multi_error_ && !s.watch_dirty_.load(std::memory_order_relaxed)) {
      s.queued_.push_back(
          Session::QueuedCommand{spec, std::vector<std::string>(args.begin(), args.end())});
      // multi-mem as Redis counts it: argument bytes plus a pointer each.
      size_t mem = s.multi_mem_shared.load(std::memory_order_relaxed);
      for (std::string_view a : args) mem += a.size() + sizeof(void*);
      s.multi_mem_shared.store(mem, std::memory_order_relaxed);
    }
    s.multi_shared.store(int(s.queued_.size()), std::memory_order_relaxed);
    rb.SimpleString("QUEUED");
    return;
  }
  Run(s, *spec, args, rb, stats);
}

void Executor::Execute(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
                       protocol::ReplyBuilder& rb) {
  Run(s, spec, args, rb, CurrentStats());
}

void Executor::ScriptCall(Session& s, ScriptRules& rules, std::span<const std::string_view> args,
                          protocol::ReplyBuilder& rb) {
  ThreadStats& stats = CurrentStats();
  // An unknown subcommand is an unknown command to a script.
  const CommandSpec* spec = Resolve(args);
  if (spec == nullptr) return ScriptReject(nullptr, errors::kScriptUnknownCommand, rb);
  int argc = int(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
    return ScriptReject(spec, errors::kScriptWrongArity, rb);
  }
  const uint32_t flags = spec->flags;
  if ((flags & kNoScript) && !deny_scripts_disabled_.load(std::memory_order_relaxed)) {
    return ScriptReject(spec, errors::kScriptNotAllowed, rb);
  }
  if (acl_ != nullptr && !s.is_primary_link() && !s.is_loader()) {
    std::string refusal;
    if (!AclAllowed(s, *spec, args, AclContext::kScript, &refusal)) {
      return ScriptReject(spec, refusal, rb);
    }
  }
  const bool write = flags & kWrite;
  // PUBLISH and SPUBLISH replicate too: refused in read-only scripts (Redis
  // 7.0 does so without flagging them may-replicate in COMMAND INFO).
  if (rules.read_only && ((flags & (kWrite | kMayReplicate)) || spec->name == "publish" ||
                          spec->name == "spublish")) {
    return ScriptReject(spec, errors::kScriptReadOnly, rb);
  }
  if (!(flags & kStale) && host_.is_replica() && !host_.primary_link_up() &&
      !config_.replica_serve_stale_data()) {
    return ScriptReject(spec, "ERR Can not execute the command on a stale replica", rb);
  }
  if (write) {
    if (host_.is_replica() && config_.replica_read_only() && !s.is_primary_link()) {
      return ScriptReject(spec, errors::kReadOnlyReplica, rb);
    }
    std::string why = host_.PersistenceWriteRefusal();
    if (why.empty()) why = host_.ReplicasWriteRefusal();
    if (!why.empty()) return ScriptReject(spec, why, rb);
  }
  // At the memory limit a deny-oom command is refused only before the
  // script's first write: a script cannot be stopped half-way.
  if ((flags & kDenyOom) && rules.check_oom && !rules.wrote && rules.oom) {
    return ScriptReject(spec, errors::kOom, rb);
  }
  if (write) rules.wrote = true;
  Run(s, *spec, args, rb, stats);
}

const CommandSpec* Executor::Resolve(std::span<const std::string_view> args) const {
  const CommandSpec* spec = table_.Find(args[0]);
  if (spec != nullptr && !spec->subcommands.empty()) {
    spec = args.size() >= 2 ? spec->FindSubcommand(Lower(args[1])) : nullptr;
  }
  return spec;
}

void Executor::ScriptReject(const CommandSpec* spec, std::string_view msg,
                            protocol::ReplyBuilder& rb) {
  // Counted as Redis counts a refusal: rejected_calls and errorstats.
  if (spec != nullptr) Bump(CurrentStats().cmd[spec->id].rejected);
  host_.CountError(msg);
  rb.Error(msg);
}

void Executor::Run(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
                   protocol::ReplyBuilder& rb, ThreadStats& stats) {
  CommandContext ctx{host_, s, args, rb, spec, config_, log_};
  s.last_cmd.store(&spec, std::memory_order_relaxed);
  int64_t start = MonotonicUs();
  int64_t log_before = log_.offset();
  // A running snapshot must see the old value of anything this command may
  // change in place (storage::SetWriteIntent).
  storage::SetWriteIntent(!(spec.flags & kReadOnly));
  // CLIENT TRACKING: the keys a tracking client reads are remembered before
  // the command runs and again after it. A write on another thread between
  // the two then either finds the key remembered (and invalidates it, the
  // message following this reply) or happened before the read (which saw
  // its value) and the second pass tracks the key again.
  Session* reader = CurrentCaller();
  TrackingHub* tracking = nullptr;
  if (reader != nullptr && reader->tracking && ShouldRemember(*reader->tracking, spec)) {
    tracking = host_.tracking();
    if (tracking != nullptr) tracking->Remember(*reader, spec, args);
  }
  // Monitors see a script's command before the commands it calls (Redis
  // feeds EVAL and FCALL from their handlers); every other command after it
  // ran, so SELECT shows the database it selected.
  if (monitors_ != nullptr && monitors_->active() && (spec.flags & kSkipMonitor) &&
      spec.traits.runs_script && !s.is_loader() && !s.reprocessing()) {
    FeedMonitors(s, spec, args);
  }
  if (s.admitted() && s.exec_log_ == nullptr) {
    // (Not inside EXEC: its queue is taken, it cannot be retried.)
    // A client's command that would wait for a shard while a script runs
    // does not stall its worker (storage::LockShardMutex): it runs again
    // later, or answers -BUSY once the script is past its threshold.
    size_t mark = rb.out()->size();
    storage::BeginCommandLocks();
    storage::SetLockWaitAbortable(true);
    try {
      spec.handler(ctx);
    } catch (const storage::LockWaitAborted& a) {
      rb.out()->resize(mark);
      storage::SetLockWaitAbortable(false);
      if (!a.retry) {
        ctx.Error(scripts_.running_function() ? errors::kBusyFunction : errors::kBusyScript);
      } else if (s.RetryLater()) {
        storage::SetWriteIntent(false);
        return;  // the connection runs it again; nothing happened
      } else {
        spec.handler(ctx);  // no connection to retry it: wait for the locks
      }
    }
    storage::SetLockWaitAbortable(false);
  } else {
    spec.handler(ctx);
  }
  storage::SetWriteIntent(false);
  if (tracking != nullptr) tracking->Remember(*reader, spec, args);
  if (spec.is_write()) s.wrote_ = true;
  // Inside EXEC the writes reach the log only when the transaction ends, so
  // the offsets replies wait for are taken by the EXEC itself.
  if (s.exec_log_ == nullptr) {
    int64_t log_now = log_.offset();
    if (s.wrote_) {
      s.wrote_ = false;
      s.OnWrite(log_now);
    }
    // WAIT counts replicas against the offset of this session's last command
    // that added to the log, as Redis does.
    if (log_now != log_before) s.woff_ = log_now;
  }
  if (s.is_loader()) return;  // AOF replay counts no statistics (as Redis)
  if (monitors_ != nullptr && monitors_->active() && !(spec.flags & (kSkipMonitor | kAdmin)) &&
      !s.reprocessing()) {
    FeedMonitors(s, spec, args);
  }
  // A script's calls count in commandstats; the slow log has the script.
  int64_t took = MonotonicUs() - start;
  CommandStat& cs = stats.cmd[spec.id];
  Bump(cs.calls);
  Bump(cs.usec, uint64_t(took));
  if (ctx.failed) Bump(cs.failed);
  // INFO latencystats / LATENCY HISTOGRAM, and the latency monitor's
  // "command" / "fast-command" events (Redis's names).
  if (config_.latency_tracking()) RecordCommandLatency(stats, cs, took);
  RecordLatency((spec.flags & kFast) ? "fast-command" : "command", took / 1000,
                config_.latency_monitor_threshold());
  int64_t threshold = config_.slowlog_log_slower_than();
  if (threshold >= 0 && took >= threshold && !(spec.flags & kSkipSlowlog) && !s.is_script()) {
    LogSlow(s, spec, args, took);
  }
  s.OnExecuted(spec, args);
}

void Executor::FeedMonitors(Session& s, const CommandSpec& spec,
                            std::span<const std::string_view> args) {
  monitors_->Feed(MonitorLine(NowUs(), s.db(), MonitorSource(s), spec, args));
}

void Executor::LogSlow(Session& s, const CommandSpec& spec, std::span<const std::string_view> args,
                       int64_t took_us) {
  // Credentials never reach the slow log.
  std::vector<std::string_view> shown(args.begin(), args.end());
  if (spec.traits.redact_args) {
    for (size_t i = 1; i < shown.size(); i++) shown[i] = "(redacted)";
  }
  std::string client_name;
  {
    std::lock_guard<std::mutex> lock(host_.registry_mu());
    client_name = s.name;
  }
  host_.slowlog().Add(shown, took_us, std::string(s.address()), std::move(client_name),
                      size_t(std::max<int64_t>(0, config_.slowlog_max_len())));
}

// ---------------------------------------------------------------- Transactions

bool Executor::QueuedWrites(const Session& s) {
  if (!s.in_multi_) return false;
  for (const Session::QueuedCommand& q : s.queued_) {
    if (q.spec->is_write()) return true;
  }
  return false;
}

void Executor::BeginMulti(Session& s) {
  s.in_multi_ = true;
  s.multi_error_ = false;
  s.queued_.clear();
  s.multi_shared.store(0, std::memory_order_relaxed);
  s.multi_mem_shared.store(0, std::memory_order_relaxed);
}

void Executor::DiscardMulti(Session& s) {
  s.in_multi_ = false;
  s.multi_error_ = false;
  s.queued_.clear();
  s.multi_shared.store(-1, std::memory_order_relaxed);
  s.multi_mem_shared.store(0, std::memory_order_relaxed);
  host_.watches().RemoveAll(&s);
}

void Executor::Unwatch(Session& s) { host_.watches().RemoveAll(&s); }

void Executor::Watch(Session& s, std::string_view key) {
  int db = s.db();
  for (const auto& w : s.watched_) {
    if (w.db == db && w.key == key) return;
  }
  storage::Database& d = host_.keyspace().db(db);
  bool expired;
  {
    uint64_t h = HashKey(key);
    storage::Shard& sh = d.ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry* e = sh.table().Find(key, h);
    expired = e != nullptr && sh.IsExpired(e, NowMs());
  }
  s.watched_.push_back(Session::WatchedKey{db, std::string(key), expired});
  host_.watches().Add(&s, db, key);
}

void Executor::Exec(Session& s, protocol::ReplyBuilder& rb) {
  if (s.multi_error_) {
    DiscardMulti(s);
    host_.CountError("EXECABORT");
    rb.Error(errors::kExecAbortPrevious);
    return;
  }
  storage::Keyspace& ks = host_.keyspace();
  // A watched key that expired since WATCH counts as touched (Redis 7.0).
  bool dirty = s.watch_dirty_.load();
  int64_t now = NowMs();
  for (const auto& w : s.watched_) {
    if (dirty || w.expired_at_watch) continue;
    storage::Database& d = ks.db(w.db);
    uint64_t h = HashKey(w.key);
    storage::Shard& sh = d.ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry* e = sh.table().Find(w.key, h);
    if (e != nullptr && sh.IsExpired(e, now)) dirty = true;
  }
  if (dirty) {
    DiscardMulti(s);
    rb.NullArray();
    return;
  }
  std::vector<Session::QueuedCommand> cmds;
  cmds.swap(s.queued_);
  s.in_multi_ = false;
  s.multi_shared.store(-1, std::memory_order_relaxed);
  s.multi_mem_shared.store(0, std::memory_order_relaxed);
  // Lock every shard the queued commands touch, in the global order, before
  // the first runs; commands without fixed key positions lock everything.
  storage::LockSet locks;
  bool all = false;
  int db_sim = s.db();
  for (const auto& q : cmds) {
    const CommandSpec& spec = *q.spec;
    if (spec.traits.select) {
      auto d = ParseInt64(q.args[1]);
      if (d && *d >= 0 && *d < ks.db_count()) db_sim = int(*d);
      continue;
    }
    // A script may touch any key, declared or not: EXEC holds every shard.
    bool touches_data = (spec.flags & (kWrite | kReadOnly)) || spec.traits.runs_script;
    if (!touches_data) continue;
    if (spec.first_key <= 0 || (spec.flags & kMovableKeys) || spec.traits.locks_all) {
      all = true;
      break;
    }
    std::vector<std::string_view> views(q.args.begin(), q.args.end());
    for (int p : spec.KeyPositions(views)) locks.AddKey(ks.db(db_sim), q.args[size_t(p)]);
  }
  if (all) {
    locks.Release();
    for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  }
  // A queued script enters the script gate; take it before the shard locks,
  // as a script does, or this EXEC and a running script could wait for each
  // other.
  bool gate = std::any_of(cmds.begin(), cmds.end(),
                          [](const Session::QueuedCommand& q) { return q.spec->traits.runs_script; });
  if (gate) scripts_.Enter();
  // EXEC has already taken the queue: its lock wait is never abandoned.
  storage::SetLockWaitAbortable(false);
  locks.Acquire();
  storage::SetTransactionLocks(&locks.shards(), all);
  ExecLog log;
  s.exec_log_ = &log;
  rb.ArrayHeader(cmds.size());
  for (const auto& q : cmds) {
    std::vector<std::string_view> views(q.args.begin(), q.args.end());
    // The user's rules may have changed since the command was queued.
    std::string refusal;
    if (acl_ != nullptr && s.admitted() &&
        !AclAllowed(s, *q.spec, views, AclContext::kExec, &refusal)) {
      host_.CountError(refusal);
      rb.Error(refusal);
      continue;
    }
    Execute(s, *q.spec, views, rb);
  }
  s.exec_log_ = nullptr;
  if (!log.empty()) log_.AppendTransaction(log);
  storage::SetTransactionLocks(nullptr, false);
  locks.Release();
  if (gate) scripts_.Leave();
  host_.watches().RemoveAll(&s);
}

}  // namespace basalt::commands
