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

}  // namespace
}  // namespace basalt::commands
