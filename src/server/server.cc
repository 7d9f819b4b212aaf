#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>

#include "commands/command_context.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/memory.h"
#include "config/config.h"
#include "common/random.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/function_store.h"
#include "persistence/save_jobs.h"
#include "replication/ack_tracker.h"
#include "replication/failover.h"
#include "replication/role.h"
#include "server/client.h"
#include "server/persistence_hooks.h"
#include "server/replication_hooks.h"
#include "storage/list_type.h"

namespace basalt::server {

// ---------------------------------------------------------------- Server

Server::Server(std::unique_ptr<Config> config)
    : config_(std::move(config)), write_log_(size_t(config_->repl_backlog_size())) {
  if (config_->sentinel_mode()) {
    commands::RegisterSentinelFamilies(commands_);
  } else {
    commands::RegisterAllFamilies(commands_);
  }
  for (const config::CommandRename& r : config_->command_renames()) {
    if (std::string err = commands_.Rename(r.from, r.to); !err.empty()) {
      // As a bad config line: Redis checks rename-command while loading.
      fprintf(stderr, "%s%s\n", r.where.c_str(), err.c_str());
      std::exit(1);
    }
  }
  executor_.set_monitors(&monitors_);
  InitConsistency();
  if (std::string acl_error = executor_.InitAcl(); !acl_error.empty()) {
    // Redis stops start-up on a bad `user` line or aclfile.
    Log(LogLevel::kWarning, "%s", acl_error.c_str());
    std::exit(1);
  }
  other_stats_ = std::make_unique<ThreadStats>(commands_.by_id().size() + 1);
  commands::SetSharedStats(other_stats_.get());
  int threads = int(config_->threads());
  // A redis.conf asking for io-threads N gets N workers (each does its own
  // reads, commands and writes, so io-threads-do-reads has nothing to add).
  if (threads <= 0 && config_->io_threads() > 1) threads = int(config_->io_threads());
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  uint32_t shards = uint32_t(threads) * uint32_t(std::max<int64_t>(1, config_->shards_per_thread()));
  if (shards < 16) shards = 16;
  keyspace_ = std::make_unique<storage::Keyspace>(int(config_->databases()), shards);
  storage::Shard::SetListener(this);
  storage::Shard::SetLazyFreer(&lazy_freer_);
  scripting::SetBusyRuntime(&scripts_);
  persistence::SetFunctionStore(&function_store_);
  for (int i = 0; i < threads; i++) workers_.push_back(std::make_unique<Worker>(this, i));
  start_ms_ = NowMs();
  persistence_hooks_ = std::make_unique<PersistenceHooks>(*this);
  aof_writer_ = std::make_unique<persistence::AofWriter>(*persistence_hooks_);
  dataset_loader_ = std::make_unique<persistence::DatasetLoader>(*persistence_hooks_, *aof_writer_);
  save_jobs_ = std::make_unique<persistence::SaveJobs>(*persistence_hooks_, *aof_writer_,
                                                       *dataset_loader_);
  config_->OnApply("appendonly", [this](const Config& c) {
    return save_jobs_->SetAppendOnly(c.appendonly());
  });
  config_->OnChange("appendfsync", [this](const Config&) { aof_writer_->ApplyFsyncPolicy(); });
  config_->OnChange("aof-disable-auto-gc", [this](const Config& c) {
    if (c.aof_disable_auto_gc()) return;
    Status st = aof_writer_->DeleteHistory();
    if (!st.ok()) Log(LogLevel::kWarning, "Removing AOF history files: %s", st.message().c_str());
  });
  // list-compress-depth applies to lists created from then on (as Redis).
  auto apply_compress_depth = [](const Config& c) {
    storage::ListObject::SetCompressDepth(c.list_compress_depth());
  };
  apply_compress_depth(*config_);
  config_->OnChange("list-compress-depth", apply_compress_depth);
  run_id_ = RandomHex(40);
  replication_hooks_ = std::make_unique<ReplicationHooks>(*this);
  replication_role_ = std::make_unique<replication::Role>(*replication_hooks_, replicas_);
  ack_tracker_ = std::make_unique<replication::AckTracker>(*replication_hooks_,
                                                           *replication_role_, replicas_);
  failover_ = std::make_unique<replication::Failover>(*replication_hooks_, *replication_role_,
                                                      replicas_, *ack_tracker_);
  config_->OnChange("repl-backlog-size", [this](const Config& c) {
    write_log_.ResizeBacklog(size_t(c.repl_backlog_size()));
  });
  storage::UpdateLruClock(start_ms_);
  ApplyEvictionConfig();
  for (const char* name : {"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"}) {
    config_->OnChange(name, [this](const Config&) { ApplyEvictionConfig(); });
  }
  config_->OnChange("loglevel", [](const Config& c) { SetLogLevel(c.loglevel()); });
  for (const char* name : {"log-format", "log-timestamp-format"}) {
    config_->OnChange(name, [](const Config& c) {
      SetLogFormat(c.log_format(), c.log_timestamp_format());
    });
  }
  ApplyNotifyConfig();
  config_->OnChange("notify-keyspace-events", [this](const Config&) { ApplyNotifyConfig(); });
  config_->OnChange("slowlog-max-len", [this](const Config& c) {
    slowlog_.Trim(size_t(std::max<int64_t>(0, c.slowlog_max_len())));
  });
}

Server::~Server() {
  persistence::SetFunctionStore(nullptr);
  if (sentinel_) sentinel_->Stop();
  replication_role_->Stop();
  for (auto& w : workers_) w->Join();
  for (auto& l : listeners_) {
    if (l->fd >= 0) close(l->fd);
  }
  storage::Shard::SetListener(nullptr);
}

Status Server::Start() {
  // What the server takes before holding any data; the backlog is counted
  // apart (MEMORY STATS replication.backlog), as Redis does.
  size_t used = UsedMemory(), backlog = write_log_.backlog_size();
  startup_memory_ = used > backlog ? used - backlog : used;
  Status st = Listen();
  if (!st.ok()) return st;
  // Signals are taken by the main thread through a signalfd (WaitForShutdown).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  shutdown_fd_ = eventfd(0, EFD_CLOEXEC);
  for (auto& w : workers_) w->Start();
  return Status::Ok();
}

std::string Server::replid() const { return replication_role_->replid(); }

replication::ServerHooks& Server::replication_hooks() { return *replication_hooks_; }

void Server::Register(Client* c) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  registry_[c->id] = c;
}

void Server::Unregister(Client* c) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  registry_.erase(c->id);
}

bool Server::AdmitConnection(int64_t maxclients) {
  if (connected_clients_.fetch_add(1) >= maxclients) {
    connected_clients_.fetch_sub(1);
    rejected_connections_.fetch_add(1);
    return false;
  }
  total_connections_.fetch_add(1);
  return true;
}

void Server::KillClient(Client* c) {
  // REQUIRES: registry_mu_ held by the caller (so c is alive).
  c->kill_requested.store(true);
  Worker* w = c->worker();
  uint64_t id = c->id;
  w->loop().Post([w, id] {
    if (Client* target = w->FindClient(id)) target->Close();
  });
}

void Server::Pause(int64_t until_ms, bool all) {
  // A later pause never shortens an earlier one; ALL wins over WRITE.
  if (until_ms > pause_until_ms_.load()) pause_until_ms_.store(until_ms);
  if (all) pause_all_.store(true);
  UpdateExpiryEnabled();
}

void Server::UpdateExpiryEnabled() {
  // Expiry deletes nothing while clients are paused, so the dataset a paused
  // primary hands over stays still; a replica leaves expiry to its primary.
  storage::Shard::SetExpiryEnabled(!paused_any() && !replication_role_->is_replica());
}

void Server::Unpause() {
  pause_until_ms_.store(0);
  pause_all_.store(false);
  UpdateExpiryEnabled();
  for (auto& w : workers_) w->loop().Post([] {});
}

void Server::SetFailoverPause(bool on) {
  failover_pause_.store(on);
  UpdateExpiryEnabled();
  // Paused clients retry at their worker's next round.
  if (!on) {
    for (auto& w : workers_) w->loop().Post([] {});
  }
}

bool Server::MustPause(bool is_write) const {
  if (is_write && failover_pause_.load(std::memory_order_relaxed)) return true;
  if (is_write && shutdown_pause_.load(std::memory_order_relaxed)) return true;
  int64_t until = pause_until_ms_.load(std::memory_order_relaxed);
  if (until == 0) return false;
  if (NowMs() >= until) {
    auto* self = const_cast<Server*>(this);
    int64_t expected = until;
    if (self->pause_until_ms_.compare_exchange_strong(expected, 0)) {
      self->pause_all_.store(false);
      self->UpdateExpiryEnabled();
    }
    return false;
  }
  return pause_all_.load(std::memory_order_relaxed) || is_write;
}

void Server::OnNewKey(int db, std::string_view key) {
  Notify(db, key, "new", commands::kNotifyNew);
}

void Server::OnExpired(int db, std::string_view key) {
  TouchWatched(db, key);
  tracking_.KeyChanged(key);
  Notify(db, key, "expired", commands::kNotifyExpired);
  // An expired stream ends XREADGROUP waits, as DEL does.
  blocking_.SignalAll(db, key);
  bool lazy = config_->lazyfree_lazy_expire();
  std::string_view args[2] = {lazy ? "UNLINK" : "DEL", key};
  write_log_.Append(db, args);
  ThreadStats& st = CurrentStats();
  if (&st == other_stats_.get()) {
    st.expired.fetch_add(1, std::memory_order_relaxed);
  } else {
    Bump(st.expired);
  }
}

namespace {
constexpr uint32_t kNotifyKeyspace = 1u << 16;  // K
constexpr uint32_t kNotifyKeyevent = 1u << 17;  // E
}  // namespace

void Server::ApplyNotifyConfig() {
  uint32_t flags = 0;
  for (char c : config_->notify_keyspace_events()) {
    switch (c) {
      case 'A':
        flags |= commands::kNotifyGeneric | commands::kNotifyString | commands::kNotifyList |
                 commands::kNotifySet | commands::kNotifyHash | commands::kNotifyZSet |
                 commands::kNotifyExpired | commands::kNotifyEvicted | commands::kNotifyStream;
        break;  // "A" leaves out "m" and "n", as in Redis
      case 'g': flags |= commands::kNotifyGeneric; break;
      case '$': flags |= commands::kNotifyString; break;
      case 'l': flags |= commands::kNotifyList; break;
      case 's': flags |= commands::kNotifySet; break;
      case 'h': flags |= commands::kNotifyHash; break;
      case 'z': flags |= commands::kNotifyZSet; break;
      case 'x': flags |= commands::kNotifyExpired; break;
      case 'e': flags |= commands::kNotifyEvicted; break;
      case 't': flags |= commands::kNotifyStream; break;
      case 'm': flags |= commands::kNotifyKeyMiss; break;
      case 'n': flags |= commands::kNotifyNew; break;
      case 'K': flags |= kNotifyKeyspace; break;
      case 'E': flags |= kNotifyKeyevent; break;
      default: break;
    }
  }
  notify_flags_.store(flags);
  storage::Shard::SetNewKeyEvents((flags & commands::kNotifyNew) &&
                                  (flags & (kNotifyKeyspace | kNotifyKeyevent)));
}

void Server::Notify(int db, std::string_view key, std::string_view event, uint32_t cls) {
  uint32_t flags = notify_flags_.load(std::memory_order_relaxed);
  if (!(flags & cls) || !(flags & (kNotifyKeyspace | kNotifyKeyevent))) return;
  std::string dbs = std::to_string(db);
  if (flags & kNotifyKeyspace) {
    std::string ch = "__keyspace@" + dbs + "__:";
    ch.append(key);
    pubsub_.PublishFrom(SubKind::kChannel, ch, event, Worker::Current());
  }
  if (flags & kNotifyKeyevent) {
    std::string ch = "__keyevent@" + dbs + "__:";
    ch.append(event);
    pubsub_.PublishFrom(SubKind::kChannel, ch, key, Worker::Current());
  }
}

void Server::OnKeyChanged(int db, std::string_view key, std::string_view event, uint32_t cls) {
  TouchWatched(db, key);
  tracking_.KeyChanged(key);
  Notify(db, key, event, cls);
  // Lists and sorted sets may now serve a blocked client; so may a key that
  // arrived by RENAME, MOVE or COPY.
  if ((cls & (commands::kNotifyList | commands::kNotifyZSet)) || event == "rename_to" ||
      event == "move_to" || event == "copy_to") {
    blocking_.Signal(db, key);
  }
  // Streams: every XREAD reader may be served; a deleted stream or group
  // ends XREADGROUP waits with an error.
  if ((cls & commands::kNotifyStream) || event == "del") blocking_.SignalAll(db, key);
}

void Server::ActiveExpireCycle(int worker_index, int64_t budget_us) {
  // Each worker sweeps the shards congruent to its index, round-robin, until
  // few sampled keys are expired or the time budget is spent.
  int64_t start = MonotonicUs();
  int64_t now = NowMs();
  size_t nworkers = workers_.size();
  int ndb = keyspace_->db_count();
  uint32_t nshards = keyspace_->shards_per_db();
  for (int d = 0; d < ndb; d++) {
    storage::Database& db = keyspace_->db(d);
    if (db.ApproxExpires() == 0) continue;
    for (uint32_t s = uint32_t(worker_index); s < nshards; s += uint32_t(nworkers)) {
      storage::Shard& sh = db.shard(s);
      if (sh.approx_expires() == 0) continue;
      for (;;) {
        std::pair<int, int> r;
        {
          // A held shard (a running script) is left for the next cycle.
          std::unique_lock<std::mutex> lock(sh.mu, std::try_to_lock);
          if (!lock.owns_lock()) break;
          r = sh.ActiveExpireSample(20, now);
        }
        // Keep going on this shard while more than 10% of samples were expired.
        if (r.first == 0 || r.second * 10 <= r.first) break;
        if (MonotonicUs() - start > budget_us) return;
      }
      if (MonotonicUs() - start > budget_us) return;
    }
  }
}

void Server::SampleOps() {
  // Called by worker 0's cron: each figure's rate since the last sample,
  // averaged over the last 16 samples.
  int64_t now = NowMs();
  const int64_t totals[kInstCount] = {
      int64_t(SumStat(&ThreadStats::commands)),    int64_t(SumStat(&ThreadStats::net_in)),
      int64_t(SumStat(&ThreadStats::net_out)),     int64_t(SumStat(&ThreadStats::net_repl_in)),
      int64_t(SumStat(&ThreadStats::net_repl_out))};
  for (int i = 0; i < kInstCount; i++) {
    InstantMetric& m = instant_[i];
    int64_t dt = now - m.last_ms;
    if (m.last_ms != 0 && dt > 0) {
      // A CONFIG RESETSTAT in between makes the total go back: count from 0.
      int64_t delta = totals[i] >= m.last_value ? totals[i] - m.last_value : totals[i];
      m.samples[m.next] = double(delta) * 1000.0 / double(dt);
      m.next = (m.next + 1) % 16;
      double sum = 0;
      for (double v : m.samples) sum += v;
      m.rate.store(sum / 16, std::memory_order_relaxed);
    }
    m.last_value = totals[i];
    m.last_ms = now;
  }
}

uint64_t Server::SumStat(std::atomic<uint64_t> ThreadStats::*field) const {
  uint64_t n = (other_stats_.get()->*field).load(std::memory_order_relaxed);
  for (auto& w : workers_) n += (w->stats().*field).load(std::memory_order_relaxed);
  return n;
}

void Server::CountError(std::string_view message) {
  size_t sp = message.find(' ');
  std::string code(message.substr(0, sp == std::string_view::npos ? message.size() : sp));
  std::lock_guard<std::mutex> lock(error_mu_);
  error_stats_[code]++;
}

void Server::ForEachThreadStats(const std::function<void(const ThreadStats&)>& fn) {
  fn(*other_stats_);
  for (auto& w : workers_) fn(w->stats());
}

std::map<std::string, uint64_t> Server::ErrorStats() {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_stats_;
}

void Server::ResetStats() {
  auto reset = [&](ThreadStats& s) {
    s.commands = 0;
    s.hits = 0;
    s.misses = 0;
    s.expired = 0;
    s.evicted = 0;
    s.net_in = 0;
    s.net_out = 0;
    s.net_repl_in = 0;
    s.net_repl_out = 0;
    s.reads = 0;
    s.writes = 0;
    s.expire_cycle_us = 0;
    for (size_t i = 0; i < commands_.by_id().size(); i++) {
      s.cmd[i].calls = 0;
      s.cmd[i].usec = 0;
      s.cmd[i].rejected = 0;
      s.cmd[i].failed = 0;
      LatencyHistogram* h = s.cmd[i].hist.load(std::memory_order_acquire);
      if (h != nullptr) h->Reset();
    }
  };
  reset(*other_stats_);
  for (auto& w : workers_) reset(w->stats());
  total_connections_ = 0;
  rejected_connections_ = 0;
  std::lock_guard<std::mutex> lock(error_mu_);
  error_stats_.clear();
}

}  // namespace basalt::server
