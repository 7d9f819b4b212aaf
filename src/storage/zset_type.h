// ZSetObject: the value of a sorted set key (ZADD, ZRANGE, ZUNIONSTORE, ...).
//
// Members are unique byte strings, each with a double score; the order is by
// score, then by member bytes (unsigned, shorter first on a common prefix),
// the order Redis uses. Two encodings, reported as Redis names them:
//   "listpack"  one flat buffer of entries in sorted order, each
//               [varint member length][member][8-byte score][back-length],
//               scanned linearly (small sets: cache friendly, ~10 bytes of
//               overhead per member). Like Redis's listpack, it cannot hold a
//               negative zero: -0 is stored as 0.
//   "skiplist"  a skiplist whose links carry spans (rank queries and rank
//               ranges in O(log n)) plus an intrusive member -> node hash
//               table that grows and shrinks incrementally and supports a
//               resize-safe reverse-binary SCAN cursor.
// A set converts listpack -> skiplist as soon as it would exceed the limits
// (zset-max-listpack-entries / zset-max-listpack-value, passed in by the
// caller); it never converts back by itself. Results built whole (ZRANGESTORE,
// ZUNIONSTORE, ...) pick their encoding from their final size (FromSorted).
//
// Ranks are 0-based and ascending unless stated otherwise.
//
// Thread-safety: none; an object belongs to one entry in one shard and is
// only touched with that shard's lock held. Iterators and string_views into
// the object are invalidated by any mutation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/object.h"

namespace basalt::storage {

// A score interval as ZRANGEBYSCORE takes it: "(1" is exclusive, "-inf"/"+inf".
struct ZScoreRange {
  double min = 0, max = 0;
  bool min_exclusive = false, max_exclusive = false;

  bool AboveMin(double s) const { return min_exclusive ? s > min : s >= min; }
  bool BelowMax(double s) const { return max_exclusive ? s < max : s <= max; }
  bool Contains(double s) const { return AboveMin(s) && BelowMax(s); }
  // True when no score can be inside (min > max, or an exclusive point).
  bool IsEmpty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a lexicographic interval: "-" (below everything), "+" (above
// everything), "[x" inclusive or "(x" exclusive.
struct ZLexBound {
  enum Kind : uint8_t { kMinusInf, kPlusInf, kInclusive, kExclusive };
  Kind kind = kMinusInf;
  std::string_view value;  // for kInclusive / kExclusive
};

struct ZLexRange {
  ZLexBound min, max;

  bool AboveMin(std::string_view m) const;
  bool BelowMax(std::string_view m) const;
  bool Contains(std::string_view m) const { return AboveMin(m) && BelowMax(m); }
  bool IsEmpty() const;
};

// A member and its score; the view points into the object (or the caller's
// storage) and follows the usual invalidation rule.
struct ZMemberScore {
  std::string_view member;
  double score;
};

class ZSetObject final : public Object {
 public:
  // The listpack limits: zset-max-listpack-entries / zset-max-listpack-value.
  struct Limits {
    size_t max_entries;
    size_t max_value;
  };

  // An empty set; in the skiplist encoding when `skiplist`, else listpack.
  explicit ZSetObject(bool skiplist = false);
  ~ZSetObject() override;
  ZSetObject(const ZSetObject&) = delete;
  ZSetObject& operator=(const ZSetObject&) = delete;

  // The encoding a new set gets for its first member (as ZADD creates it).
  static bool NeedsSkiplist(size_t entries, size_t max_member_len, const Limits& limits) {
    return entries > limits.max_entries || max_member_len > limits.max_value;
  }
  // Builds a set from members in ascending (score, member) order without
  // duplicates, in the encoding its final size calls for.
  static std::unique_ptr<ZSetObject> FromSorted(std::span<const ZMemberScore> items,
                                                const Limits& limits);

  const char* EncodingName() const override;
  size_t MemoryUsage() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t Size() const override { return size_; }
  bool is_listpack() const { return sl_ == nullptr; }

  // --- Point queries ---
  std::optional<double> Score(std::string_view member) const;
  // Rank of `member` counted from the lowest (or, with `reverse`, highest) score.
  std::optional<size_t> Rank(std::string_view member, bool reverse) const;

  // --- Updates ---
  enum AddFlag : int { kAddNX = 1, kAddXX = 2, kAddGT = 4, kAddLT = 8, kAddIncr = 16 };
  enum class AddResult {
    kAdded,      // new member
    kUpdated,    // existing member, score changed
    kUnchanged,  // existing member, same score
    kSkipped,    // NX/XX/GT/LT said no
    kNaN,        // INCR would have produced NaN; nothing changed
  };
  // ZADD semantics for one member. With kAddIncr `score` is an increment.
  // *new_score (optional) receives the member's score after the call (the
  // computed value, even where the listpack stores -0 as 0); it is left
  // alone for kSkipped. Converts to skiplist when `limits` would be exceeded.
  AddResult Add(std::string_view member, double score, int flags, const Limits& limits,
                double* new_score = nullptr);
  bool Remove(std::string_view member);
  // Removes inclusive ascending ranks [start, end]; REQUIRES start <= end < Size().
  size_t RemoveRangeByRank(size_t start, size_t end);
  size_t RemoveRangeByScore(const ZScoreRange& range);
  size_t RemoveRangeByLex(const ZLexRange& range);
  void ConvertToSkiplist();

  // --- Iteration ---
  // A position; member()/score() are valid while Valid(). Next() moves to
  // the next higher (score, member), Prev() to the next lower.
  class Iter {
   public:
    bool Valid() const { return valid_; }
    std::string_view member() const { return member_; }
    double score() const { return score_; }
    void Next();
    void Prev();

   private:
    friend class ZSetObject;
    void Load();
    const ZSetObject* z_ = nullptr;
    size_t off_ = 0;              // listpack: entry offset
    const void* node_ = nullptr;  // skiplist: node
    bool valid_ = false;
    std::string_view member_;
    double score_ = 0;
  };
  // The element at an ascending rank (invalid when rank >= Size()).
  Iter AtRank(size_t rank) const;
  // The lowest element inside the range (with `reverse`: the highest).
  Iter FirstInRange(const ZScoreRange& range, bool reverse) const;
  Iter FirstInLexRange(const ZLexRange& range, bool reverse) const;
  size_t CountInRange(const ZScoreRange& range) const;
  size_t CountInLexRange(const ZLexRange& range) const;

  // SCAN: visits some members from `cursor` and returns the next cursor (0
  // when done); at most about `count` of them (10 * count buckets). The
  // listpack encoding returns everything at once with cursor 0, as Redis
  // does. Scores come back as text formatted as Redis's ZSCAN shows them.
  uint64_t Scan(uint64_t cursor, size_t count,
                std::vector<std::pair<std::string_view, std::string>>* out) const;

  // Every member in ascending order (views into the object).
  void AppendAll(std::vector<ZMemberScore>* out) const;

  // Self-check of the internal invariants (tests).
  bool CheckInvariants() const;

  // How ZSCAN prints a score stored in the listpack encoding: integral
  // values within +/-2^62 as integers, anything else as "%.17g".
  static std::string ListpackScoreText(double score);

 private:
  struct Node;
  class Skiplist;

  // Listpack helpers (offsets into lp_).
  size_t LpFind(std::string_view member, double* score) const;
  void LpInsert(std::string_view member, double score);
  void LpErase(size_t off);
  void LpEraseBytes(size_t from, size_t to);
  size_t LpNext(size_t off) const;
  size_t LpPrev(size_t off) const;  // REQUIRES off > 0
  void LpDecode(size_t off, std::string_view* member, double* score) const;
  size_t LpFirstInRange(const ZScoreRange& range, bool reverse) const;
  size_t LpFirstInLexRange(const ZLexRange& range, bool reverse) const;
  Iter MakeLpIter(size_t off) const;
  Iter MakeSlIter(const Node* n) const;

  std::string lp_;                // listpack encoding
  std::unique_ptr<Skiplist> sl_;  // skiplist encoding when non-null
  size_t size_ = 0;
};

}  // namespace basalt::storage
