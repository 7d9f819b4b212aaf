// Bit commands in process, through the executor: SETBIT/GETBIT and their
// offset errors, BITCOUNT and BITPOS over BYTE and BIT ranges, BITFIELD's
// overflow modes and type errors, BITOP (NOT's arity), and which bit writes
// reach the write log. (bitops_test.cc tests the helpers underneath.)
// Expected replies are Redis 7.0.15's.
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using BitopsFamilyTest = CommandTest;

TEST_F(BitopsFamilyTest, SetBitGrowsTheStringAndGetBitReadsPastTheEnd) {
  EXPECT_TRUE(IsInt(Run({"SETBIT", "b", "7", "1"}), 0));
  EXPECT_TRUE(IsBulk(Run({"GET", "b"}), std::string_view("\x01", 1)));
  EXPECT_TRUE(IsInt(Run({"SETBIT", "b", "7", "0"}), 1));
  EXPECT_TRUE(IsInt(Run({"SETBIT", "b", "100", "1"}), 0));
  EXPECT_TRUE(IsInt(Run({"STRLEN", "b"}), 13));
  EXPECT_TRUE(IsInt(Run({"GETBIT", "b", "100"}), 1));
  EXPECT_TRUE(IsInt(Run({"GETBIT", "b", "1000000"}), 0));
  EXPECT_TRUE(IsInt(Run({"GETBIT", "missing", "0"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "missing"}), 0));
}

TEST_F(BitopsFamilyTest, SetBitArgumentErrors) {
  EXPECT_TRUE(IsError(Run({"SETBIT", "b", "4294967296", "1"}),
                      "ERR bit offset is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Run({"SETBIT", "b", "-1", "1"}), "ERR bit offset is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Run({"GETBIT", "b", "-1"}), "ERR bit offset is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SETBIT", "b", "0", "2"}), "ERR bit is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SETBIT", "b", "0", "x"}), "ERR bit is not an integer or out of range"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "b"}), 0));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"SETBIT", "l", "0", "1"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"BITCOUNT", "l"}), "WRONGTYPE"));
}

TEST_F(BitopsFamilyTest, SetBitThatChangesNothingIsNotLogged) {
  EXPECT_TRUE(IsInt(Run({"SETBIT", "h", "0", "0"}), 0));  // creates the key: logged
  EXPECT_TRUE(IsBulk(Run({"GET", "h"}), std::string_view("\0", 1)));
  EXPECT_TRUE(IsInt(Run({"SETBIT", "h", "0", "0"}), 0));
  EXPECT_TRUE(IsInt(Run({"SETBIT", "h", "1", "1"}), 0));
  EXPECT_TRUE(IsInt(Run({"SETBIT", "h", "1", "1"}), 1));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"SETBIT h 0 0", "SETBIT h 1 1"}));
}

TEST_F(BitopsFamilyTest, BitCountByteAndBitRanges) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "foobar"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s"}), 26));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "0", "0"}), 4));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "1", "1"}), 6));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "1", "1", "BYTE"}), 6));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "5", "30", "BIT"}), 17));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "-2", "-1"}), 7));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "-2", "-1", "BIT"}), 1));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "0", "-1", "bit"}), 26));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "2", "1"}), 0));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "0", "100"}), 26));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "missing", "0", "-1"}), 0));
}

TEST_F(BitopsFamilyTest, BitCountNegativeIndexesClampToTheFirstByte) {
  // Redis 7.0 clamps a start and an end before the string to 0, so the
  // first byte is still counted.
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "foobar"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "0", "-100"}), 4));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "s", "-100", "-100"}), 4));
}

TEST_F(BitopsFamilyTest, BitCountArgumentErrors) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "foobar"}), "OK"));
  EXPECT_TRUE(IsError(Run({"BITCOUNT", "s", "0"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BITCOUNT", "s", "0", "1", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(
      IsError(Run({"BITCOUNT", "s", "x", "1"}), "ERR value is not an integer or out of range"));
}

TEST_F(BitopsFamilyTest, BitPosByteAndBitRanges) {
  EXPECT_TRUE(IsStatus(Run({"SET", "p", std::string_view("\xff\xf0\x00", 3)}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p", "0"}), 12));
  EXPECT_TRUE(IsStatus(Run({"SET", "p2", std::string_view("\x00\xff\xf0", 3)}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "1", "0"}), 8));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "1", "2"}), 16));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "0", "1"}), 20));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "1", "2", "-1", "BYTE"}), 16));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "1", "7", "15", "BIT"}), 8));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "0", "8", "15", "BIT"}), -1));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "p2", "1", "5", "2"}), -1));
}

TEST_F(BitopsFamilyTest, BitPosForAClearBitPastTheEnd) {
  EXPECT_TRUE(IsStatus(Run({"SET", "ones", std::string_view("\xff\xff\xff", 3)}), "OK"));
  // Without an end the string is taken as padded with zeros; with one, not.
  EXPECT_TRUE(IsInt(Run({"BITPOS", "ones", "0"}), 24));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "ones", "0", "0"}), 24));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "ones", "0", "0", "-1"}), -1));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "ones", "0", "0", "-1", "BIT"}), -1));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "ones", "0", "1", "1"}), -1));
  EXPECT_TRUE(IsStatus(Run({"SET", "zeros", std::string_view("\0\0", 2)}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "zeros", "1"}), -1));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "missing", "0"}), 0));
  EXPECT_TRUE(IsInt(Run({"BITPOS", "missing", "1"}), -1));
  EXPECT_TRUE(IsError(Run({"BITPOS", "ones", "2"}), "ERR The bit argument must be 1 or 0."));
  EXPECT_TRUE(IsError(Run({"BITPOS", "ones", "1", "0", "-1", "FOO"}), "ERR syntax error"));
}

TEST_F(BitopsFamilyTest, BitFieldOverflowModes) {
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "0", "255", "GET", "u8", "0"})), "[:0 :255 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "INCRBY", "u8", "0", "10"})), "[:9 ]");  // WRAP default
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "0", "250"})), "[:9 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "10"})), "[:255 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"})), "[(nil) ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1"})), "[:0 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i8", "8", "200", "INCRBY",
                      "i8", "8", "-300"})),
            "[:127 :-128 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "i8", "8", "200"})), "[(nil) ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "i8", "8", "200"})), "[:-128 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "GET", "i8", "8"})), "[:-56 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "SAT", "SET", "u8", "16", "-5"})), "[:0 ]");
  // -5 read as unsigned is far above 255: SAT saturates it high.
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "GET", "u8", "16"})), "[:255 ]");
  // Positions with # are multiplied by the type's width.
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "#1", "7", "GET", "u8", "8"})), "[:200 :7 ]");
}

TEST_F(BitopsFamilyTest, BitFieldSixtyFourBitSigned) {
  EXPECT_EQ(Show(Run({"BITFIELD", "i", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64",
                      "0", "1"})),
            "[:0 :-9223372036854775808 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "i", "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807",
                      "INCRBY", "i64", "0", "1"})),
            "[:-9223372036854775808 :9223372036854775807 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "i", "GET", "u63", "0"})), "[:4611686018427387903 ]");
}

TEST_F(BitopsFamilyTest, BitFieldErrorsAndReadOnlyVariant) {
  const char* kBadType =
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
      "i64 is.";
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "GET", "u64", "0"}), kBadType));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "GET", "i65", "0"}), kBadType));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "GET", "x8", "0"}), kBadType));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "GET", "u8", "-1"}),
                      "ERR bit offset is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Run({"BITFIELD", "b", "OVERFLOW", "FOO"}), "ERR Invalid OVERFLOW type specified"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "GET", "u8"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "b", "INCRBY", "u8", "0", "x"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsArray(Run({"BITFIELD", "b"}), {}));
  EXPECT_EQ(Show(Run({"BITFIELD", "missing", "GET", "u8", "0"})), "[:0 ]");
  EXPECT_TRUE(IsInt(Run({"EXISTS", "missing"}), 0));
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "0", "127"})), "[:0 ]");
  EXPECT_EQ(Show(Run({"BITFIELD_RO", "b", "GET", "u8", "0"})), "[:127 ]");
  EXPECT_TRUE(IsError(Run({"BITFIELD_RO", "b", "SET", "u8", "0", "1"}),
                      "ERR BITFIELD_RO only supports the GET subcommand"));
  EXPECT_EQ(Show(Run({"BITFIELD_RO", "missing", "GET", "u8", "0"})), "[:0 ]");
}

TEST_F(BitopsFamilyTest, BitFieldLogsOnlyWhenBitsChange) {
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "0", "255"})), "[:0 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "SET", "u8", "0", "255"})), "[:255 ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"})), "[(nil) ]");
  EXPECT_EQ(Show(Run({"BITFIELD", "b", "GET", "u8", "0"})), "[:255 ]");
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"BITFIELD b SET u8 0 255"});
}

TEST_F(BitopsFamilyTest, BitOpNotArityAndOperations) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s1", std::string_view("\xf0", 1)}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s2", std::string_view("\x0f\xff", 2)}), "OK"));
  EXPECT_TRUE(IsError(Run({"BITOP", "NOT", "dst", "s1", "s2"}),
                      "ERR BITOP NOT must be called with a single source key."));
  EXPECT_TRUE(
      IsError(Run({"BITOP", "NOT", "dst"}), "ERR wrong number of arguments for 'bitop' command"));
  EXPECT_TRUE(IsError(Run({"BITOP", "FOO", "dst", "s1"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"BITOP", "NOT", "dst", "s1"}), 1));
  EXPECT_TRUE(IsBulk(Run({"GET", "dst"}), std::string_view("\x0f", 1)));
  // The shorter input is padded with zeros.
  EXPECT_TRUE(IsInt(Run({"BITOP", "AND", "dst", "s1", "s2"}), 2));
  EXPECT_TRUE(IsBulk(Run({"GET", "dst"}), std::string_view("\0\0", 2)));
  EXPECT_TRUE(IsInt(Run({"BITOP", "OR", "dst", "s1", "s2"}), 2));
  EXPECT_TRUE(IsBulk(Run({"GET", "dst"}), std::string_view("\xff\xff", 2)));
  EXPECT_TRUE(IsInt(Run({"BITOP", "XOR", "dst", "s1", "s2"}), 2));
  EXPECT_TRUE(IsBulk(Run({"GET", "dst"}), std::string_view("\xff\xff", 2)));
  // An empty result deletes the destination.
  EXPECT_TRUE(IsInt(Run({"BITOP", "AND", "dst", "nokey"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
  EXPECT_TRUE(IsInt(Run({"BITOP", "NOT", "dst2", "nokey"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst2"}), 0));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"BITOP", "AND", "dst", "s1", "l"}), "WRONGTYPE"));
}

TEST_F(BitopsFamilyTest, BitPosChecksTheUnitBeforeTheEnd) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "abc"}), "OK"));
  // As Redis 7.0: start, then BYTE | BIT, then end.
  EXPECT_TRUE(IsError(Run({"BITPOS", "s", "1", "0", "x", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BITPOS", "s", "1", "y", "x", "FOO"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"BITPOS", "s", "1", "0", "x", "BIT"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"BITCOUNT", "s", "x", "1", "FOO"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsInt(Run({"BITCOUNT", "missing", "x", "1", "FOO"}), 0));
}

TEST_F(BitopsFamilyTest, BitFieldParseErrorsInOrder) {
  EXPECT_TRUE(
      IsError(Run({"BITFIELD", "s", "OVERFLOW", "FOO"}), "ERR Invalid OVERFLOW type specified"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "s", "GET", "u8"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "s", "SET", "u8", "0", "x"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "s", "GET", "i0", "0"}), "ERR Invalid bitfield type"));
  EXPECT_TRUE(IsError(Run({"BITFIELD", "s", "GET", "u8", "-1"}),
                      "ERR bit offset is not an integer or out of range"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "s"}), 0));
}

TEST_F(BitopsFamilyTest, BitOpEmptyResultDeletesTheDestination) {
  EXPECT_TRUE(IsStatus(Run({"SET", "d", "x"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"BITOP", "AND", "d", "missing1", "missing2"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "d"}), 0));
  EXPECT_TRUE(IsError(Run({"BITOP", "NAND", "d", "a"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"BITOP", "or", "d", "l"}), "WRONGTYPE"));
}

}  // namespace
}  // namespace basalt::commands
