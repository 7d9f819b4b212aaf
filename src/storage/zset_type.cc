#include "storage/zset_type.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>
#include <utility>

#include "common/hash.h"
#include "common/scan_cursor.h"

namespace basalt::storage {

// ---------------------------------------------------------------------------
// Lex ranges.

bool ZLexRange::AboveMin(std::string_view m) const {
  switch (min.kind) {
    case ZLexBound::kMinusInf:
      return true;
    case ZLexBound::kPlusInf:
      return false;
    case ZLexBound::kInclusive:
      return m >= min.value;
    case ZLexBound::kExclusive:
      return m > min.value;
  }
  return false;
}

bool ZLexRange::BelowMax(std::string_view m) const {
  switch (max.kind) {
    case ZLexBound::kMinusInf:
      return false;
    case ZLexBound::kPlusInf:
      return true;
    case ZLexBound::kInclusive:
      return m <= max.value;
    case ZLexBound::kExclusive:
      return m < max.value;
  }
  return false;
}

bool ZLexRange::IsEmpty() const {
  // "-" sorts before every string and "+" after; both count as exclusive.
  auto rank = [](ZLexBound::Kind k) {
    return k == ZLexBound::kMinusInf ? 0 : k == ZLexBound::kPlusInf ? 2 : 1;
  };
  int ra = rank(min.kind), rb = rank(max.kind);
  int cmp;
  if (ra != rb) {
    cmp = ra < rb ? -1 : 1;
  } else if (ra != 1) {
    cmp = 0;
  } else {
    cmp = min.value.compare(max.value);
  }
  if (cmp > 0) return true;
  if (cmp < 0) return false;
  return min.kind != ZLexBound::kInclusive || max.kind != ZLexBound::kInclusive;
}

namespace {

// (score, member) order.
inline bool Before(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

// --- Listpack entry coding -------------------------------------------------

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 128) {
    v >>= 7;
    n++;
  }
  return n;
}

inline size_t PutVarint(char* dst, uint64_t v) {
  size_t n = 0;
  while (v >= 128) {
    dst[n++] = char((v & 127) | 128);
    v >>= 7;
  }
  dst[n++] = char(v);
  return n;
}

inline uint64_t GetVarint(const char* p, size_t* n) {
  uint64_t v = 0;
  size_t i = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = uint8_t(p[i++]);
    v |= uint64_t(b & 127) << shift;
    if (!(b & 128)) break;
  }
  *n = i;
  return v;
}

// The back-length lets iteration step backwards: the entry's length without
// it, in 7-bit groups read from the end (low group last in memory).
inline void PutBackLen(char* dst, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t g = uint8_t(v & 127);
    v >>= 7;
    dst[n - 1 - i] = char(g | (i + 1 < n ? 128 : 0));
  }
}

inline uint64_t GetBackLen(const char* end, size_t* n) {
  uint64_t v = 0;
  size_t i = 0;
  while (true) {
    uint8_t b = uint8_t(end[-1 - ptrdiff_t(i)]);
    v |= uint64_t(b & 127) << (7 * i);
    i++;
    if (!(b & 128)) break;
  }
  *n = i;
  return v;
}

// Scores in the flat encoding: an integral score below 2^53 in magnitude is
// the varint (zigzag(score) << 1) | 1, one byte for small integers (Redis's
// listpack likewise stores integral scores as integers); any other double is
// a 0 byte followed by its 8 bytes.
constexpr double kExactIntLimit = 9007199254740992.0;  // 2^53

size_t PutScore(char* dst, double score) {
  if (std::trunc(score) == score && std::fabs(score) < kExactIntLimit) {
    int64_t i = int64_t(score);
    uint64_t zz = (uint64_t(i) << 1) ^ uint64_t(i >> 63);
    return PutVarint(dst, (zz << 1) | 1);
  }
  dst[0] = 0;
  memcpy(dst + 1, &score, 8);
  return 9;
}

double GetScore(const char* p, size_t* n) {
  uint64_t v = GetVarint(p, n);
  if (v & 1) {
    uint64_t zz = v >> 1;
    return double(int64_t(zz >> 1) ^ -int64_t(zz & 1));
  }
  double score;
  memcpy(&score, p + 1, 8);
  *n = 9;
  return score;
}

// Appends one encoded entry to `out`.
void AppendLpEntry(std::string* out, std::string_view member, double score) {
  // The listpack keeps scores as text in Redis, where -0 becomes "0".
  if (score == 0) score = 0.0;
  char hdr[10];
  size_t hn = PutVarint(hdr, member.size());
  char tail[10 + 10];
  size_t sn = PutScore(tail, score);
  size_t body = hn + member.size() + sn;
  size_t bn = VarintSize(body);
  PutBackLen(tail + sn, body, bn);
  out->append(hdr, hn);
  out->append(member);
  out->append(tail, sn + bn);
}

uint64_t NextRandom() {
  thread_local uint64_t state = 0;
  if (state == 0) {
    state = uint64_t(reinterpret_cast<uintptr_t>(&state)) * 0x9E3779B97F4A7C15ull ^
            0xD1B54A32D192ED03ull;
    if (state == 0) state = 1;
  }
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;
}


std::string DoubleText(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::general, 17);
  return std::string(buf, size_t(r.ptr - buf));
}

}  // namespace

std::string ZSetObject::ListpackScoreText(double score) {
  // Redis turns a score into listpack text with an integer fast path for
  // integral values within +/-(LLONG_MAX / 2) (compared as doubles).
  const double lim = double(LLONG_MAX / 2);
  if (std::isfinite(score) && score >= -lim && score <= lim) {
    long long ll = static_cast<long long>(score);
    if (double(ll) == score) return std::to_string(ll);
  }
  return DoubleText(score);
}

// ---------------------------------------------------------------------------
// Skiplist nodes. One allocation: the header, `height` levels, then the
// member bytes.

struct ZSetObject::Node {
  struct Level {
    Node* forward;
    size_t span;  // nodes crossed by this link (see Skiplist)
  };
  double score;
  Node* backward;
  Node* hnext;  // member table chain
  size_t len;
  uint32_t height;

  Level* levels() { return reinterpret_cast<Level*>(this + 1); }
  const Level* levels() const { return reinterpret_cast<const Level*>(this + 1); }
  Node* next() const { return levels()[0].forward; }
  const char* data() const { return reinterpret_cast<const char*>(levels() + height); }
  std::string_view member() const { return std::string_view(data(), len); }

  static Node* New(uint32_t height, double score, std::string_view member) {
    size_t bytes = sizeof(Node) + height * sizeof(Level) + member.size();
    void* mem = ::operator new(bytes);
    Node* n = new (mem) Node{score, nullptr, nullptr, member.size(), height};
    for (uint32_t i = 0; i < height; i++) new (&n->levels()[i]) Level{nullptr, 0};
    if (!member.empty()) memcpy(const_cast<char*>(n->data()), member.data(), member.size());
    return n;
  }
  static void Free(Node* n) { ::operator delete(n); }
  size_t AllocSize() const { return sizeof(Node) + height * sizeof(Level) + len; }
};

// ---------------------------------------------------------------------------
// Skiplist with spans plus a member table.
//
// Span invariant: a link from node a to node b at any level has span =
// rank(b) - rank(a) (the header has rank 0); a link that ends (forward ==
// nullptr) has span = the number of nodes after a. Summing spans along a
// search path therefore gives the rank of where the search stops.
//
// The member table is an intrusive chained hash table over Node::hnext with
// power-of-two bucket arrays, resized incrementally (two arrays during a
// resize, one bucket moved per mutation) so no single command pays for a
// whole rehash.

class ZSetObject::Skiplist {
 public:
  static constexpr uint32_t kMaxLevel = 32;
  using Level = Node::Level;

  Skiplist() { header_ = Node::New(kMaxLevel, 0, {}); }
  ~Skiplist() {
    Node* x = header_->next();
    while (x != nullptr) {
      Node* n = x->next();
      Node::Free(x);
      x = n;
    }
    Node::Free(header_);
    for (auto& b : t_) free(b.slots);
  }
  Skiplist(const Skiplist&) = delete;
  Skiplist& operator=(const Skiplist&) = delete;

  size_t length() const { return length_; }
  Node* first() const { return header_->next(); }
  Node* last() const { return tail_; }

  // Appends nodes in ascending order to an empty list, in O(n).
  void Build(std::span<const ZMemberScore> items) {
    Node* last[kMaxLevel];
    size_t last_rank[kMaxLevel];
    for (uint32_t i = 0; i < kMaxLevel; i++) {
      last[i] = header_;
      last_rank[i] = 0;
    }
    Node* prev = nullptr;
    size_t r = 0;
    for (const ZMemberScore& it : items) {
      r++;
      uint32_t h = RandomLevel();
      if (h > level_) level_ = h;
      Node* x = NewNode(h, it.score, it.member);
      for (uint32_t i = 0; i < h; i++) {
        last[i]->levels()[i].forward = x;
        last[i]->levels()[i].span = r - last_rank[i];
        last[i] = x;
        last_rank[i] = r;
      }
      x->backward = prev;
      prev = x;
      TableInsert(x);
    }
    for (uint32_t i = 0; i < level_; i++) {
      last[i]->levels()[i].forward = nullptr;
      last[i]->levels()[i].span = r - last_rank[i];
    }
    tail_ = prev;
    length_ = r;
  }

  Node* Insert(double score, std::string_view member) {
    Node* x = NewNode(RandomLevel(), score, member);
    Link(x);
    TableInsert(x);
    return x;
  }

  void Delete(Node* x) {
    Node* update[kMaxLevel];
    FindUpdate(x->score, x->member(), update);
    Unlink(x, update);
    TableRemove(x);
    FreeNode(x);
  }

  // Changes a node's score, moving it only when its neighbours require.
  void UpdateScore(Node* x, double score) {
    Node* nx = x->next();
    if ((x->backward == nullptr || x->backward->score < score) &&
        (nx == nullptr || nx->score > score)) {
      x->score = score;
      return;
    }
    Node* update[kMaxLevel];
    FindUpdate(x->score, x->member(), update);
    Unlink(x, update);
    x->score = score;
    Link(x);
  }

  // 1-based rank of a node in the list.
  size_t RankOf(const Node* target) const {
    size_t rank = 0;
    const Node* x = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (true) {
        const Node* f = x->levels()[i].forward;
        if (f == nullptr || Before(target->score, target->member(), f->score, f->member())) break;
        rank += x->levels()[i].span;
        x = f;
      }
      if (x == target) return rank;
    }
    return rank;
  }

  // The node at a 1-based rank, or nullptr.
  Node* ByRank(size_t rank) const {
    if (rank == 0 || rank > length_) return nullptr;
    size_t traversed = 0;
    Node* x = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (x->levels()[i].forward != nullptr && traversed + x->levels()[i].span <= rank) {
        traversed += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
      if (traversed == rank) return x;
    }
    return nullptr;
  }

  // The last node for which before(node) holds (the header if none), and
  // its 1-based rank (0 for the header).
  template <typename Pred>
  Node* LastWhere(Pred before, size_t* rank_out) const {
    size_t rank = 0;
    Node* x = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (x->levels()[i].forward != nullptr && before(x->levels()[i].forward)) {
        rank += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
    }
    if (rank_out != nullptr) *rank_out = rank;
    return x;
  }

  Node* FirstInRange(const ZScoreRange& r, size_t* rank) const {
    if (r.IsEmpty() || length_ == 0) return nullptr;
    if (!r.AboveMin(tail_->score) || !r.BelowMax(first()->score)) return nullptr;
    Node* x = LastWhere([&](const Node* n) { return !r.AboveMin(n->score); }, rank)->next();
    if (x == nullptr || !r.BelowMax(x->score)) return nullptr;
    if (rank != nullptr) ++*rank;
    return x;
  }

  Node* LastInRange(const ZScoreRange& r, size_t* rank) const {
    if (r.IsEmpty() || length_ == 0) return nullptr;
    if (!r.AboveMin(tail_->score) || !r.BelowMax(first()->score)) return nullptr;
    Node* x = LastWhere([&](const Node* n) { return r.BelowMax(n->score); }, rank);
    if (x == header_ || !r.AboveMin(x->score)) return nullptr;
    return x;
  }

  Node* FirstInLex(const ZLexRange& r, size_t* rank) const {
    if (r.IsEmpty() || length_ == 0) return nullptr;
    if (!r.AboveMin(tail_->member()) || !r.BelowMax(first()->member())) return nullptr;
    Node* x = LastWhere([&](const Node* n) { return !r.AboveMin(n->member()); }, rank)->next();
    if (x == nullptr || !r.BelowMax(x->member())) return nullptr;
    if (rank != nullptr) ++*rank;
    return x;
  }

  Node* LastInLex(const ZLexRange& r, size_t* rank) const {
    if (r.IsEmpty() || length_ == 0) return nullptr;
    if (!r.AboveMin(tail_->member()) || !r.BelowMax(first()->member())) return nullptr;
    Node* x = LastWhere([&](const Node* n) { return r.BelowMax(n->member()); }, rank);
    if (x == header_ || !r.AboveMin(x->member())) return nullptr;
    return x;
  }

  // Removes the run of nodes that starts after the last node satisfying
  // `before` and continues while `inside` holds.
  template <typename Before, typename Inside>
  size_t DeleteRun(Before before, Inside inside) {
    Node* update[kMaxLevel];
    Node* x = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (x->levels()[i].forward != nullptr && before(x->levels()[i].forward)) {
        x = x->levels()[i].forward;
      }
      update[i] = x;
    }
    x = x->next();
    size_t removed = 0;
    while (x != nullptr && inside(x)) {
      Node* n = x->next();
      Unlink(x, update);
      TableRemove(x);
      FreeNode(x);
      removed++;
      x = n;
    }
    return removed;
  }

  // Removes 1-based ranks [start, end].
  size_t DeleteRankRange(size_t start, size_t end) {
    Node* update[kMaxLevel];
    Node* x = header_;
    size_t traversed = 0;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (x->levels()[i].forward != nullptr && traversed + x->levels()[i].span < start) {
        traversed += x->levels()[i].span;
        x = x->levels()[i].forward;
      }
      update[i] = x;
    }
    traversed++;
    x = x->next();
    size_t removed = 0;
    while (x != nullptr && traversed <= end) {
      Node* n = x->next();
      Unlink(x, update);
      TableRemove(x);
      FreeNode(x);
      removed++;
      traversed++;
      x = n;
    }
    return removed;
  }

  // --- Member table ---
  Node* Find(std::string_view member) const {
    if (table_size_ == 0) return nullptr;
    uint64_t h = HashKey(member);
    for (int t = 0; t < 2; t++) {
      const Buckets& b = t_[t];
      if (b.size == 0) continue;
      for (Node* n = b.slots[h & (b.size - 1)]; n != nullptr; n = n->hnext) {
        if (n->len == member.size() && memcmp(n->data(), member.data(), member.size()) == 0) {
          return n;
        }
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  template <typename Fn>
  uint64_t ScanTable(uint64_t cursor, Fn fn) const {
    if (table_size_ == 0) return 0;
    auto visit = [&](const Buckets& b, uint64_t idx) {
      for (Node* n = b.slots[idx & (b.size - 1)]; n != nullptr; n = n->hnext) fn(n);
    };
    if (!rehashing()) {
      visit(t_[0], cursor);
      return NextScanCursor(cursor, t_[0].size - 1);
    }
    // The small array's bucket, then every bucket of the large one that
    // expands from it.
    const Buckets* small = &t_[0];
    const Buckets* large = &t_[1];
    if (small->size > large->size) std::swap(small, large);
    uint64_t m0 = small->size - 1, m1 = large->size - 1;
    visit(*small, cursor);
    do {
      visit(*large, cursor);
      cursor = NextScanCursor(cursor, m1);
    } while (cursor & (m0 ^ m1));
    return cursor;
  }

  size_t MemoryUsage() const {
    return sizeof(*this) + header_->AllocSize() + node_bytes_ +
           (t_[0].size + t_[1].size) * sizeof(Node*);
  }

  bool Check() const {
    // Level 0 order, backward links and length.
    size_t n = 0;
    const Node* prev = nullptr;
    for (const Node* x = first(); x != nullptr; x = x->next()) {
      if (x->backward != prev) return false;
      if (prev != nullptr && !Before(prev->score, prev->member(), x->score, x->member())) {
        return false;
      }
      if (Find(x->member()) != x) return false;
      prev = x;
      n++;
    }
    if (n != length_ || tail_ != prev || table_size_ != length_) return false;
    // Spans: walk each level and compare with level-0 ranks.
    std::unordered_map<const Node*, size_t> ranks;
    size_t r = 0;
    for (const Node* x = first(); x != nullptr; x = x->next()) ranks[x] = ++r;
    for (uint32_t i = 0; i < level_; i++) {
      size_t rank = 0;
      const Node* x = header_;
      while (true) {
        const Node* f = x->levels()[i].forward;
        size_t span = x->levels()[i].span;
        if (f == nullptr) {
          if (span != length_ - rank) return false;
          break;
        }
        size_t fr = ranks[f];
        if (span != fr - rank) return false;
        rank = fr;
        x = f;
      }
    }
    for (uint32_t i = level_; i < kMaxLevel; i++) {
      if (header_->levels()[i].forward != nullptr) return false;
    }
    return true;
  }

 private:
  struct Buckets {
    Node** slots = nullptr;
    size_t size = 0;  // power of two, or 0
  };
  static constexpr size_t kMinBuckets = 4;

  static uint32_t RandomLevel() {
    // p = 1/4 per extra level, as in Pugh's paper's recommendation for speed.
    uint32_t level = 1;
    uint64_t r = NextRandom();
    while ((r & 3) == 0 && level < kMaxLevel) {
      level++;
      r >>= 2;
      if (r == 0) r = NextRandom();
    }
    return level;
  }

  // update[i] = the last node at level i before (score, member).
  void FindUpdate(double score, std::string_view member, Node** update) const {
    Node* x = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      while (true) {
        Node* f = x->levels()[i].forward;
        if (f == nullptr || !Before(f->score, f->member(), score, member)) break;
        x = f;
      }
      update[i] = x;
    }
  }

  // Splices a detached node in at its (score, member) position.
  void Link(Node* x) {
    Node* update[kMaxLevel];
    size_t rank[kMaxLevel];
    Node* p = header_;
    for (int i = int(level_) - 1; i >= 0; i--) {
      rank[i] = i == int(level_) - 1 ? 0 : rank[i + 1];
      while (true) {
        Node* f = p->levels()[i].forward;
        if (f == nullptr || !Before(f->score, f->member(), x->score, x->member())) break;
        rank[i] += p->levels()[i].span;
        p = f;
      }
      update[i] = p;
    }
    uint32_t h = x->height;
    if (h > level_) {
      for (uint32_t i = level_; i < h; i++) {
        rank[i] = 0;
        update[i] = header_;
        header_->levels()[i].span = length_;
      }
      level_ = h;
    }
    for (uint32_t i = 0; i < h; i++) {
      Level& ul = update[i]->levels()[i];
      x->levels()[i].forward = ul.forward;
      ul.forward = x;
      x->levels()[i].span = ul.span - (rank[0] - rank[i]);
      ul.span = (rank[0] - rank[i]) + 1;
    }
    for (uint32_t i = h; i < level_; i++) update[i]->levels()[i].span++;
    x->backward = update[0] == header_ ? nullptr : update[0];
    if (x->next() != nullptr) {
      x->next()->backward = x;
    } else {
      tail_ = x;
    }
    length_++;
  }

  void Unlink(Node* x, Node** update) {
    for (uint32_t i = 0; i < level_; i++) {
      Level& ul = update[i]->levels()[i];
      if (ul.forward == x) {
        ul.span += x->levels()[i].span - 1;
        ul.forward = x->levels()[i].forward;
      } else {
        ul.span--;
      }
    }
    if (x->next() != nullptr) {
      x->next()->backward = x->backward;
    } else {
      tail_ = x->backward;
    }
    while (level_ > 1 && header_->levels()[level_ - 1].forward == nullptr) level_--;
    length_--;
  }

  Node* NewNode(uint32_t height, double score, std::string_view member) {
    Node* x = Node::New(height, score, member);
    node_bytes_ += x->AllocSize();
    return x;
  }
  void FreeNode(Node* x) {
    node_bytes_ -= x->AllocSize();
    Node::Free(x);
  }

  bool rehashing() const { return rehash_idx_ >= 0; }

  void TableInsert(Node* n) {
    if (t_[0].size == 0) {
      t_[0].slots = static_cast<Node**>(calloc(kMinBuckets, sizeof(Node*)));
      if (t_[0].slots == nullptr) throw std::bad_alloc();
      t_[0].size = kMinBuckets;
    } else if (!rehashing() && table_size_ >= t_[0].size) {
      StartResize(t_[0].size * 2);
    }
    if (rehashing()) RehashStep();
    Buckets& b = rehashing() ? t_[1] : t_[0];
    Node** slot = &b.slots[HashKey(n->member()) & (b.size - 1)];
    n->hnext = *slot;
    *slot = n;
    table_size_++;
  }

  void TableRemove(Node* n) {
    uint64_t h = HashKey(n->member());
    for (auto& b : t_) {
      if (b.size == 0) continue;
      Node** link = &b.slots[h & (b.size - 1)];
      while (*link != nullptr && *link != n) link = &(*link)->hnext;
      if (*link == n) {
        *link = n->hnext;
        n->hnext = nullptr;
        table_size_--;
        break;
      }
    }
    if (rehashing()) {
      RehashStep();
    } else if (t_[0].size > kMinBuckets && table_size_ * 8 < t_[0].size) {
      size_t target = kMinBuckets;
      while (target < table_size_) target *= 2;
      StartResize(target);
    }
  }

  void StartResize(size_t size) {
    t_[1].slots = static_cast<Node**>(calloc(size, sizeof(Node*)));
    if (t_[1].slots == nullptr) throw std::bad_alloc();
    t_[1].size = size;
    rehash_idx_ = 0;
  }

  // Moves one bucket (skipping at most a few empty ones).
  void RehashStep() {
    int empty = 10;
    while (size_t(rehash_idx_) < t_[0].size && t_[0].slots[rehash_idx_] == nullptr) {
      rehash_idx_++;
      if (--empty == 0) break;
    }
    if (size_t(rehash_idx_) < t_[0].size && t_[0].slots[rehash_idx_] != nullptr) {
      Node* n = t_[0].slots[rehash_idx_];
      while (n != nullptr) {
        Node* next = n->hnext;
        Node** slot = &t_[1].slots[HashKey(n->member()) & (t_[1].size - 1)];
        n->hnext = *slot;
        *slot = n;
        n = next;
      }
      t_[0].slots[rehash_idx_] = nullptr;
      rehash_idx_++;
    }
    if (size_t(rehash_idx_) >= t_[0].size) {
      free(t_[0].slots);
      t_[0] = t_[1];
      t_[1] = Buckets{};
      rehash_idx_ = -1;
    }
  }

  Node* header_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  uint32_t level_ = 1;
  Buckets t_[2];
  long rehash_idx_ = -1;
  size_t table_size_ = 0;
  size_t node_bytes_ = 0;
};

// ---------------------------------------------------------------------------
// ZSetObject.

ZSetObject::ZSetObject(bool skiplist) {
  if (skiplist) sl_ = std::make_unique<Skiplist>();
}

ZSetObject::~ZSetObject() = default;

std::unique_ptr<ZSetObject> ZSetObject::FromSorted(std::span<const ZMemberScore> items,
                                                   const Limits& limits) {
  size_t maxlen = 0;
  for (const ZMemberScore& it : items) maxlen = std::max(maxlen, it.member.size());
  bool skiplist = NeedsSkiplist(items.size(), maxlen, limits);
  auto z = std::make_unique<ZSetObject>(skiplist);
  if (skiplist) {
    z->sl_->Build(items);
  } else {
    for (const ZMemberScore& it : items) AppendLpEntry(&z->lp_, it.member, it.score);
    TrimCapacity(&z->lp_);
  }
  z->size_ = items.size();
  return z;
}

const char* ZSetObject::EncodingName() const { return sl_ ? "skiplist" : "listpack"; }

size_t ZSetObject::MemoryUsage() const {
  return sizeof(*this) + (sl_ ? sl_->MemoryUsage() : lp_.capacity());
}

std::unique_ptr<Object> ZSetObject::Clone() const {
  auto z = std::make_unique<ZSetObject>(sl_ != nullptr);
  if (sl_) {
    std::vector<ZMemberScore> all;
    AppendAll(&all);
    z->sl_->Build(all);
  } else {
    z->lp_ = lp_;
  }
  z->size_ = size_;
  return z;
}

// --- Listpack internals ---

void ZSetObject::LpDecode(size_t off, std::string_view* member, double* score) const {
  size_t hn;
  uint64_t len = GetVarint(lp_.data() + off, &hn);
  *member = std::string_view(lp_.data() + off + hn, size_t(len));
  size_t sn;
  *score = GetScore(lp_.data() + off + hn + len, &sn);
}

size_t ZSetObject::LpNext(size_t off) const {
  size_t hn;
  uint64_t len = GetVarint(lp_.data() + off, &hn);
  size_t sn;
  GetScore(lp_.data() + off + hn + len, &sn);
  size_t body = hn + size_t(len) + sn;
  return off + body + VarintSize(body);
}

size_t ZSetObject::LpPrev(size_t off) const {
  size_t bn;
  uint64_t body = GetBackLen(lp_.data() + off, &bn);
  return off - bn - size_t(body);
}

size_t ZSetObject::LpFind(std::string_view member, double* score) const {
  for (size_t off = 0; off < lp_.size(); off = LpNext(off)) {
    std::string_view m;
    double s;
    LpDecode(off, &m, &s);
    if (m == member) {
      if (score != nullptr) *score = s;
      return off;
    }
  }
  return std::string::npos;
}

void ZSetObject::LpInsert(std::string_view member, double score) {
  if (score == 0) score = 0.0;
  size_t off = 0;
  for (; off < lp_.size(); off = LpNext(off)) {
    std::string_view m;
    double s;
    LpDecode(off, &m, &s);
    if (Before(score, member, s, m)) break;
  }
  std::string entry;
  AppendLpEntry(&entry, member, score);
  lp_.insert(off, entry);
  TrimCapacity(&lp_);
  size_++;
}

void ZSetObject::LpErase(size_t off) {
  LpEraseBytes(off, LpNext(off));
  size_--;
}

void ZSetObject::LpEraseBytes(size_t from, size_t to) {
  lp_.erase(from, to - from);
  // Give memory back after big removals, as a listpack realloc would.
  if (lp_.capacity() > 2 * lp_.size() + 256) lp_.shrink_to_fit();
}

size_t ZSetObject::LpFirstInRange(const ZScoreRange& r, bool reverse) const {
  if (r.IsEmpty() || lp_.empty()) return std::string::npos;
  std::string_view m;
  double s;
  if (!reverse) {
    for (size_t off = 0; off < lp_.size(); off = LpNext(off)) {
      LpDecode(off, &m, &s);
      if (r.AboveMin(s)) return r.BelowMax(s) ? off : std::string::npos;
    }
  } else {
    size_t off = LpPrev(lp_.size());
    while (true) {
      LpDecode(off, &m, &s);
      if (r.BelowMax(s)) return r.AboveMin(s) ? off : std::string::npos;
      if (off == 0) break;
      off = LpPrev(off);
    }
  }
  return std::string::npos;
}

size_t ZSetObject::LpFirstInLexRange(const ZLexRange& r, bool reverse) const {
  if (r.IsEmpty() || lp_.empty()) return std::string::npos;
  std::string_view m;
  double s;
  // As Redis does, a range is empty unless the last member is above its min
  // and the first below its max. That matters only when the scores differ, so
  // the members are not in lexicographic order (where Redis leaves the result
  // undefined, but answers this way for a small set).
  LpDecode(LpPrev(lp_.size()), &m, &s);
  if (!r.AboveMin(m)) return std::string::npos;
  LpDecode(0, &m, &s);
  if (!r.BelowMax(m)) return std::string::npos;
  if (!reverse) {
    for (size_t off = 0; off < lp_.size(); off = LpNext(off)) {
      LpDecode(off, &m, &s);
      if (r.AboveMin(m)) return r.BelowMax(m) ? off : std::string::npos;
    }
  } else {
    size_t off = LpPrev(lp_.size());
    while (true) {
      LpDecode(off, &m, &s);
      if (r.BelowMax(m)) return r.AboveMin(m) ? off : std::string::npos;
      if (off == 0) break;
      off = LpPrev(off);
    }
  }
  return std::string::npos;
}

// --- Point queries ---

std::optional<double> ZSetObject::Score(std::string_view member) const {
  if (sl_) {
    const Node* n = sl_->Find(member);
    if (n == nullptr) return std::nullopt;
    return n->score;
  }
  double s;
  if (LpFind(member, &s) == std::string::npos) return std::nullopt;
  return s;
}

std::optional<size_t> ZSetObject::Rank(std::string_view member, bool reverse) const {
  size_t rank = 0;
  if (sl_) {
    const Node* n = sl_->Find(member);
    if (n == nullptr) return std::nullopt;
    rank = sl_->RankOf(n) - 1;
  } else {
    bool found = false;
    for (size_t off = 0; off < lp_.size(); off = LpNext(off), rank++) {
      std::string_view m;
      double s;
      LpDecode(off, &m, &s);
      if (m == member) {
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return reverse ? size_ - 1 - rank : rank;
}

// --- Updates ---

ZSetObject::AddResult ZSetObject::Add(std::string_view member, double score, int flags,
                                      const Limits& limits, double* new_score) {
  const bool incr = flags & kAddIncr;
  double cur;
  Node* node = nullptr;
  size_t off = std::string::npos;
  bool exists;
  if (sl_) {
    node = sl_->Find(member);
    exists = node != nullptr;
    if (exists) cur = node->score;
  } else {
    off = LpFind(member, &cur);
    exists = off != std::string::npos;
  }
  if (exists) {
    if (flags & kAddNX) return AddResult::kSkipped;
    double ns = incr ? cur + score : score;
    if (std::isnan(ns)) return AddResult::kNaN;
    if (((flags & kAddLT) && ns >= cur) || ((flags & kAddGT) && ns <= cur)) {
      return AddResult::kSkipped;
    }
    if (new_score != nullptr) *new_score = ns;
    if (ns == cur) return AddResult::kUnchanged;
    if (sl_) {
      sl_->UpdateScore(node, ns);
    } else {
      LpErase(off);
      LpInsert(member, ns);
    }
    return AddResult::kUpdated;
  }
  if (flags & kAddXX) return AddResult::kSkipped;
  if (new_score != nullptr) *new_score = score;
  if (!sl_ && NeedsSkiplist(size_ + 1, member.size(), limits)) ConvertToSkiplist();
  if (sl_) {
    sl_->Insert(score, member);
    size_++;
  } else {
    LpInsert(member, score);
  }
  return AddResult::kAdded;
}

bool ZSetObject::Remove(std::string_view member) {
  if (sl_) {
    Node* n = sl_->Find(member);
    if (n == nullptr) return false;
    sl_->Delete(n);
    size_--;
    return true;
  }
  size_t off = LpFind(member, nullptr);
  if (off == std::string::npos) return false;
  LpErase(off);
  return true;
}

size_t ZSetObject::RemoveRangeByRank(size_t start, size_t end) {
  if (start > end || start >= size_) return 0;
  if (end >= size_) end = size_ - 1;
  size_t removed;
  if (sl_) {
    removed = sl_->DeleteRankRange(start + 1, end + 1);
  } else {
    size_t off = 0;
    for (size_t i = 0; i < start; i++) off = LpNext(off);
    size_t stop = off;
    for (size_t i = start; i <= end; i++) stop = LpNext(stop);
    LpEraseBytes(off, stop);
    removed = end - start + 1;
  }
  size_ -= removed;
  return removed;
}

size_t ZSetObject::RemoveRangeByScore(const ZScoreRange& r) {
  if (r.IsEmpty()) return 0;
  size_t removed = 0;
  if (sl_) {
    removed = sl_->DeleteRun([&](const Node* n) { return !r.AboveMin(n->score); },
                             [&](const Node* n) { return r.BelowMax(n->score); });
  } else {
    size_t off = LpFirstInRange(r, false);
    if (off == std::string::npos) return 0;
    size_t stop = off;
    while (stop < lp_.size()) {
      std::string_view m;
      double s;
      LpDecode(stop, &m, &s);
      if (!r.BelowMax(s)) break;
      stop = LpNext(stop);
      removed++;
    }
    LpEraseBytes(off, stop);
  }
  size_ -= removed;
  return removed;
}

size_t ZSetObject::RemoveRangeByLex(const ZLexRange& r) {
  if (r.IsEmpty()) return 0;
  size_t removed = 0;
  if (sl_) {
    removed = sl_->DeleteRun([&](const Node* n) { return !r.AboveMin(n->member()); },
                             [&](const Node* n) { return r.BelowMax(n->member()); });
  } else {
    size_t off = LpFirstInLexRange(r, false);
    if (off == std::string::npos) return 0;
    size_t stop = off;
    while (stop < lp_.size()) {
      std::string_view m;
      double s;
      LpDecode(stop, &m, &s);
      if (!r.BelowMax(m)) break;
      stop = LpNext(stop);
      removed++;
    }
    LpEraseBytes(off, stop);
  }
  size_ -= removed;
  return removed;
}

void ZSetObject::ConvertToSkiplist() {
  if (sl_) return;
  std::vector<ZMemberScore> all;
  AppendAll(&all);
  auto sl = std::make_unique<Skiplist>();
  sl->Build(all);
  sl_ = std::move(sl);
  std::string().swap(lp_);
}

// --- Iteration ---

void ZSetObject::Iter::Load() {
  if (z_->sl_) {
    valid_ = node_ != nullptr;
    if (valid_) {
      const Node* n = static_cast<const Node*>(node_);
      member_ = n->member();
      score_ = n->score;
    }
  } else {
    valid_ = off_ < z_->lp_.size();
    if (valid_) z_->LpDecode(off_, &member_, &score_);
  }
}

void ZSetObject::Iter::Next() {
  if (!valid_) return;
  if (z_->sl_) {
    node_ = static_cast<const Node*>(node_)->next();
  } else {
    off_ = z_->LpNext(off_);
  }
  Load();
}

void ZSetObject::Iter::Prev() {
  if (!valid_) return;
  if (z_->sl_) {
    node_ = static_cast<const Node*>(node_)->backward;
  } else if (off_ == 0) {
    valid_ = false;
    return;
  } else {
    off_ = z_->LpPrev(off_);
  }
  Load();
}

ZSetObject::Iter ZSetObject::MakeLpIter(size_t off) const {
  Iter it;
  it.z_ = this;
  it.off_ = off == std::string::npos ? lp_.size() : off;
  it.Load();
  return it;
}

ZSetObject::Iter ZSetObject::MakeSlIter(const Node* n) const {
  Iter it;
  it.z_ = this;
  it.node_ = n;
  it.Load();
  return it;
}

ZSetObject::Iter ZSetObject::AtRank(size_t rank) const {
  if (rank >= size_) return sl_ ? MakeSlIter(nullptr) : MakeLpIter(std::string::npos);
  if (sl_) return MakeSlIter(sl_->ByRank(rank + 1));
  size_t off;
  if (rank > size_ / 2) {
    off = LpPrev(lp_.size());
    for (size_t i = size_ - 1; i > rank; i--) off = LpPrev(off);
  } else {
    off = 0;
    for (size_t i = 0; i < rank; i++) off = LpNext(off);
  }
  return MakeLpIter(off);
}

ZSetObject::Iter ZSetObject::FirstInRange(const ZScoreRange& r, bool reverse) const {
  if (sl_) {
    return MakeSlIter(reverse ? sl_->LastInRange(r, nullptr) : sl_->FirstInRange(r, nullptr));
  }
  return MakeLpIter(LpFirstInRange(r, reverse));
}

ZSetObject::Iter ZSetObject::FirstInLexRange(const ZLexRange& r, bool reverse) const {
  if (sl_) {
    return MakeSlIter(reverse ? sl_->LastInLex(r, nullptr) : sl_->FirstInLex(r, nullptr));
  }
  return MakeLpIter(LpFirstInLexRange(r, reverse));
}

size_t ZSetObject::CountInRange(const ZScoreRange& r) const {
  if (sl_) {
    size_t r1 = 0, r2 = 0;
    if (sl_->FirstInRange(r, &r1) == nullptr) return 0;
    sl_->LastInRange(r, &r2);
    return r2 - r1 + 1;
  }
  size_t n = 0;
  for (Iter it = FirstInRange(r, false); it.Valid() && r.BelowMax(it.score()); it.Next()) n++;
  return n;
}

size_t ZSetObject::CountInLexRange(const ZLexRange& r) const {
  if (sl_) {
    size_t r1 = 0, r2 = 0;
    if (sl_->FirstInLex(r, &r1) == nullptr) return 0;
    sl_->LastInLex(r, &r2);
    return r2 - r1 + 1;
  }
  size_t n = 0;
  for (Iter it = FirstInLexRange(r, false); it.Valid() && r.BelowMax(it.member()); it.Next()) {
    n++;
  }
  return n;
}

uint64_t ZSetObject::Scan(uint64_t cursor, size_t count,
                          std::vector<std::pair<std::string_view, std::string>>* out) const {
  if (!sl_) {
    for (Iter it = MakeLpIter(0); it.Valid(); it.Next()) {
      out->emplace_back(it.member(), ListpackScoreText(it.score()));
    }
    return 0;
  }
  size_t budget = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  size_t start = out->size();
  do {
    cursor = sl_->ScanTable(
        cursor, [&](const Node* n) { out->emplace_back(n->member(), DoubleText(n->score)); });
  } while (cursor != 0 && budget-- > 0 && out->size() - start < count);
  return cursor;
}

void ZSetObject::AppendAll(std::vector<ZMemberScore>* out) const {
  out->reserve(out->size() + size_);
  if (sl_) {
    for (const Node* x = sl_->first(); x != nullptr; x = x->next()) {
      out->push_back({x->member(), x->score});
    }
    return;
  }
  for (size_t off = 0; off < lp_.size(); off = LpNext(off)) {
    ZMemberScore ms;
    LpDecode(off, &ms.member, &ms.score);
    out->push_back(ms);
  }
}

bool ZSetObject::CheckInvariants() const {
  if (sl_) return lp_.empty() && sl_->length() == size_ && sl_->Check();
  size_t n = 0;
  std::string_view pm;
  double ps = 0;
  size_t off = 0;
  for (; off < lp_.size(); off = LpNext(off)) {
    std::string_view m;
    double s;
    LpDecode(off, &m, &s);
    if (n > 0 && !Before(ps, pm, s, m)) return false;
    if (s == 0 && std::signbit(s)) return false;
    size_t next = LpNext(off);
    if (next > lp_.size() || (next < lp_.size() && LpPrev(next) != off)) return false;
    pm = m;
    ps = s;
    n++;
  }
  return off == lp_.size() && n == size_;
}

}  // namespace basalt::storage
