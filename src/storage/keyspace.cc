#include "storage/keyspace.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <thread>

#include "common/clock.h"
#include "storage/lazy_free.h"

namespace basalt::storage {
namespace {
std::atomic<uint32_t> g_lru_clock{0};
std::atomic<bool> g_expiry_enabled{true};
std::atomic<bool> g_new_key_events{false};
ExpiryListener* g_listener = nullptr;
LazyFreer* g_lazy_freer = nullptr;
// Read with relaxed ordering: they change only while every shard lock is held,
// and are read with one of those locks held.
std::atomic<SnapshotCapture*> g_capture{nullptr};
std::atomic<bool> g_parity{false};
thread_local bool t_write_intent = false;
thread_local bool t_primary_context = false;

uint64_t NextRandom(uint64_t* state) {
  // xorshift64*: fast, good enough for sampling.
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

int64_t NowMsCached() {
  if (t_frozen_now_ms != 0) return t_frozen_now_ms;  // inside a script
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

namespace {
std::atomic<bool> g_lfu{false};
std::atomic<int64_t> g_lfu_log_factor{10};
std::atomic<int64_t> g_lfu_decay{1};
constexpr uint32_t kLfuInitVal = 5;

uint32_t LfuMinutes() { return uint32_t(NowMsCached() / 60000) & 0xFFFF; }
}  // namespace

uint32_t LruClock() { return g_lru_clock.load(std::memory_order_relaxed); }

void SetLfuMode(bool lfu, int64_t log_factor, int64_t decay_minutes) {
  g_lfu_log_factor.store(log_factor);
  g_lfu_decay.store(decay_minutes);
  g_lfu.store(lfu);
}
bool LfuMode() { return g_lfu.load(std::memory_order_relaxed); }

uint32_t LfuDecayedCounter(uint32_t field) {
  uint32_t last = (field >> 8) & 0xFFFF;
  uint32_t counter = field & 0xFF;
  uint32_t now = LfuMinutes();
  uint32_t elapsed = now >= last ? now - last : 0xFFFF - last + now;
  int64_t decay = g_lfu_decay.load(std::memory_order_relaxed);
  uint32_t periods = decay > 0 ? uint32_t(elapsed / uint64_t(decay)) : 0;
  return periods > counter ? 0 : counter - periods;
}

uint32_t IdleSeconds(uint32_t field) {
  uint32_t now = LruClock();
  return now >= field ? now - field : 0xFFFFFF - field + now;
}

uint32_t LruFieldOnCreate() {
  if (LfuMode()) return (LfuMinutes() << 8) | kLfuInitVal;
  return LruClock();
}

uint32_t LruFieldOnAccess(uint32_t field) {
  if (!LfuMode()) return LruClock();
  uint32_t counter = LfuDecayedCounter(field);
  if (counter < 255) {
    // Logarithmic increment: the higher the counter, the less likely a bump.
    thread_local uint64_t rng = 0x9E3779B97F4A7C15ull ^ uint64_t(NowMsCached());
    double r = double(NextRandom(&rng) >> 11) * (1.0 / 9007199254740992.0);
    double base = counter > kLfuInitVal ? double(counter - kLfuInitVal) : 0.0;
    double p = 1.0 / (base * double(g_lfu_log_factor.load(std::memory_order_relaxed)) + 1.0);
    if (r < p) counter++;
  }
  return (LfuMinutes() << 8) | counter;
}
void UpdateLruClock(int64_t now_ms) {
  g_lru_clock.store(uint32_t(now_ms / 1000) & 0xFFFFFF, std::memory_order_relaxed);
}

void Shard::SetExpiryEnabled(bool on) { g_expiry_enabled.store(on); }
bool Shard::ExpiryEnabled() { return g_expiry_enabled.load(std::memory_order_relaxed); }
void Shard::SetListener(ExpiryListener* l) { g_listener = l; }
void Shard::SetNewKeyEvents(bool on) { g_new_key_events.store(on); }
void Shard::SetLazyFreer(LazyFreer* f) { g_lazy_freer = f; }

Shard::~Shard() {
  table_.Clear([](Entry* e) { FreeEntry(e); });
}

bool SnapshotParity() { return g_parity.load(std::memory_order_relaxed); }
bool SnapshotActive() { return g_capture.load(std::memory_order_relaxed) != nullptr; }
void SetWriteIntent(bool on) { t_write_intent = on; }
void SetPrimaryContext(bool on) { t_primary_context = on; }

void SetSnapshotCapture(SnapshotCapture* c) {
  if (c != nullptr) g_parity.store(!g_parity.load());
  g_capture.store(c);
}

void Shard::CaptureForSnapshot(Entry* e) {
  SnapshotCapture* c = g_capture.load(std::memory_order_relaxed);
  if (c == nullptr) return;
  bool parity = g_parity.load(std::memory_order_relaxed);
  if (e->snap_mark() == parity) return;
  c->Capture(db_, *e);
  e->set_snap_mark(parity);
}

void Shard::MarkNew(Entry* e) { e->set_snap_mark(g_parity.load(std::memory_order_relaxed)); }

void Shard::ExpireNow(Entry** link) {
  Entry* e = *link;
  CaptureForSnapshot(e);
  if (g_listener != nullptr) g_listener->OnExpired(db_, e->key());
  TtlRemove(e);
  FreeEntry(table_.Unlink(link));
  SyncCounters();
}

Entry** Shard::FindLink(std::string_view key, uint64_t hash, bool touch) {
  Entry** link = table_.FindLink(key, hash);
  if (link == nullptr) return nullptr;
  Entry* e = *link;
  if (e->has_expire() && !t_primary_context && e->expire_ms() <= NowMsCached()) {
    // With expiry off (a replica, or clients paused) a write still removes
    // the dead key first, so it never sits beside the key the write adds.
    if (ExpiryEnabled() || t_write_intent) ExpireNow(link);
    return nullptr;
  }
  if (touch) e->set_lru(LruFieldOnAccess(e->lru()));
  if (t_write_intent) CaptureForSnapshot(e);
  return link;
}

void Shard::Add(Entry* e, uint64_t hash) {
  e->set_lru(LruFieldOnCreate());
  MarkNew(e);
  table_.Insert(e, hash);
  if (e->has_expire()) TtlAdd(e);
  SyncCounters();
  if (g_new_key_events.load(std::memory_order_relaxed) && g_listener != nullptr) {
    g_listener->OnNewKey(db_, e->key());
  }
}

Entry* Shard::Swap(Entry** link, Entry* e) {
  Entry* old = *link;
  CaptureForSnapshot(old);
  MarkNew(e);
  table_.Replace(link, e);
  if (e->lru() == 0) e->set_lru(LruFieldOnCreate());
  TtlReplace(old, e);
  SyncCounters();
  return old;
}

void Shard::Overwrite(Entry** link, Entry* e) {
  Entry* old = Swap(link, e);
  FreeEntry(old);
}

Entry* Shard::Detach(Entry** link) {
  Entry* e = *link;
  CaptureForSnapshot(e);
  TtlRemove(e);
  table_.Unlink(link);
  SyncCounters();
  return e;
}

void Shard::Delete(Entry** link, bool lazy) {
  Entry* e = Detach(link);
  if (lazy && g_lazy_freer != nullptr && e->encoding() == Encoding::kObject) {
    g_lazy_freer->SubmitEntry(e);
  } else {
    FreeEntry(e);
  }
}

void Shard::TtlAdd(Entry* e) {
  e->set_ttl_slot(uint32_t(ttl_.size()));
  ttl_.push_back(e);
}

void Shard::TtlRemove(Entry* e) {
  if (!e->has_expire()) return;
  uint32_t slot = e->ttl_slot();
  Entry* last = ttl_.back();
  ttl_[slot] = last;
  last->set_ttl_slot(slot);
  ttl_.pop_back();
}

void Shard::TtlReplace(Entry* old_e, Entry* new_e) {
  if (old_e->has_expire() && new_e->has_expire()) {
    uint32_t slot = old_e->ttl_slot();
    ttl_[slot] = new_e;
    new_e->set_ttl_slot(slot);
    return;
  }
  TtlRemove(old_e);
  if (new_e->has_expire()) TtlAdd(new_e);
}

Entry* Shard::RandomEntry(bool volatile_only) {
  if (volatile_only) {
    if (ttl_.empty()) return nullptr;
    return ttl_[NextRandom(&rng_) % ttl_.size()];
  }
  return table_.Random(NextRandom(&rng_));
}

std::pair<int, int> Shard::ActiveExpireSample(int max_samples, int64_t now_ms) {
  int sampled = 0, expired = 0;
  if (!ExpiryEnabled()) return {0, 0};
  for (; sampled < max_samples && !ttl_.empty(); sampled++) {
    Entry* e = ttl_[NextRandom(&rng_) % ttl_.size()];
    if (e->expire_ms() > now_ms) continue;
    std::string_view key = e->key();
    Entry** link = table_.FindLink(key, HashKey(key));
    if (link != nullptr) {
      ExpireNow(link);
      expired++;
    }
  }
  return {sampled, expired};
}

int64_t Shard::SumTtlSample(int64_t now_ms, int* n) const {
  // A bounded sample is enough for INFO's avg_ttl estimate.
  int64_t sum = 0;
  size_t step = std::max<size_t>(1, ttl_.size() / 16);
  for (size_t i = 0; i < ttl_.size(); i += step) {
    int64_t left = ttl_[i]->expire_ms() - now_ms;
    if (left > 0) {
      sum += left;
      (*n)++;
    }
  }
  return sum;
}

void Shard::Clear(bool async) {
  ttl_.clear();
  ttl_.shrink_to_fit();
  if (SnapshotCapture* c = g_capture.load(std::memory_order_relaxed);
      c != nullptr && table_.size() > 0) {
    auto t = std::make_unique<Table>();
    t->Swap(table_);
    c->RetireTable(db_, std::move(t));
  } else if (async && g_lazy_freer != nullptr && table_.size() > 0) {
    auto t = std::make_unique<Table>();
    t->Swap(table_);
    g_lazy_freer->SubmitTable(std::move(t));
  } else {
    table_.Clear([](Entry* e) { FreeEntry(e); });
  }
  SyncCounters();
}

void Shard::SwapContents(Shard& other) {
  // The snapshot walks shards by database, so entries changing database
  // under it are captured first, under their old database.
  if (SnapshotActive()) {
    for (Shard* s : {this, &other}) {
      uint64_t cursor = 0;
      do {
        cursor = s->table_.Scan(cursor, [s](Entry* e) { s->CaptureForSnapshot(e); });
      } while (cursor != 0);
    }
  }
  table_.Swap(other.table_);
  ttl_.swap(other.ttl_);
  SyncCounters();
  other.SyncCounters();
}

// REQUIRES: nshards is a power of two >= 2 (Keyspace ensures it).
Database::Database(int index, uint32_t nshards) : index_(index) {
  shift_ = 64 - std::countr_zero(nshards);
  for (uint32_t i = 0; i < nshards; i++) shards_.push_back(std::make_unique<Shard>(index, i));
}

size_t Database::ApproxSize() const {
  size_t n = 0;
  for (auto& s : shards_) n += s->approx_size();
  return n;
}

size_t Database::ApproxExpires() const {
  size_t n = 0;
  for (auto& s : shards_) n += s->approx_expires();
  return n;
}

Keyspace::Keyspace(int databases, uint32_t shards_per_db) : shards_per_db_(shards_per_db) {
  // A single shard would need a zero shift; keep at least two.
  if (shards_per_db_ < 2) shards_per_db_ = 2;
  shards_per_db_ = std::bit_ceil(shards_per_db_);
  for (int i = 0; i < databases; i++) dbs_.push_back(std::make_unique<Database>(i, shards_per_db_));
}

namespace {
bool ShardLess(const Shard* a, const Shard* b) {
  return a->db() != b->db() ? a->db() < b->db() : a->index() < b->index();
}
thread_local const std::vector<Shard*>* t_held = nullptr;
thread_local bool t_held_all = false;
thread_local LockSet* t_grow = nullptr;
thread_local bool t_abortable = false;
thread_local int t_locks_taken = 0;
// Out-of-order acquisitions in progress (a script growing its lock set).
std::atomic<int> g_growing{0};
std::atomic<int (*)()> g_script_probe{nullptr};

// While waiting for a contended shard: whether to give up now (throws).
void MaybeAbortWait(int spins) {
  if (!t_abortable) return;
  int (*probe)() = g_script_probe.load(std::memory_order_relaxed);
  if (probe == nullptr) return;
  int state = probe();
  if (state == 2) throw LockWaitAborted{false};
  // While a script runs, a wait is most likely for the script: after a
  // couple of tries the command goes back to its connection to run again
  // later, rather than stall the worker (or yield it away on a busy box).
  if (state == 1 && t_locks_taken == 0 && spins >= 2) throw LockWaitAborted{true};
}

// Whether the transaction on this thread holds s, or (growing) has just
// acquired it.
bool ClaimForTransaction(Shard* s) {
  if (t_held_all) return true;
  if (t_held == nullptr) return false;
  if (std::binary_search(t_held->begin(), t_held->end(), s, ShardLess)) return true;
  if (t_grow == nullptr) return false;
  t_grow->Grow(s);
  return true;
}
}  // namespace

void SetTransactionLocks(const std::vector<Shard*>* held, bool all) {
  t_held = held;
  t_held_all = all;
}

bool HeldByTransaction(const Shard* s) {
  if (t_held_all) return true;
  if (t_held == nullptr) return false;
  return std::binary_search(t_held->begin(), t_held->end(), s, ShardLess);
}

void SetGrowingTransaction(LockSet* set) {
  t_grow = set;
  t_held = set != nullptr ? &set->shards() : nullptr;
  t_held_all = false;
}

void SetScriptProbe(int (*state)()) { g_script_probe.store(state); }
void SetLockWaitAbortable(bool on) { t_abortable = on; }
void BeginCommandLocks() { t_locks_taken = 0; }

namespace {
std::atomic<uint64_t> g_lock_waits{0};
std::atomic<uint64_t> g_lock_wait_us{0};

// Counts one contended acquisition from `since_us` (when it was first
// refused) to now.
void CountLockWait(int64_t since_us) {
  g_lock_waits.fetch_add(1, std::memory_order_relaxed);
  g_lock_wait_us.fetch_add(uint64_t(std::max<int64_t>(0, MonotonicUs() - since_us)),
                           std::memory_order_relaxed);
}
}  // namespace

LockWaitStats ShardLockWaits() {
  return LockWaitStats{g_lock_waits.load(std::memory_order_relaxed),
                       g_lock_wait_us.load(std::memory_order_relaxed)};
}

void LockShardMutex(Shard& s) {
  if (s.mu.try_lock()) return;
  const int64_t since = MonotonicUs();
  int (*probe)() = g_script_probe.load(std::memory_order_relaxed);
  if (!t_abortable || probe == nullptr || probe() == 0) {
    s.mu.lock();
    CountLockWait(since);
    return;
  }
  // Contended while a script runs: wait in slices (MaybeAbortWait).
  for (int spins = 0; !s.mu.try_lock(); spins++) {
    try {
      MaybeAbortWait(spins);
    } catch (const LockWaitAborted&) {
      CountLockWait(since);
      throw;
    }
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  CountLockWait(since);
}

ShardLock::ShardLock(Shard& s) : s_(&s), owned_(!ClaimForTransaction(&s)) {
  if (owned_) {
    LockShardMutex(s);
    t_locks_taken++;
  }
}

void LockSet::AddAll(Database& db) {
  for (uint32_t i = 0; i < db.shard_count(); i++) Add(&db.shard(i));
}

void LockSet::Acquire() {
  std::sort(shards_.begin(), shards_.end(), ShardLess);
  shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
  for (size_t i = 0; i < shards_.size(); i++) {
    Shard* s = shards_[i];
    if (ClaimForTransaction(s)) continue;
    if (owned_.empty()) {
      LockShardMutex(*s);
      owned_.push_back(s);
      continue;
    }
    // Holding earlier shards: never block while a script acquires out of
    // order, or the two could wait for each other. Back off and start over.
    bool restart = false;
    int64_t since = -1;  // when the lock was first refused
    for (int spins = 0; !s->mu.try_lock(); spins++) {
      if (since < 0) since = MonotonicUs();
      if (g_growing.load(std::memory_order_acquire) > 0) {
        for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) (*it)->mu.unlock();
        owned_.clear();
        while (g_growing.load(std::memory_order_acquire) > 0) std::this_thread::yield();
        restart = true;
        break;
      }
      try {
        MaybeAbortWait(spins);
      } catch (const LockWaitAborted&) {
        for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) (*it)->mu.unlock();
        owned_.clear();
        CountLockWait(since);
        throw;
      }
      std::this_thread::yield();
    }
    if (since >= 0) CountLockWait(since);
    if (restart) {
      i = size_t(-1);  // the loop's ++ makes it 0
      continue;
    }
    owned_.push_back(s);
  }
  t_locks_taken++;
}

void LockSet::Grow(Shard* s) {
  if (!s->mu.try_lock()) {
    g_growing.fetch_add(1, std::memory_order_acq_rel);
    s->mu.lock();
    g_growing.fetch_sub(1, std::memory_order_acq_rel);
  }
  shards_.insert(std::upper_bound(shards_.begin(), shards_.end(), s, ShardLess), s);
  owned_.push_back(s);
}

void LockSet::Release() {
  for (auto it = owned_.rbegin(); it != owned_.rend(); ++it) (*it)->mu.unlock();
  owned_.clear();
  shards_.clear();
}

}  // namespace basalt::storage
