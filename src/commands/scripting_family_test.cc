// EVAL and friends through the in-process executor: replies, errors, the
// effects that reach the write log, EXEC around scripts, and the script
// gate. Wire behaviour against redis-server is in
// tests/integration/test_diff_scripting.py; concurrency, BUSY/KILL and
// replication in tests/integration/test_scripting.py.
#include <gtest/gtest.h>

#include <thread>

#include "commands/command_stats.h"
#include "commands/command_test_fixture.h"
#include "scripting/lua_engine.h"
#include "scripting/runtime.h"

namespace basalt::commands {
namespace {

class ScriptingTest : public CommandTest {};

TEST_F(ScriptingTest, EvalReturnsConvertedValues) {
  EXPECT_TRUE(IsInt(Run({"EVAL", "return 3.99", "0"}), 3));
  EXPECT_TRUE(IsBulk(Run({"EVAL", "return 'x'", "0"}), "x"));
  EXPECT_TRUE(IsNil(Run({"EVAL", "return false", "0"})));
  EXPECT_TRUE(IsInt(Run({"EVAL", "return true", "0"}), 1));
  EXPECT_TRUE(IsStatus(Run({"EVAL", "return {ok='fine'}", "0"}), "fine"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return {err='MY x'}", "0"}), "MY x"));
  EXPECT_TRUE(IsArray(Run({"EVAL", "return {KEYS[1], ARGV[1], ARGV[2]}", "1", "k", "a", "b"}),
                      {"k", "a", "b"}));
  // Arrays end at the first nil.
  protocol::Reply r = Run({"EVAL", "return {1, 2, nil, 4}", "0"});
  ASSERT_EQ(r.type, protocol::Reply::Type::kArray);
  EXPECT_EQ(r.elements.size(), 2u);
}

TEST_F(ScriptingTest, NumkeysErrors) {
  EXPECT_TRUE(IsError(Run({"EVAL", "return 1", "x"}), "ERR value is not an integer"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return 1", "-1"}), "ERR Number of keys can't be negative"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return 1", "2", "a"}),
                      "ERR Number of keys can't be greater than number of args"));
}

TEST_F(ScriptingTest, ScriptCacheAndEvalsha) {
  protocol::Reply sha = Run({"SCRIPT", "LOAD", "return ARGV[1]"});
  ASSERT_EQ(sha.type, protocol::Reply::Type::kBulk);
  EXPECT_EQ(sha.str, scripting::Sha1Hex("return ARGV[1]"));
  EXPECT_TRUE(IsBulk(Run({"EVALSHA", sha.str, "0", "v"}), "v"));
  std::string upper = sha.str;
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(IsBulk(Run({"EVALSHA", upper, "0", "v"}), "v"));
  protocol::Reply ex = Run({"SCRIPT", "EXISTS", sha.str, "ffff"});
  ASSERT_EQ(ex.elements.size(), 2u);
  EXPECT_TRUE(IsInt(ex.elements[0], 1));
  EXPECT_TRUE(IsInt(ex.elements[1], 0));
  EXPECT_TRUE(IsStatus(Run({"SCRIPT", "FLUSH"}), "OK"));
  EXPECT_TRUE(IsError(Run({"EVALSHA", sha.str, "0"}), "NOSCRIPT No matching script"));
  EXPECT_TRUE(IsError(Run({"SCRIPT", "FLUSH", "LATER"}),
                      "ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  EXPECT_TRUE(IsError(Run({"SCRIPT", "KILL"}), "NOTBUSY"));
}

TEST_F(ScriptingTest, CompileAndRuntimeErrors) {
  EXPECT_TRUE(IsError(Run({"EVAL", "return 1 +", "0"}),
                      "ERR Error compiling script (new function): user_script:1: "));
  std::string sha = scripting::Sha1Hex("error('boom')");
  protocol::Reply r = Run({"EVAL", "error('boom')", "0"});
  EXPECT_TRUE(IsError(r, "ERR user_script:1: boom script: " + sha + ", on @user_script:1."));
  EXPECT_TRUE(IsError(Run({"EVAL", "x = 1", "0"}), "ERR user_script:1: Attempt to modify a readonly table"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return os.time()", "0"}),
                      "ERR user_script:1: Script attempted to access nonexistent global variable 'os'"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return redis.call('nosuch')", "0"}),
                      "ERR Unknown Redis command called from script"));
  EXPECT_TRUE(IsError(Run({"EVAL", "return redis.call('multi')", "0"}),
                      "ERR This Redis command is not allowed from script"));
}

TEST_F(ScriptingTest, CallAndPcall) {
  Run({"SET", "s", "x"});
  EXPECT_TRUE(IsError(Run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "s"}),
                      "ERR value is not an integer or out of range script: "));
  // pcall returns the error as a table: the reply is that error, unadorned.
  protocol::Reply r = Run({"EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s"});
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.str, "ERR value is not an integer or out of range");
  // Lua's own pcall catches redis.call's error as its text.
  EXPECT_TRUE(IsBulk(Run({"EVAL", "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return e", "1",
                          "s"}),
                     "ERR value is not an integer or out of range"));
}

TEST_F(ScriptingTest, EffectsReachTheLogNotTheScript) {
  Run({"EVAL", "redis.call('set', KEYS[1], 'v')", "1", "a"});
  Run({"EVAL", "redis.call('set', KEYS[1], '1') redis.call('incr', KEYS[1])", "1", "b"});
  Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "a"});  // reads log nothing
  std::vector<std::string> want = {"SET a v", "MULTI", "SET b 1", "incr b", "EXEC"};
  EXPECT_EQ(LogCommands(), want);
}

TEST_F(ScriptingTest, PartialEffectsOfAFailingScriptAreLogged) {
  EXPECT_TRUE(IsError(Run({"EVAL", "redis.call('set', KEYS[1], 'v') error('x')", "1", "a"}),
                      "ERR user_script:1: x"));
  EXPECT_TRUE(IsBulk(Run({"GET", "a"}), "v"));
  std::vector<std::string> want = {"SET a v"};
  EXPECT_EQ(LogCommands(), want);
}

TEST_F(ScriptingTest, ReadOnlyScripts) {
  EXPECT_TRUE(IsError(Run({"EVAL_RO", "return redis.call('set', 'k', 'v')", "0"}),
                      "ERR Write commands are not allowed from read-only scripts."));
  EXPECT_TRUE(IsError(Run({"EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", "0"}),
                      "ERR Write commands are not allowed from read-only scripts. script: "));
  EXPECT_TRUE(IsError(Run({"EVAL", "#!lua flags=bogus\nreturn 1", "0"}),
                      "ERR Unexpected flag in script shebang: bogus"));
  EXPECT_TRUE(IsNil(Run({"EVAL_RO", "return redis.call('get', 'k')", "0"})));
}

TEST_F(ScriptingTest, ScriptInsideExecJoinsTheTransaction) {
  Run({"MULTI"});
  Run({"EVAL", "redis.call('set', KEYS[1], '1') return redis.call('incr', KEYS[1])", "1", "m"});
  Run({"INCR", "m"});
  protocol::Reply r = Run({"EXEC"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_TRUE(IsInt(r.elements[0], 2));
  EXPECT_TRUE(IsInt(r.elements[1], 3));
  std::vector<std::string> want = {"MULTI", "SET m 1", "incr m", "INCR m", "EXEC"};
  EXPECT_EQ(LogCommands(), want);
}

TEST_F(ScriptingTest, SelectInsideAScriptStaysInside) {
  Run({"EVAL", "redis.call('select', '3') redis.call('set', 'k', 'v')", "0"});
  EXPECT_TRUE(IsNil(Run({"GET", "k"})));
  Run({"SELECT", "3"});
  EXPECT_TRUE(IsBulk(Run({"GET", "k"}), "v"));
}

TEST_F(ScriptingTest, UndeclaredKeysAreLockedUntilTheEnd) {
  // A script that touches keys it did not declare still runs atomically
  // against another thread moving value between the same keys.
  Run({"MSET", "a", "100", "b", "0"});
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    TestHost& h = host_;
    ThreadStats stats(h.commands().by_id().size() + 1);
    SetThreadStats(&stats);
    DetachedSession s(99, Origin::kClient);
    std::string out;
    for (int i = 0; i < 2000 && !stop; i++) {
      out.clear();
      protocol::ReplyBuilder rb(&out, 2);
      std::string_view cmd[] = {"EVAL",
                                "local a = tonumber(redis.call('get','a')) "
                                "redis.call('set','a',a-1) "
                                "redis.call('set','b',tonumber(redis.call('get','b'))+1)",
                                "0"};
      h.executor().Dispatch(s, cmd, rb);
    }
    SetThreadStats(nullptr);
  });
  for (int i = 0; i < 2000; i++) {
    protocol::Reply r = Run({"MGET", "a", "b"});
    ASSERT_EQ(r.elements.size(), 2u);
    EXPECT_EQ(std::stoi(r.elements[0].str) + std::stoi(r.elements[1].str), 100);
  }
  stop = true;
  mover.join();
}

TEST_F(ScriptingTest, RandomIsOneSequenceAcrossScripts) {
  // Seeded once like Redis's rand48; math.randomseed restarts it.
  Run({"EVAL", "math.randomseed(7)", "0"});
  protocol::Reply a = Run({"EVAL", "return {math.random(1000), math.random(1000)}", "0"});
  Run({"EVAL", "math.randomseed(7)", "0"});
  protocol::Reply b = Run({"EVAL", "return math.random(1000)", "0"});
  protocol::Reply c = Run({"EVAL", "return math.random(1000)", "0"});
  ASSERT_EQ(a.elements.size(), 2u);
  EXPECT_EQ(a.elements[0].integer, b.integer);
  EXPECT_EQ(a.elements[1].integer, c.integer);
}

}  // namespace
}  // namespace basalt::commands
