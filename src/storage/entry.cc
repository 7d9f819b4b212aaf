#include "storage/entry.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "common/numbers.h"
#include "storage/object.h"

namespace basalt::storage {
namespace {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}
uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = uint8_t(v | 0x80);
    v >>= 7;
  }
  *p++ = uint8_t(v);
  return p;
}
const uint8_t* GetVarint(const uint8_t* p, uint64_t* v) {
  uint64_t r = 0;
  int shift = 0;
  while (*p & 0x80) {
    r |= uint64_t(*p++ & 0x7F) << shift;
    shift += 7;
  }
  r |= uint64_t(*p++) << shift;
  *v = r;
  return p;
}

uint32_t MakeMeta(ValueType t, Encoding enc, bool has_expire) {
  return (uint32_t(t) << 24) | (uint32_t(enc) << 27) | (uint32_t(has_expire) << 30);
}

// Allocates header + key and returns the entry and a cursor at the value payload.
Entry* Allocate(std::string_view key, ValueType t, Encoding enc, bool has_expire,
                int64_t expire_ms, size_t payload, uint8_t** value_out) {
  size_t head = has_expire ? 24 : 12;
  size_t size = head + VarintSize(key.size()) + key.size() + payload;
  auto* p = static_cast<uint8_t*>(malloc(size));
  if (p == nullptr) throw std::bad_alloc();
  memset(p, 0, 8);
  uint32_t meta = MakeMeta(t, enc, has_expire);
  memcpy(p + 8, &meta, 4);
  if (has_expire) {
    memcpy(p + 12, &expire_ms, 8);
    memset(p + 20, 0, 4);
  }
  uint8_t* q = PutVarint(p + head, key.size());
  memcpy(q, key.data(), key.size());
  *value_out = q + key.size();
  return reinterpret_cast<Entry*>(p);
}

}  // namespace

std::string_view Entry::key() const {
  uint64_t len;
  const uint8_t* p = GetVarint(raw() + KeyOffset(), &len);
  return {reinterpret_cast<const char*>(p), size_t(len)};
}

const uint8_t* Entry::ValuePtr() const {
  std::string_view k = key();
  return reinterpret_cast<const uint8_t*>(k.data() + k.size());
}

int64_t Entry::IntValue() const {
  int64_t v;
  memcpy(&v, ValuePtr(), 8);
  return v;
}

void Entry::SetIntValue(int64_t v) { memcpy(const_cast<uint8_t*>(ValuePtr()), &v, 8); }

HeapString* Entry::heap_string() const {
  HeapString* h;
  memcpy(&h, ValuePtr(), sizeof(h));
  return h;
}
void Entry::set_heap_string(HeapString* h) {
  memcpy(const_cast<uint8_t*>(ValuePtr()), &h, sizeof(h));
}
void* Entry::object() const {
  void* o;
  memcpy(&o, ValuePtr(), sizeof(o));
  return o;
}
void Entry::set_object(void* o) { memcpy(const_cast<uint8_t*>(ValuePtr()), &o, sizeof(o)); }

std::string_view Entry::StringValue(char* buf) const {
  switch (encoding()) {
    case Encoding::kInt:
      return {buf, FormatInt64(IntValue(), buf)};
    case Encoding::kEmbStr:
    case Encoding::kRawInline: {
      uint64_t len;
      const uint8_t* p = GetVarint(ValuePtr(), &len);
      return {reinterpret_cast<const char*>(p), size_t(len)};
    }
    case Encoding::kRawHeap: {
      HeapString* h = heap_string();
      return {h->data(), h->len};
    }
    case Encoding::kObject:
      break;
  }
  return {};
}

size_t Entry::MemoryUsage() const {
  size_t n = malloc_usable_size(const_cast<Entry*>(this));
  if (encoding() == Encoding::kRawHeap) n += malloc_usable_size(heap_string());
  if (encoding() == Encoding::kObject) n += obj()->MemoryUsage();
  return n;
}

Entry* EntryBuilder::String(std::string_view key, std::string_view value, bool has_expire,
                            int64_t expire_ms, bool try_int) {
  if (try_int && value.size() <= 20) {
    if (auto iv = ParseInt64(value)) return Int(key, *iv, has_expire, expire_ms);
  }
  Encoding enc = value.size() <= kEmbStrMax ? Encoding::kEmbStr : Encoding::kRawInline;
  uint8_t* v;
  Entry* e = Allocate(key, ValueType::kString, enc, has_expire, expire_ms,
                      VarintSize(value.size()) + value.size(), &v);
  v = PutVarint(v, value.size());
  if (!value.empty()) memcpy(v, value.data(), value.size());
  return e;
}

Entry* EntryBuilder::Int(std::string_view key, int64_t value, bool has_expire, int64_t expire_ms) {
  uint8_t* v;
  Entry* e = Allocate(key, ValueType::kString, Encoding::kInt, has_expire, expire_ms, 8, &v);
  memcpy(v, &value, 8);
  return e;
}

Entry* EntryBuilder::HeapStr(std::string_view key, HeapString* h, bool has_expire,
                             int64_t expire_ms) {
  uint8_t* v;
  Entry* e = Allocate(key, ValueType::kString, Encoding::kRawHeap, has_expire, expire_ms,
                      sizeof(h), &v);
  memcpy(v, &h, sizeof(h));
  return e;
}

Entry* EntryBuilder::Object(std::string_view key, ValueType type, class Object* o,
                            bool has_expire, int64_t expire_ms) {
  void* obj = o;
  uint8_t* v;
  Entry* e = Allocate(key, type, Encoding::kObject, has_expire, expire_ms, sizeof(obj), &v);
  memcpy(v, &obj, sizeof(obj));
  return e;
}

namespace {
// Copies src's payload bytes verbatim into a new entry with the given key/expire.
Entry* CopyShape(const Entry* src, std::string_view key, bool has_expire, int64_t expire_ms) {
  std::string_view old_key = src->key();
  const uint8_t* payload = reinterpret_cast<const uint8_t*>(old_key.data() + old_key.size());
  size_t payload_len;
  switch (src->encoding()) {
    case Encoding::kEmbStr:
    case Encoding::kRawInline: {
      uint64_t len;
      const uint8_t* p = GetVarint(payload, &len);
      payload_len = size_t(p - payload) + len;
      break;
    }
    case Encoding::kInt:
      payload_len = 8;
      break;
    default:
      payload_len = sizeof(void*);
  }
  uint8_t* v;
  Entry* e = Allocate(key, src->type(), src->encoding(), has_expire, expire_ms, payload_len, &v);
  memcpy(v, payload, payload_len);
  e->set_lru(src->lru());
  return e;
}
}  // namespace

Entry* EntryBuilder::Rekey(const Entry* src, std::string_view new_key) {
  return CopyShape(src, new_key, src->has_expire(), src->has_expire() ? src->expire_ms() : 0);
}

Entry* EntryBuilder::WithExpire(const Entry* src, bool has_expire, int64_t expire_ms) {
  return CopyShape(src, src->key(), has_expire, expire_ms);
}

Entry* EntryBuilder::Clone(const Entry* src, std::string_view new_key) {
  Entry* e = CopyShape(src, new_key, src->has_expire(), src->has_expire() ? src->expire_ms() : 0);
  if (src->encoding() == Encoding::kRawHeap) {
    HeapString* h = src->heap_string();
    e->set_heap_string(NewHeapString({h->data(), h->len}, h->len));
  } else if (src->encoding() == Encoding::kObject) {
    e->set_object(src->obj()->Clone().release());
  }
  return e;
}

HeapString* NewHeapString(std::string_view init, size_t min_cap) {
  size_t cap = std::max(init.size(), min_cap);
  auto* h = static_cast<HeapString*>(malloc(sizeof(HeapString) + cap));
  if (h == nullptr) throw std::bad_alloc();
  h->len = init.size();
  h->cap = cap;
  if (!init.empty()) memcpy(h->data(), init.data(), init.size());
  return h;
}

HeapString* GrowHeapString(HeapString* h, size_t need) {
  if (need <= h->cap) return h;
  // Double while small, then grow by 1 MB steps, as a greedy string buffer would.
  size_t cap = need < (1u << 20) ? need * 2 : need + (1u << 20);
  auto* n = static_cast<HeapString*>(realloc(h, sizeof(HeapString) + cap));
  if (n == nullptr) throw std::bad_alloc();
  n->cap = cap;
  return n;
}

void FreeEntryShell(Entry* e) { free(e); }

void FreeEntry(Entry* e) {
  if (e->encoding() == Encoding::kRawHeap) {
    free(e->heap_string());
  } else if (e->encoding() == Encoding::kObject) {
    delete e->obj();
  }
  free(e);
}

}  // namespace basalt::storage
