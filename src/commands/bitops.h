// Pure bit-level helpers behind the bitmap commands (SETBIT GETBIT BITCOUNT
// BITPOS BITOP BITFIELD): argument parsing with Redis's acceptance rules, range
// normalization, bit counting and searching, bitwise operations over several
// strings, and BITFIELD's integer fields with their overflow policies.
//
// Bits are numbered as Redis numbers them: bit 0 is the most significant bit
// of byte 0, so a string reads as one big-endian bit array.
//
// Thread-safety: pure functions over caller-owned buffers; safe from any
// thread as long as the caller holds whatever lock guards the buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace basalt::commands::bitops {

// Parses a bit offset argument: a strict non-negative integer whose byte
// (offset >> 3) is below `max_bytes` (proto-max-bulk-len). With hash_bits > 0
// (BITFIELD), "#N" means N * hash_bits; the product wraps around in 64 bits
// exactly as it does in Redis, so the range check then applies to the wrapped
// value. Returns nullopt where Redis replies "bit offset is not an integer or
// out of range".
std::optional<uint64_t> ParseBitOffset(std::string_view arg, int hash_bits, int64_t max_bytes);

// A BITFIELD type: "i1".."i64" or "u1".."u63" (lower-case prefix only, strict
// integer width).
struct FieldType {
  bool is_signed = false;
  int bits = 0;
};
std::optional<FieldType> ParseFieldType(std::string_view arg);

// The bit at `offset`, zero beyond the end of s.
int GetBit(std::string_view s, uint64_t offset);
// Sets the bit at `offset` to `value` (0 or 1) and returns its previous value.
// REQUIRES: offset < 8 * length of data.
int SetBit(char* data, uint64_t offset, int value);

// An inclusive range of bits [first, last] within a string, or empty.
struct BitRange {
  bool empty = true;
  uint64_t first = 0, last = 0;
};

// Resolves BITCOUNT/BITPOS start/end (in bytes, or bits when bit_units) over a
// string of `len` bytes: negative values count from the end, then both are
// clamped to the string. With reject_negative_reversed (BITCOUNT), two
// negative indexes with start > end give an empty range before clamping, as
// Redis 7.0 does for BITCOUNT but not for BITPOS.
BitRange ResolveRange(int64_t start, int64_t end, uint64_t len, bool bit_units,
                      bool reject_negative_reversed);
// The whole string as a bit range (empty for an empty string).
BitRange WholeRange(uint64_t len);

// Number of set bits in r. REQUIRES: r lies within s.
uint64_t CountBits(std::string_view s, BitRange r);
// Position of the first bit equal to `bit` (0 or 1) within r, or -1.
// REQUIRES: r lies within s.
int64_t FindBit(std::string_view s, int bit, BitRange r);

enum class BitOpKind { kAnd, kOr, kXor, kNot };
// Combines the sources byte by byte into a result as long as the longest;
// shorter sources (and missing keys, passed as empty) count as zero bytes.
// kNot takes exactly one source.
std::string BitOp(BitOpKind op, std::span<const std::string_view> sources);

// The `bits`-wide field at bit `offset` as an unsigned number (bits past the
// end of s read as zero). REQUIRES: 1 <= bits <= 64.
uint64_t GetField(std::string_view s, uint64_t offset, int bits);
// Sign-extends the low `bits` bits of raw.
int64_t ToSigned(uint64_t raw, int bits);
// Stores the low `bits` bits of value at bit `offset`.
// REQUIRES: offset + bits <= 8 * length of data.
void SetField(char* data, uint64_t offset, int bits, uint64_t value);

enum class Overflow { kWrap, kSat, kFail };

// Outcome of a BITFIELD SET or INCRBY: the new value of the field (signed or
// unsigned according to the type), or failed under OVERFLOW FAIL.
struct FieldResult {
  bool failed = false;
  int64_t value = 0;
};
// SET of `v` into a field of type t.
FieldResult FieldSet(FieldType t, int64_t v, Overflow ov);
// INCRBY of `incr` on a field of type t holding `old` (as GetField/ToSigned
// read it).
FieldResult FieldIncr(FieldType t, int64_t old, int64_t incr, Overflow ov);

}  // namespace basalt::commands::bitops
