// HashObject: the value of a Redis hash (field -> value, both binary strings).
//
// Two encodings, as Redis 7.0 has:
//  - "listpack": while small, every pair lives in one contiguous buffer of
//    length-prefixed records (varint field length, field bytes, varint value
//    length, value bytes), in insertion order. Lookups scan it linearly, which
//    beats hashing for a few dozen short entries and costs no per-entry
//    allocation.
//  - "hashtable": past the thresholds, a FieldTable: a chained hash table
//    whose nodes hold field and value in a single allocation, growing and
//    shrinking incrementally like the keyspace's Table.
// The conversion is one-way and happens exactly where Redis 7.0.15 converts:
// before storing a field or value longer than max_listpack_value bytes, and
// after an insertion leaves more than max_listpack_entries pairs. Thresholds
// come from the caller (the command layer reads the config), so storage does
// not depend on the server.
//
// Thread-safety: a HashObject belongs to one entry of one shard and is only
// touched with that shard's lock held. Views returned by lookups stay valid
// until the next mutation of the same object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "storage/object.h"

namespace basalt::storage {

struct HashLimits {
  size_t max_listpack_entries = 128;  // hash-max-listpack-entries
  size_t max_listpack_value = 64;     // hash-max-listpack-value
};

// A non-owning reference to a callable taking (field, value), so iteration
// can be written once in the .cc file without std::function's allocation.
// The callable must outlive the call it is passed to (temporaries do).
class PairVisitor {
 public:
  template <typename Fn>
    requires(!std::is_same_v<std::remove_cvref_t<Fn>, PairVisitor>)
  PairVisitor(Fn&& fn)  // NOLINT: implicit, so lambdas can be passed directly
      : obj_(const_cast<void*>(static_cast<const void*>(&fn))),
        call_([](void* o, std::string_view f, std::string_view v) {
          (*static_cast<std::remove_reference_t<Fn>*>(o))(f, v);
        }) {}
  void operator()(std::string_view field, std::string_view value) const {
    call_(obj_, field, value);
  }

 private:
  void* obj_;
  void (*call_)(void*, std::string_view, std::string_view);
};

// The full encoding: a chained hash table of field/value nodes with
// incremental resizing (every mutation moves a couple of buckets from the old
// to the new array, so no single command pays for a whole rehash). Load
// factor: grow at 1, shrink below 1/8. Scan() uses a reverse-binary cursor,
// so a full scan returns every field present throughout it at least once,
// even if the table grows or shrinks between calls.
class FieldTable {
 public:
  FieldTable() = default;
  ~FieldTable();
  FieldTable(const FieldTable&) = delete;
  FieldTable& operator=(const FieldTable&) = delete;

  size_t size() const { return size_; }
  size_t bucket_count() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ != kNotRehashing; }

  // Sizes the bucket array for n fields up front. Only acts on an empty table.
  void Reserve(size_t n);
  std::optional<std::string_view> Get(std::string_view field) const;
  // Returns true if the field was added, false if an existing value was replaced.
  // REQUIRES: field and value do not point into this table.
  bool Set(std::string_view field, std::string_view value);
  // Returns true if the field existed.
  bool Delete(std::string_view field);
  void ForEach(PairVisitor fn) const;
  // Visits the buckets at `cursor`; returns the next cursor, 0 when done.
  uint64_t Scan(uint64_t cursor, PairVisitor fn) const;
  // A uniformly random pair; `seed` drives the choice. REQUIRES: size() > 0.
  std::pair<std::string_view, std::string_view> Random(uint64_t seed) const;
  // Bytes of the bucket arrays and nodes.
  size_t MemoryUsage() const;
  // Moves up to n non-empty buckets of an ongoing resize; true if more remain.
  bool RehashSteps(int n);

 private:
  struct Node;
  struct Buckets {
    Node** slots = nullptr;
    size_t size = 0;  // a power of two, or 0
    size_t mask() const { return size - 1; }
  };
  static constexpr size_t kNotRehashing = SIZE_MAX;
  // At load factor <= 1 almost every chain is this short; see Random().
  static constexpr size_t kInitialChainBound = 4;

  Node** FindLink(std::string_view field, uint32_t hash) const;
  void MaybeGrow();
  void MaybeShrink();
  void StartResize(size_t new_size);
  void FinishIfDone();

  Buckets t_[2];
  size_t rehash_idx_ = kNotRehashing;  // next bucket of t_[0] to move
  size_t size_ = 0;
  size_t node_bytes_ = 0;  // bytes allocated for nodes, for MemoryUsage
  // Upper bound on chain length seen by Random(); only ever raised between
  // resizes. Mutable: Random() is logically const.
  mutable size_t chain_bound_ = kInitialChainBound;
};

class HashObject final : public Object {
 public:
  HashObject() = default;
  ~HashObject() override = default;

  const char* EncodingName() const override;
  size_t MemoryUsage() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t Size() const override;

  bool is_listpack() const { return table_ == nullptr; }

  // The value of a field, or nullopt.
  std::optional<std::string_view> Get(std::string_view field) const;
  bool Contains(std::string_view field) const { return Get(field).has_value(); }
  // Sets a field, converting to the hashtable encoding as Redis does (see
  // the file comment). Returns true if the field is new.
  // REQUIRES: field and value do not point into this object.
  bool Set(std::string_view field, std::string_view value, const HashLimits& limits);
  // Returns true if the field existed. Never converts back to listpack.
  bool Delete(std::string_view field);

  // Visits every pair: insertion order for listpack, table order otherwise.
  void ForEach(PairVisitor fn) const;

  // HSCAN step. The listpack encoding visits everything and returns 0 (as
  // Redis does, whatever the cursor). The hashtable encoding visits buckets
  // from `cursor` until at least `count` items (fields and values both count,
  // as in Redis) were visited or 10*count buckets were looked at; returns the
  // next cursor, 0 when the scan is complete.
  uint64_t Scan(uint64_t cursor, size_t count, PairVisitor fn) const;

  // HRANDFIELD with a count. `seed` drives a private generator.
  // With `unique`, visits min(count, Size()) distinct pairs (all of them, in
  // iteration order, when count >= Size()). Without, visits exactly `count`
  // pairs drawn independently (repeats allowed). REQUIRES: Size() > 0.
  void RandomPairs(uint64_t count, bool unique, uint64_t seed, PairVisitor fn) const;

  // Forces the hashtable encoding (tests, and future loaders).
  void ConvertToTable();

 private:
  size_t ListpackFind(std::string_view field, size_t* value_pos) const;

  std::string lp_;                     // listpack records; unused once converted
  size_t lp_count_ = 0;                // pairs in lp_
  std::unique_ptr<FieldTable> table_;  // non-null: hashtable encoding
};

}  // namespace basalt::storage
