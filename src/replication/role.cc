#include "replication/role.h"

#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/random.h"
#include "config/config.h"
#include "replication/connection.h"
#include "replication/replica_session.h"
#include "replication/server_hooks.h"
#include "replication/write_log.h"

namespace basalt::replication {

namespace {

thread_local bool t_applying = false;

}  // namespace

Role::Role(ServerHooks& hooks, ReplicaRegistry& replicas)
    : hooks_(hooks), replicas_(replicas), replid_(RandomHex(40)), replid2_(kNoReplid) {}

Role::~Role() { Stop(); }

void Role::Start() {
  std::string conf = hooks_.config().replicaof();
  if (!conf.empty()) {
    auto space = conf.rfind(' ');
    std::string host = conf.substr(0, space);
    int port = std::atoi(conf.c_str() + space + 1);
    std::lock_guard<std::mutex> lock(mu_);
    host_ = host;
    port_ = port;
    replica_.store(true);
    state_ = LinkState::kConnect;
    hooks_.write_log().SetReplicaMode(true);
    LogEvent(LogLevel::kNotice, "role_change",
             {{"from", "master"},
              {"to", "replica"},
              {"primary", host + ":" + std::to_string(port)},
              {"cause", "config"}},
             "Connecting to MASTER %s:%d", host.c_str(), port);
  }
  hooks_.UpdateExpiryEnabled();
  thread_ = std::thread([this] { Run(); });
}

void Role::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (sync_fd_ >= 0) shutdown(sync_fd_, SHUT_RDWR);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Role::replid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replid_;
}

std::string Role::replid2() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replid2_;
}

int64_t Role::second_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return second_offset_;
}

int Role::stream_db() const { return stream_db_.load(std::memory_order_acquire); }

void Role::RestoreFromRdb(const std::string& replid, int64_t offset, int stream_db) {
  if (replid.size() != 40 || offset < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  replid_ = replid;
  stream_db_.store(stream_db);
  have_history_ = true;
  hooks_.write_log().ResetOffset(offset);
  read_offset_.store(offset);
  Log(LogLevel::kNotice, "Replication id %s and offset %lld restored from the RDB file",
      replid.c_str(), (long long)offset);
}

std::string Role::SetPrimary(const std::string& host, int port, bool failover) {
  bool was_replica = false;
  {
    std::unique_lock<std::mutex> apply = HoldApplyForRoleChange();
    std::lock_guard<std::mutex> lock(mu_);
    // A fenced replica re-pointed at the same primary reconnects.
    if (replica_.load() && host_ == host && port_ == port && fenced_until_ms_ == 0) {
      return "OK Already connected to specified master";
    }
    fenced_until_ms_ = 0;
    was_replica = replica_.load();
    if (!replica_.load()) {
      // A primary turned replica offers its own history: the new primary
      // may have it (a promoted sibling's replid2) and continue partially.
      have_history_ = true;
      stream_db_.store(0);
      role_changes.fetch_add(1, std::memory_order_relaxed);
    }
    host_ = host;
    port_ = port;
    generation_.fetch_add(1);
    failover_psync_.store(int(failover ? FailoverPsync::kPending : FailoverPsync::kNone));
    DropPrimaryClientLocked();
    if (sync_fd_ >= 0) shutdown(sync_fd_, SHUT_RDWR);
    replica_.store(true, std::memory_order_release);
    hooks_.write_log().SetReplicaMode(true);
    state_ = LinkState::kConnect;
    link_down_since_ms_ = 0;
  }
  hooks_.config().set_replicaof(host + " " + std::to_string(port));
  hooks_.UpdateExpiryEnabled();
  LogEvent(LogLevel::kNotice, "role_change",
           {{"from", was_replica ? "replica" : "master"},
            {"to", "replica"},
            {"primary", host + ":" + std::to_string(port)},
            {"cause", failover ? "failover" : "replicaof"}},
           "Connecting to MASTER %s:%d", host.c_str(), port);
  // Our replicas follow the new history from us (partially where they can).
  DisconnectReplicas();
  cv_.notify_all();
  return "OK";
}

void Role::Promote() {
  {
    std::unique_lock<std::mutex> apply = HoldApplyForRoleChange();
    std::lock_guard<std::mutex> lock(mu_);
    if (!replica_.load()) return;
    fenced_until_ms_ = 0;
    host_.clear();
    port_ = 0;
    generation_.fetch_add(1);
    failover_psync_.store(int(FailoverPsync::kNone));
    DropPrimaryClientLocked();
    if (sync_fd_ >= 0) shutdown(sync_fd_, SHUT_RDWR);
    ShiftReplidLocked();
    replica_.store(false, std::memory_order_release);
    role_changes.fetch_add(1, std::memory_order_relaxed);
    // The next write selects its database: replicas continuing from here
    // may be in any database.
    hooks_.write_log().SetReplicaMode(false);
    state_ = LinkState::kNone;
    LogEvent(LogLevel::kNotice, "role_change",
             {{"from", "replica"},
              {"to", "master"},
              {"replid", replid_},
              {"replid2", replid2_},
              {"offset", std::to_string(second_offset_)}},
             "MASTER MODE enabled (user request); new replication ID %s, "
             "previous ID %s valid up to offset %lld",
             replid_.c_str(), replid2_.c_str(), (long long)second_offset_);
  }
  hooks_.config().set_replicaof("");
  hooks_.UpdateExpiryEnabled();
  // They reconnect at once and continue from replid2 (Redis does the same
  // to tell them the id changed).
  DisconnectReplicas();
  cv_.notify_all();
}

std::unique_lock<std::mutex> Role::HoldApplyForRoleChange() {
  // try_lock in a loop rather than a timed mutex: ThreadSanitizer does not
  // follow pthread_mutex_clocklock.
  std::unique_lock<std::mutex> apply(apply_mu_, std::try_to_lock);
  for (int i = 0; i < 500 && !apply.owns_lock(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    apply.try_lock();
  }
  if (!apply.owns_lock()) {
    // Only a transaction holding the shards the primary client waits for
    // gets here: go on rather than deadlock; the command being applied may
    // land just before or after the switch.
    Log(LogLevel::kWarning, "REPLICAOF: the primary client is busy; switching without it");
  }
  return apply;
}

bool Role::Fence(int64_t ms) {
  {
    std::unique_lock<std::mutex> apply = HoldApplyForRoleChange();
    std::lock_guard<std::mutex> lock(mu_);
    if (!replica_.load()) return false;
    if (ms <= 0) {
      fenced_until_ms_ = 0;
    } else {
      // Under the apply lock: the command being applied (if any) is done and
      // nothing more of this stream applies (RunFromPrimary checks the
      // generation with the lock held).
      fenced_until_ms_ = NowMs() + ms;
      generation_.fetch_add(1);
      DropPrimaryClientLocked();
      if (sync_fd_ >= 0) shutdown(sync_fd_, SHUT_RDWR);
      state_ = LinkState::kConnect;
      if (link_down_since_ms_ == 0) link_down_since_ms_ = NowMs();
    }
  }
  cv_.notify_all();
  if (ms > 0) {
    LogEvent(LogLevel::kNotice, "fence", {{"ms", std::to_string(ms)}},
             "FENCE: no longer applying the primary's stream for up to %lld ms (until REPLICAOF "
             "or a promotion); continuing partially from offset %lld afterwards",
             (long long)ms, (long long)hooks_.write_log().offset());
  } else {
    Log(LogLevel::kNotice, "FENCE lifted: reconnecting to the primary");
  }
  return true;
}

void Role::ChangeReplicationIds() {
  std::lock_guard<std::mutex> lock(mu_);
  replid_ = RandomHex(40);
  replid2_ = kNoReplid;
  second_offset_ = -1;
  Log(LogLevel::kWarning, "Changing replication IDs after receiving DEBUG change-repl-id");
}

void Role::ShiftReplidLocked() {
  replid2_ = replid_;
  second_offset_ = hooks_.write_log().offset() + 1;
  replid_ = RandomHex(40);
}

void Role::DropPrimaryClientLocked() {
  if (primary_client_ == nullptr) {
    attached_ = false;
    return;
  }
  primary_worker_->CloseConnection(primary_client_->connection_id());
}

void Role::DisconnectReplicas() {
  for (auto& r : replicas_.List()) r->Disconnect();
}

bool Role::link_up() const {
  if (!replica_.load(std::memory_order_acquire)) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return primary_client_ != nullptr;
}

ReplicaSideInfo Role::Info() const {
  ReplicaSideInfo info;
  int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  info.host = host_;
  info.port = port_;
  static const char* kStates[] = {"none",      "connect", "connecting",
                                  "handshake", "sync",    "connected"};
  info.state = kStates[int(state_)];
  info.link_up = primary_client_ != nullptr;
  int64_t last_io = last_io_ms_.load();
  info.last_io_seconds_ago = info.link_up && last_io > 0 ? (now - last_io) / 1000 : -1;
  info.sync_in_progress = state_ == LinkState::kSync;
  info.sync_total_bytes = sync_total_;
  info.sync_read_bytes = sync_read_.load();
  info.sync_last_io_seconds_ago = last_io > 0 ? (now - last_io) / 1000 : 0;
  info.link_down_since_seconds =
      info.link_up ? 0 : (link_down_since_ms_ == 0 ? -1 : (now - link_down_since_ms_) / 1000);
  info.applied_offset = hooks_.write_log().offset();
  info.read_offset = std::max(read_offset_.load(), info.applied_offset);
  return info;
}

bool Role::CanContinue(std::string_view replid, int64_t psync_offset) const {
  return WhyNotContinue(replid, psync_offset).empty();
}

std::string Role::WhyNotContinue(std::string_view replid, int64_t psync_offset) const {
  WriteLog& log = hooks_.write_log();
  std::lock_guard<std::mutex> lock(mu_);
  if (replid == "?") return "the replica has no history";
  if (replid != replid_ && replid != replid2_) return "replication id mismatch";
  if (replid != replid_ && psync_offset > second_offset_) {
    return "offset past the previous replication id's end";
  }
  int64_t from = psync_offset - 1;
  int64_t end = log.offset();
  if (from > end) return "offset ahead of this node";
  if (from < end - int64_t(log.backlog_histlen())) return "offset no longer in the backlog";
  return "";
}

void Role::SetApplyingThread(bool on) { t_applying = on; }

std::unique_lock<std::mutex> Role::HoldApply() {
  if (t_applying) return std::unique_lock<std::mutex>();
  return std::unique_lock<std::mutex>(apply_mu_);
}

void Role::OnPrimaryApplied(std::string_view raw, int db) {
  hooks_.write_log().AppendRaw(raw);
  stream_db_.store(db, std::memory_order_release);
}

void Role::NoteRead(size_t n) {
  last_io_ms_.store(NowMs(), std::memory_order_relaxed);
  read_offset_.fetch_add(int64_t(n), std::memory_order_relaxed);
}

void Role::OnPrimaryClientClosed(Connection* c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (primary_client_ != c) return;
    primary_client_ = nullptr;
    primary_worker_ = nullptr;
    attached_ = false;
    if (replica_.load()) {
      link_down_since_ms_ = NowMs();
      state_ = LinkState::kConnect;
      Log(LogLevel::kNotice,
          "Connection with master lost; caching the master's state to "
          "continue partially at offset %lld",
          (long long)hooks_.write_log().offset());
    }
  }
  read_offset_.store(hooks_.write_log().offset());
  cv_.notify_all();
}

void Role::ExpireBacklog(bool alone) {
  int64_t now = NowMs();
  if (!alone || replica_.load()) {
    alone_since_ms_ = 0;
    return;
  }
  if (alone_since_ms_ == 0) alone_since_ms_ = now;
  int64_t ttl = hooks_.config().repl_backlog_ttl();
  replication::WriteLog& log = hooks_.write_log();
  if (ttl == 0 || now - alone_since_ms_ < ttl * 1000 || log.backlog_histlen() == 0) return;
  // As in Redis: with the history gone, a new id keeps replicas that come
  // back from asking to continue it.
  log.ClearBacklog();
  std::lock_guard<std::mutex> lock(mu_);
  replid_ = RandomHex(40);
  replid2_ = kNoReplid;
  second_offset_ = -1;
  Log(LogLevel::kNotice,
      "Replication backlog freed after %lld seconds without connected "
      "replicas.",
      (long long)ttl);
}

void Role::SendAck(Connection* c) {
  char num[24], foreign[24];
  // What we acknowledge is in our AOF first (as Redis writes its AOF before
  // the ACK leaves): synchronous mode counts this replica's copy.
  const int64_t offset = hooks_.write_log().offset();
  hooks_.WaitPersisted(offset);
  size_t n = FormatInt64(offset, num);
  // BASALT-FOREIGN <n>: replicas below us that are not Basalt, so our
  // primary's consistency check can refuse to send them its marker. A
  // redis-server primary ignores what follows the offset of an ACK.
  last_foreign_sent_ = replicas_.ForeignReplicas();
  size_t f = FormatInt64(last_foreign_sent_, foreign);
  std::string_view args[5] = {"REPLCONF", "ACK", std::string_view(num, n), "BASALT-FOREIGN",
                              std::string_view(foreign, f)};
  std::string out;
  WriteLog::EncodeCommand(args, &out);
  c->AppendRaw(out);
  c->Flush();
  last_ack_ms_ = NowMs();
}

void Role::CronOnWorker(WorkerThread& w) {
  auto replicas = replicas_.List();
  for (auto& r : replicas) {
    if (r->worker() == &w) r->WaitTick();
  }
  if (w.index() == 0) ExpireBacklog(replicas.empty());
  Connection* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (primary_worker_ == &w) c = primary_client_;
  }
  if (c == nullptr) return;
  int64_t now = NowMs();
  int64_t timeout_ms = hooks_.config().repl_timeout() * 1000;
  if (now - last_io_ms_.load() > timeout_ms) {
    Log(LogLevel::kWarning, "MASTER timeout: no data nor PING received...");
    c->Close();
    return;
  }
  // A change below us (a replica that is not Basalt attached or gone) is
  // reported at once rather than with the next second's ACK.
  int64_t foreign = 0;
  for (const auto& r : replicas) foreign += r->basalt() ? r->foreign_below() : 1;
  if (now - last_ack_ms_ >= 1000 || foreign != last_foreign_sent_) SendAck(c);
}

}  // namespace basalt::replication
