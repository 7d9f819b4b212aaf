// String commands in process: the edge cases of SET's options, INCR's
// overflow, and what reaches the write log.
#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using StringFamilyTest = CommandTest;

TEST_F(StringFamilyTest, SetNxXxGet) {
  EXPECT_TRUE(IsNil(Run({"SET", "k", "a", "XX"})));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "a", "NX"}), "OK"));
  EXPECT_TRUE(IsNil(Run({"SET", "k", "b", "NX"})));
  EXPECT_TRUE(IsBulk(Run({"SET", "k", "c", "GET"}), "a"));
  EXPECT_TRUE(IsError(Run({"SET", "k", "d", "NX", "XX"}), "ERR syntax error"));
  EXPECT_TRUE(IsBulk(Run({"GET", "k"}), "c"));
}

TEST_F(StringFamilyTest, SetWithRelativeExpireIsLoggedAsAbsolute) {
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v", "EX", "100"}), "OK"));
  std::string log = Log();
  EXPECT_NE(log.find("PXAT"), std::string::npos) << log;
  EXPECT_EQ(log.find("\r\nEX\r\n"), std::string::npos) << log;
}

TEST_F(StringFamilyTest, SetRejectsBadExpireTimes) {
  EXPECT_TRUE(IsError(Run({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set'"));
  EXPECT_TRUE(IsError(Run({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer"));
  EXPECT_TRUE(IsNil(Run({"GET", "k"})));
}

TEST_F(StringFamilyTest, IncrOverflowAndWrongType) {
  EXPECT_TRUE(IsStatus(Run({"SET", "n", "9223372036854775807"}), "OK"));
  EXPECT_TRUE(IsError(Run({"INCR", "n"}), "ERR increment or decrement would overflow"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "abc"}), "OK"));
  EXPECT_TRUE(IsError(Run({"INCR", "s"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "x"}), 1));
  EXPECT_TRUE(IsError(Run({"INCR", "l"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"GET", "l"}), "WRONGTYPE"));
}

TEST_F(StringFamilyTest, FailedCommandsAreNotPropagated) {
  int64_t before = host_.write_log().offset();
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "abc"}), "OK"));
  int64_t after_set = host_.write_log().offset();
  EXPECT_GT(after_set, before);
  EXPECT_TRUE(IsError(Run({"INCR", "s"}), "ERR"));
  EXPECT_TRUE(IsNil(Run({"SET", "s", "x", "NX"})));
  EXPECT_EQ(host_.write_log().offset(), after_set);
  EXPECT_EQ(host_.dirty, 1);
}

TEST_F(StringFamilyTest, AppendAndStrlen) {
  EXPECT_TRUE(IsInt(Run({"APPEND", "k", "ab"}), 2));
  EXPECT_TRUE(IsInt(Run({"APPEND", "k", "cd"}), 4));
  EXPECT_TRUE(IsInt(Run({"STRLEN", "k"}), 4));
  EXPECT_TRUE(IsInt(Run({"STRLEN", "missing"}), 0));
  EXPECT_TRUE(IsBulk(Run({"GETRANGE", "k", "1", "-2"}), "bc"));
}

TEST_F(StringFamilyTest, SetGetOnAnotherTypeIsWrongTypeBeforeNx) {
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"SET", "l", "v", "GET", "NX"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"SET", "l", "v", "GET"}), "WRONGTYPE"));
  EXPECT_TRUE(IsStatus(Run({"SET", "l", "v"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"SET", "l", "w", "GET", "XX"}), "v"));
  EXPECT_TRUE(IsNil(Run({"SET", "m", "w", "GET", "XX"})));
  EXPECT_TRUE(IsNil(Run({"GET", "m"})));
}

TEST_F(StringFamilyTest, GetExOptionsAndChanges) {
  EXPECT_TRUE(IsError(Run({"GETEX", "k", "EX", "10", "PERSIST"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GETEX", "k", "NX"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"GETEX", "k", "EX"}), "ERR syntax error"));
  EXPECT_TRUE(IsNil(Run({"GETEX", "k", "EX", "10"})));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"GETEX", "k", "EX", "100"}), "v"));
  EXPECT_TRUE(IsInt(Run({"TTL", "k"}), 100));
  EXPECT_TRUE(IsBulk(Run({"GETEX", "k", "PERSIST"}), "v"));
  EXPECT_TRUE(IsInt(Run({"TTL", "k"}), -1));
  EXPECT_TRUE(IsBulk(Run({"GETEX", "k", "PXAT", "1"}), "v"));
  EXPECT_TRUE(IsNil(Run({"GET", "k"})));
  std::string log = Log();
  EXPECT_NE(log.find("PEXPIREAT"), std::string::npos) << log;
  EXPECT_NE(log.find("PERSIST"), std::string::npos) << log;
  EXPECT_NE(log.find("DEL"), std::string::npos) << log;
}

TEST_F(StringFamilyTest, GetDelGetSetAndSetRange) {
  EXPECT_TRUE(IsNil(Run({"GETDEL", "k"})));
  EXPECT_TRUE(IsNil(Run({"GETSET", "k", "a"})));
  EXPECT_TRUE(IsBulk(Run({"GETSET", "k", "b"}), "a"));
  EXPECT_TRUE(IsBulk(Run({"GETDEL", "k"}), "b"));
  EXPECT_TRUE(IsNil(Run({"GET", "k"})));
  EXPECT_TRUE(IsInt(Run({"SETRANGE", "k", "2", ""}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "k"}), 0));
  EXPECT_TRUE(IsInt(Run({"SETRANGE", "k", "2", "xy"}), 4));
  EXPECT_TRUE(IsBulk(Run({"GET", "k"}), std::string_view("\0\0xy", 4)));
  EXPECT_TRUE(IsError(Run({"SETRANGE", "k", "-1", "x"}), "ERR offset is out of range"));
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"SETRANGE", "l", "0", ""}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"GETDEL", "l"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"APPEND", "l", "x"}), "WRONGTYPE"));
}

TEST_F(StringFamilyTest, MSetNxStoresNothingWhenAnyKeyExists) {
  EXPECT_TRUE(IsInt(Run({"MSETNX", "a", "1", "b", "2"}), 1));
  EXPECT_TRUE(IsInt(Run({"MSETNX", "c", "3", "a", "9"}), 0));
  EXPECT_TRUE(IsNil(Run({"GET", "c"})));
  EXPECT_TRUE(IsBulk(Run({"GET", "a"}), "1"));
  EXPECT_TRUE(IsError(Run({"MSET", "a", "1", "b"}), "ERR wrong number of arguments for 'mset'"));
  EXPECT_TRUE(IsStatus(Run({"MSET", "a", "5", "a", "6"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"GET", "a"}), "6"));
}

TEST_F(StringFamilyTest, LcsOptionErrors) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "abc"}), "OK"));
  EXPECT_TRUE(IsError(Run({"LCS", "s", "s", "MINMATCHLEN"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"LCS", "s", "s", "MINMATCHLEN", "x"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"LCS", "s", "s", "LEN", "IDX"}),
                      "ERR If you want both the length and indexes, please just use IDX."));
  EXPECT_TRUE(IsInt(Run({"LCS", "s", "s", "len", "MINMATCHLEN", "-5"}), 3));
}

// SET ... GET counts a keyspace hit or miss as GET does; plain SET counts
// nothing (checked against redis-server 7.0.15: hits 3, misses 1).
TEST_F(StringFamilyTest, SetGetCountsKeyspaceHitsAndMisses) {
  uint64_t hits = CurrentStats().hits.load(), misses = CurrentStats().misses.load();
  EXPECT_TRUE(IsStatus(Run({"SET", "plain", "v"}), "OK"));
  EXPECT_TRUE(IsNil(Run({"SET", "a", "v", "GET"})));
  EXPECT_TRUE(IsBulk(Run({"SET", "a", "w", "GET"}), "v"));
  EXPECT_TRUE(IsBulk(Run({"SET", "a", "x", "NX", "GET"}), "w"));
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "x"}), 1));
  EXPECT_TRUE(IsError(Run({"SET", "l", "x", "GET"}), "WRONGTYPE"));
  EXPECT_EQ(CurrentStats().hits.load() - hits, 3u);
  EXPECT_EQ(CurrentStats().misses.load() - misses, 1u);
}

}  // namespace
}  // namespace basalt::commands
