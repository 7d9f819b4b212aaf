// Table: a chained hash table of Entry* keyed by the entry's key, that grows
// and shrinks incrementally.
//
// While resizing, entries live in two bucket arrays; every operation moves a
// bounded number of buckets from the old to the new array (and a cron can call
// RehashSteps), so no single command ever pays for a whole-table rehash. Load
// factor: grow at 1.0, shrink below 1/8. The SCAN cursor uses reverse-binary
// increments so a full scan returns every key present throughout the scan at
// least once, even across resizes.
//
// Thread-safety: none; the owning shard's lock guards every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "storage/entry.h"

namespace basalt::storage {

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  size_t size() const { return size_; }
  size_t bucket_count() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }

  // Returns the link that points at the entry with `key` (so the caller can
  // replace or unlink it), or nullptr. The link stays valid until the next
  // mutating call on this table.
  Entry** FindLink(std::string_view key, uint64_t hash);
  Entry* Find(std::string_view key, uint64_t hash) {
    Entry** l = FindLink(key, hash);
    return l ? *l : nullptr;
  }
  // REQUIRES: no entry with e's key is present.
  void Insert(Entry* e, uint64_t hash);
  // Replaces the entry a link points at (same key) with `e`; returns the old one.
  Entry* Replace(Entry** link, Entry* e);
  // Unlinks the entry a link points at and returns it (the caller frees it).
  Entry* Unlink(Entry** link);

  // Moves up to n buckets of an ongoing resize. Returns true if more remain.
  bool RehashSteps(int n);
  // Starts a shrink if the table is sparse (called by cron).
  void MaybeShrink();

  // A random entry, or nullptr when empty. `rnd` supplies randomness.
  Entry* Random(uint64_t rnd);
  // Visits the buckets at `cursor` and returns the next cursor (0 when done).
  uint64_t Scan(uint64_t cursor, const std::function<void(Entry*)>& fn);
  // Removes every entry and hands each to fn (which frees it).
  void Clear(const std::function<void(Entry*)>& fn);
  // Swaps contents with another table (SWAPDB, async flush).
  void Swap(Table& other);

  size_t MemoryOverhead() const { return bucket_count() * sizeof(Entry*); }

 private:
  struct Buckets {
    Entry** slots = nullptr;
    size_t size = 0;  // power of two, or 0
    size_t mask() const { return size - 1; }
  };
  void StartResize(size_t new_size);
  void RehashStep();
  void FinishIfDone();

  Buckets t_[2];
  long rehash_idx_ = -1;  // next bucket of t_[0] to move; -1 when not resizing
  size_t size_ = 0;
};

}  // namespace basalt::storage
