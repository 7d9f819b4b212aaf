// RangeDigest: the consistency check's digest of one point-in-time dataset,
// split into hash ranges so two nodes can compare it range by range and then
// key by key (docs/consistency.md).
//
// A key belongs to range XXH3-64(key, fixed seed) mod range_count, the same
// on every node and every run (not the per-process seed the keyspace uses).
// A key's digest is XXH3-64 over its db index, name, value digest
// (persistence::DigestValue, so the encoding does not matter) and absolute
// expire time. A range's digest is the wrapping sum of its keys' digests plus
// their count: independent of the order keys are visited in, so writers'
// threads (captured entries) and the walker may add concurrently. For the
// ranges named in `detail`, every key's (db, name, digest) is also kept, up
// to kMaxDetailKeys.
//
// Thread-safety: Visit from any thread (the caller holds the entry's shard
// lock); the readers run after the snapshot finished.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/snapshot.h"

namespace basalt::persistence {

class RangeDigest final : public EntryVisitor {
 public:
  static constexpr uint32_t kDefaultRanges = 4096;
  static constexpr size_t kMaxDetailKeys = 200000;

  struct KeyDigest {
    int db;
    std::string key;
    uint64_t digest;
  };

  // `detail`: the ranges whose keys are listed one by one (may be empty).
  RangeDigest(uint32_t range_count, const std::vector<uint32_t>& detail);

  static uint32_t RangeOf(std::string_view key, uint32_t range_count);
  static uint64_t KeyDigestOf(int db, const storage::Entry& e);

  void Visit(int db, const storage::Entry& e) override;

  uint32_t range_count() const { return uint32_t(sums_.size()); }
  uint64_t keys() const { return keys_.load(std::memory_order_relaxed); }
  uint64_t range_sum(uint32_t r) const { return sums_[r].load(std::memory_order_relaxed); }
  uint64_t range_keys(uint32_t r) const { return counts_[r].load(std::memory_order_relaxed); }
  // The listed keys (after the walk), and whether some were left out.
  std::vector<KeyDigest> TakeDetail();
  bool detail_truncated() const { return truncated_.load(std::memory_order_relaxed); }

 private:
  std::vector<std::atomic<uint64_t>> sums_;
  std::vector<std::atomic<uint64_t>> counts_;
  std::vector<bool> detail_;  // read-only after construction
  bool any_detail_ = false;
  std::atomic<uint64_t> keys_{0};
  std::atomic<bool> truncated_{false};
  std::mutex mu_;
  std::vector<KeyDigest> listed_;  // Guarded by mu_.
};

}  // namespace basalt::persistence
