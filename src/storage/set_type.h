// SetObject: the value of a Redis set, in the two encodings Redis 7.0 uses.
//
//   intset     a sorted array of distinct int64 values stored at the narrowest
//              width (16, 32 or 64 bits) that holds them all; used while every
//              member is an integer (Redis's string-to-int rule, ParseInt64) and
//              the set has at most set-max-intset-entries members.
//   hashtable  a chained hash table of byte strings that resizes incrementally
//              (no operation pays for a whole-table rehash) and supports a
//              resize-safe SCAN cursor.
//
// Conversion is one way, as in Redis 7.0: a set becomes a hashtable the moment a
// non-integer member is added or the intset would exceed the threshold, and
// never goes back (removals keep the encoding). The threshold is passed in by
// the caller (the command layer reads it from the config).
//
// Members are handed out as std::string_view. For an intset the view points
// into a caller-supplied or iteration-local buffer holding the decimal text;
// for a hashtable it points into the table and stays valid until the next
// mutation of the set.
//
// Thread-safety: none. A SetObject belongs to one entry of one shard and is
// only touched with that shard's lock held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/numbers.h"
#include "storage/object.h"

namespace basalt::storage {

// Bytes a caller-supplied buffer needs to hold any int64 in decimal.
inline constexpr size_t kSetIntBufSize = 24;

// Sorted, duplicate-free int64 array with Redis's intset width rules: every
// value uses the width of the widest one (2, 4 or 8 bytes); inserting a value
// that does not fit widens the whole array, and the width never shrinks.
class IntSet {
 public:
  size_t size() const { return data_.size() / width_; }
  // 2, 4 or 8.
  int width() const { return width_; }
  // REQUIRES: i < size(). Values are in ascending order.
  int64_t Get(size_t i) const;
  bool Contains(int64_t v) const;
  // Returns false if v was already present.
  bool Insert(int64_t v);
  // Returns false if v was absent.
  bool Erase(int64_t v);
  size_t MemoryUsage() const { return data_.capacity(); }

 private:
  // Position of v, or where it would be inserted; true if found.
  bool Search(int64_t v, size_t* pos) const;
  void Set(size_t i, int64_t v);

  uint8_t width_ = 2;
  std::vector<uint8_t> data_;  // size() * width_ bytes, native byte order
};

// Chained hash set of byte strings, keyed by a seeded XXH3 of the member.
//
// While resizing, members live in two bucket arrays and every mutation moves a
// bounded number of buckets; lookups check both. Grows at load factor 1,
// shrinks below 1/10 (Redis's dict thresholds). Scan uses reverse-binary
// cursors, so a full scan returns every member present throughout the scan at
// least once, even across resizes.
class SetMemberTable {
 public:
  SetMemberTable() = default;
  ~SetMemberTable();
  SetMemberTable(const SetMemberTable&) = delete;
  SetMemberTable& operator=(const SetMemberTable&) = delete;

  std::unique_ptr<SetMemberTable> Clone() const;

  size_t size() const { return size_; }
  // Returns false if m was already present.
  bool Insert(std::string_view m);
  // Returns false if m was absent.
  bool Erase(std::string_view m);
  bool Contains(std::string_view m) const;
  // Sizes an empty table for n members (conversion from an intset).
  void Reserve(size_t n);

  // Calls fn(member) for every member until fn returns false; returns false if
  // it stopped early. REQUIRES: no mutation during the walk.
  template <typename Fn>
  bool ForEach(Fn&& fn) const {
    for (const Buckets& b : t_) {
      for (size_t i = 0; i < b.size; i++) {
        for (const Node* n = b.slots[i]; n != nullptr; n = n->next) {
          if (!fn(n->view())) return false;
        }
      }
    }
    return true;
  }

  // A random member (bucket-then-chain sampling, as Redis's dict does).
  // `seed` drives the choice. REQUIRES: size() > 0.
  std::string_view Random(uint64_t seed) const;
  // Visits the buckets at `cursor` and returns the next cursor (0 when done).
  uint64_t Scan(uint64_t cursor, const std::function<void(std::string_view)>& fn) const;

  // Bytes held: bucket arrays and member nodes.
  size_t MemoryUsage() const;

 private:
  struct Node {
    Node* next;
    size_t len;
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    std::string_view view() const { return {data(), len}; }
  };
  struct Buckets {
    Node** slots = nullptr;
    size_t size = 0;  // a power of two, or 0
    size_t mask() const { return size - 1; }
  };

  bool rehashing() const { return rehash_idx_ >= 0; }
  const Node* Find(std::string_view m, uint64_t h) const;
  void StartResize(size_t new_size);
  void RehashStep();
  void MaybeGrow();
  void MaybeShrink();

  Buckets t_[2];
  long rehash_idx_ = -1;  // next bucket of t_[0] to move; -1 when not resizing
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

class SetObject final : public Object {
 public:
  // An empty set in the intset encoding (what Redis creates for an integer
  // first member; a non-integer member converts it on Add).
  SetObject() = default;
  ~SetObject() override = default;

  const char* EncodingName() const override { return ht_ ? "hashtable" : "intset"; }
  size_t MemoryUsage() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t Size() const override { return ht_ ? ht_->size() : ints_.size(); }

  bool is_intset() const { return ht_ == nullptr; }

  // Adds m; returns false if it was already a member. Converts to a hashtable
  // when m is not an integer or the intset would grow past max_intset_entries.
  bool Add(std::string_view m, size_t max_intset_entries);
  // Returns false if m was not a member.
  bool Remove(std::string_view m);
  bool Contains(std::string_view m) const;

  // Calls fn(member) until it returns false: ascending numeric order for an
  // intset, table order for a hashtable. Returns false if stopped early.
  // REQUIRES: no mutation during the walk.
  template <typename Fn>
  bool ForEach(Fn&& fn) const {
    if (ht_) return ht_->ForEach(fn);
    char buf[kSetIntBufSize];
    for (size_t i = 0, n = ints_.size(); i < n; i++) {
      if (!fn(std::string_view(buf, FormatInt64(ints_.Get(i), buf)))) return false;
    }
    return true;
  }

  // A random member; `buf` (kSetIntBufSize bytes) backs the view for an
  // intset. REQUIRES: Size() > 0.
  std::string_view RandomMember(uint64_t seed, char* buf) const;
  // Removes a random member and returns it. REQUIRES: Size() > 0.
  std::string PopRandom(uint64_t seed);
  // All members, in ForEach order.
  std::vector<std::string> Members() const;

  // One SSCAN step. An intset is returned whole (cursor 0), as Redis does for
  // its compact encodings; a hashtable visits buckets from `cursor` until
  // `count` members were produced or 10*count buckets were visited.
  uint64_t Scan(uint64_t cursor, size_t count,
                const std::function<void(std::string_view)>& fn) const;

  // Switches to the hashtable encoding (no-op if already there).
  void ConvertToHashTable();

 private:
  IntSet ints_;                         // used while ht_ is null
  std::unique_ptr<SetMemberTable> ht_;  // the hashtable encoding
};

}  // namespace basalt::storage
