// SORT and SORT_RO in process: numeric and ALPHA order, LIMIT's clamping,
// BY and GET patterns (string and hash-field lookups, nosort), STORE (and
// what it logs), SORT_RO refusing STORE, and the errors. Expected replies are
// Redis 7.0.15's.
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using SortFamilyTest = CommandTest;

TEST_F(SortFamilyTest, NumericAlphaAndDescending) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsArray(Run({"SORT", "l"}), {"1", "2", "3", "10"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "DESC"}), {"10", "3", "2", "1"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "ALPHA"}), {"1", "10", "2", "3"}));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "f", "1.5", "-2", "1e3", "inf"}), 4));
  EXPECT_TRUE(IsArray(Run({"SORT", "f"}), {"-2", "1.5", "1e3", "inf"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "f", "DESC"}), {"inf", "1e3", "1.5", "-2"}));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "s", "b", "a", "c"}), 3));
  EXPECT_TRUE(IsError(Run({"SORT", "s"}), "ERR One or more scores can't be converted into double"));
  EXPECT_TRUE(IsArray(Run({"SORT", "s", "ALPHA"}), {"a", "b", "c"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "s", "ALPHA", "DESC", "LIMIT", "0", "2"}), {"c", "b"}));
}

TEST_F(SortFamilyTest, SetsAndSortedSets) {
  EXPECT_TRUE(IsInt(Run({"SADD", "set", "5", "3", "9"}), 3));
  EXPECT_TRUE(IsArray(Run({"SORT", "set"}), {"3", "5", "9"}));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "c", "2", "b", "3", "a"}), 3));
  EXPECT_TRUE(IsArray(Run({"SORT", "z", "ALPHA"}), {"a", "b", "c"}));
  // BY nosort keeps a sorted set's score order, DESC and LIMIT included.
  EXPECT_TRUE(IsArray(Run({"SORT", "z", "BY", "nosort"}), {"c", "b", "a"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "z", "BY", "nosort", "DESC"}), {"a", "b", "c"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "z", "BY", "nosort", "LIMIT", "1", "1"}), {"b"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "missing"}), {}));
  EXPECT_TRUE(IsStatus(Run({"SET", "str", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"SORT", "str"}), "WRONGTYPE"));
}

TEST_F(SortFamilyTest, LimitClampsOffsetAndCount) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "1", "2"}), {"2", "3"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "0", "-1"}), {"1", "2", "3", "10"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "-1", "2"}), {"1", "2"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "10", "2"}), {}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "0", "0"}), {}));
}

TEST_F(SortFamilyTest, ByAndGetPatterns) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsStatus(Run({"MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5"}), "OK"));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "w_*"}), {"10", "1", "2", "3"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "w_*", "DESC"}), {"3", "2", "1", "10"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "nosort"}), {"3", "1", "2", "10"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"}),
                      {"10", "5", "1", "10", "2", "20", "3", "30"}));
  // A missing GET target is a nil element.
  EXPECT_TRUE(IsStatus(Run({"MSET", "o_1", "one", "o_2", "two"}), "OK"));
  EXPECT_EQ(Show(Run({"SORT", "l", "GET", "o_*", "GET", "#"})),
            "[$one $1 $two $2 (nil) $3 (nil) $10 ]");
}

TEST_F(SortFamilyTest, MissingWeightsCountAsZeroAndTiesGoLexicographic) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2"}), 3));
  EXPECT_TRUE(IsStatus(Run({"SET", "w_2", "5"}), "OK"));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "w_*"}), {"1", "3", "2"}));
  EXPECT_TRUE(IsStatus(Run({"SET", "w_1", "abc"}), "OK"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "BY", "w_*"}),
                      "ERR One or more scores can't be converted into double"));
}

TEST_F(SortFamilyTest, HashFieldPatterns) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsInt(Run({"HSET", "hw_1", "f", "3"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSET", "hw_2", "f", "1"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSET", "hw_3", "f", "2"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSET", "hw_10", "f", "0"}), 1));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "hw_*->f"}), {"10", "2", "3", "1"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "hw_*->f", "GET", "hw_*->f"}), {"0", "1", "2", "3"}));
  EXPECT_EQ(Show(Run({"SORT", "l", "GET", "hw_*->missing"})), "[(nil) (nil) (nil) (nil) ]");
  EXPECT_EQ(Show(Run({"SORT", "l", "GET", "hw_*->"})), "[(nil) (nil) (nil) (nil) ]");
}

TEST_F(SortFamilyTest, StoreWritesAListAndDeletesOnEmpty) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsInt(Run({"SORT", "l", "STORE", "dst"}), 4));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "dst", "0", "-1"}), {"1", "2", "3", "10"}));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "dst"}), "list"));
  EXPECT_TRUE(IsInt(Run({"SORT", "l", "DESC", "ALPHA", "LIMIT", "0", "1", "STORE", "dst"}), 1));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "dst", "0", "-1"}), {"3"}));
  EXPECT_TRUE(IsInt(Run({"SORT", "l", "LIMIT", "0", "0", "STORE", "dst"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
  // Nothing to store and nothing to delete: no write.
  EXPECT_TRUE(IsInt(Run({"SORT", "missing", "STORE", "dst2"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst2"}), 0));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "LIMIT", "0", "1"}), {"1"}));  // a read: not logged
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"RPUSH l 3 1 2 10", "SORT l STORE dst",
                                                     "SORT l DESC ALPHA LIMIT 0 1 STORE dst",
                                                     "SORT l LIMIT 0 0 STORE dst"}));
}

TEST_F(SortFamilyTest, SortRoReadsButRefusesStore) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2", "10"}), 4));
  EXPECT_TRUE(IsStatus(Run({"MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5"}), "OK"));
  EXPECT_TRUE(IsArray(Run({"SORT_RO", "l", "BY", "w_*", "GET", "#"}), {"10", "1", "2", "3"}));
  EXPECT_TRUE(IsArray(Run({"SORT_RO", "l", "DESC", "LIMIT", "0", "2"}), {"10", "3"}));
  EXPECT_TRUE(IsError(Run({"SORT_RO", "l", "STORE", "dst"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "dst"}), 0));
}

TEST_F(SortFamilyTest, SyntaxErrors) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1"}), 2));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "LIMIT", "1"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "LIMIT", "x", "1"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "GET"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "BY"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "STORE"}), "ERR syntax error"));
}

TEST_F(SortFamilyTest, OptionErrorsComeBeforeWrongTypeAndTheLastOptionWins) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "3", "1", "2"}), 3));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "LIMIT", "0", "x"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SORT", "s", "LIMIT", "x", "1"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SORT", "s", "foo"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "l", "GET"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SORT", "s"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"SORT", "s", "STORE", "d"}), "WRONGTYPE"));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "limit", "0", "1", "limit", "1", "1"}), {"2"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "alpha", "desc", "asc"}), {"1", "2", "3"}));
  EXPECT_TRUE(IsArray(Run({"SORT", "l", "BY", "nosort"}), {"3", "1", "2"}));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"RPUSH l 3 1 2", "SET s x"}));
}

}  // namespace
}  // namespace basalt::commands
