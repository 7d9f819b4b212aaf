// Role: this server's place in replication (a primary, or a replica of a
// primary), its replication ids, and the replica's side of Redis's PSYNC
// protocol.
//
// The replica side runs on one control thread (the "link thread",
// primary_link.cc): connect, handshake (PING, AUTH, REPLCONF, PSYNC), and on
// +FULLRESYNC load the primary's snapshot straight from the socket (through
// ServerHooks::LoadFromPrimary, a persistence job). Then the socket becomes
// an ordinary connection on worker 0 (ServerHooks::AttachPrimaryClient), the
// primary client, whose commands run like any client's (replies dropped) in
// the primary's context: keys whose time is up stay visible to it, because
// the primary decides when a key expires. Each applied command's bytes go
// into this server's write log verbatim (WriteLog::AppendRaw), so this
// server's offsets are its primary's, its own replicas can continue from
// them, and a promoted replica keeps its siblings' offsets valid. A MULTI ...
// EXEC block counts as applied at EXEC.
//
// Replication ids work as in Redis 7.0: `replid` names the history this
// server's offsets belong to; on promotion it moves to `replid2`, valid up to
// `second_offset`, and a fresh id starts, so the old primary's other replicas
// continue partially. The id and offset are saved in RDB files (aux fields)
// and restored at start-up, so a restarted server resumes partially too.
//
// On a primary it answers whether a PSYNC can continue, counts syncs, drops
// the backlog after repl-backlog-ttl without replicas, and disconnects the
// replicas (ReplicaRegistry) when the history changes.
//
// Thread-safety: all public methods may be called from any thread unless
// noted. The link thread and the primary client's worker cooperate through
// mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"

namespace basalt::replication {

class Connection;
class ReplicaRegistry;
class ServerHooks;
class WorkerThread;

// What INFO replication and ROLE show about the replica side.
struct ReplicaSideInfo {
  std::string host;
  int port = 0;
  // Redis's ROLE states: connect, connecting, handshake, sync, connected.
  std::string state;
  bool link_up = false;
  int64_t last_io_seconds_ago = -1;
  bool sync_in_progress = false;
  int64_t sync_total_bytes = -1, sync_read_bytes = 0, sync_last_io_seconds_ago = 0;
  int64_t link_down_since_seconds = -1;  // -1: never connected
  int64_t read_offset = 0;               // slave_read_repl_offset
  int64_t applied_offset = 0;            // slave_repl_offset
};

class Role {
 public:
  Role(ServerHooks& hooks, ReplicaRegistry& replicas);
  ~Role();
  Role(const Role&) = delete;
  Role& operator=(const Role&) = delete;

  // Takes `replicaof` from the configuration and starts the link thread.
  // Called once the dataset is loaded and the workers run.
  void Start();
  void Stop();

  // --- Identity ---
  std::string replid() const;
  std::string replid2() const;
  int64_t second_offset() const;  // -1: no previous id
  // After loading an RDB file that recorded them (aux repl-id/repl-offset):
  // this server's history continues from there. REQUIRES: before Start().
  void RestoreFromRdb(const std::string& replid, int64_t offset, int stream_db);
  // The database the replication stream is at (RDB aux repl-stream-db).
  int stream_db() const;

  // --- Role ---
  bool is_replica() const { return replica_.load(std::memory_order_acquire); }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // REPLICAOF host port: the reply, "+OK" or "+OK Already connected...".
  // `failover`: the first PSYNC to the new primary carries FAILOVER, asking
  // it to promote itself (FAILOVER's handover, failover.h).
  std::string SetPrimary(const std::string& host, int port, bool failover = false);
  // What became of the last PSYNC ... FAILOVER (any thread).
  enum class FailoverPsync { kNone = 0, kPending = 1, kAccepted = 2, kRejected = 3 };
  FailoverPsync failover_psync() const {
    return FailoverPsync(failover_psync_.load(std::memory_order_acquire));
  }
  // REPLICAOF NO ONE.
  // DEBUG CHANGE-REPL-ID: a new replid and no replid2 (replicas can no
  // longer continue either history), as Redis does.
  void ChangeReplicationIds();
  void Promote();
  // FENCE ms: the failover fence (docs/failover.md). A replica stops applying
  // its primary's stream at once and does not reconnect until REPLICAOF, a
  // promotion, or `ms` milliseconds pass; ms <= 0 lifts it. Its replid and
  // offset stay, so it later continues partially. False when a primary.
  bool Fence(int64_t ms);
  // Whether a replica's link to its primary is up (a primary: true).
  bool link_up() const;
  ReplicaSideInfo Info() const;

  // --- Primary side ---
  // Whether a PSYNC <replid> <psync_offset> can continue from the backlog.
  bool CanContinue(std::string_view replid, int64_t psync_offset) const;
  // Why it cannot ("" when it can), for the log.
  std::string WhyNotContinue(std::string_view replid, int64_t psync_offset) const;
  std::atomic<uint64_t> sync_full{0}, sync_partial_ok{0}, sync_partial_err{0};
  // Role changes since start: promotions (REPLICAOF NO ONE, a FAILOVER's
  // target) and demotions (REPLICAOF host port from a primary). Basalt's own
  // figure (basalt_role_changes_total), so an alert can say a failover
  // happened.
  std::atomic<uint64_t> role_changes{0};
  // Closes every replica's connection (they reconnect and resync).
  void DisconnectReplicas();

  // --- The primary client (its worker thread) ---
  // One command of the primary's stream was applied: `raw` are its bytes.
  // REQUIRES: apply_mu() held since before the command ran.
  // `db`: the primary client's database after it.
  void OnPrimaryApplied(std::string_view raw, int db);
  // Held while a primary-client command runs and its bytes enter the log, so
  // a snapshot's start instant sees both or neither.
  std::mutex& apply_mu() { return apply_mu_; }
  // Marks the calling thread as applying (it holds apply_mu()).
  static void SetApplyingThread(bool on);
  // For a snapshot's start instant: apply_mu() held, unless the calling
  // thread is the one applying (a FLUSHALL from the primary saving).
  std::unique_lock<std::mutex> HoldApply();
  void OnPrimaryClientClosed(Connection* c);
  // The primary client read `n` bytes.
  void NoteRead(size_t n);
  // Worker `w`'s cron (its thread): retries full syncs waiting for a
  // snapshot, REPLCONF ACK every second, repl-timeout on a silent link, and
  // (worker 0) repl-backlog-ttl.
  void CronOnWorker(WorkerThread& w);
  // Sends REPLCONF ACK <offset> on the primary client (its worker thread).
  void SendAck(Connection* c);

 private:
  enum class LinkState { kNone, kConnect, kConnecting, kHandshake, kSync, kConnected };
  // replid2 while there is no previous history.
  static constexpr char kNoReplid[] = "0000000000000000000000000000000000000000";
  void Run();
  // One attempt: connect, handshake, sync. Attaches the primary client on
  // success. `gen` is the REPLICAOF generation the attempt belongs to.
  Status SyncOnce(uint64_t gen, const std::string& host, int port);
  // Loads the snapshot that follows +FULLRESYNC; `leftover` gets stream
  // bytes read past it, `stream_db` the stream's database (aux field).
  Status FullSync(int fd, uint64_t gen, const std::string& replid, int64_t offset,
                  std::string* leftover, int* stream_db);
  void AttachPrimaryClient(int fd, uint64_t gen, std::string leftover, int db);
  // The primary client, if any, is told to close (from any thread).
  void DropPrimaryClientLocked();  // REQUIRES: mu_ held
  void ShiftReplidLocked();        // REQUIRES: mu_ held
  std::unique_lock<std::mutex> HoldApplyForRoleChange();
  // repl-backlog-ttl (worker 0's cron): `alone` = no replica connected.
  void ExpireBacklog(bool alone);

  ServerHooks& hooks_;
  ReplicaRegistry& replicas_;
  std::atomic<bool> replica_{false};
  // REPLICAOF inside a MULTI that also holds shard locks must not wait
  // forever for a primary client waiting on those shards: role changes take
  // it with a bounded wait (HoldApplyForRoleChange).
  std::mutex apply_mu_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string replid_, replid2_;  // Guarded by mu_.
  int64_t second_offset_ = -1;    // Guarded by mu_.
  std::string host_;              // Guarded by mu_. Empty: a primary.
  int port_ = 0;                  // Guarded by mu_.
  // Bumped by every REPLICAOF (written under mu_): a primary client or sync
  // attempt of an older generation stops.
  std::atomic<uint64_t> generation_{0};
  // FENCE: no (re)connection before this NowMs(); 0: not fenced. Guarded by mu_.
  int64_t fenced_until_ms_ = 0;
  bool stop_ = false;                   // Guarded by mu_.
  LinkState state_ = LinkState::kNone;  // Guarded by mu_.
  int sync_fd_ = -1;                    // Guarded by mu_: socket of the attempt in progress
  bool attached_ = false;               // Guarded by mu_: a primary client exists or is being made
  bool have_history_ = false;           // Guarded by mu_: replid/offset worth a PSYNC
  Connection* primary_client_ = nullptr;    // Guarded by mu_.
  WorkerThread* primary_worker_ = nullptr;  // Guarded by mu_.
  std::atomic<int> stream_db_{0};       // the stream's database after the last applied command
  int64_t link_down_since_ms_ = 0;      // Guarded by mu_. 0: never up
  int64_t sync_total_ = -1;             // Guarded by mu_.
  std::atomic<int64_t> sync_read_{0};
  std::atomic<int64_t> last_io_ms_{0};
  std::atomic<int64_t> read_offset_{0};  // bytes read from the primary (offset)
  // FailoverPsync; set to kPending by SetPrimary(..., true) under mu_, then
  // by the link thread once the attempt got its answer.
  std::atomic<int> failover_psync_{0};
  int64_t last_ack_ms_ = 0;              // primary client's worker only
  int64_t last_foreign_sent_ = 0;        // primary client's worker only: BASALT-FOREIGN sent
  int64_t alone_since_ms_ = 0;           // worker 0's cron: a primary without replicas since
  std::thread thread_;
};

}  // namespace basalt::replication
