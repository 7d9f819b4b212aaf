// Host: what command handlers and the executor may ask of the running server,
// declared here and implemented by server::Server (dependencies point down:
// commands/ never includes server/). Two parts:
//   - the data plane every family uses: the keyspace, the configuration, the
//     write log, the dirty counter, change notification (WATCH, keyspace
//     events, blocked clients), and the admission state the executor checks;
//   - Admin, for the families that administer the process (CLIENT, PUBSUB,
//     REPLICAOF/PSYNC/REPLCONF, SAVE/BGSAVE, SHUTDOWN, DEBUG, INFO, WAIT).
//
// Thread-safety: every method may be called from any worker thread while the
// server runs; each says what it requires beyond that.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace basalt::config {
class Config;
}
namespace basalt::protocol {
class ReplyBuilder;
}
namespace basalt::replication {
class WriteLog;
struct FailoverRequest;
}
namespace basalt::sentinel {
class Sentinel;
}
namespace basalt::scripting {
class Runtime;
}
namespace basalt::storage {
class Keyspace;
}
namespace basalt::persistence {
class EntryVisitor;
}

namespace basalt::commands {

class CommandTable;
class ConsistencyStore;
class Executor;
class Session;
class SlowLog;
struct ThreadStats;
class TrackingHub;
class WatchRegistry;
enum class SubKind;

// Pub/Sub channels and their subscribers (server/pubsub.h implements it).
class PubSubHub {
 public:
  virtual ~PubSubHub() = default;
  // Adds/removes one subscription of s; s must be a connection.
  virtual bool Subscribe(Session* s, SubKind kind, std::string_view name) = 0;
  virtual bool Unsubscribe(Session* s, SubKind kind, std::string_view name) = 0;
  // Drops every subscription of s (RESET, a closing connection).
  virtual void UnsubscribeAll(Session* s) = 0;
  // Delivers to every subscriber; returns how many received it. `from` is the
  // publishing session (its thread delivers to its own worker's subscribers).
  virtual int64_t Publish(SubKind kind, std::string_view channel, std::string_view message,
                          Session* from) = 0;
  virtual std::vector<std::string> Channels(SubKind kind, std::string_view pattern, bool all) = 0;
  virtual int64_t NumSub(SubKind kind, std::string_view channel) = 0;
  virtual int64_t NumPat() = 0;
  // The ids of the sessions with a subscription `keep` refuses (ACL: a
  // user's channel rules shrank).
  virtual std::vector<uint64_t> SubscribersFailing(
      const std::function<bool(const Session&, SubKind, const std::string&)>& keep) {
    return {};
  }
};

// Memory figures only the server knows (MEMORY STATS, INFO memory).
struct ServerMemory {
  size_t startup = 0;          // allocated once started, before any data
  size_t clients_normal = 0;   // connections' buffers and state
  size_t clients_replicas = 0;
  size_t replica_output = 0;   // stream bytes replicas have yet to read
  size_t aof_buffer = 0;
};

// The administration side of the server.
class Admin {
 public:
  virtual ~Admin() = default;

  // --- Clients ---
  // Runs fn for every connected session with the registry mutex held.
  virtual void ForEachSession(const std::function<void(Session&)>& fn) = 0;
  // Asks the session's worker to close it. REQUIRES: the registry mutex is held
  // (from inside ForEachSession).
  virtual void KillSession(Session& s) = 0;
  // CLIENT UNBLOCK: ends the wait of a blocked session (error or timeout
  // reply) on its own worker. Returns whether `id` is blocked.
  virtual bool UnblockSession(uint64_t id, bool error) = 0;
  // CLIENT PAUSE / UNPAUSE.
  virtual void Pause(int64_t until_ms, bool all) = 0;
  virtual void Unpause() = 0;

  // --- Pub/Sub ---
  virtual PubSubHub& pubsub() = 0;
  // Whether any replica is connected (PUBLISH feeds them).
  virtual bool has_replicas() const = 0;

  // --- Replication ---
  virtual bool is_replica() const = 0;
  // REPLCONF listening-port / ack from the replica behind s.
  virtual void ReplconfListeningPort(Session& s, int port) = 0;
  // REPLCONF ip-address (a replica's replica-announce-ip): the address INFO,
  // ROLE and the sentinels see for it. Ignored once the replica syncs.
  virtual void ReplconfIpAddress(Session& s, std::string_view ip) = 0;
  virtual void ReplconfAck(Session& s, int64_t offset) = 0;
  // REPLCONF ACK ... BASALT-FOREIGN <n> from a Basalt replica.
  virtual void ReplconfForeignBelow(Session& s, int64_t n) = 0;
  // REPLCONF capa <capa> from the replica behind s (Basalt replicas announce
  // "basalt": they understand the consistency check's marker).
  virtual void ReplconfCapa(Session& s, std::string_view capa) = 0;
  // Every replica connection ("ip:listening-port", announced capa basalt).
  virtual std::vector<std::pair<std::string, bool>> ReplicaPeers() = 0;
  // The Basalt replicas that report replicas which are not Basalt below
  // them ("ip:listening-port" -> how many).
  virtual std::vector<std::pair<std::string, int64_t>> ForeignBelowPeers() = 0;

  // --- Consistency check (docs/consistency.md) ---
  virtual ConsistencyStore& consistency() = 0;
  // A digest-only point-in-time snapshot (persistence::SaveJobs::StartDigest):
  // `at_instant(offset)` runs with every shard locked; `done` on the job
  // thread. Fails when another snapshot runs.
  virtual Status StartDigest(std::function<void(int64_t offset)> at_instant,
                             std::shared_ptr<persistence::EntryVisitor> visitor,
                             std::function<void(Status)> done) = 0;
  // SYNC/PSYNC, first step: refuses (NOMASTERLINK, already syncing) or
  // writes s's pending replies out so they precede the snapshot.
  virtual Status PrepareSync(Session& s) = 0;
  // SYNC (psync false) or PSYNC replid offset: turns s into a replica link,
  // continuing from the backlog or with a full sync.
  virtual void StartSync(Session& s, bool psync, std::string_view replid, int64_t offset) = 0;
  // REPLICAOF host port: the +OK text; REPLICAOF NO ONE: Promote().
  virtual std::string SetPrimary(std::string_view host, int port) = 0;
  virtual void Promote() = 0;
  // FENCE ms (replication::Role::Fence): false when this node is a primary.
  virtual bool Fence(int64_t ms) = 0;
  // FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: Ok for +OK, or the
  // error to reply.
  virtual Status Failover(const replication::FailoverRequest& req) = 0;
  // PSYNC <replid> <offset> FAILOVER from s, before the PSYNC is served:
  // promotes this replica (Ok), or the error to reply.
  virtual Status AcceptFailoverPsync(Session& s, std::string_view replid) = 0;
  // Whether a FAILOVER is under way (REPLICAOF and SYNC are refused).
  virtual bool failover_active() const = 0;
  // ROLE's reply.
  virtual void WriteRole(protocol::ReplyBuilder& rb) = 0;
  // WAIT: how many replicas acknowledged `offset`.
  virtual int64_t CountAcked(int64_t offset) = 0;
  // WAIT: parks s until `numreplicas` acknowledged its woff() or deadline_ms
  // (0 = never); the connection then replies the count. Returns false if s
  // cannot wait (not a connection).
  virtual bool WaitForReplicas(Session& s, int64_t numreplicas, int64_t deadline_ms) = 0;

  // --- Persistence ---
  virtual Status Save() = 0;
  // Inside EXEC (`in_exec`) the job is scheduled, not started, as Redis does.
  virtual StatusOr<std::string> Bgsave(bool schedule, bool in_exec) = 0;
  virtual StatusOr<std::string> BgRewriteAof(bool in_exec) = 0;
  virtual Status DebugReload(bool save, bool flush, bool merge) = 0;
  virtual int64_t lastsave() const = 0;
  // FLUSHALL: what a flush of everything means for saving (dirty, a save
  // point's RDB), as Redis does.
  virtual void AfterFlushAll() = 0;

  // --- The process ---
  // The INFO text for these sections (all defaults when empty).
  virtual std::string Info(std::span<const std::string_view> sections) = 0;
  virtual void ResetStats() = 0;
  // Runs fn for every thread's statistics slot (the workers' and the shared
  // one), for readers that merge them (LATENCY HISTOGRAM).
  virtual void ForEachThreadStats(const std::function<void(const ThreadStats&)>& fn) = 0;
  // SHUTDOWN with `flags` (config::Config::kShutdown* bits). The session gets
  // no reply while the server stops; if the shutdown fails or is aborted it
  // gets "-ERR Errors trying to SHUTDOWN. Check logs." and goes on.
  virtual void RequestShutdown(Session& s, int64_t flags) = 0;
  // SHUTDOWN ABORT: false when no shutdown is in progress.
  virtual bool AbortShutdown() = 0;
  virtual void SetActiveExpire(bool on) = 0;
  virtual ServerMemory MemoryFigures() = 0;
  // DEBUG CHANGE-REPL-ID.
  virtual void ChangeReplicationIds() = 0;
  // Sentinel mode only (null otherwise).
  virtual sentinel::Sentinel* sentinel() = 0;
};

class Host {
 public:
  virtual ~Host() = default;

  // --- Data plane ---
  virtual storage::Keyspace& keyspace() = 0;
  virtual config::Config& config() = 0;
  virtual replication::WriteLog& write_log() = 0;
  virtual const CommandTable& commands() const = 0;
  virtual Executor& executor() = 0;
  // Lua engines, the script gate and the running script's state.
  virtual scripting::Runtime& scripts() = 0;
  virtual WatchRegistry& watches() = 0;
  virtual SlowLog& slowlog() = 0;
  // The mutex that guards every Session::name.
  virtual std::mutex& registry_mu() = 0;
  virtual void AddDirty(int64_t n) = 0;
  // A key of database `db` changed: WATCH invalidation, the keyspace
  // notification, and waking clients blocked on it. REQUIRES: its shard lock.
  virtual void OnKeyChanged(int db, std::string_view key, std::string_view event, uint32_t cls) = 0;
  // Every key of database `db` may have changed at once (SWAPDB, FLUSHDB,
  // FLUSHALL): wakes the clients blocked on its keys, which look again.
  virtual void WakeBlockedInDb(int db) = 0;
  // Publishes a keyspace notification if notify-keyspace-events enables it.
  virtual void Notify(int db, std::string_view key, std::string_view event, uint32_t cls) = 0;
  // Counts an error reply (errorstats).
  virtual void CountError(std::string_view message) = 0;

  // --- Admission state (the executor's checks) ---
  virtual bool loading() const = 0;
  // MISCONF: writes refused after a failed background save; "" if allowed.
  virtual std::string PersistenceWriteRefusal() const = 0;
  // NOREPLICAS: min-replicas-to-write / min-replicas-ack not met; "" if allowed.
  // Asked where a write is admitted: a refusal is counted (metrics).
  virtual std::string ReplicasWriteRefusal() const = 0;
  virtual bool is_replica() const = 0;
  virtual bool primary_link_up() const = 0;
  // maxmemory: evicts until under the limit; false when it cannot.
  // REQUIRES: the caller holds no shard lock.
  virtual bool EvictIfNeeded() = 0;

  virtual Admin& admin() = 0;
  // Client-side caching (CLIENT TRACKING); null where there is none (the
  // in-process test host).
  virtual TrackingHub* tracking() { return nullptr; }
};

}  // namespace basalt::commands
