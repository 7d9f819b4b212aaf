// The SCAN cursor order shared by every incrementally resized hash table
// (keyspace, hash fields, set members, sorted-set members).
//
// The cursor is a bucket index incremented in reverse-binary order over the
// bits of the table mask: the high bits of the index change fastest, so the
// buckets that split or merge when the table doubles or halves are visited
// next to each other, and a full scan returns every element present for the
// whole scan at least once even if the table resizes between calls.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace basalt {

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

// The cursor after `cursor` for a table whose bucket mask is `mask`; 0 once
// every bucket has been visited.
inline uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  return ReverseBits(cursor);
}

}  // namespace basalt
