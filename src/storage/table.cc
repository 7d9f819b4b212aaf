#include "storage/table.h"

#include <cstdlib>
#include <new>

#include "common/hash.h"
#include "common/scan_cursor.h"

namespace basalt::storage {
namespace {
constexpr size_t kMinBuckets = 4;
// Each step may also skip this many empty buckets, bounding the work per call.
constexpr int kEmptyVisits = 10;

Entry** AllocSlots(size_t n) {
  auto* p = static_cast<Entry**>(calloc(n, sizeof(Entry*)));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

Table::~Table() {
  Clear([](Entry* e) { FreeEntry(e); });
}

Entry** Table::FindLink(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  if (rehashing()) RehashStep();
  for (int t = 0; t < 2; t++) {
    if (t_[t].size == 0) continue;
    Entry** link = &t_[t].slots[hash & t_[t].mask()];
    while (*link != nullptr) {
      Entry* e = *link;
      std::string_view k = e->key();
      if (k.size() == key.size() && memcmp(k.data(), key.data(), key.size()) == 0) return link;
      // The link of the next entry lives inside e; Entry keeps `next` first.
      link = reinterpret_cast<Entry**>(e);
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void Table::Insert(Entry* e, uint64_t hash) {
  if (t_[0].size == 0) {
    t_[0].slots = AllocSlots(kMinBuckets);
    t_[0].size = kMinBuckets;
  } else if (!rehashing() && size_ >= t_[0].size) {
    StartResize(t_[0].size * 2);
  }
  if (rehashing()) RehashStep();
  Buckets& b = rehashing() ? t_[1] : t_[0];
  Entry** slot = &b.slots[hash & b.mask()];
  e->set_next(*slot);
  *slot = e;
  size_++;
}

Entry* Table::Replace(Entry** link, Entry* e) {
  Entry* old = *link;
  e->set_next(old->next());
  *link = e;
  return old;
}

Entry* Table::Unlink(Entry** link) {
  Entry* old = *link;
  *link = old->next();
  old->set_next(nullptr);
  size_--;
  return old;
}

void Table::StartResize(size_t new_size) {
  if (new_size < kMinBuckets) new_size = kMinBuckets;
  t_[1].slots = AllocSlots(new_size);
  t_[1].size = new_size;
  rehash_idx_ = 0;
}

void Table::MaybeShrink() {
  if (rehashing() || t_[0].size <= kMinBuckets) return;
  if (size_ * 8 >= t_[0].size) return;
  size_t target = kMinBuckets;
  while (target < size_) target *= 2;
  StartResize(target);
}

void Table::RehashStep() {
  int empty = kEmptyVisits;
  while (size_t(rehash_idx_) < t_[0].size && t_[0].slots[rehash_idx_] == nullptr) {
    rehash_idx_++;
    if (--empty == 0) break;
  }
  if (size_t(rehash_idx_) < t_[0].size) {
    Entry* e = t_[0].slots[rehash_idx_];
    while (e != nullptr) {
      Entry* next = e->next();
      Entry** slot = &t_[1].slots[HashKey(e->key()) & t_[1].mask()];
      e->set_next(*slot);
      *slot = e;
      e = next;
    }
    t_[0].slots[rehash_idx_] = nullptr;
    rehash_idx_++;
  }
  FinishIfDone();
}

void Table::FinishIfDone() {
  if (size_t(rehash_idx_) < t_[0].size) return;
  free(t_[0].slots);
  t_[0] = t_[1];
  t_[1] = Buckets{};
  rehash_idx_ = -1;
}

bool Table::RehashSteps(int n) {
  while (n-- > 0 && rehashing()) RehashStep();
  return rehashing();
}

Entry* Table::Random(uint64_t rnd) {
  if (size_ == 0) return nullptr;
  // Pick random buckets until a non-empty one (expected O(1) at load >= 1/8),
  // then a random element of its chain.
  for (int attempt = 0;; attempt++) {
    uint64_t r = rnd + uint64_t(attempt) * 0x9E3779B97F4A7C15ull;
    r ^= r >> 29;
    r *= 0xBF58476D1CE4E5B9ull;
    r ^= r >> 32;
    Entry* head;
    if (rehashing()) {
      size_t total = t_[0].size - size_t(rehash_idx_) + t_[1].size;
      size_t i = r % total;
      head = i < t_[1].size ? t_[1].slots[i] : t_[0].slots[size_t(rehash_idx_) + i - t_[1].size];
    } else {
      head = t_[0].slots[r & t_[0].mask()];
    }
    if (head == nullptr) continue;
    size_t len = 0;
    for (Entry* e = head; e != nullptr; e = e->next()) len++;
    size_t pick = (r >> 17) % len;
    Entry* e = head;
    while (pick-- > 0) e = e->next();
    return e;
  }
}

uint64_t Table::Scan(uint64_t cursor, const std::function<void(Entry*)>& fn) {
  if (size_ == 0) return 0;
  auto visit = [&](const Buckets& b, uint64_t idx) {
    for (Entry* e = b.slots[idx & b.mask()]; e != nullptr; e = e->next()) fn(e);
  };
  if (!rehashing()) {
    visit(t_[0], cursor);
    return NextScanCursor(cursor, t_[0].mask());
  }
  // Visit the small table's bucket, then every bucket of the large table that
  // expands from it.
  const Buckets* small = &t_[0];
  const Buckets* large = &t_[1];
  if (small->size > large->size) std::swap(small, large);
  uint64_t m0 = small->mask(), m1 = large->mask();
  visit(*small, cursor);
  do {
    visit(*large, cursor);
    cursor = NextScanCursor(cursor, m1);
  } while (cursor & (m0 ^ m1));
  return cursor;
}

void Table::Clear(const std::function<void(Entry*)>& fn) {
  for (auto& b : t_) {
    for (size_t i = 0; i < b.size; i++) {
      Entry* e = b.slots[i];
      while (e != nullptr) {
        Entry* next = e->next();
        fn(e);
        e = next;
      }
    }
    free(b.slots);
    b = Buckets{};
  }
  rehash_idx_ = -1;
  size_ = 0;
}

void Table::Swap(Table& other) {
  std::swap(t_, other.t_);
  std::swap(rehash_idx_, other.rehash_idx_);
  std::swap(size_, other.size_);
}

}  // namespace basalt::storage
