// Object: the base of every collection value (hash, list, set, sorted set).
//
// An Entry of a collection type stores a pointer to an Object subclass; the
// entry owns it. Each type keeps a compact flat encoding while small (what
// Redis calls listpack / intset) and converts to a full structure past the
// *-max-listpack-* thresholds; EncodingName() reports Redis's name for the
// equivalent state, so OBJECT ENCODING answers as Redis would.
//
// Thread-safety: an Object belongs to one entry in one shard and is only
// touched with that shard's lock held.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace basalt::storage {

class Object {
 public:
  virtual ~Object() = default;
  // "listpack", "quicklist", "hashtable", "intset", "skiplist", ...
  virtual const char* EncodingName() const = 0;
  // Bytes owned by the object (MEMORY USAGE, eviction accounting).
  virtual size_t MemoryUsage() const = 0;
  // A deep copy (COPY).
  virtual std::unique_ptr<Object> Clone() const = 0;
  // Number of elements (fields, members, items).
  virtual size_t Size() const = 0;
};

// Flat encodings live in a std::string or std::vector that grows by
// doubling; after a growth, give the slack back so a small collection costs
// what it holds (Redis reallocates its listpacks and intsets to the exact size).
template <typename Buffer>
inline void TrimCapacity(Buffer* b) {
  if (b->capacity() > b->size() + b->size() / 8 + 16) b->shrink_to_fit();
}

}  // namespace basalt::storage
