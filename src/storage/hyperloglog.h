// HyperLogLog: the cardinality estimator behind PFADD/PFCOUNT/PFMERGE, in the
// exact string format Redis 7.0 uses, so HLL values cross RDB files, DUMP
// payloads and replication links byte for byte in both directions.
//
// Format (all published, see the PFADD/PFDEBUG documentation and the format
// notes Redis ships): a 16-byte header
//   "HYLL" | encoding (0 dense, 1 sparse) | 3 zero bytes | cached cardinality
//   (8 bytes little endian; the top bit of the last byte set = cache invalid)
// followed by 2^14 six-bit registers, either
//   dense:  packed least significant bit first, 12288 bytes, or
//   sparse: run-length opcodes
//     00xxxxxx           ZERO  : xxxxxx+1 (1..64) zero registers
//     01xxxxxx yyyyyyyy  XZERO : 14-bit value+1 (1..16384) zero registers
//     1vvvvvxx           VAL   : xx+1 (1..4) registers holding vvvvv+1 (1..32)
// Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits
// pick the register, the position of the lowest set bit of the remaining 50
// (plus one, at most 51) is the value stored if larger than the register's.
// The estimate is Ertl's improved raw estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284, algorithm 6) over
// the histogram of register values.
//
// The sparse encoding is not canonical: the same registers can be written in
// several ways. To stay byte-identical with Redis, updates follow Redis's
// observable update procedure (split the run covering the register into at
// most three opcodes, then merge equal adjacent VAL opcodes in a short window),
// and a sparse value becomes dense when a value above 32 must be stored or when
// an update would grow it past `sparse_max_bytes` (hll-sparse-max-bytes).
//
// Thread-safety: pure functions over caller-owned bytes; no shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace basalt::storage::hll {

inline constexpr int kPrecision = 14;
inline constexpr uint32_t kRegisters = 1u << kPrecision;
inline constexpr int kRegisterBits = 6;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kRegisterBits + 7) / 8;
// Largest register value a hash can produce: 64 - 14 hash bits, plus one.
inline constexpr int kMaxRegisterValue = 64 - kPrecision + 1;
// Largest value a sparse VAL opcode can hold.
inline constexpr int kSparseMaxValue = 32;
inline constexpr size_t kDefaultSparseMaxBytes = 3000;
inline constexpr uint64_t kHashSeed = 0xadc83b19ULL;

// Redis's reply for an HLL whose body does not decode (e.g. runs that do not
// add up to 2^14 registers).
inline constexpr char kCorruptedError[] = "INVALIDOBJ Corrupted HLL object detected";

enum class Encoding : uint8_t { kDense = 0, kSparse = 1 };

// One byte per register, the uncompressed form used for merging.
using Registers = std::array<uint8_t, kRegisters>;

uint64_t MurmurHash64A(const void* data, size_t len, uint64_t seed);

// The register an element maps to and the value it proposes for it.
struct Pattern {
  uint32_t index;
  uint8_t value;  // 1..kMaxRegisterValue
};
Pattern PatternOf(std::string_view element);

// ---- Header ----

// True if `value` has an HLL header Redis accepts: at least 16 bytes, the
// "HYLL" magic, a known encoding, and exactly kDenseSize bytes when dense.
// The sparse body is only checked when it is decoded.
bool IsHll(std::string_view value);
// REQUIRES: IsHll(hll) for all of the following.
Encoding EncodingOf(std::string_view hll);
bool CacheValid(std::string_view hll);
uint64_t CachedCardinality(std::string_view hll);
void SetCachedCardinality(char* hll, uint64_t card);
void InvalidateCache(char* hll);

// The value PFADD creates for a new key: sparse, one XZERO run over all
// registers, cached cardinality 0 (18 bytes).
std::string NewSparse();

// ---- Mutable storage ----

// The bytes of one HLL value, growable. The command layer adapts its string
// storage to this; tests use StringBuffer.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  // Sets the size to n, keeping the first min(n, size()) bytes; may move data().
  virtual void Resize(size_t n) = 0;
  std::string_view view() { return {data(), size()}; }
};

class StringBuffer final : public Buffer {
 public:
  explicit StringBuffer(std::string* s) : s_(s) {}
  char* data() override { return s_->data(); }
  size_t size() const override { return s_->size(); }
  void Resize(size_t n) override { s_->resize(n); }

 private:
  std::string* s_;
};

// The mutations below require IsHll(hll.view()), return true when a register
// grew (then the cached cardinality is marked invalid), and return
// kCorruptedError when the sparse body does not decode. On error, registers
// updated before the corruption was found stay updated, as in Redis.

// Adds one element (PFADD).
StatusOr<bool> Add(Buffer& hll, std::string_view element, size_t sparse_max_bytes);
// Raises register `index` to `value` if it is lower (PFMERGE). value: 1..63.
StatusOr<bool> SetRegister(Buffer& hll, uint32_t index, uint8_t value, size_t sparse_max_bytes);
// Converts a sparse value to dense, keeping the header's cached cardinality.
// Returns false (and changes nothing) if it is already dense.
StatusOr<bool> ToDense(Buffer& hll);

// ---- Reading ----

// max[i] = max(max[i], register i of hll). REQUIRES: IsHll(hll).
Status MergeMax(std::string_view hll, Registers* max);
// The estimate from the registers, ignoring the cache. REQUIRES: IsHll(hll).
StatusOr<uint64_t> Estimate(std::string_view hll);
uint64_t EstimateRegisters(const Registers& regs);
// PFDEBUG DECODE text: "z:len" (ZERO), "Z:len" (XZERO), "v:value,len" (VAL),
// space separated. REQUIRES: IsHll(hll) and sparse.
std::string DecodeSparse(std::string_view hll);

// Register i of a dense register area (the bytes after the header).
uint8_t DenseGet(const uint8_t* regs, uint32_t i);
void DenseSet(uint8_t* regs, uint32_t i, uint8_t value);

// PFSELFTEST: checks the register packing, sparse/dense agreement and the
// estimator's error on a fixed pseudo-random stream. OK or "ERR ..." text.
Status SelfTest();

}  // namespace basalt::storage::hll
