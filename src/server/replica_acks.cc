#include "config/config.h"
#include "server/replica_acks.h"

#include <algorithm>
#include <string_view>

#include "common/clock.h"
#include "common/logging.h"
#include "server/client.h"
#include "server/replica_link.h"
#include "server/replication.h"
#include "server/server.h"

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;
namespace {
// Redis's error for min-replicas-to-write, also used when synchronous
// replication has too few replicas to even try.
constexpr char kNoReplicas[] = "NOREPLICAS Not enough good replicas to write.";
// While a waiter has a deadline, the loop wakes at least this often.
constexpr int kDeadlinePollMs = 10;
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

struct ReplicaAcks::Slot {
  std::vector<Client*> waiters;  // worker thread
  uint64_t seen_generation = 0;  // worker thread
  int64_t next_deadline_ms = 0;  // worker thread; 0: no waiter has a deadline
  bool dirty = false;            // worker thread: a wait began since the last look
  std::atomic<size_t> count{0};  // waiters.size(), for OnAck on other threads
  std::atomic<bool> wake_posted{false};
};

ReplicaAcks::ReplicaAcks(Server& server)
    : server_(server),
      slots_(new Slot[std::max<size_t>(1, server.workers().size())]),
      nslots_(server.workers().size()) {}

ReplicaAcks::~ReplicaAcks() = default;

bool ReplicaAcks::sync_enabled() const {
  return server_.config().min_replicas_ack() > 0 && !server_.replication().is_replica();
}

std::string ReplicaAcks::WriteRefusal() const {
  const Config& cfg = server_.config();
  int64_t to_write = cfg.min_replicas_to_write();
  int64_t sync = cfg.min_replicas_ack();
  if (to_write == 0 && sync == 0) return {};
  // A replica's writes are its primary's: the primary decided about them.
  if (server_.replication().is_replica()) return {};
  // Redis ignores min-replicas-to-write while min-replicas-max-lag is 0.
  if (to_write > 0 && cfg.min_replicas_max_lag() > 0 && GoodReplicas() < to_write) {
    return kNoReplicas;
  }
  // Synchronous mode refuses before applying anything when the write could
  // not be acknowledged in time anyway.
  if (sync > 0 && OnlineReplicas() < sync) return kNoReplicas;
  return {};
}

int ReplicaAcks::CountAcked(int64_t offset) const {
  std::vector<int64_t> acks = AckedOffsets();
  return CountAckedAtLeast(acks, offset);
}

std::vector<int64_t> ReplicaAcks::AckedOffsets() const {
  std::vector<int64_t> acks;
  for (const auto& r : server_.Replicas()) {
    if (r->state() == ReplicaLink::State::kOnline) acks.push_back(r->ack_offset());
  }
  return acks;
}

void ReplicaAcks::Refresh(int64_t now_ms) {
  int64_t max_lag = server_.config().min_replicas_max_lag();
  int good = 0, online = 0;
  for (const auto& r : server_.Replicas()) {
    if (r->state() != ReplicaLink::State::kOnline) continue;
    online++;
    if (IsGoodReplica(r->last_ack_ms(), now_ms, max_lag)) good++;
  }
  good_.store(good, std::memory_order_relaxed);
  online_.store(online, std::memory_order_relaxed);
}

void ReplicaAcks::AddWaiter(Client* c) {
  Slot& s = slots_[size_t(c->worker()->index())];
  s.waiters.push_back(c);
  s.count.store(s.waiters.size(), std::memory_order_relaxed);
  s.dirty = true;
}

void ReplicaAcks::RemoveWaiter(Client* c) {
  Slot& s = slots_[size_t(c->worker()->index())];
  std::erase(s.waiters, c);
  s.count.store(s.waiters.size(), std::memory_order_relaxed);
}

void ReplicaAcks::RequestAck(int64_t offset, bool force) {
  if (force || offset > getack_covers_.load(std::memory_order_relaxed)) {
    getack_wanted_.store(true, std::memory_order_relaxed);
  }
}

void ReplicaAcks::OnAck(bool recount) {
  if (recount) Refresh(NowMs());
  ack_generation_.fetch_add(1, std::memory_order_acq_rel);
  const auto& workers = server_.workers();
  for (size_t i = 0; i < nslots_; i++) {
    Slot& s = slots_[i];
    if (s.count.load(std::memory_order_relaxed) == 0) continue;
    // One wake-up per round is enough: the worker reads the newest acks.
    if (!s.wake_posted.exchange(true, std::memory_order_acq_rel)) workers[i]->loop().Post([] {});
  }
}

void ReplicaAcks::MaybeSendGetAck() {
  if (!getack_wanted_.load(std::memory_order_relaxed)) return;
  if (!getack_wanted_.exchange(false, std::memory_order_relaxed)) return;
  // A replica's log is its primary's stream byte for byte: it never adds.
  if (server_.replication().is_replica() || !server_.has_replicas()) return;
  int64_t before = server_.write_log().offset();
  std::string_view args[3] = {"REPLCONF", "GETACK", "*"};
  server_.write_log().AppendStreamOnly(args);
  int64_t prev = getack_covers_.load(std::memory_order_relaxed);
  while (before > prev && !getack_covers_.compare_exchange_weak(prev, before)) {
  }
}

void ReplicaAcks::ServeWaiters(Worker& w) {
  Slot& s = slots_[size_t(w.index())];
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
    std::vector<Client*> list = s.waiters;
    for (Client* c : list) {
      if (!c->closing()) c->OnReplicaAcks(acks, now);
    }
    s.next_deadline_ms = 0;
    for (Client* c : s.waiters) {
      int64_t d = c->ack_deadline_ms();
      if (d != 0 && (s.next_deadline_ms == 0 || d < s.next_deadline_ms)) s.next_deadline_ms = d;
    }
  }
}

void ReplicaAcks::EndRound(Worker& w) {
  MaybeSendGetAck();
  Slot& s = slots_[size_t(w.index())];
  if (s.waiters.empty()) return;
  // Waits that began during this round have not been looked at yet.
  if (s.dirty || s.next_deadline_ms != 0) w.loop().SetMaxWaitMs(kDeadlinePollMs);
}

void ReplicaAcks::Cron(int64_t now_ms) {
  Refresh(now_ms);
  int64_t timeout_ms = server_.config().repl_timeout() * 1000;
  for (const auto& r : server_.Replicas()) {
    // repl-timeout: a streaming replica acknowledges every second; one that
    // has been silent for longer is gone (or stuck) and is dropped.
    if (r->state() == ReplicaLink::State::kOnline && now_ms - r->last_ack_ms() > timeout_ms) {
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

}  // namespace basalt::server
