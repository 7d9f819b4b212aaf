// AckTracker: what a primary does with its replicas' acknowledgements.
//
// Replicas report the write-log offset they have applied (REPLCONF ACK); from
// those reports this class serves
//   - WAIT numreplicas timeout: a client waits until enough replicas acked
//     the offset of its last write;
//   - min-replicas-to-write / min-replicas-max-lag: while fewer replicas than
//     required acked within the lag ("good" replicas), writes get -NOREPLICAS;
//   - synchronous replication (Basalt's min-replicas-ack N): a write's reply
//     leaves only once N replicas acked its offset, and is replaced by an
//     error if they have not within min-replicas-ack-timeout ms
//     (docs/replication.md states the guarantee);
//   - the primary's side of repl-timeout and of client-output-buffer-limit
//     replica (a replica that stops acknowledging, or falls too far behind,
//     is dropped; it reconnects and resyncs).
//
// Waiting clients stay on their own worker: each worker lists its clients
// that wait (a WAIT, or replies held for acknowledgement: an AckWaiter,
// which server::Client implements, holding the replies itself) and looks at
// them at the end of a loop round in which acknowledgements moved or a
// deadline passed. An ACK arrives on the replica's worker, which wakes the
// other workers through WorkerThread::Post. While someone waits, the primary
// asks its replicas to acknowledge with REPLCONF GETACK * — through the write
// log (stream only, not the AOF), because replicas count those bytes in their
// offsets — at most once per loop round, and only when the last request does
// not already cover the offset waited for.
//
// Thread-safety: WriteRefusal, the counters, CountAcked, RequestAck and OnAck
// may be called from any thread. AddWaiter, RemoveWaiter, ServeWaiters and
// EndRound only from the worker thread the waiter (or the round) belongs to.
// Cron runs on worker 0.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace basalt::replication {

class ReplicaRegistry;
class Role;
class ServerHooks;

// How many of `acks` (acknowledged offsets) are at least `offset`.
int CountAckedAtLeast(std::span<const int64_t> acks, int64_t offset);

// Whether a replica that last acknowledged at `last_ack_ms` counts as good for
// min-replicas-max-lag `max_lag_s` at `now_ms` (lag in whole seconds, as Redis).
inline bool IsGoodReplica(int64_t last_ack_ms, int64_t now_ms, int64_t max_lag_s) {
  return (now_ms - last_ack_ms) / 1000 <= max_lag_s;
}

// The error a timed-out synchronous write's reply is replaced with.
std::string SyncTimeoutError(int64_t needed, int64_t timeout_ms);

// A client that waits for acknowledgements (server::Client): a WAIT, or
// replies held under min-replicas-ack. Used on its worker's thread only.
class AckWaiter {
 public:
  virtual ~AckWaiter() = default;
  virtual int worker_index() const = 0;
  virtual bool closing() const = 0;
  // Acknowledgements moved or time passed (`acks`: each online replica's
  // acknowledged offset): release held replies, replace timed-out ones by an
  // error, end a WAIT.
  virtual void OnReplicaAcks(std::span<const int64_t> acks, int64_t now_ms) = 0;
  // The earliest deadline of its waits, 0 if none.
  virtual int64_t ack_deadline_ms() const = 0;
};

class AckTracker {
 public:
  // While a waiter has a deadline, a worker's loop wakes at least this often.
  static constexpr int kDeadlinePollMs = 10;

  AckTracker(ServerHooks& hooks, const Role& role, ReplicaRegistry& replicas);
  ~AckTracker();
  AckTracker(const AckTracker&) = delete;
  AckTracker& operator=(const AckTracker&) = delete;

  // --- Gates (any thread; two relaxed loads when both features are off) ---
  // The error (without '-') a write must be refused with now, or "": too few
  // good replicas for min-replicas-to-write, or fewer online replicas than
  // min-replicas-ack. Never refuses on a replica. `count`: the write is
  // refused for it (the refusal counters below move); false for a probe.
  std::string WriteRefusal(bool count = false) const;
  // Whether a write's reply must wait for min-replicas-ack acknowledgements.
  bool sync_enabled() const;
  // Replicas online and acknowledged within min-replicas-max-lag (INFO's
  // min_slaves_good_slaves); refreshed by Cron and by every ACK.
  int GoodReplicas() const { return good_.load(std::memory_order_relaxed); }
  int OnlineReplicas() const { return online_.load(std::memory_order_relaxed); }

  // --- Figures for INFO-less metrics (any thread; relaxed, cumulative) ---
  // Writes refused because fewer than min-replicas-to-write replicas were
  // good, or (synchronous mode) fewer than min-replicas-ack were online.
  uint64_t refused_min_replicas_to_write() const {
    return refused_to_write_.load(std::memory_order_relaxed);
  }
  uint64_t refused_min_replicas_ack() const {
    return refused_sync_.load(std::memory_order_relaxed);
  }
  // Replies held under min-replicas-ack: released once acknowledged, or
  // replaced by the timeout error; and the time they waited in total.
  // Counted by the waiter (server::Client) on its worker thread.
  void NoteSyncAcked(int64_t waited_us) {
    sync_acked_.fetch_add(1, std::memory_order_relaxed);
    sync_wait_us_.fetch_add(uint64_t(waited_us > 0 ? waited_us : 0), std::memory_order_relaxed);
  }
  void NoteSyncTimeout(int64_t waited_us) {
    sync_timeouts_.fetch_add(1, std::memory_order_relaxed);
    sync_wait_us_.fetch_add(uint64_t(waited_us > 0 ? waited_us : 0), std::memory_order_relaxed);
  }
  uint64_t sync_acked() const { return sync_acked_.load(std::memory_order_relaxed); }
  uint64_t sync_timeouts() const { return sync_timeouts_.load(std::memory_order_relaxed); }
  uint64_t sync_wait_us() const { return sync_wait_us_.load(std::memory_order_relaxed); }

  // --- Counting (any thread) ---
  // Online replicas whose acknowledged offset is at least `offset`.
  int CountAcked(int64_t offset) const;
  // Every online replica's acknowledged offset.
  std::vector<int64_t> AckedOffsets() const;

  // --- Waiting ---
  // `w` waits for acknowledgements (w's worker thread).
  void AddWaiter(AckWaiter* w);
  void RemoveWaiter(AckWaiter* w);
  // Someone waits for `offset`: a GETACK goes out at the end of the round
  // unless one already follows `offset` in the log (force: in any case, as
  // Redis does for every WAIT that blocks). Any thread.
  void RequestAck(int64_t offset, bool force = false);
  // A replica acknowledged (any thread): wakes the workers that have
  // waiters; `recount` when the replica may have become good or online.
  void OnAck(bool recount);
  // After worker `worker`'s events (its thread): answers its waiters whose
  // acknowledgements arrived or whose time is up.
  void ServeWaiters(int worker);
  // End of `worker`'s loop round (its thread): sends a requested GETACK.
  // Returns true while the loop must wake at least every kDeadlinePollMs
  // (a waiter has a deadline, or began waiting this round).
  bool EndRound(int worker);
  // Worker 0's cron: refreshes the counters, drops replicas silent for longer
  // than repl-timeout and checks their output-buffer limit.
  void Cron(int64_t now_ms);

 private:
  struct Slot;
  // Recounts good and online replicas.
  void Refresh(int64_t now_ms);
  void MaybeSendGetAck();

  ServerHooks& hooks_;
  const Role& role_;
  ReplicaRegistry& replicas_;
  std::unique_ptr<Slot[]> slots_;  // one per worker
  size_t nslots_;
  std::atomic<int> good_{0};
  std::atomic<int> online_{0};
  // Bumped by every ACK: a worker re-examines its waiters when it moved.
  std::atomic<uint64_t> ack_generation_{0};
  std::atomic<bool> getack_wanted_{false};
  // Log offset before the last GETACK sent: an ACK answering it covers this.
  std::atomic<int64_t> getack_covers_{-1};
  // The figures above (mutable: WriteRefusal is a const query that counts).
  mutable std::atomic<uint64_t> refused_to_write_{0};
  mutable std::atomic<uint64_t> refused_sync_{0};
  std::atomic<uint64_t> sync_acked_{0};
  std::atomic<uint64_t> sync_timeouts_{0};
  std::atomic<uint64_t> sync_wait_us_{0};
};

}  // namespace basalt::replication
