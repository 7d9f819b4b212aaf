#include "commands/bitops.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace basalt::commands::bitops {
namespace {

constexpr int64_t kMaxBytes = 512 * 1024 * 1024;

TEST(BitopsTest, ParseBitOffset) {
  EXPECT_EQ(ParseBitOffset("0", 0, kMaxBytes), 0u);
  EXPECT_EQ(ParseBitOffset("4294967295", 0, kMaxBytes), 4294967295u);
  EXPECT_FALSE(ParseBitOffset("4294967296", 0, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("-1", 0, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("+1", 0, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("01", 0, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("", 0, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("abc", 0, kMaxBytes));
  // '#' is only understood with a field width (BITFIELD).
  EXPECT_FALSE(ParseBitOffset("#1", 0, kMaxBytes));
  EXPECT_EQ(ParseBitOffset("#3", 8, kMaxBytes), 24u);
  EXPECT_FALSE(ParseBitOffset("#", 8, kMaxBytes));
  EXPECT_FALSE(ParseBitOffset("#-1", 8, kMaxBytes));
  EXPECT_EQ(ParseBitOffset("#536870911", 8, kMaxBytes), 4294967288u);
  EXPECT_FALSE(ParseBitOffset("#536870912", 8, kMaxBytes));
  // The product wraps in 64 bits as in Redis: 2^61 * 64 = 2^67 -> 0.
  EXPECT_EQ(ParseBitOffset("#2305843009213693952", 64, kMaxBytes), 0u);
  EXPECT_FALSE(ParseBitOffset("#144115188075855872", 64, kMaxBytes));  // 2^63: negative
  EXPECT_FALSE(ParseBitOffset("#9223372036854775807", 8, kMaxBytes));
  // The limit follows proto-max-bulk-len.
  EXPECT_EQ(ParseBitOffset("8388607", 0, 1024 * 1024), 8388607u);
  EXPECT_FALSE(ParseBitOffset("8388608", 0, 1024 * 1024));
}

TEST(BitopsTest, ParseFieldType) {
  auto t = ParseFieldType("i64");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->is_signed);
  EXPECT_EQ(t->bits, 64);
  t = ParseFieldType("u63");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->is_signed);
  EXPECT_EQ(t->bits, 63);
  EXPECT_TRUE(ParseFieldType("u1"));
  EXPECT_TRUE(ParseFieldType("i1"));
  for (const char* bad :
       {"u64", "i65", "i0", "u0", "I8", "U8", "x8", "i", "", "i08", "i+8", "i-8", "i8 "}) {
    EXPECT_FALSE(ParseFieldType(bad)) << bad;
  }
}

TEST(BitopsTest, GetSetBit) {
  std::string s(2, '\0');
  EXPECT_EQ(SetBit(s.data(), 0, 1), 0);
  EXPECT_EQ(uint8_t(s[0]), 0x80);
  EXPECT_EQ(SetBit(s.data(), 15, 1), 0);
  EXPECT_EQ(uint8_t(s[1]), 0x01);
  EXPECT_EQ(SetBit(s.data(), 15, 1), 1);
  EXPECT_EQ(SetBit(s.data(), 0, 0), 1);
  EXPECT_EQ(uint8_t(s[0]), 0);
  EXPECT_EQ(GetBit(s, 15), 1);
  EXPECT_EQ(GetBit(s, 14), 0);
  EXPECT_EQ(GetBit(s, 16), 0);
  EXPECT_EQ(GetBit(s, 1ull << 40), 0);
}

TEST(BitopsTest, ResolveRange) {
  BitRange r = ResolveRange(0, -1, 3, false, true);
  ASSERT_FALSE(r.empty);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 23u);
  r = ResolveRange(1, 1, 3, false, true);
  EXPECT_EQ(r.first, 8u);
  EXPECT_EQ(r.last, 15u);
  r = ResolveRange(-5, 100, 3, true, true);
  EXPECT_EQ(r.first, 19u);
  EXPECT_EQ(r.last, 23u);
  EXPECT_TRUE(ResolveRange(2, 1, 3, false, true).empty);
  EXPECT_TRUE(ResolveRange(0, -1, 0, false, true).empty);
  EXPECT_TRUE(ResolveRange(3, 5, 3, false, false).empty);
  // Both negative and reversed: empty for BITCOUNT, clamped to byte 0 for BITPOS.
  EXPECT_TRUE(ResolveRange(-20, -30, 5, false, true).empty);
  r = ResolveRange(-20, -30, 5, false, false);
  ASSERT_FALSE(r.empty);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 7u);
  r = ResolveRange(INT64_MIN, INT64_MAX, 5, true, false);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 39u);
  EXPECT_TRUE(WholeRange(0).empty);
  EXPECT_EQ(WholeRange(2).last, 15u);
}

uint64_t NaiveCount(const std::string& s, BitRange r) {
  if (r.empty) return 0;
  uint64_t n = 0;
  for (uint64_t i = r.first; i <= r.last; i++) n += GetBit(s, i);
  return n;
}

int64_t NaiveFind(const std::string& s, int bit, BitRange r) {
  if (r.empty) return -1;
  for (uint64_t i = r.first; i <= r.last; i++) {
    if (GetBit(s, i) == bit) return int64_t(i);
  }
  return -1;
}

TEST(BitopsTest, CountAndFindMatchNaive) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 3000; iter++) {
    size_t len = rng() % 40;
    std::string s(len, '\0');
    int style = int(rng() % 4);
    for (auto& c : s) {
      // Runs of 0x00 / 0xff exercise the word-skipping paths.
      c = style == 0   ? char(rng())
          : style == 1 ? '\0'
          : style == 2 ? char(0xff)
                       : char(rng() % 3 ? 0xff : rng());
    }
    if (len > 0 && style != 0) s[rng() % len] = char(rng());
    int64_t total = int64_t(len * 8);
    int64_t a = int64_t(rng() % (total + 20)) - 10 - (rng() % 2 ? total : 0);
    int64_t b = int64_t(rng() % (total + 20)) - 10 - (rng() % 2 ? total : 0);
    bool bits = rng() % 2;
    BitRange r = ResolveRange(a, b, len, bits, false);
    EXPECT_EQ(CountBits(s, r), NaiveCount(s, r));
    for (int bit = 0; bit <= 1; bit++) EXPECT_EQ(FindBit(s, bit, r), NaiveFind(s, bit, r));
  }
}

TEST(BitopsTest, BitOp) {
  std::vector<std::string_view> src = {std::string_view("\xff\x0f", 2), std::string_view("\x0f")};
  EXPECT_EQ(BitOp(BitOpKind::kAnd, src), std::string("\x0f\x00", 2));
  EXPECT_EQ(BitOp(BitOpKind::kOr, src), std::string("\xff\x0f", 2));
  EXPECT_EQ(BitOp(BitOpKind::kXor, src), std::string("\xf0\x0f", 2));
  std::vector<std::string_view> one = {std::string_view("\x0f\xf0", 2)};
  EXPECT_EQ(BitOp(BitOpKind::kNot, one), std::string("\xf0\x0f", 2));
  // A missing key is an empty string: AND with it is all zeros.
  std::vector<std::string_view> with_empty = {std::string_view("abc"), std::string_view()};
  EXPECT_EQ(BitOp(BitOpKind::kAnd, with_empty), std::string(3, '\0'));
  EXPECT_EQ(BitOp(BitOpKind::kOr, with_empty), "abc");
  std::vector<std::string_view> empties = {std::string_view(), std::string_view()};
  EXPECT_EQ(BitOp(BitOpKind::kAnd, empties), "");
  std::vector<std::string_view> self = {std::string_view("abc"), std::string_view("abc")};
  EXPECT_EQ(BitOp(BitOpKind::kXor, self), std::string(3, '\0'));
}

TEST(BitopsTest, Fields) {
  std::string s(10, '\0');
  SetField(s.data(), 3, 8, 0xAB);
  EXPECT_EQ(GetField(s, 3, 8), 0xABu);
  EXPECT_EQ(uint8_t(s[0]), 0x15);
  EXPECT_EQ(uint8_t(s[1]), 0x60);
  SetField(s.data(), 5, 64, 0x8000000000000001ull);
  EXPECT_EQ(GetField(s, 5, 64), 0x8000000000000001ull);
  EXPECT_EQ(ToSigned(GetField(s, 5, 64), 64), INT64_MIN + 1);
  // Reads past the end are zero.
  EXPECT_EQ(GetField("\xff", 4, 8), 0xF0u);
  EXPECT_EQ(ToSigned(0xFF, 8), -1);
  EXPECT_EQ(ToSigned(0x7F, 8), 127);
  EXPECT_EQ(ToSigned(0x80, 8), -128);
  EXPECT_EQ(ToSigned(1, 1), -1);
  EXPECT_EQ(ToSigned(0x1FF, 8), -1);  // bits above the width are ignored
}

FieldType I(int bits) { return {true, bits}; }
FieldType U(int bits) { return {false, bits}; }

int64_t Val(FieldResult r) {
  EXPECT_FALSE(r.failed);
  return r.value;
}

TEST(BitopsTest, FieldSetOverflow) {
  EXPECT_EQ(Val(FieldSet(U(8), 300, Overflow::kWrap)), 44);
  EXPECT_EQ(Val(FieldSet(U(8), 300, Overflow::kSat)), 255);
  EXPECT_TRUE(FieldSet(U(8), 300, Overflow::kFail).failed);
  // Negative values are taken as huge unsigned ones: upward overflow.
  EXPECT_EQ(Val(FieldSet(U(8), -1, Overflow::kSat)), 255);
  EXPECT_EQ(Val(FieldSet(U(8), -1, Overflow::kWrap)), 255);
  EXPECT_EQ(Val(FieldSet(U(8), -255, Overflow::kWrap)), 1);
  EXPECT_EQ(Val(FieldSet(U(63), -1, Overflow::kSat)), INT64_MAX);
  EXPECT_EQ(Val(FieldSet(I(8), -129, Overflow::kSat)), -128);
  EXPECT_EQ(Val(FieldSet(I(8), 128, Overflow::kSat)), 127);
  EXPECT_EQ(Val(FieldSet(I(8), 128, Overflow::kWrap)), -128);
  EXPECT_EQ(Val(FieldSet(I(8), -128, Overflow::kFail)), -128);
  EXPECT_EQ(Val(FieldSet(I(64), INT64_MIN, Overflow::kFail)), INT64_MIN);
  // Redis's wrapping direction check: very negative values saturate upward.
  EXPECT_EQ(Val(FieldSet(I(8), INT64_MIN, Overflow::kSat)), 127);
  EXPECT_EQ(Val(FieldSet(I(8), INT64_MIN + 127, Overflow::kSat)), 127);
  EXPECT_EQ(Val(FieldSet(I(8), INT64_MIN + 128, Overflow::kSat)), -128);
  EXPECT_EQ(Val(FieldSet(I(8), INT64_MIN, Overflow::kWrap)), 0);
}

TEST(BitopsTest, FieldIncrOverflow) {
  EXPECT_EQ(Val(FieldIncr(I(8), 1, 1000, Overflow::kSat)), 127);
  EXPECT_EQ(Val(FieldIncr(I(8), 1, -1000, Overflow::kSat)), -128);
  EXPECT_EQ(Val(FieldIncr(I(8), 127, 1, Overflow::kWrap)), -128);
  EXPECT_TRUE(FieldIncr(I(8), 127, 1, Overflow::kFail).failed);
  EXPECT_EQ(Val(FieldIncr(I(64), INT64_MIN, -1, Overflow::kSat)), INT64_MIN);
  EXPECT_EQ(Val(FieldIncr(I(64), INT64_MIN, INT64_MAX, Overflow::kSat)), -1);
  EXPECT_EQ(Val(FieldIncr(I(64), INT64_MAX, 1, Overflow::kWrap)), INT64_MIN);
  EXPECT_EQ(Val(FieldIncr(I(8), 0, INT64_MAX, Overflow::kWrap)), -1);
  EXPECT_EQ(Val(FieldIncr(I(8), -5, INT64_MIN, Overflow::kSat)), -128);
  EXPECT_EQ(Val(FieldIncr(U(63), INT64_MAX, -5, Overflow::kSat)), INT64_MAX - 5);
  EXPECT_EQ(Val(FieldIncr(U(63), INT64_MAX - 5, INT64_MAX, Overflow::kSat)), INT64_MAX);
  EXPECT_EQ(Val(FieldIncr(U(63), INT64_MAX, 1, Overflow::kWrap)), 0);
  EXPECT_EQ(Val(FieldIncr(U(8), 3, -5, Overflow::kSat)), 0);
  EXPECT_EQ(Val(FieldIncr(U(8), 3, -5, Overflow::kWrap)), 254);
  EXPECT_TRUE(FieldIncr(U(8), 3, -5, Overflow::kFail).failed);
  EXPECT_EQ(Val(FieldIncr(U(1), 1, 1, Overflow::kWrap)), 0);
  EXPECT_EQ(Val(FieldIncr(U(4), 15, 0, Overflow::kFail)), 15);
}

}  // namespace
}  // namespace basalt::commands::bitops
