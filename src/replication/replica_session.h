// ReplicaSession: the primary's side of one connected replica; and
// ReplicaRegistry, the primary's list of them.
//
// A replica connects as a client and sends PSYNC. The primary answers with a
// full resynchronization: a point-in-time snapshot (a persistence job the
// server starts, ServerHooks::StartFullSyncSnapshot) streamed straight to the
// replica's socket in the diskless format (`$EOF:<40 bytes>` ...
// `<40 bytes>`), whose start instant is also where the session starts taking
// the write log's bytes. Once the snapshot is through, the session waits for
// the replica's first REPLCONF ACK (a diskless replica finds the end of the
// snapshot by its last 40 bytes, so nothing may follow them until it has
// loaded it), then hands the buffered stream, and every new write, to the
// connection's output on the connection's own worker thread. A PSYNC that can
// continue gets +CONTINUE and the backlog from its offset instead.
//
// Thread-safety: OnAppend runs under the write log's lock on any thread; the
// rest on the connection's worker thread unless noted. Statistics are
// atomics. ReplicaRegistry's methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "replication/write_log.h"

namespace basalt::replication {

class AckTracker;
class Connection;
class ReplicaRegistry;
class Role;
class ServerHooks;
class WorkerThread;

class ReplicaSession final : public WriteLogTap,
                             public std::enable_shared_from_this<ReplicaSession> {
 public:
  enum class State { kWaitBgsave = 0, kSendBulk = 1, kOnline = 2 };

  // Created on `conn`'s worker thread at its first REPLCONF or SYNC/PSYNC.
  ReplicaSession(ServerHooks& hooks, const Role& role, AckTracker& acks, ReplicaRegistry& replicas,
                 Connection* conn);
  ~ReplicaSession() override;

  // PSYNC / SYNC: starts the full sync, or waits (with Redis's keep-alive
  // newlines) while another snapshot runs; WaitTick retries.
  void StartFullSync(bool psync);
  // Worker cron: retries a waiting full sync.
  void WaitTick();
  WorkerThread* worker() const { return worker_; }
  // PSYNC that can continue: +CONTINUE, then the log from `from` on.
  // Returns false (nothing sent) if the backlog no longer holds `from`.
  bool StartPartialSync(int64_t from, const std::string& replid);
  // Closes the replica's connection (any thread); it reconnects and resyncs.
  void Disconnect();
  // REPLCONF ACK <offset>.
  void Ack(int64_t offset);
  // The connection is closing: stop taking the log. Worker thread.
  void Detach();

  // WriteLogTap
  void OnAppend(std::string_view bytes, int64_t end_offset) override;

  // For INFO / ROLE (any thread).
  std::string ip() const { return ip_; }
  // REPLCONF ip-address, during the handshake only (before PSYNC publishes
  // the session to other threads).
  void set_announced_ip(std::string ip) { ip_ = std::move(ip); }
  int listening_port() const { return listening_port_.load(); }
  void set_listening_port(int p) { listening_port_.store(p); }
  // REPLCONF capa basalt: the replica is Basalt (it understands stream-only
  // commands of Basalt's own, the consistency check's marker).
  bool basalt() const { return basalt_.load(); }
  void set_basalt(bool on) { basalt_.store(on); }
  // Replicas that are not Basalt somewhere below this (Basalt) replica, as
  // it last reported with its ACK (REPLCONF ACK <off> BASALT-FOREIGN <n>).
  int64_t foreign_below() const { return foreign_below_.load(); }
  void set_foreign_below(int64_t n) { foreign_below_.store(n); }
  State state() const { return state_.load(); }
  int64_t ack_offset() const { return ack_offset_.load(); }
  int64_t last_ack_ms() const { return last_ack_ms_.load(); }

  // Dropping (repl-timeout, output-buffer limit; see ack_tracker.h). True
  // for the first caller only, which then drops the session. Any thread.
  bool MarkDropping() { return !dropping_.exchange(true); }
  // Checks client-output-buffer-limit replica on the session's worker soon.
  // Any thread.
  void CheckOutputLimitSoon();

 private:
  bool TryStartSnapshot();
  // repl-diskless-sync-delay still holds this full sync back.
  bool Delayed() const;
  // Snapshot done (worker thread): go online, or drop the client on error.
  void TransferDone(bool ok, bool on_disk);
  // The replica acknowledged the snapshot: start streaming (worker thread).
  void GoOnline();
  // TCP_NODELAY on the replica's socket as repl-disable-tcp-nodelay says.
  void ApplyNodelay();
  friend class ReplicaRegistry;  // ReleaseWaitingIfAtLeast reads waiting_
  // Moves the buffered stream into the connection's output (worker thread).
  void Pump();
  // client-output-buffer-limit replica: drops the session when the stream
  // bytes waiting for the replica pass the hard limit, or the soft one for
  // longer than its seconds. Returns true when it is being dropped. Worker
  // thread.
  bool CheckOutputLimit();

  ServerHooks& hooks_;
  const Role& role_;
  AckTracker& acks_;
  ReplicaRegistry& replicas_;
  Connection* conn_;  // worker thread; null once detached
  WorkerThread* worker_;
  bool transfer_done_ = false;  // worker thread
  // A full sync waits for its snapshot (written by the worker thread, read by
  // other sessions counting waiting replicas for repl-diskless-sync-max-replicas).
  std::atomic<bool> waiting_{false};
  bool psync_ = true;              // worker thread
  int64_t last_keepalive_ms_ = 0;  // worker thread
  // repl-diskless-sync-delay counts from wait_since_ms_; another session
  // sets delay_released_ once repl-diskless-sync-max-replicas replicas wait.
  std::atomic<int64_t> wait_since_ms_{0};
  std::atomic<bool> delay_released_{false};
  std::string ip_;
  std::atomic<int> listening_port_{0};
  std::atomic<bool> basalt_{false};
  std::atomic<int64_t> foreign_below_{0};
  std::atomic<State> state_{State::kWaitBgsave};
  std::atomic<int64_t> ack_offset_{0};
  std::atomic<int64_t> last_ack_ms_{0};
  std::atomic<bool> dropping_{false};
  int64_t obuf_soft_since_ms_ = 0;  // worker thread: over the soft limit since

  std::mutex mu_;
  std::string pending_;  // Guarded by mu_: log bytes not yet handed to the connection
  bool online_ = false;  // Guarded by mu_
  bool posted_ = false;  // Guarded by mu_: a Pump is queued on the worker
  bool tapped_ = false;  // Guarded by mu_
};

// The primary's replicas: every connection that sent SYNC or PSYNC, from then
// until it closes (counted as a replica from its SYNC/PSYNC on, as in Redis).
class ReplicaRegistry {
 public:
  void Add(std::shared_ptr<ReplicaSession> r);
  void Remove(ReplicaSession* r);
  std::vector<std::shared_ptr<ReplicaSession>> List() const;
  // repl-diskless-sync-max-replicas: when at least `max` replicas wait for a
  // full sync, ends the repl-diskless-sync-delay of all of them; returns
  // whether it did. Any thread.
  bool ReleaseWaitingIfAtLeast(int64_t max);
  // Replicas whose stream is online (past their sync). Any thread.
  int64_t OnlineCount() const;
  // Replicas that are not Basalt among and below ours: the direct ones
  // without capa basalt plus what the Basalt ones report below them.
  int64_t ForeignReplicas() const;
  // Lock-free: whether any replica is connected (hot paths that only feed them).
  bool any() const { return count_.load(std::memory_order_relaxed) > 0; }

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ReplicaSession>> replicas_;  // Guarded by mu_.
  std::atomic<size_t> count_{0};                           // replicas_.size()
};

}  // namespace basalt::replication
