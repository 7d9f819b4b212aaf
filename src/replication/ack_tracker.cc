#include "replication/ack_tracker.h"

#include <algorithm>
#include <string_view>

#include "common/clock.h"
#include "common/logging.h"
#include "config/config.h"
#include "replication/connection.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "replication/server_hooks.h"
#include "replication/write_log.h"

namespace basalt::replication {

using config::Config;

namespace {
// Redis's error for min-replicas-to-write, also used when synchronous
// replication has too few replicas to even try.
constexpr char kNoReplicas[] = "NOREPLICAS Not enough good replicas to write.";
}  // namespace

int CountAckedAtLeast(std::span<const int64_t> acks, int64_t offset) {
  int n = 0;
  for (int64_t a : acks) n += a >= offset ? 1 : 0;
  return n;
}

std::string SyncTimeoutError(int64_t needed, int64_t timeout_ms) {
  return "NOREPLICAS Write applied locally but not acknowledged by " + std::to_string(needed) +
         " replica(s) within " + std::to_string(timeout_ms) + " ms; it may be lost on failover";
}

struct AckTracker::Slot {
  std::vector<AckWaiter*> waiters;  // worker thread
  uint64_t seen_generation = 0;  // worker thread
  int64_t next_deadline_ms = 0;  // worker thread; 0: no waiter has a deadline
  bool dirty = false;            // worker thread: a wait began since the last look
  std::atomic<size_t> count{0};  // waiters.size(), for OnAck on other threads
  std::atomic<bool> wake_posted{false};
};

AckTracker::AckTracker(ServerHooks& hooks, const Role& role, ReplicaRegistry& replicas)
    : hooks_(hooks),
      role_(role),
      replicas_(replicas),
      slots_(new Slot[std::max<size_t>(1, hooks.worker_count())]),
      nslots_(hooks.worker_count()) {}

AckTracker::~AckTracker() = default;

bool AckTracker::sync_enabled() const {
  return hooks_.config().min_replicas_ack() > 0 && !role_.is_replica();
}

std::string AckTracker::WriteRefusal(bool count) const {
  const Config& cfg = hooks_.config();
  int64_t to_write = cfg.min_replicas_to_write();
  int64_t sync = cfg.min_replicas_ack();
  if (to_write == 0 && sync == 0) return {};
  // A replica's writes are its primary's: the primary decided about them.
  if (role_.is_replica()) return {};
  // Redis ignores min-replicas-to-write while min-replicas-max-lag is 0.
  if (to_write > 0 && cfg.min_replicas_max_lag() > 0 && GoodReplicas() < to_write) {
    if (count) refused_to_write_.fetch_add(1, std::memory_order_relaxed);
    return kNoReplicas;
  }
  // Synchronous mode refuses before applying anything when the write could
  // not be acknowledged in time anyway.
  if (sync > 0 && OnlineReplicas() < sync) {
    if (count) refused_sync_.fetch_add(1, std::memory_order_relaxed);
    return kNoReplicas;
  }
  return {};
}

int AckTracker::CountAcked(int64_t offset) const {
  std::vector<int64_t> acks = AckedOffsets();
  return CountAckedAtLeast(acks, offset);
}

std::vector<int64_t> AckTracker::AckedOffsets() const {
  std::vector<int64_t> acks;
  for (const auto& r : replicas_.List()) {
    if (r->state() == ReplicaSession::State::kOnline) acks.push_back(r->ack_offset());
  }
  return acks;
}

void AckTracker::Refresh(int64_t now_ms) {
  int64_t max_lag = hooks_.config().min_replicas_max_lag();
  int good = 0, online = 0;
  for (const auto& r : replicas_.List()) {
    if (r->state() != ReplicaSession::State::kOnline) continue;
    online++;
    if (IsGoodReplica(r->last_ack_ms(), now_ms, max_lag)) good++;
  }
  good_.store(good, std::memory_order_relaxed);
  online_.store(online, std::memory_order_relaxed);
}

void AckTracker::AddWaiter(AckWaiter* w) {
  Slot& s = slots_[size_t(w->worker_index())];
  s.waiters.push_back(w);
  s.count.store(s.waiters.size(), std::memory_order_relaxed);
  s.dirty = true;
}

void AckTracker::RemoveWaiter(AckWaiter* w) {
  Slot& s = slots_[size_t(w->worker_index())];
  std::erase(s.waiters, w);
  s.count.store(s.waiters.size(), std::memory_order_relaxed);
}

void AckTracker::RequestAck(int64_t offset, bool force) {
  if (force || offset > getack_covers_.load(std::memory_order_relaxed)) {
    getack_wanted_.store(true, std::memory_order_relaxed);
  }
}

void AckTracker::OnAck(bool recount) {
  if (recount) Refresh(NowMs());
  ack_generation_.fetch_add(1, std::memory_order_acq_rel);
  for (size_t i = 0; i < nslots_; i++) {
    Slot& s = slots_[i];
    if (s.count.load(std::memory_order_relaxed) == 0) continue;
    // One wake-up per round is enough: the worker reads the newest acks.
    if (!s.wake_posted.exchange(true, std::memory_order_acq_rel)) hooks_.worker(i).Post([] {});
  }
}

void AckTracker::MaybeSendGetAck() {
  if (!getack_wanted_.load(std::memory_order_relaxed)) return;
  if (!getack_wanted_.exchange(false, std::memory_order_relaxed)) return;
  // A replica's log is its primary's stream byte for byte: it never adds.
  if (role_.is_replica() || !replicas_.any()) return;
  int64_t before = hooks_.write_log().offset();
  std::string_view args[3] = {"REPLCONF", "GETACK", "*"};
  hooks_.write_log().AppendStreamOnly(args);
  int64_t prev = getack_covers_.load(std::memory_order_relaxed);
  while (before > prev && !getack_covers_.compare_exchange_weak(prev, before)) {
  }
}

void AckTracker::ServeWaiters(int worker) {
  Slot& s = slots_[size_t(worker)];
  if (s.waiters.empty()) return;
  // Cleared before the generation is read, so an ACK arriving after this
  // posts a new wake-up.
  s.wake_posted.store(false, std::memory_order_release);
  int64_t now = NowMs();
  uint64_t gen = ack_generation_.load(std::memory_order_acquire);
  bool due =
      s.dirty || gen != s.seen_generation || (s.next_deadline_ms != 0 && now >= s.next_deadline_ms);
  if (due) {
    s.dirty = false;
    s.seen_generation = gen;
    std::vector<int64_t> acks = AckedOffsets();
    // A client may leave the list (or others join it) while it is answered.
    std::vector<AckWaiter*> list = s.waiters;
    for (AckWaiter* w : list) {
      if (!w->closing()) w->OnReplicaAcks(acks, now);
    }
    s.next_deadline_ms = 0;
    for (AckWaiter* w : s.waiters) {
      int64_t d = w->ack_deadline_ms();
      if (d != 0 && (s.next_deadline_ms == 0 || d < s.next_deadline_ms)) s.next_deadline_ms = d;
    }
  }
}

bool AckTracker::EndRound(int worker) {
  MaybeSendGetAck();
  Slot& s = slots_[size_t(worker)];
  if (s.waiters.empty()) return false;
  // Waits that began during this round have not been looked at yet.
  return s.dirty || s.next_deadline_ms != 0;
}

void AckTracker::Cron(int64_t now_ms) {
  Refresh(now_ms);
  int64_t timeout_ms = hooks_.config().repl_timeout() * 1000;
  for (const auto& r : replicas_.List()) {
    // repl-timeout: a streaming replica acknowledges every second; one that
    // has been silent for longer is gone (or stuck) and is dropped.
    if (r->state() == ReplicaSession::State::kOnline && now_ms - r->last_ack_ms() > timeout_ms) {
      if (r->MarkDropping()) {
        Log(LogLevel::kWarning, "Disconnecting timedout replica (streaming sync): %s:%d",
            r->ip().c_str(), r->listening_port());
        r->Disconnect();
      }
      continue;
    }
    r->CheckOutputLimitSoon();
  }
}

}  // namespace basalt::replication
