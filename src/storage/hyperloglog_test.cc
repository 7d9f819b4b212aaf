#include "storage/hyperloglog.h"

#include <gtest/gtest.h>

#include <string>

namespace basalt::storage::hll {
namespace {

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out += char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// A sparse HLL built from a body of opcodes (hex), cache marked invalid.
std::string SparseWithBody(std::string_view body_hex) {
  std::string s = NewSparse().substr(0, kHeaderSize);
  InvalidateCache(s.data());
  return s + Unhex(body_hex);
}

TEST(HyperLogLog, MurmurHash64AKnownValues) {
  // Values of the published MurmurHash64A for these inputs and seeds.
  EXPECT_EQ(MurmurHash64A("", 0, 0), 0ULL);
  EXPECT_NE(MurmurHash64A("a", 1, kHashSeed), MurmurHash64A("b", 1, kHashSeed));
  // Tail lengths 0..7 and a full block all hash differently.
  std::string s = "0123456789abcdef";
  for (size_t n = 1; n <= s.size(); n++) {
    EXPECT_NE(MurmurHash64A(s.data(), n, kHashSeed), MurmurHash64A(s.data(), n - 1, kHashSeed));
  }
}

TEST(HyperLogLog, NewSparseLayout) {
  std::string h = NewSparse();
  EXPECT_EQ(Hex(h), "48594c4c01000000" + std::string(16, '0') + "7fff");
  EXPECT_TRUE(IsHll(h));
  EXPECT_EQ(EncodingOf(h), Encoding::kSparse);
  EXPECT_TRUE(CacheValid(h));
  EXPECT_EQ(CachedCardinality(h), 0u);
  EXPECT_EQ(DecodeSparse(h), "Z:16384");
}

TEST(HyperLogLog, MatchesRedisBytesForABC) {
  // Bytes redis-server 7.0.15 stores after PFADD h a b c (then PFCOUNT h).
  std::string h = NewSparse();
  StringBuffer b(&h);
  bool any = false;
  for (const char* e : {"a", "b", "c"}) any |= *Add(b, e, kDefaultSparseMaxBytes);
  EXPECT_TRUE(any);
  EXPECT_EQ(Hex(h), "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  EXPECT_FALSE(CacheValid(h));
  EXPECT_EQ(*Estimate(h), 3u);
  SetCachedCardinality(h.data(), 3);
  EXPECT_EQ(Hex(h.substr(0, kHeaderSize)), "48594c4c010000000300000000000000");
  EXPECT_EQ(DecodeSparse(h), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  // Re-adding changes nothing.
  EXPECT_FALSE(*Add(b, "a", kDefaultSparseMaxBytes));
}

TEST(HyperLogLog, HeaderValidation) {
  EXPECT_FALSE(IsHll(""));
  EXPECT_FALSE(IsHll("HYLL"));
  EXPECT_FALSE(IsHll(std::string("HYLX\x01", 5) + std::string(13, '\0')));
  std::string h = NewSparse();
  h[4] = 2;
  EXPECT_FALSE(IsHll(h));
  h[4] = 0;  // dense, but not 12304 bytes
  EXPECT_FALSE(IsHll(h));
  // A sparse header with no body is accepted; decoding it is what fails.
  std::string bare = NewSparse().substr(0, kHeaderSize);
  EXPECT_TRUE(IsHll(bare));
  EXPECT_FALSE(Estimate(bare).ok());
}

TEST(HyperLogLog, DenseRegisterPacking) {
  std::string area(kDenseSize - kHeaderSize, '\0');
  auto* regs = reinterpret_cast<uint8_t*>(area.data());
  for (uint32_t i = 0; i < kRegisters; i++) DenseSet(regs, i, uint8_t((i * 7 + 3) & 63));
  for (uint32_t i = 0; i < kRegisters; i++) ASSERT_EQ(DenseGet(regs, i), (i * 7 + 3) & 63) << i;
  // Register 0 is the low 6 bits of byte 0; register 1 straddles bytes 0 and 1.
  std::string z(kDenseSize - kHeaderSize, '\0');
  auto* r = reinterpret_cast<uint8_t*>(z.data());
  DenseSet(r, 1, 63);
  EXPECT_EQ(r[0], 0xC0);
  EXPECT_EQ(r[1], 0x0F);
  EXPECT_EQ(DenseGet(r, 0), 0);
  EXPECT_EQ(DenseGet(r, 2), 0);
  DenseSet(r, kRegisters - 1, 63);
  EXPECT_EQ(r[z.size() - 1], 0xFC);
}

TEST(HyperLogLog, SparseSplitAndJoin) {
  std::string h = NewSparse();
  StringBuffer b(&h);
  ASSERT_TRUE(*SetRegister(b, 100, 3, kDefaultSparseMaxBytes));
  EXPECT_EQ(DecodeSparse(h), "Z:100 v:3,1 Z:16283");
  // A neighbour with the same value joins into one VAL run.
  ASSERT_TRUE(*SetRegister(b, 101, 3, kDefaultSparseMaxBytes));
  EXPECT_EQ(DecodeSparse(h), "Z:100 v:3,2 Z:16282");
  // Short zero runs use the one-byte ZERO opcode.
  ASSERT_TRUE(*SetRegister(b, 110, 1, kDefaultSparseMaxBytes));
  EXPECT_EQ(DecodeSparse(h), "Z:100 v:3,2 z:8 v:1,1 Z:16273");
  // Lower or equal values do not change anything.
  EXPECT_FALSE(*SetRegister(b, 100, 2, kDefaultSparseMaxBytes));
  EXPECT_FALSE(*SetRegister(b, 100, 3, kDefaultSparseMaxBytes));
  // Raising one register inside a VAL run splits it.
  ASSERT_TRUE(*SetRegister(b, 101, 5, kDefaultSparseMaxBytes));
  EXPECT_EQ(DecodeSparse(h), "Z:100 v:3,1 v:5,1 z:8 v:1,1 Z:16273");
  Registers regs{};
  ASSERT_TRUE(MergeMax(h, &regs).ok());
  EXPECT_EQ(regs[100], 3);
  EXPECT_EQ(regs[101], 5);
  EXPECT_EQ(regs[110], 1);
  EXPECT_EQ(regs[0], 0);
}

TEST(HyperLogLog, PromotesOnLargeValueAndKeepsRegisters) {
  std::string h = NewSparse();
  StringBuffer b(&h);
  ASSERT_TRUE(*SetRegister(b, 5, 7, kDefaultSparseMaxBytes));
  ASSERT_TRUE(*SetRegister(b, 9, 33, kDefaultSparseMaxBytes));
  EXPECT_EQ(EncodingOf(h), Encoding::kDense);
  EXPECT_EQ(h.size(), kDenseSize);
  const auto* regs = reinterpret_cast<const uint8_t*>(h.data()) + kHeaderSize;
  EXPECT_EQ(DenseGet(regs, 5), 7);
  EXPECT_EQ(DenseGet(regs, 9), 33);
  EXPECT_FALSE(*ToDense(b));
}

TEST(HyperLogLog, PromotesWhenOverMaxBytes) {
  std::string h = NewSparse();
  StringBuffer b(&h);
  // Each isolated register costs up to three more bytes; a 40-byte limit is
  // hit after a handful.
  uint32_t i = 0;
  while (EncodingOf(h) == Encoding::kSparse) {
    size_t before = h.size();
    ASSERT_TRUE(*SetRegister(b, i, 1, 40));
    if (EncodingOf(h) == Encoding::kSparse) {
      ASSERT_LE(h.size(), 40u);
    } else {
      EXPECT_GT(before + 2, 40u);
    }
    i += 10;
  }
  Registers regs{};
  ASSERT_TRUE(MergeMax(h, &regs).ok());
  for (uint32_t j = 0; j < i; j += 10) EXPECT_EQ(regs[j], 1) << j;
}

TEST(HyperLogLog, ToDenseKeepsHeaderAndEstimate) {
  std::string h = NewSparse();
  StringBuffer b(&h);
  for (int i = 0; i < 200; i++) ASSERT_TRUE(Add(b, "e" + std::to_string(i), 3000).ok());
  uint64_t est = *Estimate(h);
  SetCachedCardinality(h.data(), est);
  std::string header = h.substr(0, kHeaderSize);
  ASSERT_TRUE(*ToDense(b));
  EXPECT_EQ(h.size(), kDenseSize);
  EXPECT_EQ(h.substr(8, 8), header.substr(8, 8));
  EXPECT_EQ(*Estimate(h), est);
}

TEST(HyperLogLog, EstimatorAccuracy) {
  std::string h = NewSparse();
  StringBuffer b(&h);
  EXPECT_EQ(*Estimate(h), 0u);
  for (int n = 1; n <= 50000; n++) {
    ASSERT_TRUE(Add(b, "element:" + std::to_string(n), kDefaultSparseMaxBytes).ok());
    if (n == 10 || n == 100 || n == 1000 || n == 10000 || n == 50000) {
      double est = double(*Estimate(h));
      EXPECT_NEAR(est, n, n * 0.03 + 1) << n;
    }
  }
  EXPECT_EQ(EncodingOf(h), Encoding::kDense);
}

TEST(HyperLogLog, MergeAndUnionEstimate) {
  std::string a = NewSparse(), c = NewSparse();
  StringBuffer ba(&a), bc(&c);
  for (int i = 0; i < 3000; i++) ASSERT_TRUE(Add(ba, "x" + std::to_string(i), 3000).ok());
  for (int i = 1500; i < 4500; i++) ASSERT_TRUE(Add(bc, "x" + std::to_string(i), 3000).ok());
  Registers max{};
  ASSERT_TRUE(MergeMax(a, &max).ok());
  ASSERT_TRUE(MergeMax(c, &max).ok());
  EXPECT_NEAR(double(EstimateRegisters(max)), 4500, 4500 * 0.03);
  // Applying the union to an empty HLL gives the same estimate.
  std::string u = NewSparse();
  StringBuffer bu(&u);
  for (uint32_t i = 0; i < kRegisters; i++) {
    if (max[i] != 0) {
      ASSERT_TRUE(SetRegister(bu, i, max[i], 3000).ok());
    }
  }
  EXPECT_EQ(*Estimate(u), EstimateRegisters(max));
}

TEST(HyperLogLog, CorruptSparseIsDetected) {
  std::string short_runs = SparseWithBody("7f00");  // XZERO of 16129: too few registers
  StringBuffer b(&short_runs);
  EXPECT_FALSE(Estimate(short_runs).ok());
  Registers max{};
  EXPECT_FALSE(MergeMax(short_runs, &max).ok());
  EXPECT_FALSE(ToDense(b).ok());
  EXPECT_EQ(Estimate(short_runs).status().message(), kCorruptedError);
  // A register inside the covered range can still be set; one past it fails.
  EXPECT_TRUE(*SetRegister(b, 10, 1, 3000));
  EXPECT_FALSE(SetRegister(b, 16200, 1, 3000).ok());

  std::string too_many = SparseWithBody("7fff80");  // 16385 registers
  EXPECT_FALSE(Estimate(too_many).ok());
  EXPECT_FALSE(MergeMax(too_many, &max).ok());
  // A truncated XZERO decodes its missing byte as 0 (Redis's NUL terminator).
  std::string truncated = SparseWithBody("7f");
  EXPECT_EQ(DecodeSparse(truncated), "Z:16129");
  EXPECT_FALSE(Estimate(truncated).ok());
  // Updating it rewrites the run as if that byte existed, then loses the last
  // byte written, exactly as redis-server 7.0.15 does ("a" is register 12711).
  StringBuffer bt(&truncated);
  EXPECT_TRUE(*Add(bt, "a", 3000));
  EXPECT_EQ(Hex(truncated.substr(kHeaderSize)), "71a6844d");
}

TEST(HyperLogLog, SelfTestPasses) { EXPECT_TRUE(SelfTest().ok()); }

}  // namespace
}  // namespace basalt::storage::hll
