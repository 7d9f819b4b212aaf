// Dataset digests for DEBUG DIGEST and DEBUG DIGEST-VALUE: a fingerprint of
// the logical contents, for checking that two nodes (a primary and its
// replica, a server before and after a restart) hold the same data.
//
// Equal contents give equal digests whatever the insertion order, hash-table
// layout or internal encoding: a listpack hash and a hashtable hash with the
// same pairs, an intset and a hashtable set with the same members, an int- and
// a raw-encoded string with the same text digest the same. Hashes and sets are
// unordered, lists are ordered, sorted sets are member -> score (-0 counts as
// 0, since the listpack encoding cannot hold -0). Any change to a db index, a
// key, a type, a value byte, a score, list order or an expire time changes the
// digest (with the usual hash-collision odds).
//
// The shape is Redis's (40 lowercase hex characters, all zeros for an empty
// dataset); the values are not: Redis uses SHA-1 mixing, we use XXH3, and the
// two never need to agree. Values are stable across runs and machines of the
// same byte order (fixed seeds; not the per-process key-hashing seed).
//
// How: a value's digest is XXH3-128 over a type tag, the element count and
// the contents (ordered types streamed in order with length prefixes;
// unordered types reduced first to a lane-wise sum of per-element XXH3-128
// hashes), extended to 20 bytes with 4 bytes of XXH3-64 of those 16. A key's
// digest hashes the db index, key, value digest and expire time the same way;
// the dataset digest is the lane-wise sum of its keys' digests, so it does not
// depend on the order keys are added, and per-shard digests can be merged.
//
// Thread-safety: DigestValue and DatasetDigest::Add read the entry, so the
// caller holds the entry's shard lock. A DatasetDigest is a plain value used
// by one thread at a time; Merge combines digests built on different threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace basalt::storage {
class Entry;
}

namespace basalt::persistence {

using Digest = std::array<uint8_t, 20>;

// Digest of one value (type + contents, no key, no expire). DEBUG DIGEST-VALUE
// (which answers all zeros for a missing key: that is the caller's business).
Digest DigestValue(const storage::Entry& e);

// 40 lowercase hex characters.
std::string DigestHex(const Digest& d);

class DatasetDigest {
 public:
  // Adds one key: key + value + expire, mixed with the db index.
  // REQUIRES: a (db, key) pair is added at most once.
  void Add(int db, const storage::Entry& e);
  // Adds the keys another digest holds (e.g. built on another shard).
  void Merge(const DatasetDigest& other);

  uint64_t keys() const { return keys_; }
  // All zeros when nothing was added.
  Digest Bytes() const;
  // 40 hex chars; "000...0" when nothing was added.
  std::string Hex() const { return DigestHex(Bytes()); }

 private:
  uint64_t lo_ = 0, hi_ = 0;
  uint32_t tail_ = 0;
  uint64_t keys_ = 0;
};

}  // namespace basalt::persistence
