// MONITOR in process: the line format (Redis's quoting of arguments, the
// source shown, credentials redacted), what a monitoring session may still
// run, and MONITOR's refusals. Delivery to monitors is the server's and is
// tested over sockets (tests/integration/test_monitor.py).
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"
#include "commands/monitor.h"

namespace basalt::commands {
namespace {

using MonitorTest = CommandTest;

std::string Quoted(std::string_view s) {
  std::string out;
  AppendQuoted(&out, s);
  return out;
}

TEST(MonitorFormat, QuotesAsRedis) {
  EXPECT_EQ(Quoted("plain text"), "\"plain text\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("\n\r\t\a\b"), "\"\\n\\r\\t\\a\\b\"");
  EXPECT_EQ(Quoted(std::string("\x00\x01\x7f\xff", 4)), "\"\\x00\\x01\\x7f\\xff\"");
  EXPECT_EQ(Quoted("\xc3\xa9"), "\"\\xc3\\xa9\"");
  EXPECT_EQ(Quoted(""), "\"\"");
}

TEST(MonitorFormat, LineLayoutAndRedaction) {
  CommandTable table;
  RegisterAllFamilies(table);
  table.Finalize();
  std::vector<std::string_view> set = {"SET", "k", "v 1"};
  EXPECT_EQ(MonitorLine(1700000000000042, 3, "127.0.0.1:5000", *table.Find("set"), set),
            "+1700000000.000042 [3 127.0.0.1:5000] \"SET\" \"k\" \"v 1\"\r\n");
  std::vector<std::string_view> auth = {"AUTH", "user", "pw"};
  EXPECT_EQ(MonitorLine(1000000, 0, "lua", *table.Find("auth"), auth),
            "+1.000000 [0 lua] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n");
  std::vector<std::string_view> hello = {"HELLO", "3", "SETNAME", "n", "AUTH", "u", "p"};
  EXPECT_EQ(MonitorLine(1000000, 0, "x", *table.Find("hello"), hello),
            "+1.000000 [0 x] \"HELLO\" \"3\" \"SETNAME\" \"n\" \"AUTH\" \"(redacted)\" "
            "\"(redacted)\"\r\n");
  // HELLO without AUTH shows everything.
  std::vector<std::string_view> hello2 = {"HELLO", "2", "SETNAME", "auth"};
  EXPECT_EQ(MonitorLine(1000000, 0, "x", *table.Find("hello"), hello2),
            "+1.000000 [0 x] \"HELLO\" \"2\" \"SETNAME\" \"auth\"\r\n");
}

TEST_F(MonitorTest, MonitorNeedsAConnection) {
  // An in-process session has no socket to stream to.
  EXPECT_TRUE(IsError(Run({"MONITOR"}), "ERR MONITOR isn't allowed for DENY BLOCKING client"));
}

TEST_F(MonitorTest, MonitoringSessionMayNotTouchTheKeyspace) {
  session_.monitor.store(true);
  EXPECT_TRUE(IsError(Run({"GET", "k"}), "ERR Replica can't interact with the keyspace"));
  EXPECT_TRUE(IsError(Run({"SET", "k", "v"}), "ERR Replica can't interact with the keyspace"));
  EXPECT_TRUE(IsError(Run({"DBSIZE"}), "ERR Replica can't interact with the keyspace"));
  EXPECT_TRUE(IsError(Run({"PUBLISH", "c", "m"}), "ERR Replica can't interact with the keyspace"));
  EXPECT_TRUE(IsStatus(Run({"PING"}), "PONG"));
  EXPECT_TRUE(IsBulk(Run({"ECHO", "x"}), "x"));
  session_.monitor.store(false);
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
}

}  // namespace
}  // namespace basalt::commands
