// Entry: one key and its value in a single allocation.
//
// Layout (all multi-byte fields accessed with memcpy, so no alignment needs):
//   Entry* next            8   chain link of the owning hash table bucket
//   uint32 meta            4   lru:24 | type:3 | enc:3 | has_expire:1 | snap:1
//   [int64 expire_ms]      8   only when has_expire
//   [uint32 ttl_slot]      4   only when has_expire: index in the shard's TTL index
//   varint key_len, key bytes
//   value payload, by encoding:
//     kInt       int64
//     kEmbStr / kRawInline   varint len, bytes
//     kRawHeap   HeapString* (growable buffer for APPEND/SETRANGE/SETBIT)
//     kObject    void* (collection types; owned, freed by FreeEntry)
//
// A 16-byte key with a 32-byte value takes 62 bytes (one 64-byte size class),
// against Redis's dictEntry + robj + key sds + embedded value (~3 allocations).
// The 24-bit lru field is Redis's LRU clock (seconds) or, under an LFU policy,
// 16 bits of minutes + an 8-bit logarithmic counter.
//
// Thread-safety: an Entry belongs to one shard and is only touched with that
// shard's lock held.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace basalt::storage {

enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4, kStream = 5 };

// Encoding names what Redis would call the equivalent state, plus how we store it.
enum class Encoding : uint8_t {
  kInt = 0,        // "int": a canonical int64 string stored as a number
  kEmbStr = 1,     // "embstr": short string created whole (<= 44 bytes)
  kRawInline = 2,  // "raw": longer string created whole, stored inline
  kRawHeap = 3,    // "raw": string modified in place, in a growable buffer
  kObject = 4,     // collection: the payload points to a type-specific object
};

// Growable string buffer for strings modified in place.
struct HeapString {
  size_t len;
  size_t cap;
  char* data() { return reinterpret_cast<char*>(this + 1); }
};

constexpr size_t kEmbStrMax = 44;  // Redis's embstr limit, for OBJECT ENCODING.

class Object;

class Entry {
 public:
  Entry() = delete;

  Entry* next() const {
    Entry* n;
    memcpy(&n, raw(), sizeof(n));
    return n;
  }
  void set_next(Entry* n) { memcpy(raw(), &n, sizeof(n)); }

  uint32_t lru() const { return meta() & 0xFFFFFF; }
  void set_lru(uint32_t v) { set_meta((meta() & ~0xFFFFFFu) | (v & 0xFFFFFF)); }
  ValueType type() const { return ValueType((meta() >> 24) & 7); }
  Encoding encoding() const { return Encoding((meta() >> 27) & 7); }
  bool has_expire() const { return (meta() >> 30) & 1; }
  // Snapshot parity: whether the running (or last) snapshot has dealt with
  // this entry; see storage::SnapshotCapture in keyspace.h.
  bool snap_mark() const { return (meta() >> 31) & 1; }
  void set_snap_mark(bool v) { set_meta((meta() & 0x7FFFFFFFu) | (uint32_t(v) << 31)); }

  // REQUIRES: has_expire()
  int64_t expire_ms() const {
    int64_t v;
    memcpy(&v, raw() + 12, 8);
    return v;
  }
  void set_expire_ms(int64_t v) { memcpy(raw() + 12, &v, 8); }
  uint32_t ttl_slot() const {
    uint32_t v;
    memcpy(&v, raw() + 20, 4);
    return v;
  }
  void set_ttl_slot(uint32_t v) { memcpy(raw() + 20, &v, 4); }

  std::string_view key() const;

  // String values. REQUIRES: type() == kString.
  // For kInt, writes the decimal text into buf (>= 21 bytes) and returns a view of it.
  std::string_view StringValue(char* buf) const;
  bool IsInt() const { return encoding() == Encoding::kInt; }
  int64_t IntValue() const;  // REQUIRES: IsInt()
  void SetIntValue(int64_t v);  // REQUIRES: IsInt(); updates in place
  HeapString* heap_string() const;  // REQUIRES: encoding() == kRawHeap
  void set_heap_string(HeapString* h);
  void* object() const;  // REQUIRES: encoding() == kObject
  void set_object(void* p);
  // The collection value, typed. REQUIRES: encoding() == kObject.
  class Object* obj() const { return static_cast<class Object*>(object()); }

  // Bytes of the allocation and what it owns (MEMORY USAGE).
  size_t MemoryUsage() const;

 private:
  friend class EntryBuilder;
  uint8_t* raw() { return reinterpret_cast<uint8_t*>(this); }
  const uint8_t* raw() const { return reinterpret_cast<const uint8_t*>(this); }
  uint32_t meta() const {
    uint32_t m;
    memcpy(&m, raw() + 8, 4);
    return m;
  }
  void set_meta(uint32_t m) { memcpy(raw() + 8, &m, 4); }
  size_t KeyOffset() const { return has_expire() ? 24 : 12; }
  const uint8_t* ValuePtr() const;
};

// Creates entries. All functions return a fresh allocation owned by the caller
// (normally a Table), to be released with FreeEntry.
class EntryBuilder {
 public:
  // A string value; picks the int, embstr or raw-inline encoding as Redis would.
  // With try_int false, integer-looking text stays a string (INCRBYFLOAT).
  static Entry* String(std::string_view key, std::string_view value, bool has_expire,
                       int64_t expire_ms, bool try_int = true);
  static Entry* Int(std::string_view key, int64_t value, bool has_expire, int64_t expire_ms);
  // A string kept in a growable heap buffer (after APPEND, SETRANGE, SETBIT...).
  static Entry* HeapStr(std::string_view key, HeapString* h, bool has_expire, int64_t expire_ms);
  // A collection value; the entry takes ownership of obj.
  static Entry* Object(std::string_view key, ValueType type, class Object* obj,
                       bool has_expire, int64_t expire_ms);
  // Same key and value under a different key name (RENAME, MOVE, COPY keep the value).
  // Takes ownership of src's payload (heap buffer or object); src must then be
  // released with FreeEntryShell.
  static Entry* Rekey(const Entry* src, std::string_view new_key);
  // Same entry with the expire field added, changed or removed; takes src's payload.
  static Entry* WithExpire(const Entry* src, bool has_expire, int64_t expire_ms);
  // Deep copy (COPY): duplicates heap buffers and collection objects.
  static Entry* Clone(const Entry* src, std::string_view new_key);
};

HeapString* NewHeapString(std::string_view init, size_t min_cap);
// Grows h to hold at least `need` bytes (amortized doubling); may move it.
HeapString* GrowHeapString(HeapString* h, size_t need);

// Frees an entry and its payload.
void FreeEntry(Entry* e);
// Frees only the entry allocation (its payload was moved elsewhere).
void FreeEntryShell(Entry* e);

}  // namespace basalt::storage
