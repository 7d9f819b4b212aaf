// Sorted-set commands in process: ZADD's NX/XX/GT/LT/INCR/CH combinations
// and their errors, scores that are not numbers, ZRANGE's BYSCORE/BYLEX/REV/
// LIMIT forms, ZRANGESTORE, which error wins when several apply, and which
// of these reach the write log.
// Expected replies are Redis 7.0.15's.
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using ZSetFamilyTest = CommandTest;

TEST_F(ZSetFamilyTest, ZAddNxXxOnlyAddOrOnlyUpdate) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a", "2", "b"}), 2));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "NX", "5", "a", "3", "c"}), 1));
  EXPECT_TRUE(IsBulk(Run({"ZSCORE", "z", "a"}), "1"));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "XX", "5", "a", "4", "d"}), 0));
  EXPECT_TRUE(IsBulk(Run({"ZSCORE", "z", "a"}), "5"));
  EXPECT_TRUE(IsNil(Run({"ZSCORE", "z", "d"})));
  // XX on a missing key creates nothing.
  EXPECT_TRUE(IsInt(Run({"ZADD", "zz", "XX", "1", "ghost"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "zz"}), 0));
}

TEST_F(ZSetFamilyTest, ZAddChGtLtCountChanges) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a", "2", "b"}), 2));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "XX", "CH", "6", "a", "2", "b"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "CH", "6", "a", "7", "e"}), 1));
  // GT only raises, LT only lowers; both still add new members.
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "GT", "CH", "1", "a", "10", "b"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "LT", "CH", "1", "a", "20", "b"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "GT", "100", "new"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "GT", "XX", "1", "a"}), 0));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
                      {"a", "1", "e", "7", "b", "10", "new", "100"}));
}

TEST_F(ZSetFamilyTest, ZAddIncompatibleOptionsAndBadArguments) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "NX", "XX", "1", "a"}),
                      "ERR XX and NX options at the same time are not compatible"));
  const char* kGtLtNx = "ERR GT, LT, and/or NX options at the same time are not compatible";
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "NX", "GT", "1", "a"}), kGtLtNx));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "NX", "LT", "1", "a"}), kGtLtNx));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "GT", "LT", "1", "a"}), kGtLtNx));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
                      "ERR INCR option supports a single increment-element pair"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1"}), "ERR wrong number of arguments for 'zadd' command"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "FOO", "1", "a"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "1", "a", "2"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "x", "a"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "nan", "a"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsInt(Run({"ZCARD", "z"}), 1));
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"ZADD z 1 a"});
}

TEST_F(ZSetFamilyTest, ZAddIncrWithConditions) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsBulk(Run({"ZADD", "z", "INCR", "2", "a"}), "3"));
  // A condition that refuses the update answers nil, not an error.
  EXPECT_TRUE(IsNil(Run({"ZADD", "z", "NX", "INCR", "2", "a"})));
  EXPECT_TRUE(IsNil(Run({"ZADD", "z", "XX", "INCR", "2", "nope"})));
  EXPECT_TRUE(IsNil(Run({"ZADD", "z", "GT", "INCR", "-1", "a"})));
  EXPECT_TRUE(IsBulk(Run({"ZADD", "z", "LT", "INCR", "-1", "a"}), "2"));
  EXPECT_TRUE(IsBulk(Run({"ZADD", "z", "INCR", "CH", "1", "a"}), "3"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "nope"}), 0));
  EXPECT_TRUE(IsNil(Run({"ZSCORE", "z", "nope"})));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"ZADD z 1 a", "ZADD z INCR 2 a",
                                                     "ZADD z LT INCR -1 a", "ZADD z INCR CH 1 a"}));
}

TEST_F(ZSetFamilyTest, InfiniteScoresAndNaNResults) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "inf", "a", "-inf", "b", "1e2", "c", "1.50", "d"}), 4));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
                      {"b", "-inf", "d", "1.5", "c", "100", "a", "inf"}));
  EXPECT_TRUE(IsBulk(Run({"ZADD", "z", "INCR", "+inf", "a"}), "inf"));
  EXPECT_TRUE(IsError(Run({"ZADD", "z", "INCR", "-inf", "a"}),
                      "ERR resulting score is not a number (NaN)"));
  EXPECT_TRUE(
      IsError(Run({"ZINCRBY", "z", "-inf", "a"}), "ERR resulting score is not a number (NaN)"));
  EXPECT_TRUE(IsBulk(Run({"ZSCORE", "z", "a"}), "inf"));
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "z", "nan", "b"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsError(Run({"ZINCRBY", "z", "x", "b"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsBulk(Run({"ZINCRBY", "missing", "2.5", "m"}), "2.5"));
  EXPECT_TRUE(IsBulk(Run({"ZINCRBY", "missing", "-inf", "m"}), "-inf"));
}

TEST_F(ZSetFamilyTest, ZAddParsesScoresAsStrtodDoes) {
  // Redis reads scores with strtod, which takes hexadecimal too.
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "0x10", "hex"}), 1));
  EXPECT_TRUE(IsBulk(Run({"ZSCORE", "z", "hex"}), "16"));
}

TEST_F(ZSetFamilyTest, ZAddWithTheSameScoreIsNotLogged) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "NX", "5", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 0));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "XX", "CH", "2", "a"}), 1));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"ZADD z 1 a", "ZADD z XX CH 2 a"}));
  EXPECT_EQ(host_.dirty, 2);
}

TEST_F(ZSetFamilyTest, ZRangeByScoreRevLimit) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), 5));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "(1", "3", "BYSCORE"}), {"b", "c"}));
  EXPECT_TRUE(
      IsArray(Run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"}), {"b", "c"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"}),
                      {"b", "c", "d", "e"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"}), {}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "5", "3", "BYSCORE", "REV", "WITHSCORES"}),
                      {"e", "5", "d", "4", "c", "3"}));
  // REV takes max first: min-then-max is an empty range.
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "1", "5", "BYSCORE", "REV"}), {}));
  EXPECT_TRUE(
      IsArray(Run({"ZRANGE", "z", "(5", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"}), {"d", "c"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "z", "0", "-1", "REV"}), {"e", "d", "c", "b", "a"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGEBYSCORE", "z", "(1", "+inf", "LIMIT", "1", "1"}), {"c"}));
  EXPECT_TRUE(
      IsArray(Run({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "2"}),
              {"e", "5", "d", "4"}));
}

TEST_F(ZSetFamilyTest, ZRangeByLexAndIndexRanges) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"}), 5));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "[b", "(d", "BYLEX"}), {"b", "c"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "1", "2"}), {"b", "c"}));
  EXPECT_TRUE(
      IsArray(Run({"ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "0", "2"}), {"e", "d"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "(d", "[b", "BYLEX", "REV"}), {"c", "b"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "[d", "[b", "BYLEX"}), {}));
  EXPECT_TRUE(IsArray(Run({"ZRANGEBYLEX", "l", "[b", "[c"}), {"b", "c"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "100", "200"}), {}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "l", "-100", "1"}), {"a", "b"}));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "missing", "0", "-1"}), {}));
}

TEST_F(ZSetFamilyTest, ZRangeOptionErrors) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsError(
      Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "x", "1", "BYSCORE"}), "ERR min or max is not a float"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "[a", "[c", "BYLEX", "WITHSCORES"}),
                      "ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "a", "c", "BYLEX"}),
                      "ERR min or max not valid string range item"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES", "LIMIT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "-1", "FOO"}), "ERR syntax error"));
}

// Which error wins when several apply (the handlers parse their options
// through ArgParser, first error first; Redis 7.0.15's replies).
TEST_F(ZSetFamilyTest, OptionErrorOrder) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a", "2", "b"}), 2));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"ZRANGE", "z", "0", "1", "LIMIT", "x", "0", "BYSCORE"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Run({"ZRANGE", "z", "0", "1", "FOO", "LIMIT", "x", "0"}), "ERR syntax error"));
  // ZUNION & co. look their keys up before parsing the options.
  EXPECT_TRUE(IsError(Run({"ZUNION", "1", "s", "FOO"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"ZUNION", "0", "z"}),
                      "ERR at least 1 input key is needed for 'zunion' command"));
  EXPECT_TRUE(IsError(Run({"ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "x"}),
                      "ERR weight value is not a float"));
  EXPECT_TRUE(IsError(Run({"ZUNION", "1", "z", "AGGREGATE", "foo"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZDIFF", "1", "z", "WEIGHTS", "1"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZINTERCARD", "1", "z", "LIMIT", "-1"}), "ERR LIMIT can't be negative"));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "0", "junk"}),
                      "ERR count should be greater than 0"));
  EXPECT_TRUE(
      IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZMPOP", "1", "z", "MIN", "COUNT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"ZADD", "s", "XX", "1", "a"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"ZADD", "s", "XX", "abc", "a"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsInt(Run({"ZCARD", "z"}), 2));
}

// An empty ZUNIONSTORE result deletes a destination of any type.
TEST_F(ZSetFamilyTest, ZUnionStoreEmptyResultDeletesDestination) {
  EXPECT_TRUE(IsStatus(Run({"SET", "d", "x"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"ZUNIONSTORE", "d", "1", "missing"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "d"}), 0));
  EXPECT_TRUE(IsInt(Run({"ZUNIONSTORE", "d", "1", "missing"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "d"}), 0));
}

TEST_F(ZSetFamilyTest, ZRangeStoreStoresDeletesAndOverwrites) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), 5));
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst", "z", "1", "3", "BYSCORE"}), 3));
  EXPECT_TRUE(
      IsArray(Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), {"a", "1", "b", "2", "c", "3"}));
  // An empty result deletes the destination.
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst", "z", "100", "200"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
  EXPECT_TRUE(
      IsError(Run({"ZRANGESTORE", "dst2", "z", "0", "-1", "WITHSCORES"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst2", "z", "(2", "(1", "BYSCORE", "REV"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "str", "x"}), "OK"));
  // The destination's old type does not matter; the source's does.
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "str", "z", "0", "0"}), 1));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "str"}), "zset"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s2", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"ZRANGESTORE", "dst3", "s2", "0", "0"}), "WRONGTYPE"));
}

TEST_F(ZSetFamilyTest, ZRangeStoreByLexRev) {
  EXPECT_TRUE(IsInt(Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"}), 4));
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst", "l", "[b", "[c", "BYLEX", "REV"}), 0));
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst", "l", "[c", "[b", "BYLEX", "REV"}), 2));
  EXPECT_TRUE(IsArray(Run({"ZRANGE", "dst", "0", "-1"}), {"b", "c"}));
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "dst", "missing", "0", "-1"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
  // A store that neither wrote nor deleted anything is not logged.
  EXPECT_TRUE(IsInt(Run({"ZRANGESTORE", "none", "missing", "0", "-1"}), 0));
  EXPECT_EQ(LogCommands(),
            (std::vector<std::string>{"ZADD l 0 a 0 b 0 c 0 d", "ZRANGESTORE dst l [c [b BYLEX REV",
                                      "ZRANGESTORE dst missing 0 -1"}));
}

}  // namespace
}  // namespace basalt::commands
