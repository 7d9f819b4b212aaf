// List commands in process: LPOS's RANK/COUNT/MAXLEN, LINSERT's missing
// pivot, LRANGE's clamping, LMOVE on one key, LSET's errors, which error wins
// when several apply, and blocking pops inside MULTI, which answer at once and
// are logged as their non-blocking forms. Expected replies are Redis 7.0.15's.
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using ListFamilyTest = CommandTest;

TEST_F(ListFamilyTest, PushOrderAndPushxOnMissingKey) {
  EXPECT_TRUE(IsInt(Run({"LPUSH", "l", "a", "b", "c"}), 3));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "d"}), 4));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "0", "-1"}), {"c", "b", "a", "d"}));
  EXPECT_TRUE(IsInt(Run({"LPUSHX", "nope", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"RPUSHX", "nope", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "nope"}), 0));
  EXPECT_TRUE(IsInt(Run({"RPUSHX", "l", "e"}), 5));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"LPUSH", "s", "a"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"LPOS", "s", "a"}), "WRONGTYPE"));
}

TEST_F(ListFamilyTest, LPosRankCountMaxlen) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b", "c", "a", "b", "c", "a"}), 7));
  EXPECT_TRUE(IsInt(Run({"LPOS", "l", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"LPOS", "l", "a", "RANK", "2"}), 3));
  EXPECT_TRUE(IsInt(Run({"LPOS", "l", "a", "RANK", "-1"}), 6));
  EXPECT_TRUE(IsNil(Run({"LPOS", "l", "a", "RANK", "5"})));
  EXPECT_EQ(Show(Run({"LPOS", "l", "a", "RANK", "-2", "COUNT", "2"})), "[:3 :0 ]");
  EXPECT_EQ(Show(Run({"LPOS", "l", "a", "COUNT", "0"})), "[:0 :3 :6 ]");
  EXPECT_EQ(Show(Run({"LPOS", "l", "a", "COUNT", "2"})), "[:0 :3 ]");
  EXPECT_EQ(Show(Run({"LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0"})), "[:0 ]");
  EXPECT_TRUE(IsNil(Run({"LPOS", "l", "c", "MAXLEN", "2"})));
  EXPECT_TRUE(IsArray(Run({"LPOS", "l", "a", "RANK", "4", "COUNT", "0"}), {}));
  // Redis 7.0 takes the most negative rank as "from the end", not as an error.
  EXPECT_TRUE(IsInt(Run({"LPOS", "l", "a", "RANK", "-9223372036854775808"}), 6));
}

TEST_F(ListFamilyTest, LPosNoMatchAndMissingKey) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsNil(Run({"LPOS", "l", "x"})));
  EXPECT_TRUE(IsArray(Run({"LPOS", "l", "x", "COUNT", "0"}), {}));
  EXPECT_TRUE(IsNil(Run({"LPOS", "missing", "a"})));
  EXPECT_TRUE(IsArray(Run({"LPOS", "missing", "a", "COUNT", "0"}), {}));
}

TEST_F(ListFamilyTest, LPosArgumentErrors) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK", "0"}),
                      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                      "second ... or use negative to start from the end of the list"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "COUNT", "-1"}), "ERR COUNT can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "MAXLEN", "-1"}), "ERR MAXLEN can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "FOO", "1"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK", "x"}), "ERR value is not an integer"));
}

TEST_F(ListFamilyTest, LInsertMissingPivotAndMissingKey) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b"}), 2));
  EXPECT_TRUE(IsInt(Run({"LINSERT", "l", "BEFORE", "zz", "x"}), -1));
  EXPECT_TRUE(IsInt(Run({"LINSERT", "missing", "BEFORE", "a", "x"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "missing"}), 0));
  EXPECT_TRUE(IsError(Run({"LINSERT", "l", "MIDDLE", "a", "x"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"LINSERT", "l", "AFTER", "a", "X"}), 3));
  EXPECT_TRUE(IsInt(Run({"LINSERT", "l", "before", "a", "0"}), 4));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "0", "-1"}), {"0", "a", "X", "b"}));
  // Only the two insertions that changed the list are logged.
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"RPUSH l a b", "LINSERT l AFTER a X",
                                                     "LINSERT l before a 0"}));
}

TEST_F(ListFamilyTest, LRangeClampsOutOfRangeIndexes) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b", "c"}), 3));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "100", "200"}), {}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "-100", "1"}), {"a", "b"}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "2", "1"}), {}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "-1", "-100"}), {}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "0", "1000"}), {"a", "b", "c"}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "-2", "-1"}), {"b", "c"}));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "missing", "0", "-1"}), {}));
  EXPECT_TRUE(IsError(Run({"LRANGE", "l", "a", "1"}), "ERR value is not an integer"));
  EXPECT_TRUE(IsBulk(Run({"LINDEX", "l", "-1"}), "c"));
  EXPECT_TRUE(IsNil(Run({"LINDEX", "l", "100"})));
}

TEST_F(ListFamilyTest, LMoveOnOneKeyRotates) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "m", "1", "2", "3"}), 3));
  EXPECT_TRUE(IsBulk(Run({"LMOVE", "m", "m", "LEFT", "RIGHT"}), "1"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "m", "0", "-1"}), {"2", "3", "1"}));
  EXPECT_TRUE(IsBulk(Run({"LMOVE", "m", "m", "RIGHT", "LEFT"}), "1"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "m", "0", "-1"}), {"1", "2", "3"}));
  EXPECT_TRUE(IsBulk(Run({"LMOVE", "m", "m", "LEFT", "LEFT"}), "1"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "m", "0", "-1"}), {"1", "2", "3"}));
  EXPECT_TRUE(IsBulk(Run({"RPOPLPUSH", "m", "m"}), "3"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "m", "0", "-1"}), {"3", "1", "2"}));
  EXPECT_TRUE(IsError(Run({"LMOVE", "m", "m", "UP", "LEFT"}), "ERR syntax error"));
  EXPECT_TRUE(IsNil(Run({"LMOVE", "missing", "m", "LEFT", "LEFT"})));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"LMOVE", "m", "s", "LEFT", "LEFT"}), "WRONGTYPE"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "m", "0", "-1"}), {"3", "1", "2"}));
}

TEST_F(ListFamilyTest, LSetIndexErrors) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b", "c"}), 3));
  EXPECT_TRUE(IsError(Run({"LSET", "l", "3", "x"}), "ERR index out of range"));
  EXPECT_TRUE(IsError(Run({"LSET", "l", "-4", "x"}), "ERR index out of range"));
  EXPECT_TRUE(IsError(Run({"LSET", "missing", "0", "x"}), "ERR no such key"));
  EXPECT_TRUE(IsError(Run({"LSET", "l", "x", "y"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsStatus(Run({"LSET", "l", "-3", "first"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"LSET", "l", "2", "last"}), "OK"));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "0", "-1"}), {"first", "b", "last"}));
}

// Which error wins when several apply (the handlers parse first and the
// operations report the key's errors; Redis 7.0.15's replies).
TEST_F(ListFamilyTest, ErrorOrderOfParsedOptionsAndKeys) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b"}), 2));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  // LSET: the key's errors before a bad index.
  EXPECT_TRUE(IsError(Run({"LSET", "missing", "x", "y"}), "ERR no such key"));
  EXPECT_TRUE(IsError(Run({"LSET", "s", "x", "y"}), "WRONGTYPE"));
  // LPOS: options in order, the first error wins, before the key's type.
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "COUNT", "abc"}), "ERR COUNT can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "MAXLEN", "abc"}), "ERR MAXLEN can't be negative"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "RANK", "abc"}), "ERR value is not an integer"));
  EXPECT_TRUE(
      IsError(Run({"LPOS", "l", "a", "RANK", "0", "COUNT", "-1"}), "ERR RANK can't be zero"));
  EXPECT_TRUE(IsError(Run({"LPOS", "l", "a", "COUNT", "-1", "RANK", "0"}), "ERR COUNT can't be"));
  EXPECT_TRUE(IsError(Run({"LPOS", "s", "a", "RANK", "0"}), "ERR RANK can't be zero"));
  // LMPOP's COUNT.
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "x"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "0", "junk"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(
      IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "1", "l", "LEFT", "COUNT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"LMPOP", "2", "s", "l", "LEFT"}), "WRONGTYPE"));
  EXPECT_TRUE(IsInt(Run({"LLEN", "l"}), 2));
}

TEST_F(ListFamilyTest, PopWithCount) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b", "c", "d"}), 4));
  EXPECT_TRUE(IsArray(Run({"LPOP", "l", "0"}), {}));
  EXPECT_TRUE(IsError(Run({"LPOP", "l", "-1"}), "ERR value is out of range, must be positive"));
  EXPECT_TRUE(IsNil(Run({"LPOP", "missing", "2"})));
  EXPECT_TRUE(IsNil(Run({"LPOP", "missing"})));
  EXPECT_TRUE(IsArray(Run({"LPOP", "l", "2"}), {"a", "b"}));
  EXPECT_TRUE(IsArray(Run({"RPOP", "l", "100"}), {"d", "c"}));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "l"}), 0));
}

TEST_F(ListFamilyTest, BlockingPopsInsideMultiAnswerAtOnce) {
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"BLPOP", "empty", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BRPOP", "empty", "1"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BLMOVE", "empty", "dst", "LEFT", "RIGHT", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BRPOPLPUSH", "empty", "dst", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BLMPOP", "0", "1", "empty", "LEFT"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BZPOPMIN", "z", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BZMPOP", "0", "1", "z", "MIN"}), "QUEUED"));
  protocol::Reply r = Run({"EXEC"});
  ASSERT_EQ(r.type, protocol::Reply::Type::kArray) << Show(r);
  ASSERT_EQ(r.elements.size(), 7u) << Show(r);
  for (const auto& e : r.elements) EXPECT_TRUE(IsNil(e));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
}

TEST_F(ListFamilyTest, BlockingPopsInsideMultiServeDataAndAreLoggedNonBlocking) {
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"RPUSH", "full", "a", "b", "c"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BLPOP", "empty", "full", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BLMOVE", "full", "dst", "RIGHT", "LEFT", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BRPOPLPUSH", "full", "dst", "0"}), "QUEUED"));
  EXPECT_TRUE(IsStatus(Run({"BLMPOP", "0", "1", "dst", "LEFT", "COUNT", "2"}), "QUEUED"));
  EXPECT_EQ(Show(Run({"EXEC"})), "[:3 [$full $a ] $c $b [$dst [$b $c ] ] ]");
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"MULTI", "RPUSH full a b c", "LPOP full",
                                                     "LMOVE full dst RIGHT LEFT",
                                                     "RPOPLPUSH full dst", "LPOP dst 2", "EXEC"}));
}

TEST_F(ListFamilyTest, BlockingArgumentErrors) {
  EXPECT_TRUE(IsError(Run({"BLPOP", "empty", "-1"}), "ERR timeout is negative"));
  EXPECT_TRUE(
      IsError(Run({"BLPOP", "empty", "abc"}), "ERR timeout is not a float or out of range"));
  EXPECT_TRUE(
      IsError(Run({"BLMPOP", "0", "0", "empty", "LEFT"}), "ERR numkeys should be greater than 0"));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "1", "empty", "UP"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "2", "empty", "LEFT"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "ll", "a", "b", "c"}), 3));
  EXPECT_TRUE(IsError(Run({"BLMPOP", "0", "1", "ll", "RIGHT", "COUNT", "0"}),
                      "ERR count should be greater than 0"));
  // With data there is nothing to wait for, outside MULTI too.
  EXPECT_EQ(Show(Run({"BLMPOP", "0", "2", "empty", "ll", "RIGHT", "COUNT", "2"})),
            "[$ll [$c $b ] ]");
  EXPECT_EQ(Show(Run({"LMPOP", "2", "empty", "ll", "LEFT", "COUNT", "5"})), "[$ll [$a ] ]");
  EXPECT_TRUE(IsNil(Run({"LMPOP", "1", "empty", "LEFT"})));
}

}  // namespace
}  // namespace basalt::commands
