// The executor's own rules, in process: lookup, arity, admission, MULTI
// queueing, EXEC's atomic group in the write log, WATCH.
#include "commands/executor.h"

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using ExecutorTest = CommandTest;

TEST_F(ExecutorTest, UnknownCommandQuotesItsArguments) {
  EXPECT_TRUE(IsError(Run({"NOSUCH", "a", "b"}),
                      "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
}

TEST_F(ExecutorTest, UnknownSubcommandNamesTheContainer) {
  EXPECT_TRUE(
      IsError(Run({"OBJECT", "nosuch", "k"}), "ERR unknown subcommand 'nosuch'. Try OBJECT HELP."));
}

TEST_F(ExecutorTest, WrongArityNamesTheCommandInLowerCase) {
  EXPECT_TRUE(IsError(Run({"GET"}), "ERR wrong number of arguments for 'get' command"));
  EXPECT_TRUE(IsError(Run({"SET", "k"}), "ERR wrong number of arguments for 'set' command"));
  EXPECT_TRUE(IsError(Run({"object", "encoding"}),
                      "ERR wrong number of arguments for 'object|encoding' command"));
}

TEST_F(ExecutorTest, UnauthenticatedSessionGetsNoAuthExceptForNoAuthCommands) {
  DetachedSession s(2, Origin::kClient);
  s.set_authenticated(false);
  EXPECT_TRUE(IsError(Run(s, {"GET", "k"}), "NOAUTH Authentication required."));
  // HELLO and AUTH are no_auth; AUTH without requirepass says so.
  EXPECT_TRUE(IsError(Run(s, {"AUTH", "pw"}), "ERR AUTH <password> called without"));
}

TEST_F(ExecutorTest, MultiQueuesAndExecRunsTheGroupAsOneLogEntry) {
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "a", "1"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"INCR", "a"}), "QUEUED"));
  protocol::Reply r = Run({"EXEC"});
  ASSERT_EQ(r.type, protocol::Reply::Type::kArray);
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_TRUE(IsStatus(r.elements[0], "OK"));
  EXPECT_TRUE(IsInt(r.elements[1], 2));
  std::string log = Log();
  size_t multi = log.find("MULTI");
  size_t exec = log.find("EXEC");
  ASSERT_NE(multi, std::string::npos) << log;
  ASSERT_NE(exec, std::string::npos) << log;
  EXPECT_LT(multi, log.find("SET")) << log;
  EXPECT_LT(log.find("INCR"), exec) << log;
  EXPECT_EQ(host_.dirty, 2);
}

TEST_F(ExecutorTest, ErrorWhileQueueingAbortsExec) {
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsError(Run({"SET", "a"}), "ERR wrong number of arguments"));
  EXPECT_TRUE(
      IsError(Run({"EXEC"}), "EXECABORT Transaction discarded because of previous errors."));
  EXPECT_TRUE(IsNil(Run({"GET", "a"})));
}

TEST_F(ExecutorTest, NoMultiCommandsAreRefusedInsideMulti) {
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsError(Run({"MULTI"}), "ERR MULTI calls can not be nested"));
  EXPECT_TRUE(IsStatus(Run({"DISCARD"}), "OK"));
  EXPECT_TRUE(IsError(Run({"EXEC"}), "ERR EXEC without MULTI"));
}

TEST_F(ExecutorTest, WatchedKeyWrittenByAnotherSessionFailsExec) {
  DetachedSession other(2, Origin::kClient);
  EXPECT_TRUE(IsStatus(Run({"WATCH", "w"}), "OK"));
  EXPECT_TRUE(IsStatus(Run(other, {"SET", "w", "x"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "w", "mine"}), "QUEUED"));
  EXPECT_TRUE(IsNil(Run({"EXEC"})));
  EXPECT_TRUE(IsBulk(Run({"GET", "w"}), "x"));
  // The failed EXEC dropped the watch: the next transaction runs.
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "w", "mine"}), "QUEUED"));
  EXPECT_EQ(Run({"EXEC"}).elements.size(), 1u);
  EXPECT_TRUE(IsBulk(Run({"GET", "w"}), "mine"));
}

TEST_F(ExecutorTest, LoaderSessionCountsNoStatistics) {
  DetachedSession loader(0, Origin::kLoader);
  uint64_t before = CurrentStats().commands.load();
  EXPECT_TRUE(IsStatus(Run(loader, {"SET", "k", "v"}), "OK"));
  EXPECT_EQ(CurrentStats().commands.load(), before);
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_EQ(CurrentStats().commands.load(), before + 1);
}

TEST_F(ExecutorTest, SelectChangesOnlyThisSessionsDatabase) {
  DetachedSession other(2, Origin::kClient);
  EXPECT_TRUE(IsStatus(Run({"SELECT", "3"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "three"}), "OK"));
  EXPECT_TRUE(IsNil(Run(other, {"GET", "k"})));
  EXPECT_TRUE(IsError(Run({"SELECT", "16"}), "ERR DB index is out of range"));
  EXPECT_EQ(session_.db(), 3);
}

}  // namespace
}  // namespace basalt::commands
