// Stream commands in process: XADD's IDs and errors, ranges, trims and what
// reaches the write log (Redis 7.0.15's forms), consumer groups, PELs,
// claims. Expected replies are Redis 7.0.15's.
#include <string>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using StreamFamilyTest = CommandTest;

TEST_F(StreamFamilyTest, XAddIdsAndErrors) {
  EXPECT_TRUE(IsBulk(Run({"XADD", "s", "1-1", "a", "1"}), "1-1"));
  EXPECT_TRUE(IsBulk(Run({"XADD", "s", "1-*", "a", "2"}), "1-2"));
  EXPECT_TRUE(IsBulk(Run({"XADD", "s", "5", "a", "3"}), "5-0"));
  EXPECT_TRUE(IsError(Run({"XADD", "s", "5-0", "a", "3"}),
                      "ERR The ID specified in XADD is equal or smaller than the target stream "
                      "top item"));
  EXPECT_TRUE(IsError(Run({"XADD", "s2", "0-0", "a", "1"}),
                      "ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_TRUE(IsBulk(Run({"XADD", "s2", "0-*", "a", "1"}), "0-1"));
  EXPECT_TRUE(IsError(Run({"XADD", "s", "x-1", "a", "1"}),
                      "ERR Invalid stream ID specified as stream command argument"));
  EXPECT_TRUE(IsError(Run({"XADD", "s", "*", "a"}),
                      "ERR wrong number of arguments for 'xadd' command"));
  EXPECT_TRUE(IsNil(Run({"XADD", "none", "NOMKSTREAM", "*", "a", "1"})));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "none"}), 0));
  EXPECT_TRUE(IsStatus(Run({"XSETID", "s", "18446744073709551615-18446744073709551615"}), "OK"));
  EXPECT_TRUE(IsError(Run({"XADD", "s", "*", "a", "1"}),
                      "ERR The stream has exhausted the last possible ID"));
  EXPECT_TRUE(IsInt(Run({"XLEN", "s"}), 3));
  Run({"SET", "str", "x"});
  EXPECT_TRUE(IsError(Run({"XADD", "str", "*", "a", "1"}), "WRONGTYPE"));
  EXPECT_TRUE(IsBulk(Run({"TYPE", "s"}), "stream") || IsStatus(Run({"TYPE", "s"}), "stream"));
}

TEST_F(StreamFamilyTest, RangesWithExclusiveBoundsAndCount) {
  for (int i = 1; i <= 5; i++) {
    std::string id = std::to_string(i) + "-0";
    Run({"XADD", "s", id, "f", "v"});
  }
  auto r = Run({"XRANGE", "s", "(1-0", "+", "COUNT", "2"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].elements[0].str, "2-0");
  r = Run({"XREVRANGE", "s", "+", "-", "COUNT", "1"});
  ASSERT_EQ(r.elements.size(), 1u);
  EXPECT_EQ(r.elements[0].elements[0].str, "5-0");
  EXPECT_TRUE(IsError(Run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}),
                      "ERR invalid start ID for the interval"));
  EXPECT_TRUE(IsError(Run({"XRANGE", "s", "-", "(0-0"}), "ERR invalid end ID for the interval"));
  EXPECT_TRUE(IsNil(Run({"XRANGE", "s", "-", "+", "COUNT", "0"})));
}

TEST_F(StreamFamilyTest, ApproxTrimIsLoggedAsExact) {
  Run({"CONFIG", "SET", "stream-node-max-entries", "10"});
  for (int i = 1; i <= 30; i++) {
    std::string id = std::to_string(i) + "-0";
    Run({"XADD", "s", id, "f", "v"});
  }
  EXPECT_TRUE(IsBulk(Run({"XADD", "s", "MAXLEN", "~", "15", "31-0", "f", "v"}), "31-0"));
  EXPECT_TRUE(IsInt(Run({"XLEN", "s"}), 21));
  EXPECT_EQ(LogCommands().back(), "XADD s MAXLEN = 21 31-0 f v");
  EXPECT_TRUE(IsInt(Run({"XTRIM", "s", "MINID", "~", "25"}), 10));
  EXPECT_EQ(LogCommands().back(), "XTRIM s MINID = 21-0");
  EXPECT_TRUE(IsInt(Run({"XTRIM", "s", "MINID", "~", "25"}), 0));
  EXPECT_EQ(LogCommands().back(), "XTRIM s MINID = 21-0");  // nothing trimmed, nothing logged
  EXPECT_TRUE(IsInt(Run({"XTRIM", "s", "MAXLEN", "~", "0"}), 11));
  EXPECT_EQ(LogCommands().back(), "XTRIM s MAXLEN = 0");
  EXPECT_TRUE(IsError(Run({"XTRIM", "s", "MAXLEN", "5", "LIMIT", "2"}),
                      "ERR syntax error, LIMIT cannot be used without the special ~ option"));
}

TEST_F(StreamFamilyTest, GroupReadAckAndPropagation) {
  Run({"XADD", "s", "1-0", "a", "1"});
  Run({"XADD", "s", "2-0", "b", "2"});
  EXPECT_TRUE(IsStatus(Run({"XGROUP", "CREATE", "s", "g", "0"}), "OK"));
  EXPECT_TRUE(IsError(Run({"XGROUP", "CREATE", "s", "g", "0"}), "BUSYGROUP"));
  auto r = Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  ASSERT_EQ(r.elements.size(), 1u);
  EXPECT_EQ(r.elements[0].elements[1].elements[0].elements[0].str, "1-0");
  auto log = LogCommands();
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(log.back().starts_with("XCLAIM s g c 0 1-0 TIME ")) << log.back();
  EXPECT_TRUE(log.back().ends_with(" RETRYCOUNT 1 FORCE JUSTID LASTID 1-0")) << log.back();
  r = Run({"XPENDING", "s", "g"});
  ASSERT_EQ(r.elements.size(), 4u);
  EXPECT_EQ(r.elements[0].integer, 1);
  EXPECT_TRUE(IsInt(Run({"XACK", "s", "g", "1-0", "9-9"}), 1));
  EXPECT_EQ(LogCommands().back(), "XACK s g 1-0 9-9");
  // NOACK: the group position is logged instead.
  Run({"XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "s", ">"});
  log = LogCommands();
  EXPECT_EQ(log.back(), "EXEC");
  EXPECT_EQ(log[log.size() - 3], "XGROUP CREATECONSUMER s g c2");
  EXPECT_EQ(log[log.size() - 2], "XGROUP SETID s g 2-0 ENTRIESREAD 2");
  EXPECT_TRUE(IsError(Run({"XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"}),
                      "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP "
                      "option"));
  EXPECT_TRUE(IsError(Run({"XREAD", "STREAMS", "s", "t", "0"}),
                      "ERR Unbalanced XREAD list of streams"));
}

TEST_F(StreamFamilyTest, ClaimAndAutoClaim) {
  Run({"XADD", "s", "1-0", "a", "1"});
  Run({"XADD", "s", "2-0", "b", "2"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"});
  auto r = Run({"XCLAIM", "s", "g", "c2", "0", "1-0", "JUSTID"});
  EXPECT_TRUE(IsArray(r, {"1-0"}));
  Run({"XDEL", "s", "2-0"});
  r = Run({"XAUTOCLAIM", "s", "g", "c3", "0", "0", "COUNT", "10"});
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].str, "0-0");
  ASSERT_EQ(r.elements[1].elements.size(), 1u);
  EXPECT_TRUE(IsArray(r.elements[2], {"2-0"}));
  r = Run({"XINFO", "CONSUMERS", "s", "g"});
  EXPECT_EQ(r.elements.size(), 3u);
  EXPECT_TRUE(IsError(Run({"XCLAIM", "s", "g", "c", "x", "1-0"}),
                      "ERR Invalid min-idle-time argument for XCLAIM"));
  EXPECT_TRUE(IsError(Run({"XCLAIM", "s", "g", "c", "0", "1-0", "BOGUS"}),
                      "ERR Unrecognized XCLAIM option 'BOGUS'"));
}

}  // namespace
}  // namespace basalt::commands
