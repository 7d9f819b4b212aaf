#include "storage/set_type.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "common/hash.h"
#include "common/scan_cursor.h"

namespace basalt::storage {
namespace {

constexpr size_t kMinBuckets = 4;
// A rehash step may also skip this many empty buckets, bounding its work.
constexpr int kEmptyVisits = 10;

int WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t ReadAt(const uint8_t* p, int width) {
  switch (width) {
    case 2: {
      int16_t x;
      memcpy(&x, p, 2);
      return x;
    }
    case 4: {
      int32_t x;
      memcpy(&x, p, 4);
      return x;
    }
    default: {
      int64_t x;
      memcpy(&x, p, 8);
      return x;
    }
  }
}

void WriteAt(uint8_t* p, int width, int64_t v) {
  switch (width) {
    case 2: {
      int16_t x = int16_t(v);
      memcpy(p, &x, 2);
      break;
    }
    case 4: {
      int32_t x = int32_t(v);
      memcpy(p, &x, 4);
      break;
    }
    default:
      memcpy(p, &v, 8);
  }
}


// A small deterministic generator, so one caller-supplied seed can drive the
// several draws a random pick may need.
uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <typename T>
T* CallocArray(size_t n) {
  auto* p = static_cast<T*>(calloc(n, sizeof(T)));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

// ---------------------------------------------------------------- IntSet

int64_t IntSet::Get(size_t i) const { return ReadAt(data_.data() + i * width_, width_); }

void IntSet::Set(size_t i, int64_t v) { WriteAt(data_.data() + i * width_, width_, v); }

bool IntSet::Search(int64_t v, size_t* pos) const {
  size_t lo = 0, hi = size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t x = Get(mid);
    if (x < v) {
      lo = mid + 1;
    } else if (x > v) {
      hi = mid;
    } else {
      *pos = mid;
      return true;
    }
  }
  *pos = lo;
  return false;
}

bool IntSet::Contains(int64_t v) const {
  if (WidthFor(v) > width_) return false;
  size_t pos;
  return Search(v, &pos);
}

bool IntSet::Insert(int64_t v) {
  int w = WidthFor(v);
  if (w > width_) {
    // v does not fit the current width, so it is beyond every stored value:
    // it goes first (negative) or last (positive) in the widened array.
    size_t n = size();
    std::vector<uint8_t> wide((n + 1) * size_t(w));
    size_t shift = v < 0 ? 1 : 0;
    for (size_t i = 0; i < n; i++) WriteAt(wide.data() + (i + shift) * w, w, Get(i));
    WriteAt(wide.data() + (v < 0 ? 0 : n) * w, w, v);
    data_.swap(wide);
    width_ = uint8_t(w);
    return true;
  }
  size_t pos;
  if (Search(v, &pos)) return false;
  data_.insert(data_.begin() + ptrdiff_t(pos * width_), width_, uint8_t(0));
  TrimCapacity(&data_);
  Set(pos, v);
  return true;
}

bool IntSet::Erase(int64_t v) {
  if (WidthFor(v) > width_) return false;
  size_t pos;
  if (!Search(v, &pos)) return false;
  auto first = data_.begin() + ptrdiff_t(pos * width_);
  data_.erase(first, first + width_);
  return true;
}

// ---------------------------------------------------------------- SetMemberTable

SetMemberTable::~SetMemberTable() {
  for (Buckets& b : t_) {
    for (size_t i = 0; i < b.size; i++) {
      Node* n = b.slots[i];
      while (n != nullptr) {
        Node* next = n->next;
        free(n);
        n = next;
      }
    }
    free(b.slots);
  }
}

std::unique_ptr<SetMemberTable> SetMemberTable::Clone() const {
  auto copy = std::make_unique<SetMemberTable>();
  copy->Reserve(size_);
  ForEach([&](std::string_view m) {
    copy->Insert(m);
    return true;
  });
  return copy;
}

const SetMemberTable::Node* SetMemberTable::Find(std::string_view m, uint64_t h) const {
  for (const Buckets& b : t_) {
    if (b.size == 0) continue;
    for (const Node* n = b.slots[h & b.mask()]; n != nullptr; n = n->next) {
      if (n->len == m.size() && memcmp(n->data(), m.data(), m.size()) == 0) return n;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

bool SetMemberTable::Contains(std::string_view m) const {
  if (size_ == 0) return false;
  return Find(m, HashKey(m)) != nullptr;
}

void SetMemberTable::Reserve(size_t n) {
  if (t_[0].size != 0) return;
  size_t size = kMinBuckets;
  while (size < n) size *= 2;
  t_[0].slots = CallocArray<Node*>(size);
  t_[0].size = size;
}

void SetMemberTable::StartResize(size_t new_size) {
  if (new_size < kMinBuckets) new_size = kMinBuckets;
  t_[1].slots = CallocArray<Node*>(new_size);
  t_[1].size = new_size;
  rehash_idx_ = 0;
}

void SetMemberTable::MaybeGrow() {
  if (t_[0].size == 0) {
    Reserve(kMinBuckets);
  } else if (!rehashing() && size_ >= t_[0].size) {
    StartResize(t_[0].size * 2);
  }
}

void SetMemberTable::MaybeShrink() {
  if (rehashing() || t_[0].size <= kMinBuckets || size_ * 10 >= t_[0].size) return;
  size_t target = kMinBuckets;
  while (target < size_) target *= 2;
  StartResize(target);
}

void SetMemberTable::RehashStep() {
  int empty = kEmptyVisits;
  while (size_t(rehash_idx_) < t_[0].size && t_[0].slots[rehash_idx_] == nullptr) {
    rehash_idx_++;
    if (--empty == 0) break;
  }
  if (size_t(rehash_idx_) < t_[0].size && t_[0].slots[rehash_idx_] != nullptr) {
    Node* n = t_[0].slots[rehash_idx_];
    while (n != nullptr) {
      Node* next = n->next;
      Node** slot = &t_[1].slots[HashKey(n->view()) & t_[1].mask()];
      n->next = *slot;
      *slot = n;
      n = next;
    }
    t_[0].slots[rehash_idx_] = nullptr;
    rehash_idx_++;
  }
  if (size_t(rehash_idx_) >= t_[0].size) {
    free(t_[0].slots);
    t_[0] = t_[1];
    t_[1] = Buckets();
    rehash_idx_ = -1;
  }
}

bool SetMemberTable::Insert(std::string_view m) {
  uint64_t h = HashKey(m);
  if (rehashing()) RehashStep();
  if (size_ > 0 && Find(m, h) != nullptr) return false;
  MaybeGrow();
  Buckets& b = rehashing() ? t_[1] : t_[0];
  size_t bytes = sizeof(Node) + m.size();
  void* mem = malloc(bytes);
  if (mem == nullptr) throw std::bad_alloc();
  Node* n = new (mem) Node{nullptr, m.size()};
  memcpy(const_cast<char*>(n->data()), m.data(), m.size());
  Node** slot = &b.slots[h & b.mask()];
  n->next = *slot;
  *slot = n;
  size_++;
  node_bytes_ += bytes;
  return true;
}

bool SetMemberTable::Erase(std::string_view m) {
  if (size_ == 0) return false;
  uint64_t h = HashKey(m);
  if (rehashing()) RehashStep();
  for (Buckets& b : t_) {
    if (b.size == 0) continue;
    Node** link = &b.slots[h & b.mask()];
    while (*link != nullptr) {
      Node* n = *link;
      if (n->len == m.size() && memcmp(n->data(), m.data(), m.size()) == 0) {
        *link = n->next;
        node_bytes_ -= sizeof(Node) + n->len;
        free(n);
        size_--;
        MaybeShrink();
        return true;
      }
      link = &n->next;
    }
    if (!rehashing()) break;
  }
  return false;
}

std::string_view SetMemberTable::Random(uint64_t seed) const {
  uint64_t state = seed;
  const Node* head = nullptr;
  if (rehashing()) {
    // Buckets of t_[0] below rehash_idx_ are empty: draw from the rest of
    // t_[0] and all of t_[1].
    size_t first = size_t(rehash_idx_);
    size_t span = (t_[0].size - first) + t_[1].size;
    while (head == nullptr) {
      size_t i = first + size_t(SplitMix(&state) % span);
      head = i < t_[0].size ? t_[0].slots[i] : t_[1].slots[i - t_[0].size];
    }
  } else {
    while (head == nullptr) head = t_[0].slots[SplitMix(&state) & t_[0].mask()];
  }
  size_t len = 0;
  for (const Node* n = head; n != nullptr; n = n->next) len++;
  size_t pick = size_t(SplitMix(&state) % len);
  const Node* n = head;
  while (pick-- > 0) n = n->next;
  return n->view();
}

uint64_t SetMemberTable::Scan(uint64_t cursor,
                              const std::function<void(std::string_view)>& fn) const {
  if (size_ == 0) return 0;
  auto visit = [&](const Node* n) {
    for (; n != nullptr; n = n->next) fn(n->view());
  };
  if (!rehashing()) {
    const Buckets& b = t_[0];
    visit(b.slots[cursor & b.mask()]);
    return NextScanCursor(cursor, b.mask());
  }
  // Mid-resize: visit the cursor's bucket in the smaller table, then every
  // bucket of the larger table that it expands to.
  const Buckets* small = &t_[0];
  const Buckets* large = &t_[1];
  if (small->size > large->size) std::swap(small, large);
  uint64_t m0 = small->mask(), m1 = large->mask();
  visit(small->slots[cursor & m0]);
  do {
    visit(large->slots[cursor & m1]);
    cursor = NextScanCursor(cursor, m1);
  } while (cursor & (m0 ^ m1));
  return cursor;
}

size_t SetMemberTable::MemoryUsage() const {
  return sizeof(*this) + (t_[0].size + t_[1].size) * sizeof(Node*) + node_bytes_;
}

// ---------------------------------------------------------------- SetObject

size_t SetObject::MemoryUsage() const {
  return sizeof(*this) + ints_.MemoryUsage() + (ht_ ? ht_->MemoryUsage() : 0);
}

std::unique_ptr<Object> SetObject::Clone() const {
  auto copy = std::make_unique<SetObject>();
  copy->ints_ = ints_;
  if (ht_) copy->ht_ = ht_->Clone();
  return copy;
}

bool SetObject::Add(std::string_view m, size_t max_intset_entries) {
  if (!ht_) {
    if (auto v = ParseInt64(m)) {
      if (!ints_.Insert(*v)) return false;
      if (ints_.size() > max_intset_entries) ConvertToHashTable();
      return true;
    }
    ConvertToHashTable();
  }
  return ht_->Insert(m);
}

bool SetObject::Remove(std::string_view m) {
  if (ht_) return ht_->Erase(m);
  auto v = ParseInt64(m);
  return v && ints_.Erase(*v);
}

bool SetObject::Contains(std::string_view m) const {
  if (ht_) return ht_->Contains(m);
  auto v = ParseInt64(m);
  return v && ints_.Contains(*v);
}

std::string_view SetObject::RandomMember(uint64_t seed, char* buf) const {
  if (ht_) return ht_->Random(seed);
  uint64_t state = seed;
  int64_t v = ints_.Get(size_t(SplitMix(&state) % ints_.size()));
  return std::string_view(buf, FormatInt64(v, buf));
}

std::string SetObject::PopRandom(uint64_t seed) {
  char buf[kSetIntBufSize];
  std::string m(RandomMember(seed, buf));
  Remove(m);
  return m;
}

std::vector<std::string> SetObject::Members() const {
  std::vector<std::string> out;
  out.reserve(Size());
  ForEach([&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

uint64_t SetObject::Scan(uint64_t cursor, size_t count,
                         const std::function<void(std::string_view)>& fn) const {
  if (!ht_) {
    ForEach([&](std::string_view m) {
      fn(m);
      return true;
    });
    return 0;
  }
  size_t produced = 0;
  auto counted = [&](std::string_view m) {
    produced++;
    fn(m);
  };
  // Bounds the buckets visited when the table is sparse (Redis: 10 * COUNT).
  uint64_t budget = count > UINT64_MAX / 10 ? UINT64_MAX : uint64_t(count) * 10;
  do {
    cursor = ht_->Scan(cursor, counted);
  } while (cursor != 0 && budget-- > 0 && produced < count);
  return cursor;
}

void SetObject::ConvertToHashTable() {
  if (ht_) return;
  auto t = std::make_unique<SetMemberTable>();
  t->Reserve(ints_.size());
  char buf[kSetIntBufSize];
  for (size_t i = 0, n = ints_.size(); i < n; i++) {
    t->Insert(std::string_view(buf, FormatInt64(ints_.Get(i), buf)));
  }
  ht_ = std::move(t);
  ints_ = IntSet();
}

}  // namespace basalt::storage
