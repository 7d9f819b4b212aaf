#include "storage/hash_type.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_set>
#include <vector>

#include "common/hash.h"
#include "common/scan_cursor.h"

namespace basalt::storage {
namespace {

// --- Pair records -----------------------------------------------------------
// A record is: varint field length, field bytes, varint value length, value
// bytes. Varints are LEB128 (7 bits per byte, low groups first), so lengths
// under 128 cost one byte. Both encodings store pairs this way.

size_t VarintLen(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

char* PutVarint(char* p, size_t v) {
  while (v >= 0x80) {
    *p++ = char((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = char(v);
  return p;
}

const char* GetVarint(const char* p, size_t* v) {
  size_t r = 0;
  int shift = 0;
  for (;;) {
    uint8_t b = uint8_t(*p++);
    r |= size_t(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  *v = r;
  return p;
}

size_t PairBytes(std::string_view f, std::string_view v) {
  return VarintLen(f.size()) + f.size() + VarintLen(v.size()) + v.size();
}

char* WritePair(char* p, std::string_view f, std::string_view v) {
  p = PutVarint(p, f.size());
  memcpy(p, f.data(), f.size());
  p += f.size();
  p = PutVarint(p, v.size());
  memcpy(p, v.data(), v.size());
  return p + v.size();
}

// Reads the record at p; returns the first byte after it.
const char* ReadPair(const char* p, std::string_view* f, std::string_view* v) {
  size_t n;
  p = GetVarint(p, &n);
  *f = std::string_view(p, n);
  p += n;
  p = GetVarint(p, &n);
  *v = std::string_view(p, n);
  return p + n;
}

const char* ReadField(const char* p, std::string_view* f) {
  size_t n;
  p = GetVarint(p, &n);
  *f = std::string_view(p, n);
  return p + n;
}

// A small private generator (splitmix64): HRANDFIELD needs speed and a
// reproducible stream per seed, not cryptographic quality.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0. The modulo bias is negligible for the
  // sizes involved (n is far below 2^64).
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_;
};


size_t NextPow2(size_t n) {
  size_t p = 4;
  while (p < n && p < (SIZE_MAX >> 1)) p <<= 1;
  return p;
}

constexpr size_t kMinBuckets = 4;

}  // namespace

// --- FieldTable ---------------------------------------------------------------

// A node: chain link, low 32 bits of the field's hash (enough to pick a bucket
// in any table that fits in memory, and to skip most mismatches without
// comparing bytes), then one pair record.
struct FieldTable::Node {
  Node* next;
  uint32_t hash;
  uint32_t spare;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view field() const {
    std::string_view f;
    ReadField(data(), &f);
    return f;
  }
  void Pair(std::string_view* f, std::string_view* v) const { ReadPair(data(), f, v); }
};

namespace {

uint32_t FieldHash(std::string_view f) { return uint32_t(HashKey(f)); }

}  // namespace

FieldTable::~FieldTable() {
  for (Buckets& b : t_) {
    for (size_t i = 0; i < b.size; i++) {
      Node* n = b.slots[i];
      while (n != nullptr) {
        Node* next = n->next;
        ::operator delete(n);
        n = next;
      }
    }
    delete[] b.slots;
  }
}

void FieldTable::Reserve(size_t n) {
  if (size_ != 0 || t_[0].size != 0) return;
  StartResize(NextPow2(n));
}

FieldTable::Node** FieldTable::FindLink(std::string_view field, uint32_t hash) const {
  for (int t = 0; t < 2; t++) {
    const Buckets& b = t_[t];
    if (b.size == 0) continue;
    Node** link = &b.slots[hash & b.mask()];
    while (*link != nullptr) {
      Node* n = *link;
      if (n->hash == hash && n->field() == field) return link;
      link = &n->next;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

std::optional<std::string_view> FieldTable::Get(std::string_view field) const {
  Node** link = FindLink(field, FieldHash(field));
  if (link == nullptr) return std::nullopt;
  std::string_view f, v;
  (*link)->Pair(&f, &v);
  return v;
}

bool FieldTable::Set(std::string_view field, std::string_view value) {
  if (rehashing()) RehashSteps(2);
  uint32_t hash = FieldHash(field);
  Node** link = FindLink(field, hash);
  if (link != nullptr) {
    Node* old = *link;
    std::string_view f, v;
    old->Pair(&f, &v);
    if (VarintLen(v.size()) + v.size() == VarintLen(value.size()) + value.size()) {
      // Same record size: overwrite the value in place.
      char* p = const_cast<char*>(v.data()) - VarintLen(v.size());
      p = PutVarint(p, value.size());
      memcpy(p, value.data(), value.size());
      return false;
    }
    size_t bytes = sizeof(Node) + PairBytes(field, value);
    Node* n = static_cast<Node*>(::operator new(bytes));
    n->next = old->next;
    n->hash = hash;
    n->spare = 0;
    WritePair(n->data(), field, value);
    node_bytes_ += bytes;
    node_bytes_ -= sizeof(Node) + PairBytes(f, v);
    *link = n;
    ::operator delete(old);
    return false;
  }
  MaybeGrow();
  Buckets& b = rehashing() ? t_[1] : t_[0];
  size_t bytes = sizeof(Node) + PairBytes(field, value);
  Node* n = static_cast<Node*>(::operator new(bytes));
  n->hash = hash;
  n->spare = 0;
  WritePair(n->data(), field, value);
  Node** head = &b.slots[hash & b.mask()];
  n->next = *head;
  *head = n;
  node_bytes_ += bytes;
  size_++;
  return true;
}

bool FieldTable::Delete(std::string_view field) {
  if (rehashing()) RehashSteps(2);
  Node** link = FindLink(field, FieldHash(field));
  if (link == nullptr) return false;
  Node* n = *link;
  *link = n->next;
  std::string_view f, v;
  n->Pair(&f, &v);
  node_bytes_ -= sizeof(Node) + PairBytes(f, v);
  ::operator delete(n);
  size_--;
  MaybeShrink();
  return true;
}

void FieldTable::MaybeGrow() {
  if (t_[0].size == 0) {
    StartResize(kMinBuckets);
    return;
  }
  // While a resize runs the table may exceed load 1 for a while; each
  // mutation moves two buckets, so the resize ends long before it matters.
  if (!rehashing() && size_ >= t_[0].size) StartResize(t_[0].size * 2);
}

void FieldTable::MaybeShrink() {
  if (rehashing() || t_[0].size <= kMinBuckets || size_ * 8 >= t_[0].size) return;
  StartResize(NextPow2(size_ * 2));
}

void FieldTable::StartResize(size_t new_size) {
  Node** slots = new Node*[new_size]();
  if (t_[0].size == 0) {
    delete[] t_[0].slots;
    t_[0].slots = slots;
    t_[0].size = new_size;
    return;
  }
  t_[1].slots = slots;
  t_[1].size = new_size;
  rehash_idx_ = 0;
}

bool FieldTable::RehashSteps(int n) {
  if (!rehashing()) return false;
  int empty_visits = n * 10;
  Buckets& from = t_[0];
  Buckets& to = t_[1];
  while (n > 0 && rehash_idx_ < from.size) {
    Node* node = from.slots[rehash_idx_];
    if (node == nullptr) {
      rehash_idx_++;
      if (--empty_visits == 0) break;
      continue;
    }
    while (node != nullptr) {
      Node* next = node->next;
      Node** head = &to.slots[node->hash & to.mask()];
      node->next = *head;
      *head = node;
      node = next;
    }
    from.slots[rehash_idx_++] = nullptr;
    n--;
  }
  FinishIfDone();
  return rehashing();
}

void FieldTable::FinishIfDone() {
  if (!rehashing() || rehash_idx_ < t_[0].size) return;
  delete[] t_[0].slots;
  t_[0] = t_[1];
  t_[1] = Buckets{};
  rehash_idx_ = kNotRehashing;
  chain_bound_ = kInitialChainBound;
}

void FieldTable::ForEach(PairVisitor fn) const {
  for (const Buckets& b : t_) {
    for (size_t i = 0; i < b.size; i++) {
      for (const Node* n = b.slots[i]; n != nullptr; n = n->next) {
        std::string_view f, v;
        n->Pair(&f, &v);
        fn(f, v);
      }
    }
  }
}

uint64_t FieldTable::Scan(uint64_t cursor, PairVisitor fn) const {
  if (size_ == 0 || t_[0].size == 0) return 0;
  auto visit = [&fn](const Node* n) {
    for (; n != nullptr; n = n->next) {
      std::string_view f, v;
      n->Pair(&f, &v);
      fn(f, v);
    }
  };
  if (!rehashing()) {
    uint64_t m0 = t_[0].mask();
    visit(t_[0].slots[cursor & m0]);
    return NextScanCursor(cursor, m0);
  }
  // During a resize, visit the bucket of the smaller array, then every
  // bucket of the larger one that it expands to (they share the low bits).
  const Buckets* small = &t_[0];
  const Buckets* big = &t_[1];
  if (small->size > big->size) std::swap(small, big);
  uint64_t m0 = small->mask(), m1 = big->mask();
  visit(small->slots[cursor & m0]);
  do {
    visit(big->slots[cursor & m1]);
    cursor = NextScanCursor(cursor, m1);
  } while (cursor & (m0 ^ m1));
  return cursor;
}

std::pair<std::string_view, std::string_view> FieldTable::Random(uint64_t seed) const {
  Rng rng(seed);
  // Picking a bucket and then a node in its chain would favour nodes in short
  // chains. Instead, pick a bucket and a position below a bound on chain
  // length, and retry when the position falls past the chain's end: every node
  // is then equally likely. A chain longer than the bound raises the bound
  // and restarts, so the rare long chain is not under-sampled for long.
  // Buckets of t_[0] below rehash_idx_ are empty during a resize: skip them.
  size_t skip = rehashing() ? rehash_idx_ : 0;
  size_t span = t_[0].size + t_[1].size - skip;
  for (;;) {
    size_t i = skip + rng.Below(span);
    const Node* n = i < t_[0].size ? t_[0].slots[i] : t_[1].slots[i - t_[0].size];
    if (n == nullptr) continue;
    size_t len = 0;
    for (const Node* c = n; c != nullptr; c = c->next) len++;
    if (len > chain_bound_) {
      chain_bound_ = len;
      continue;
    }
    size_t pos = rng.Below(chain_bound_);
    if (pos >= len) continue;
    while (pos-- > 0) n = n->next;
    std::string_view f, v;
    n->Pair(&f, &v);
    return {f, v};
  }
}

size_t FieldTable::MemoryUsage() const {
  return sizeof(*this) + bucket_count() * sizeof(Node*) + node_bytes_;
}

// --- HashObject ---------------------------------------------------------------

const char* HashObject::EncodingName() const { return is_listpack() ? "listpack" : "hashtable"; }

size_t HashObject::MemoryUsage() const {
  size_t n = sizeof(*this);
  if (lp_.capacity() > sizeof(std::string) - 1) n += lp_.capacity() + 1;
  if (table_) n += table_->MemoryUsage();
  return n;
}

std::unique_ptr<Object> HashObject::Clone() const {
  auto c = std::make_unique<HashObject>();
  if (is_listpack()) {
    c->lp_ = lp_;
    c->lp_count_ = lp_count_;
  } else {
    c->table_ = std::make_unique<FieldTable>();
    c->table_->Reserve(table_->size());
    FieldTable* t = c->table_.get();
    table_->ForEach([t](std::string_view f, std::string_view v) { t->Set(f, v); });
  }
  return c;
}

size_t HashObject::Size() const { return is_listpack() ? lp_count_ : table_->size(); }

// Returns the offset of the record holding `field` (npos if absent) and the
// offset of its value's length prefix in *value_pos.
size_t HashObject::ListpackFind(std::string_view field, size_t* value_pos) const {
  const char* base = lp_.data();
  const char* p = base;
  const char* end = base + lp_.size();
  while (p < end) {
    const char* rec = p;
    std::string_view f;
    p = ReadField(p, &f);
    const char* vp = p;
    size_t vlen;
    p = GetVarint(p, &vlen) + vlen;
    if (f == field) {
      *value_pos = size_t(vp - base);
      return size_t(rec - base);
    }
  }
  return std::string::npos;
}

std::optional<std::string_view> HashObject::Get(std::string_view field) const {
  if (!is_listpack()) return table_->Get(field);
  size_t vpos;
  if (ListpackFind(field, &vpos) == std::string::npos) return std::nullopt;
  size_t vlen;
  const char* p = GetVarint(lp_.data() + vpos, &vlen);
  return std::string_view(p, vlen);
}

bool HashObject::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (is_listpack() &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToTable();
  }
  if (!is_listpack()) return table_->Set(field, value);
  size_t vpos;
  if (ListpackFind(field, &vpos) != std::string::npos) {
    size_t old_len;
    const char* p = GetVarint(lp_.data() + vpos, &old_len);
    size_t old_span = size_t(p - (lp_.data() + vpos)) + old_len;
    size_t new_span = VarintLen(value.size()) + value.size();
    if (new_span != old_span) {
      lp_.replace(vpos, old_span, new_span, '\0');
      TrimCapacity(&lp_);
    }
    char* w = PutVarint(lp_.data() + vpos, value.size());
    memcpy(w, value.data(), value.size());
    return false;
  }
  size_t at = lp_.size();
  lp_.resize(at + PairBytes(field, value));
  WritePair(lp_.data() + at, field, value);
  TrimCapacity(&lp_);
  lp_count_++;
  if (lp_count_ > limits.max_listpack_entries) ConvertToTable();
  return true;
}

bool HashObject::Delete(std::string_view field) {
  if (!is_listpack()) return table_->Delete(field);
  size_t vpos;
  size_t rec = ListpackFind(field, &vpos);
  if (rec == std::string::npos) return false;
  size_t vlen;
  const char* p = GetVarint(lp_.data() + vpos, &vlen) + vlen;
  lp_.erase(rec, size_t(p - lp_.data()) - rec);
  lp_count_--;
  return true;
}

void HashObject::ForEach(PairVisitor fn) const {
  if (!is_listpack()) {
    table_->ForEach(fn);
    return;
  }
  const char* p = lp_.data();
  const char* end = p + lp_.size();
  while (p < end) {
    std::string_view f, v;
    p = ReadPair(p, &f, &v);
    fn(f, v);
  }
}

void HashObject::ConvertToTable() {
  if (!is_listpack()) return;
  auto t = std::make_unique<FieldTable>();
  t->Reserve(lp_count_);
  const char* p = lp_.data();
  const char* end = p + lp_.size();
  while (p < end) {
    std::string_view f, v;
    p = ReadPair(p, &f, &v);
    t->Set(f, v);
  }
  table_ = std::move(t);
  std::string().swap(lp_);
  lp_count_ = 0;
}

uint64_t HashObject::Scan(uint64_t cursor, size_t count, PairVisitor fn) const {
  if (is_listpack()) {
    ForEach(fn);
    return 0;
  }
  size_t items = 0;
  size_t max_iterations = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  auto collect = [&](std::string_view f, std::string_view v) {
    items += 2;
    fn(f, v);
  };
  do {
    cursor = table_->Scan(cursor, collect);
  } while (cursor != 0 && max_iterations-- > 0 && items < count);
  return cursor;
}

void HashObject::RandomPairs(uint64_t count, bool unique, uint64_t seed, PairVisitor fn) const {
  size_t size = Size();
  if (size == 0 || count == 0) return;
  Rng rng(seed);
  if (unique && count >= size) {
    ForEach(fn);
    return;
  }
  if (is_listpack()) {
    if (unique) {
      // Selection sampling: one pass, each record kept with probability
      // needed/remaining, so exactly `count` distinct pairs come out, in order.
      uint64_t needed = count;
      size_t remaining = size;
      const char* p = lp_.data();
      while (needed > 0) {
        std::string_view f, v;
        p = ReadPair(p, &f, &v);
        if (rng.Below(remaining) < needed) {
          fn(f, v);
          needed--;
        }
        remaining--;
      }
      return;
    }
    std::vector<const char*> recs;
    recs.reserve(size);
    const char* p = lp_.data();
    const char* end = p + lp_.size();
    while (p < end) {
      recs.push_back(p);
      std::string_view f, v;
      p = ReadPair(p, &f, &v);
    }
    for (uint64_t i = 0; i < count; i++) {
      std::string_view f, v;
      ReadPair(recs[rng.Below(recs.size())], &f, &v);
      fn(f, v);
    }
    return;
  }
  if (!unique) {
    for (uint64_t i = 0; i < count; i++) {
      auto [f, v] = table_->Random(rng.Next());
      fn(f, v);
    }
    return;
  }
  using Pair = std::pair<std::string_view, std::string_view>;
  if (count * 3 > size) {
    // Most of the hash is wanted: a partial shuffle of all pairs is cheaper
    // than drawing and rejecting duplicates.
    std::vector<Pair> all;
    all.reserve(size);
    ForEach([&all](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
    for (size_t i = 0; i < count; i++) {
      size_t j = i + rng.Below(all.size() - i);
      std::swap(all[i], all[j]);
      fn(all[i].first, all[i].second);
    }
    return;
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    auto [f, v] = table_->Random(rng.Next());
    if (seen.insert(f).second) fn(f, v);
  }
}

}  // namespace basalt::storage
