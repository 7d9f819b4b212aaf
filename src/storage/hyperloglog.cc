#include "storage/hyperloglog.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace basalt::storage::hll {
namespace {

constexpr size_t kEncodingOffset = 4;
constexpr size_t kCardOffset = 8;
constexpr uint32_t kZeroMaxLen = 64;
constexpr uint32_t kValMaxLen = 4;
// How many opcodes after an update are examined for equal VAL runs to join.
constexpr int kMergeWindow = 5;

enum class OpKind : uint8_t { kZero, kXZero, kVal };

struct Op {
  OpKind kind;
  uint8_t value;  // kVal only
  uint8_t bytes;  // encoded size
  uint32_t len;   // registers covered
};

// Decodes the opcode at p (p < end). A two-byte XZERO cut short by the end of
// the value reads its second byte as 0, as Redis does: its strings carry a
// terminating NUL, so corrupt inputs of that shape decode the same way here.
Op ReadOp(const uint8_t* p, const uint8_t* end) {
  uint8_t b = *p;
  if ((b & 0xC0) == 0x00) return {OpKind::kZero, 0, 1, uint32_t(b & 0x3F) + 1};
  if ((b & 0xC0) == 0x40) {
    uint32_t lo = p + 1 < end ? p[1] : 0;
    return {OpKind::kXZero, 0, 2, ((uint32_t(b & 0x3F) << 8) | lo) + 1};
  }
  return {OpKind::kVal, uint8_t(((b >> 2) & 0x1F) + 1), 1, uint32_t(b & 0x03) + 1};
}

uint8_t ValByte(uint32_t value, uint32_t len) {
  return uint8_t(0x80 | ((value - 1) << 2) | (len - 1));
}

// A zero run as ZERO when it fits, else XZERO (what Redis writes). Returns bytes written.
size_t WriteZeros(uint8_t* out, uint32_t len) {
  if (len > kZeroMaxLen) {
    uint32_t v = len - 1;
    out[0] = uint8_t(0x40 | (v >> 8));
    out[1] = uint8_t(v & 0xFF);
    return 2;
  }
  out[0] = uint8_t(len - 1);
  return 1;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* Bytes(char* s) { return reinterpret_cast<uint8_t*>(s); }

// Calls fn(first_index, op) for each run of a sparse body. Returns false if
// the runs do not cover exactly kRegisters registers.
template <typename Fn>
bool WalkSparse(std::string_view hll, Fn fn) {
  const uint8_t* p = Bytes(hll) + kHeaderSize;
  const uint8_t* end = Bytes(hll) + hll.size();
  uint32_t idx = 0;
  while (p < end) {
    Op op = ReadOp(p, end);
    // Checked before use so a corrupt run can never index past the registers.
    if (op.len > kRegisters - idx) return false;
    fn(idx, op);
    idx += op.len;
    p += op.bytes;
  }
  return idx == kRegisters;
}

Status Corrupted() { return Status::Error(kCorruptedError); }

// Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1); the series is summed until
// adding a term no longer changes the double.
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0;
  double z = x;
  double prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z != prev);
  return z;
}

// Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3.
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != prev);
  return z / 3.0;
}

using Histogram = std::array<uint32_t, 64>;

uint64_t EstimateHistogram(const Histogram& c) {
  constexpr double m = kRegisters;
  constexpr int q = 64 - kPrecision;
  constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)
  double z = m * Tau((m - c[q + 1]) / m);
  for (int k = q; k >= 1; k--) {
    z += c[k];
    z *= 0.5;
  }
  z += m * Sigma(c[0] / m);
  return uint64_t(std::llround(kAlphaInf * m * m / z));
}

StatusOr<bool> DenseSetIfGreater(Buffer& hll, uint32_t index, uint8_t value) {
  uint8_t* regs = Bytes(hll.data()) + kHeaderSize;
  if (DenseGet(regs, index) >= value) return false;
  DenseSet(regs, index, value);
  InvalidateCache(hll.data());
  return true;
}

// A sparse value that cannot take the update converts to dense first; the
// update then always raises the register (that is why it did not fit).
StatusOr<bool> PromoteAndSet(Buffer& hll, uint32_t index, uint8_t value) {
  auto converted = ToDense(hll);
  if (!converted.ok()) return converted.status();
  return DenseSetIfGreater(hll, index, value);
}

// Joins adjacent VAL opcodes of equal value while the joined run fits one
// opcode, scanning a few opcodes from `p` (the opcode before the update).
void JoinValRuns(Buffer& hll, size_t p) {
  uint8_t* d = Bytes(hll.data());
  size_t end = hll.size();
  for (int budget = kMergeWindow; p < end && budget > 0; budget--) {
    uint8_t b = d[p];
    if ((b & 0xC0) == 0x40) {
      p += 2;
      continue;
    }
    if ((b & 0xC0) == 0x00) {
      p += 1;
      continue;
    }
    if (p + 1 < end && (d[p + 1] & 0x80)) {
      Op a = ReadOp(d + p, d + end);
      Op c = ReadOp(d + p + 1, d + end);
      if (a.value == c.value && a.len + c.len <= kValMaxLen) {
        d[p] = ValByte(a.value, a.len + c.len);
        memmove(d + p + 1, d + p + 2, end - p - 2);
        end--;
        // Stay on p: the joined run may join the next one too.
        continue;
      }
    }
    p++;
  }
  hll.Resize(end);
}

StatusOr<bool> SparseSet(Buffer& hll, uint32_t index, uint8_t value, size_t sparse_max_bytes) {
  if (value > kSparseMaxValue) return PromoteAndSet(hll, index, value);
  size_t size = hll.size();
  const uint8_t* d = Bytes(hll.data());
  size_t pos = kHeaderSize;
  size_t prev = 0;  // 0: no opcode before
  uint32_t first = 0;
  Op op{};
  bool found = false;
  while (pos < size) {
    op = ReadOp(d + pos, d + size);
    if (index - first < op.len) {
      found = true;
      break;
    }
    prev = pos;
    first += op.len;
    pos += op.bytes;
  }
  if (!found) return Corrupted();
  if (op.kind == OpKind::kVal && op.value >= value) return false;
  // An XZERO cut short at the very end: Redis rewrites it as if its NUL
  // terminator were the missing byte, then keeps its length arithmetic, which
  // drops the last byte written. Reproduce that with one byte of padding.
  bool padded = pos + op.bytes > size;

  // Replace the run by up to three: the part before `index`, the new value,
  // the part after, the outer parts keeping the run's kind (and value).
  uint32_t last = first + op.len - 1;
  uint8_t seq[5];
  size_t n = 0;
  auto emit_same = [&](uint32_t len) {
    if (op.kind == OpKind::kVal) {
      seq[n++] = ValByte(op.value, len);
    } else {
      n += WriteZeros(seq + n, len);
    }
  };
  if (index > first) emit_same(index - first);
  seq[n++] = ValByte(value, 1);
  if (index < last) emit_same(last - index);

  if (n > op.bytes && size + (n - op.bytes) > sparse_max_bytes) {
    return PromoteAndSet(hll, index, value);
  }
  if (padded) {
    hll.Resize(size + 1);
    hll.data()[size] = 0;
    size++;
  }
  if (n > op.bytes) {
    size_t grow = n - op.bytes;
    hll.Resize(size + grow);
    uint8_t* w = Bytes(hll.data());
    memmove(w + pos + n, w + pos + op.bytes, size - pos - op.bytes);
    memcpy(w + pos, seq, n);
  } else {
    uint8_t* w = Bytes(hll.data());
    memcpy(w + pos, seq, n);
    if (n < op.bytes) {
      memmove(w + pos + n, w + pos + op.bytes, size - pos - op.bytes);
      hll.Resize(size - (op.bytes - n));
    }
  }
  if (padded) hll.Resize(hll.size() - 1);
  JoinValRuns(hll, prev != 0 ? prev : kHeaderSize);
  InvalidateCache(hll.data());
  return true;
}

// Deterministic generator for the self test.
struct XorShift {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

}  // namespace

uint64_t MurmurHash64A(const void* data, size_t len, uint64_t seed) {
  // Austin Appleby's MurmurHash2, 64-bit variant A, reading blocks little endian.
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  const uint8_t* blocks_end = p + (len & ~size_t(7));
  uint64_t h = seed ^ (uint64_t(len) * m);
  for (; p != blocks_end; p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; i--) k = (k << 8) | p[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t tail = len & 7;
  if (tail != 0) {
    for (size_t i = tail; i-- > 0;) h ^= uint64_t(p[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern PatternOf(std::string_view element) {
  uint64_t h = MurmurHash64A(element.data(), element.size(), kHashSeed);
  uint32_t index = uint32_t(h & (kRegisters - 1));
  // The sentinel bit bounds the value at 64 - P + 1 when the rest is zero.
  h = (h >> kPrecision) | (uint64_t(1) << (64 - kPrecision));
  return {index, uint8_t(std::countr_zero(h) + 1)};
}

bool IsHll(std::string_view v) {
  if (v.size() < kHeaderSize || v.substr(0, 4) != "HYLL") return false;
  uint8_t enc = uint8_t(v[kEncodingOffset]);
  if (enc > uint8_t(Encoding::kSparse)) return false;
  return enc != uint8_t(Encoding::kDense) || v.size() == kDenseSize;
}

Encoding EncodingOf(std::string_view hll) { return Encoding(uint8_t(hll[kEncodingOffset])); }

bool CacheValid(std::string_view hll) { return (uint8_t(hll[kCardOffset + 7]) & 0x80) == 0; }

uint64_t CachedCardinality(std::string_view hll) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | uint8_t(hll[kCardOffset + size_t(i)]);
  return v;
}

void SetCachedCardinality(char* hll, uint64_t card) {
  for (size_t i = 0; i < 8; i++) hll[kCardOffset + i] = char(uint8_t(card >> (8 * i)));
}

void InvalidateCache(char* hll) {
  hll[kCardOffset + 7] = char(uint8_t(hll[kCardOffset + 7]) | 0x80);
}

std::string NewSparse() {
  std::string s(kHeaderSize, '\0');
  memcpy(s.data(), "HYLL", 4);
  s[kEncodingOffset] = char(Encoding::kSparse);
  uint8_t run[2];
  size_t n = WriteZeros(run, kRegisters);
  s.append(reinterpret_cast<const char*>(run), n);
  return s;
}

uint8_t DenseGet(const uint8_t* regs, uint32_t i) {
  size_t bit = size_t(i) * kRegisterBits;
  size_t byte = bit / 8;
  unsigned shift = unsigned(bit & 7);
  unsigned v = regs[byte] >> shift;
  // Only registers straddling a byte boundary touch the next byte, so the
  // last register (shift 2) never reads past the register area.
  if (shift > 8 - kRegisterBits) v |= unsigned(regs[byte + 1]) << (8 - shift);
  return uint8_t(v & 0x3F);
}

void DenseSet(uint8_t* regs, uint32_t i, uint8_t value) {
  size_t bit = size_t(i) * kRegisterBits;
  size_t byte = bit / 8;
  unsigned shift = unsigned(bit & 7);
  unsigned v = value & 0x3Fu;
  regs[byte] = uint8_t((regs[byte] & ~(0x3Fu << shift)) | (v << shift));
  if (shift > 8 - kRegisterBits) {
    unsigned hi = 8 - shift;
    regs[byte + 1] = uint8_t((regs[byte + 1] & ~(0x3Fu >> hi)) | (v >> hi));
  }
}

StatusOr<bool> Add(Buffer& hll, std::string_view element, size_t sparse_max_bytes) {
  Pattern p = PatternOf(element);
  return SetRegister(hll, p.index, p.value, sparse_max_bytes);
}

StatusOr<bool> SetRegister(Buffer& hll, uint32_t index, uint8_t value, size_t sparse_max_bytes) {
  if (EncodingOf(hll.view()) == Encoding::kDense) return DenseSetIfGreater(hll, index, value);
  return SparseSet(hll, index, value, sparse_max_bytes);
}

StatusOr<bool> ToDense(Buffer& hll) {
  std::string_view v = hll.view();
  if (EncodingOf(v) == Encoding::kDense) return false;
  std::string dense(kDenseSize, '\0');
  // The whole header carries over (cached cardinality included): the
  // registers, hence the estimate, do not change.
  memcpy(dense.data(), v.data(), kHeaderSize);
  dense[kEncodingOffset] = char(Encoding::kDense);
  uint8_t* regs = Bytes(dense.data()) + kHeaderSize;
  bool ok = WalkSparse(v, [&](uint32_t first, const Op& op) {
    if (op.kind != OpKind::kVal) return;
    for (uint32_t i = 0; i < op.len; i++) DenseSet(regs, first + i, op.value);
  });
  if (!ok) return Corrupted();
  hll.Resize(kDenseSize);
  memcpy(hll.data(), dense.data(), kDenseSize);
  return true;
}

Status MergeMax(std::string_view hll, Registers* max) {
  if (EncodingOf(hll) == Encoding::kDense) {
    const uint8_t* regs = Bytes(hll) + kHeaderSize;
    for (uint32_t i = 0; i < kRegisters; i++) {
      uint8_t v = DenseGet(regs, i);
      if (v > (*max)[i]) (*max)[i] = v;
    }
    return Status::Ok();
  }
  bool ok = WalkSparse(hll, [&](uint32_t first, const Op& op) {
    if (op.kind != OpKind::kVal) return;
    for (uint32_t i = first; i < first + op.len; i++) {
      if (op.value > (*max)[i]) (*max)[i] = op.value;
    }
  });
  return ok ? Status::Ok() : Corrupted();
}

StatusOr<uint64_t> Estimate(std::string_view hll) {
  Histogram c{};
  if (EncodingOf(hll) == Encoding::kDense) {
    const uint8_t* regs = Bytes(hll) + kHeaderSize;
    for (uint32_t i = 0; i < kRegisters; i++) c[DenseGet(regs, i)]++;
    return EstimateHistogram(c);
  }
  bool ok = WalkSparse(
      hll, [&](uint32_t, const Op& op) { c[op.kind == OpKind::kVal ? op.value : 0] += op.len; });
  if (!ok) return Corrupted();
  return EstimateHistogram(c);
}

uint64_t EstimateRegisters(const Registers& regs) {
  Histogram c{};
  for (uint8_t v : regs) c[v & 63]++;
  return EstimateHistogram(c);
}

std::string DecodeSparse(std::string_view hll) {
  std::string out;
  const uint8_t* p = Bytes(hll) + kHeaderSize;
  const uint8_t* end = Bytes(hll) + hll.size();
  while (p < end) {
    Op op = ReadOp(p, end);
    switch (op.kind) {
      case OpKind::kZero:
        out += "z:" + std::to_string(op.len) + " ";
        break;
      case OpKind::kXZero:
        out += "Z:" + std::to_string(op.len) + " ";
        break;
      case OpKind::kVal:
        out += "v:" + std::to_string(op.value) + "," + std::to_string(op.len) + " ";
        break;
    }
    p += op.bytes;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

Status SelfTest() {
  // 1. Register packing: random 6-bit values round-trip through every slot,
  //    twice so that overwriting a set register is covered too.
  XorShift rng{0x9E3779B97F4A7C15ULL};
  std::string area(kDenseSize - kHeaderSize + 1, '\0');
  uint8_t* regs = Bytes(area.data());
  Registers expect{};
  for (int round = 0; round < 2; round++) {
    for (uint32_t i = 0; i < kRegisters; i++) {
      expect[i] = uint8_t(rng.Next() & 0x3F);
      DenseSet(regs, i, expect[i]);
    }
    for (uint32_t i = 0; i < kRegisters; i++) {
      if (DenseGet(regs, i) != expect[i]) {
        return Status::Error("ERR TESTFAILED Register error at index " + std::to_string(i));
      }
    }
  }
  if (area.back() != '\0') return Status::Error("ERR TESTFAILED Register write past the end");

  // 2. A sparse value (promoted to dense on the way) and a dense one fed the
  //    same stream keep identical registers, and the estimate stays within
  //    a generous bound around the true count.
  std::string sparse = NewSparse();
  std::string dense = NewSparse();
  StringBuffer sb(&sparse), db(&dense);
  if (!ToDense(db).ok()) return Status::Error("ERR TESTFAILED conversion failed");
  const double kRelErr = 1.04 / std::sqrt(double(kRegisters));
  uint64_t next_check = 1;
  for (uint64_t n = 1; n <= 100000; n++) {
    std::string ele = "selftest:" + std::to_string(rng.Next());
    auto a = Add(sb, ele, kDefaultSparseMaxBytes);
    auto b = Add(db, ele, kDefaultSparseMaxBytes);
    if (!a.ok() || !b.ok() || *a != *b) return Status::Error("ERR TESTFAILED add mismatch");
    if (n != next_check) continue;
    next_check = next_check * 2 + 1;
    Registers ra{}, rb{};
    if (!MergeMax(sparse, &ra).ok() || !MergeMax(dense, &rb).ok() || ra != rb) {
      return Status::Error("ERR TESTFAILED sparse and dense registers differ");
    }
    auto e = Estimate(dense);
    if (!e.ok()) return Status::Error("ERR TESTFAILED dense estimate failed");
    double err = std::fabs(double(*e) - double(n));
    if (err > 6 * kRelErr * double(n) + 1) {
      return Status::Error("ERR TESTFAILED estimate " + std::to_string(*e) + " for " +
                           std::to_string(n));
    }
  }
  return Status::Ok();
}

}  // namespace basalt::storage::hll
