// HyperLogLog commands in process: PFADD/PFCOUNT/PFMERGE replies, strings
// that are not HLLs (WRONGTYPE) or are corrupted HLLs (INVALIDOBJ), the
// sparse -> dense promotion, and when PFCOUNT is itself a write (it caches
// the cardinality). Expected replies are Redis 7.0.15's, counts included:
// the hash and the register layout are Redis's.
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using HllFamilyTest = CommandTest;

// A sparse HLL header (magic, encoding 1, unused, cardinality cache marked
// stale) followed by `registers`, the sparse opcodes.
std::string SparseHll(std::string_view registers) {
  std::string s("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16);
  s.append(registers);
  return s;
}

constexpr const char* kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr const char* kCorrupted = "INVALIDOBJ Corrupted HLL object detected";

TEST_F(HllFamilyTest, PfAddRepliesWhetherARegisterChanged) {
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a", "b", "c"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h"}), 0));
  // PFADD without elements creates an empty HLL, once.
  EXPECT_TRUE(IsInt(Run({"PFADD", "new"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "new"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFADD", "new"}), 0));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "new"}), 0));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "h"}), "string"));
}

TEST_F(HllFamilyTest, PfCountOfOneKeyAndOfAUnion) {
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "missing"}), 0));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a", "b", "c"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h2", "c", "d"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 3));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h", "h2"}), 4));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h", "h2", "missing"}), 4));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "missing"}), 0));
}

TEST_F(HllFamilyTest, PfMergeUnionsIntoTheDestination) {
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a", "b", "c"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h2", "c", "d"}), 1));
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "dst", "h", "h2"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "dst"}), 4));
  // The destination's own registers take part.
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "h2", "h"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h2"}), 4));
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "h", "missing"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 3));
  // With no source at all it creates an empty HLL.
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "empty"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "empty"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "empty"}), 0));
}

TEST_F(HllFamilyTest, StringThatIsNotAnHllIsRefused) {
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a"}), 1));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "notanhll"}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFADD", "s", "a"}), kNotHll));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "s"}), kNotHll));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "h", "s"}), kNotHll));
  EXPECT_TRUE(IsError(Run({"PFMERGE", "dst", "s"}), kNotHll));
  EXPECT_TRUE(IsError(Run({"PFMERGE", "s", "h"}), kNotHll));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
  EXPECT_TRUE(IsBulk(Run({"GET", "s"}), "notanhll"));
  // The magic alone is not enough: too short, an unknown encoding, or a
  // dense HLL of the wrong size.
  EXPECT_TRUE(IsStatus(Run({"SET", "short", "HYLL"}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "short"}), kNotHll));
  std::string enc = SparseHll("\x7f\xff");
  enc[4] = '\x02';
  EXPECT_TRUE(IsStatus(Run({"SET", "enc", enc}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "enc"}), kNotHll));
  std::string dense = SparseHll("");
  dense[4] = '\0';
  EXPECT_TRUE(IsStatus(Run({"SET", "dense", dense}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "dense"}), kNotHll));
}

TEST_F(HllFamilyTest, OtherTypesGetThePlainWrongType) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_TRUE(IsError(Run({"PFADD", "l", "a"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "l"}), kWrongType));
  EXPECT_TRUE(IsError(Run({"PFMERGE", "dst", "l"}), kWrongType));
}

TEST_F(HllFamilyTest, CorruptedSparseHllIsInvalidObj) {
  // No opcodes: the registers do not add up to 16384.
  EXPECT_TRUE(IsStatus(Run({"SET", "bad", SparseHll("")}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "bad"}), kCorrupted));
  EXPECT_TRUE(IsError(Run({"PFADD", "bad", "a"}), kCorrupted));
  EXPECT_TRUE(IsError(Run({"PFMERGE", "dst", "bad"}), kCorrupted));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "bad", "bad"}), kCorrupted));
  // Two XZERO runs of 16384: too many registers.
  EXPECT_TRUE(IsStatus(Run({"SET", "bad2", SparseHll("\x7f\xff\x7f\xff")}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFCOUNT", "bad2"}), kCorrupted));
}

TEST_F(HllFamilyTest, HandBuiltSparseHllIsAccepted) {
  // One XZERO opcode covering all 16384 registers: a valid empty HLL.
  EXPECT_TRUE(IsStatus(Run({"SET", "ok", SparseHll("\x7f\xff")}), "OK"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "ok"}), 0));
  EXPECT_TRUE(IsInt(Run({"PFADD", "ok", "a"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "ok"}), 1));
}

TEST_F(HllFamilyTest, SparsePromotesToDenseWithRedisCounts) {
  for (int i = 0; i < 200; i++) Run({"PFADD", "h", "e" + std::to_string(i)});
  EXPECT_TRUE(IsStatus(Run({"PFDEBUG", "ENCODING", "h"}), "sparse"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 200));
  for (int i = 200; i < 5000; i++) Run({"PFADD", "h", "e" + std::to_string(i)});
  EXPECT_TRUE(IsStatus(Run({"PFDEBUG", "ENCODING", "h"}), "dense"));
  EXPECT_TRUE(IsInt(Run({"STRLEN", "h"}), 12304));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 4968));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h2", "x"}), 1));
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "h2", "h"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"PFDEBUG", "ENCODING", "h2"}), "dense"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h2"}), 4969));
}

TEST_F(HllFamilyTest, PfCountIsLoggedWhenItRefreshesTheCache) {
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a", "b", "c"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 3));  // stale cache: recomputed and stored
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 3));  // cached: a pure read
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 3));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h", "missing"}), 3));  // a union caches nothing
  EXPECT_TRUE(IsStatus(Run({"PFMERGE", "h", "missing"}), "OK"));
  EXPECT_EQ(LogCommands(),
            (std::vector<std::string>{"PFADD h a b c", "PFCOUNT h", "PFMERGE h missing"}));
}

TEST_F(HllFamilyTest, PfDebugSubcommandsAndErrorOrder) {
  // A missing key or a value of another kind wins over an unknown subcommand.
  EXPECT_TRUE(IsError(Run({"PFDEBUG", "FOO", "missing"}), "ERR The specified key does not exist"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "abc"}), "OK"));
  EXPECT_TRUE(IsError(Run({"PFDEBUG", "FOO", "s"}), kNotHll));
  EXPECT_TRUE(IsInt(Run({"PFADD", "h", "a", "b"}), 1));
  EXPECT_TRUE(IsError(Run({"PFDEBUG", "FOO", "h"}), "ERR Unknown PFDEBUG subcommand 'FOO'"));
  EXPECT_TRUE(IsStatus(Run({"PFDEBUG", "ENCODING", "h"}), "sparse"));
  EXPECT_TRUE(IsInt(Run({"PFDEBUG", "TODENSE", "h"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFDEBUG", "todense", "h"}), 0));
  EXPECT_TRUE(IsStatus(Run({"PFDEBUG", "encoding", "h"}), "dense"));
  EXPECT_TRUE(IsError(Run({"PFDEBUG", "DECODE", "h"}), "ERR HLL encoding is not sparse"));
  EXPECT_TRUE(IsInt(Run({"PFCOUNT", "h"}), 2));
}

}  // namespace
}  // namespace basalt::commands
