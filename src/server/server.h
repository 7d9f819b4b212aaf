// Server: the process-wide state of a running basalt-server and its workers.
//
// Owns the configuration, the keyspace, the write log, the worker threads
// (each an EventLoop with its clients), the listening sockets, the client
// registry and the statistics INFO reports. There is exactly one Server per
// process; it is passed explicitly, never reached through a global.
//
// Thread-safety: members are immutable after Start() unless marked; counters
// are atomics written by their owning worker (relaxed) and summed by readers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands/command_stats.h"
#include "commands/command_table.h"
#include "commands/consistency.h"
#include "commands/executor.h"
#include "commands/host.h"
#include "commands/slowlog.h"
#include "commands/watch_registry.h"
#include "server/tracking.h"
#include "common/status.h"
#include "replication/connection.h"
#include "replication/replica_session.h"
#include "replication/write_log.h"
#include "config/config.h"
#include "scripting/runtime.h"
#include "server/function_store.h"
#include "server/event_loop.h"
#include "server/blocking.h"
#include "server/monitors.h"
#include "server/pubsub.h"
#include "server/worker.h"
#include "sentinel/sentinel.h"
#include "storage/keyspace.h"
#include "storage/lazy_free.h"

namespace basalt::persistence {
class AofWriter;
class DatasetLoader;
class SaveJobs;
}
namespace basalt::replication {
class AckTracker;
class Failover;
struct FailoverRequest;
class Role;
}

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;

class Client;
class PersistenceHooks;
class ReplicationHooks;
class Server;

using commands::Bump;
using commands::CommandStat;
using commands::CurrentStats;
using commands::ThreadStats;

// The server implements the command layer's Host (the data plane handlers
// and the executor use) and Admin (what CLIENT, REPLICAOF, SAVE, DEBUG, INFO
// ... need); see commands/host.h. Its overrides are final, so calls through
// Server itself are direct.
// Host is the first base: the executor calls it on every command, and at
// offset 0 its calls need no this-adjusting thunk.
class Server final : public commands::Host, public commands::Admin, public storage::ExpiryListener {
 public:
  explicit Server(std::unique_ptr<Config> config);
  ~Server() override;

  // Binds listeners and starts the workers. Returns an error if a listener
  // cannot be set up.
  Status Start();
  // Blocks the calling thread until SIGTERM/SIGINT or SHUTDOWN succeeds, then
  // stops. Meanwhile it runs the process housekeeping (oom-score-adj by role).
  void WaitForShutdown();

  // --- commands::Host ---
  Config& config() final { return *config_; }
  storage::Keyspace& keyspace() final { return *keyspace_; }
  replication::WriteLog& write_log() final { return write_log_; }
  const commands::CommandTable& commands() const final { return commands_; }
  commands::Executor& executor() final { return executor_; }
  scripting::Runtime& scripts() final { return scripts_; }
  commands::WatchRegistry& watches() final { return watches_; }
  commands::SlowLog& slowlog() final { return slowlog_; }
  std::mutex& registry_mu() final { return registry_mu_; }
  void AddDirty(int64_t n) final { dirty_.fetch_add(n, std::memory_order_relaxed); }
  // A key of database `db` changed (see CommandContext::Changed). Called with
  // the key's shard lock held.
  void OnKeyChanged(int db, std::string_view key, std::string_view event, uint32_t cls) final;
  void WakeBlockedInDb(int db) final { blocking_.SignalDb(db); }
  // Publishes a keyspace notification if notify-keyspace-events enables it.
  void Notify(int db, std::string_view key, std::string_view event, uint32_t cls) final;
  void CountError(std::string_view message) final;
  bool loading() const final;
  std::string PersistenceWriteRefusal() const final;
  std::string ReplicasWriteRefusal() const final;
  bool is_replica() const final;
  bool primary_link_up() const final;
  // maxmemory: evicts keys by maxmemory-policy until used memory is under the
  // limit. Returns false when it cannot (noeviction, or nothing evictable).
  // REQUIRES: the caller holds no shard lock. Defined in eviction.cc.
  bool EvictIfNeeded() final;
  commands::Admin& admin() final { return *this; }
  commands::TrackingHub* tracking() final { return &tracking_; }

  // --- commands::Admin (server_admin.cc) ---
  void ForEachSession(const std::function<void(commands::Session&)>& fn) final;
  void KillSession(commands::Session& s) final;
  bool UnblockSession(uint64_t id, bool error) final;
  void Pause(int64_t until_ms, bool all) final;
  void Unpause() final;
  PubSub& pubsub() final { return pubsub_; }
  Monitors& monitors() { return monitors_; }
  // Lock-free: whether any replica is connected (hot paths that only feed them).
  bool has_replicas() const final { return replicas_.any(); }
  void ReplconfListeningPort(commands::Session& s, int port) final;
  void ReplconfIpAddress(commands::Session& s, std::string_view ip) final;
  void ReplconfAck(commands::Session& s, int64_t offset) final;
  void ReplconfForeignBelow(commands::Session& s, int64_t n) final;
  // server_consistency.cc
  void InitConsistency();
  void ReplconfCapa(commands::Session& s, std::string_view capa) final;
  std::vector<std::pair<std::string, bool>> ReplicaPeers() final;
  std::vector<std::pair<std::string, int64_t>> ForeignBelowPeers() final;
  commands::ConsistencyStore& consistency() final { return consistency_; }
  Status StartDigest(std::function<void(int64_t offset)> at_instant,
                     std::shared_ptr<persistence::EntryVisitor> visitor,
                     std::function<void(Status)> done) final;
  Status PrepareSync(commands::Session& s) final;
  void StartSync(commands::Session& s, bool psync, std::string_view replid, int64_t offset) final;
  std::string SetPrimary(std::string_view host, int port) final;
  void Promote() final;
  bool Fence(int64_t ms) final;
  Status Failover(const replication::FailoverRequest& req) final;
  Status AcceptFailoverPsync(commands::Session& s, std::string_view replid) final;
  bool failover_active() const final;
  void WriteRole(protocol::ReplyBuilder& rb) final;
  int64_t CountAcked(int64_t offset) final;
  bool WaitForReplicas(commands::Session& s, int64_t numreplicas, int64_t deadline_ms) final;
  Status Save() final;
  StatusOr<std::string> Bgsave(bool schedule, bool in_exec) final;
  StatusOr<std::string> BgRewriteAof(bool in_exec) final;
  Status DebugReload(bool save, bool flush, bool merge) final;
  int64_t lastsave() const final;
  void AfterFlushAll() final;
  std::string Info(std::span<const std::string_view> sections) final;
  void ResetStats() final;
  void ForEachThreadStats(const std::function<void(const ThreadStats&)>& fn) final;
  // SHUTDOWN (server_shutdown.cc): the main thread runs it.
  void RequestShutdown(commands::Session& s, int64_t flags) final;
  bool AbortShutdown() final;
  void SetActiveExpire(bool on) final { active_expire_enabled_.store(on); }
  commands::ServerMemory MemoryFigures() final;
  void ChangeReplicationIds() final;
  // Sentinel mode only (null otherwise): the sentinel engine, set once by
  // main() before Start().
  sentinel::Sentinel* sentinel() final { return sentinel_.get(); }
  void set_sentinel(std::unique_ptr<sentinel::Sentinel> s) { sentinel_ = std::move(s); }

  storage::LazyFreer& lazy_freer() { return lazy_freer_; }
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }

  // --- Client registry (CLIENT LIST/KILL/INFO). ---
  uint64_t NextClientId() { return next_client_id_.fetch_add(1); }
  void Register(Client* c);
  void Unregister(Client* c);
  // Runs fn(c) for every client with the registry mutex held.
  template <typename Fn>
  void ForEachClient(Fn fn) {
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (auto& [id, c] : registry_) fn(c);
  }
  // Client `id`, or null. REQUIRES: registry_mu() is held (the client stays
  // alive while it is).
  Client* FindClientLocked(uint64_t id) {
    auto it = registry_.find(id);
    return it == registry_.end() ? nullptr : it->second;
  }
  // fn(client&) for every client. REQUIRES: registry_mu() is held.
  template <typename Fn>
  void ForEachClientLocked(Fn fn) {
    for (auto& [id, c] : registry_) fn(*c);
  }
  // Client-side caching (CLIENT TRACKING).
  Tracking& tracker() { return tracking_; }
  // Asks the owning worker to close client `id`. Thread-safe.
  void KillClient(Client* c);
  // maxmemory-clients: while the normal and pubsub clients together use
  // that much memory, closes the biggest ones (not those with CLIENT
  // NO-EVICT on). Worker 0's cron and a growing query buffer (any worker;
  // takes the registry mutex). Defined in client_eviction.cc.
  void EvictClientsIfNeeded();
  uint64_t evicted_clients() const { return evicted_clients_.load(); }

  // --- Replication (src/replication/) ---
  // This server's role, replication ids and link to its primary.
  replication::Role& replication_role() { return *replication_role_; }
  // The primary's replicas (sessions of connections that sent SYNC/PSYNC).
  replication::ReplicaRegistry& replicas() { return replicas_; }
  // WAIT, min-replicas-*, synchronous replication.
  replication::AckTracker& ack_tracker() { return *ack_tracker_; }
  // FAILOVER's state machine (worker 0's cron drives it).
  replication::Failover& failover() { return *failover_; }
  // FAILOVER's own pause of writes (ServerHooks::SetFailoverPause).
  void SetFailoverPause(bool on);
  // What the replication objects reach the server through.
  replication::ServerHooks& replication_hooks();

  // --- CLIENT PAUSE ---
  // Whether a command with these flags must wait now.
  bool MustPause(bool is_write) const;
  bool paused_any() const {
    return pause_until_ms_.load(std::memory_order_relaxed) != 0 ||
           failover_pause_.load(std::memory_order_relaxed) ||
           shutdown_pause_.load(std::memory_order_relaxed);
  }

  // Applies maxmemory-policy / lfu-* to the storage layer's access tracking.
  void ApplyEvictionConfig();
  // Marks the watchers of (db, key) dirty.
  void TouchWatched(int db, std::string_view key) { watches_.Touch(db, key); }

  // ExpiryListener: record the deletion in the write log (with the shard lock held).
  void OnExpired(int db, std::string_view key) override;
  void OnNewKey(int db, std::string_view key) override;

  // --- Statistics (INFO clients/stats) ---
  // A connection was accepted: counts it if fewer than maxclients are
  // connected and returns true; otherwise counts a rejection.
  bool AdmitConnection(int64_t maxclients);
  void CountRejectedConnection() { rejected_connections_.fetch_add(1); }
  // A connection that AdmitConnection counted (or the primary link) ended.
  void ConnectionClosed() { connected_clients_.fetch_sub(1); }
  // The primary link's client is counted without going through the acceptor.
  void CountPrimaryLinkClient() { connected_clients_.fetch_add(1); }
  int64_t connected_clients() const { return connected_clients_.load(); }
  uint64_t total_connections() const { return total_connections_.load(); }
  uint64_t rejected_connections() const { return rejected_connections_.load(); }
  // INFO's instantaneous_* figures: per-second rates averaged over the last
  // 16 cron samples, as Redis averages its.
  enum Instant { kInstOps, kInstNetIn, kInstNetOut, kInstReplIn, kInstReplOut, kInstCount };
  double instantaneous(Instant which) const {
    return instant_[which].rate.load(std::memory_order_relaxed);
  }
  // INFO's total_/current_eviction_exceeded_time: ms spent above maxmemory
  // that eviction could not bring down yet (all periods, or the current one).
  int64_t eviction_exceeded_ms(bool total) const;
  ThreadStats& other_stats() { return *other_stats_; }
  uint64_t SumStat(std::atomic<uint64_t> ThreadStats::*field) const;
  std::map<std::string, uint64_t> ErrorStats();
  int64_t start_time_ms() const { return start_ms_; }
  const std::string& run_id() const { return run_id_; }
  std::string replid() const;
  // Turns expiry on or off for what the server is now (paused, a replica).
  void UpdateExpiryEnabled();
  // The persistence jobs (src/persistence/), each its responsibility.
  persistence::SaveJobs& save_jobs() { return *save_jobs_; }
  persistence::DatasetLoader& dataset_loader() { return *dataset_loader_; }
  persistence::AofWriter& aof_writer() { return *aof_writer_; }
  int64_t dirty() const { return dirty_.load(std::memory_order_relaxed); }
  std::string executable;
  int tcp_port_bound() const { return bound_port_; }
  BlockingRegistry& blocking() { return blocking_; }
  // Active expiry on/off (DEBUG SET-ACTIVE-EXPIRE).
  bool active_expire_enabled() const {
    return active_expire_enabled_.load(std::memory_order_relaxed);
  }

 private:
  friend class Worker;
  std::atomic<uint64_t> total_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::atomic<uint64_t> evicted_clients_{0};  // INFO evicted_clients
  std::atomic<int64_t> connected_clients_{0};
  struct InstantMetric {
    int64_t last_value = 0;  // worker 0's cron only
    int64_t last_ms = 0;
    double samples[16] = {};
    int next = 0;
    std::atomic<double> rate{0};
  };
  InstantMetric instant_[kInstCount];
  void NoteEvictionExceeded(bool over);
  std::atomic<int64_t> eviction_over_since_ms_{0};  // 0: under the limit
  std::atomic<int64_t> eviction_over_total_ms_{0};
  std::atomic<bool> active_expire_enabled_{true};
  Status Listen();
  // TCP listeners on `port` (0: none) for every bind address.
  StatusOr<std::vector<int>> OpenTcpListeners(int64_t port);
  void AttachListener(int fd, bool is_unix, const std::string& path, bool tls = false);
  // Closes the TCP listeners of the plain (tls false) or the TLS port.
  void DetachTcpListeners(bool tls);
  Status Rebind();
  Status RebindTls();
  void ActiveExpireCycle(int worker_index, int64_t budget_us);
  void SampleOps();

  std::unique_ptr<Config> config_;
  std::unique_ptr<storage::Keyspace> keyspace_;
  replication::WriteLog write_log_;
  storage::LazyFreer lazy_freer_;
  commands::CommandTable commands_;
  scripting::Runtime scripts_;
  ScriptFunctionStore function_store_{scripts_};
  commands::Executor executor_{*this, *config_, write_log_, commands_, scripts_};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ThreadStats> other_stats_;
  struct Listener {
    int fd = -1;  // -1 once detached
    bool is_unix = false;
    bool tls = false;  // the tls-port: connections start with a TLS handshake
    std::vector<std::unique_ptr<EventHandler>> acceptors;  // one per worker
  };
  std::mutex listen_mu_;  // serializes re-binds
  std::vector<std::unique_ptr<Listener>> listeners_;  // Guarded by listen_mu_ after Start().
  int bound_port_ = 0;

  std::mutex registry_mu_;
  std::unordered_map<uint64_t, Client*> registry_;  // Guarded by registry_mu_.
  std::atomic<uint64_t> next_client_id_{1};

  replication::ReplicaRegistry replicas_;
  commands::ConsistencyStore consistency_;
  int64_t last_replica_ping_ms_ = 0;  // worker 0's cron only
  commands::WatchRegistry watches_;
  Tracking tracking_{this};

  std::atomic<int64_t> pause_until_ms_{0};
  std::atomic<bool> pause_all_{false};
  std::atomic<bool> failover_pause_{false};  // FAILOVER: writes wait
  std::atomic<bool> shutdown_pause_{false};  // SHUTDOWN waiting/saving: writes wait

  commands::SlowLog slowlog_;
  PubSub pubsub_;
  Monitors monitors_;
  BlockingRegistry blocking_;
  // notify-keyspace-events as flag bits (commands::NotifyClass | K | E).
  std::atomic<uint32_t> notify_flags_{0};
  void ApplyNotifyConfig();
  std::mutex error_mu_;
  std::map<std::string, uint64_t> error_stats_;  // Guarded by error_mu_.

  int64_t start_ms_;
  size_t startup_memory_ = 0;  // allocated when Start() began (MEMORY STATS)
  // Declared in the order they depend on each other; destroyed in reverse
  // (the save jobs' thread first, then the AOF writer's).
  std::unique_ptr<PersistenceHooks> persistence_hooks_;
  std::unique_ptr<persistence::AofWriter> aof_writer_;
  std::unique_ptr<persistence::DatasetLoader> dataset_loader_;
  std::unique_ptr<persistence::SaveJobs> save_jobs_;
  // SHUTDOWN requests (server_shutdown.cc). Guarded by shutdown_mu_.
  std::mutex shutdown_mu_;
  int64_t shutdown_flags_ = 0;             // of the latest request
  bool shutdown_requested_ = false;        // a request not yet taken by the main thread
  bool shutdown_in_progress_ = false;      // the main thread is running one
  bool shutdown_abort_ = false;            // SHUTDOWN ABORT arrived
  std::vector<std::pair<Worker*, uint64_t>> shutdown_waiters_;  // clients of SHUTDOWN
  // One attempt: waits for replicas, saves. False if it failed or was aborted.
  bool TryShutdown(int64_t flags, int signal_fd, bool from_signal, int signo);
  void FailShutdownWaiters();
  void QuiesceWorkers();
  int64_t process_class_ = -1;  // oom-score-adj class last applied (main thread)
  std::atomic<int64_t> dirty_{0};
  std::string run_id_;
  std::unique_ptr<ReplicationHooks> replication_hooks_;
  std::unique_ptr<replication::Role> replication_role_;
  std::unique_ptr<replication::AckTracker> ack_tracker_;
  std::unique_ptr<replication::Failover> failover_;
  std::unique_ptr<sentinel::Sentinel> sentinel_;
  int shutdown_fd_ = -1;  // eventfd the main thread waits on with the signals
  size_t expire_cursor_ = 0;
};

}  // namespace basalt::server
