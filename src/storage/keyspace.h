// The keyspace: `databases` logical databases, each split into a power-of-two
// number of shards selected by the high bits of the key's hash.
//
// A shard owns a Table, an index of the entries that carry an expire time (for
// O(1) random sampling by the active expiry cycle), and a counter mirror so
// DBSIZE needs no lock. Every shard has its own mutex; there is no global lock.
// Commands lock the shards they touch in ascending (db, shard) order, which is
// the one lock order in the process (see LockSet), so multi-key and
// multi-database commands cannot deadlock.
//
// Expiry: lookups delete an expired entry on access (lazy), and ActiveExpire
// samples TTL'd entries per shard within a time budget (active). Deletions
// caused by expiry are reported to an ExpiryListener while the shard lock is
// held, so the write log records them in order with the writes around them.
//
// Thread-safety: Shard members are guarded by Shard::mu (REQUIRES noted on
// each method); Keyspace/Database structure is immutable after construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "storage/entry.h"
#include "storage/table.h"

namespace basalt::storage {

class LazyFreer;

// Told about keys that expired, with the shard lock held.
class ExpiryListener {
 public:
  virtual ~ExpiryListener() = default;
  virtual void OnExpired(int db, std::string_view key) = 0;
  // A key was created (keyspace "new" events). Only called while
  // Shard::SetNewKeyEvents(true).
  virtual void OnNewKey(int db, std::string_view key) = 0;
};

// Point-in-time snapshots without fork. While a snapshot runs, every entry
// that existed at its start instant must reach it with the value it had at
// that instant. A walker serializes the shards one slice at a time; a writer
// that is about to change or remove an entry the walker has not reached yet
// first hands the entry's current value to Capture (copy-before-write, one key
// at a time). Entry::snap_mark tells the two apart: at the start instant the
// wanted parity flips, entries created afterwards get the new parity at once,
// and an entry with the old parity has not been dealt with. Everything runs
// under the shard's lock, so no entry is both captured and walked.
class SnapshotCapture {
 public:
  virtual ~SnapshotCapture() = default;
  // Serialize e's current state for database db. Called with e's shard locked.
  virtual void Capture(int db, const Entry& e) = 0;
  // A shard was emptied (FLUSHALL/FLUSHDB) while the snapshot ran: its old
  // table, whose entries nobody else can reach any more, for the snapshot to
  // serialize (those not yet dealt with) and then free.
  virtual void RetireTable(int db, std::unique_ptr<Table> table) = 0;
};
// The parity entries get once the snapshot has dealt with them.
bool SnapshotParity();
// Installs `c` and flips the parity (c non-null), or removes it (nullptr).
// REQUIRES: every shard of every database locked by the caller.
void SetSnapshotCapture(SnapshotCapture* c);
bool SnapshotActive();
// Whether lookups on this thread are by a command that may write: such
// lookups hand the entry to the running snapshot before the command changes
// it in place (a write command may modify a value it found with FindLink).
void SetWriteIntent(bool on);
// Whether commands on this thread come from this replica's primary: they see
// keys whose time is up as live, because the primary decides when a key
// expires (its DEL follows in the stream). Other lookups on a replica treat
// such keys as absent, and only a write deletes them locally.
void SetPrimaryContext(bool on);

// The LRU clock: seconds, 24 bits, advanced by the server cron.
uint32_t LruClock();
void UpdateLruClock(int64_t now_ms);

// Access tracking mode of the entries' 24-bit lru field. Under an LFU
// maxmemory-policy the field holds 16 bits of minutes (last decrement time)
// and an 8-bit logarithmic access counter, as Redis's LFU does; otherwise it
// holds the LRU clock. Set from the maxmemory-policy / lfu-* directives.
void SetLfuMode(bool lfu, int64_t log_factor, int64_t decay_minutes);
bool LfuMode();
// The LFU counter of an lru field after applying the time decay.
uint32_t LfuDecayedCounter(uint32_t field);
// Seconds since the entry was last touched (LRU mode).
uint32_t IdleSeconds(uint32_t field);
// The value an entry's lru field gets on creation / on access.
uint32_t LruFieldOnCreate();
uint32_t LruFieldOnAccess(uint32_t field);

class Shard {
 public:
  Shard(int db, uint32_t index) : db_(db), index_(index) {}
  ~Shard();

  std::mutex mu;

  int db() const { return db_; }
  uint32_t index() const { return index_; }

  // --- Lookups. REQUIRES: mu held. ---
  // The live entry for key (expired ones are deleted first and reported), or
  // nullptr. Updates the entry's LRU clock unless `touch` is false.
  Entry** FindLink(std::string_view key, uint64_t hash, bool touch = true);
  Entry* Find(std::string_view key, uint64_t hash, bool touch = true) {
    Entry** l = FindLink(key, hash, touch);
    return l ? *l : nullptr;
  }
  // Whether the entry's time is up (independent of whether it may be deleted).
  bool IsExpired(const Entry* e, int64_t now_ms) const {
    return e->has_expire() && e->expire_ms() <= now_ms;
  }

  // --- Mutations. REQUIRES: mu held. ---
  // REQUIRES: key absent.
  void Add(Entry* e, uint64_t hash);
  // Replaces *link (same key) with e and frees the old entry.
  void Overwrite(Entry** link, Entry* e);
  // Replaces *link (same key) with e; returns the old entry without freeing it
  // (for callers that moved its payload, e.g. via EntryBuilder::WithExpire).
  Entry* Swap(Entry** link, Entry* e);
  // Removes and frees the entry (lazily in the background when `lazy` and big).
  void Delete(Entry** link, bool lazy = false);
  // Removes the entry and hands it to the caller (RENAME/MOVE reuse payloads).
  Entry* Detach(Entry** link);

  // A random entry (volatile: among entries with an expire), or nullptr.
  Entry* RandomEntry(bool volatile_only);
  // Deletes up to `max_samples` sampled expired keys; returns {sampled, expired}.
  std::pair<int, int> ActiveExpireSample(int max_samples, int64_t now_ms);
  // Removes everything; with `async`, the entries are freed in the background.
  void Clear(bool async);
  // Swaps contents with another shard (SWAPDB). REQUIRES: both locked.
  void SwapContents(Shard& other);
  // Hands e to the running snapshot unless it already dealt with it.
  void CaptureForSnapshot(Entry* e);

  Table& table() { return table_; }
  size_t ttl_count() const { return ttl_.size(); }
  // Lock-free mirrors for DBSIZE and INFO keyspace.
  size_t approx_size() const { return keys_.load(std::memory_order_relaxed); }
  size_t approx_expires() const { return expires_.load(std::memory_order_relaxed); }
  int64_t SumTtlSample(int64_t now_ms, int* n) const;  // REQUIRES: mu held

  // Whether lookups may delete expired keys (false on replicas and while
  // clients are paused: the key reads as absent but stays until allowed).
  static void SetExpiryEnabled(bool on);
  static bool ExpiryEnabled();
  static void SetListener(ExpiryListener* l);
  static void SetNewKeyEvents(bool on);
  static void SetLazyFreer(LazyFreer* f);

 private:
  void TtlAdd(Entry* e);
  void TtlRemove(Entry* e);
  void TtlReplace(Entry* old_e, Entry* new_e);
  void SyncCounters() {
    keys_.store(table_.size(), std::memory_order_relaxed);
    expires_.store(ttl_.size(), std::memory_order_relaxed);
  }
  void ExpireNow(Entry** link);
  void MarkNew(Entry* e);

  const int db_;
  const uint32_t index_;
  Table table_;               // Guarded by mu.
  std::vector<Entry*> ttl_;   // Guarded by mu. Entries with has_expire().
  uint64_t rng_ = 0x2545F4914F6CDD1Dull;  // Guarded by mu.
  std::atomic<size_t> keys_{0};
  std::atomic<size_t> expires_{0};
};

class Database {
 public:
  Database(int index, uint32_t nshards);
  int index() const { return index_; }
  uint32_t shard_count() const { return uint32_t(shards_.size()); }
  uint32_t ShardIndex(uint64_t hash) const { return uint32_t(hash >> shift_); }
  Shard& shard(uint32_t i) { return *shards_[i]; }
  Shard& ShardFor(uint64_t hash) { return *shards_[ShardIndex(hash)]; }
  size_t ApproxSize() const;
  size_t ApproxExpires() const;

 private:
  int index_;
  int shift_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

class Keyspace {
 public:
  Keyspace(int databases, uint32_t shards_per_db);
  int db_count() const { return int(dbs_.size()); }
  Database& db(int i) { return *dbs_[i]; }
  uint32_t shards_per_db() const { return shards_per_db_; }

 private:
  uint32_t shards_per_db_;
  std::vector<std::unique_ptr<Database>> dbs_;
};

// EXEC locks every shard its queued commands touch before the first runs;
// while it runs them on this thread, ShardLock and LockSet skip those shards
// instead of locking them again. `held` must be sorted (LockSet order);
// `all` means every shard. Pass nullptr/false to clear. Thread-local.
void SetTransactionLocks(const std::vector<Shard*>* held, bool all);
bool HeldByTransaction(const Shard* s);

class LockSet;
// A script holds the shards of the keys it declared and may touch others:
// while `set` is installed (thread-local), a shard not yet held is acquired on
// first use and kept until the set is released (two-phase locking, so the
// script stays atomic). That acquisition is out of the global order, so it
// announces itself: a LockSet waiting for a shard while holding others backs
// off (releases and retries) while any such acquisition is pending. Only one
// growing set may exist at a time (scripts run one at a time).
void SetGrowingTransaction(LockSet* set);

// While a script runs, a client command that would wait for a shard (most
// likely one the script holds) gives up instead of stalling its worker: it
// throws LockWaitAborted with retry=true when it has taken no lock yet (the
// connection runs it again later), or retry=false once the script is past
// its busy threshold (the answer is -BUSY). See SetLockWaitAbortable.
// `state` returns 0 (no script), 1 (running) or 2 (past the threshold);
// nullptr disables.
struct LockWaitAborted {
  bool retry;
};
void SetScriptProbe(int (*state)());
// A command starts: no lock taken yet (for the retry rule). Thread-local.
void BeginCommandLocks();
// Whether lock waits on this thread may be aborted (client commands only:
// never the loader's or the primary's stream). Thread-local.
void SetLockWaitAbortable(bool on);
// Locks s's mutex, honouring the abort rule above.
void LockShardMutex(Shard& s);

// Shard-lock contention since start, for the metrics: acquisitions that did
// not get the lock at the first try, and the time they waited. Only the
// contended path pays (a clock read before and after).
struct LockWaitStats {
  uint64_t waits = 0;
  uint64_t wait_us = 0;
};
LockWaitStats ShardLockWaits();

// Locks one shard for its lifetime (unless the running EXEC already holds it).
class ShardLock {
 public:
  explicit ShardLock(Shard& s);
  ~ShardLock() {
    if (owned_) s_->mu.unlock();
  }
  ShardLock(const ShardLock&) = delete;
  ShardLock& operator=(const ShardLock&) = delete;

 private:
  Shard* s_;
  bool owned_;
};

// Locks a set of shards in the process-wide order (db, then shard index) and
// unlocks them on destruction.
class LockSet {
 public:
  LockSet() = default;
  ~LockSet() { Release(); }
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;
  LockSet(LockSet&& o) noexcept : shards_(std::move(o.shards_)), owned_(std::move(o.owned_)) {
    o.shards_.clear();
    o.owned_.clear();
  }

  // The shards, sorted and deduplicated, after Acquire().
  const std::vector<Shard*>& shards() const { return shards_; }
  // Adds a shard to lock; call Acquire() after adding all of them.
  void Add(Shard* s) { shards_.push_back(s); }
  void AddKey(Database& db, std::string_view key) { Add(&db.ShardFor(HashKey(key))); }
  void AddAll(Database& db);
  void Acquire();
  void Release();
  // Growing sets only: acquires s now (out of order) and keeps it.
  void Grow(Shard* s);

 private:
  std::vector<Shard*> shards_;
  std::vector<Shard*> owned_;  // the subset this LockSet locked itself
};

}  // namespace basalt::storage
