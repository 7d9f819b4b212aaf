// Hash commands in process: HSET/HSETNX replies, HINCRBY's overflow and type
// errors, HINCRBYFLOAT's propagation as HSET, HRANDFIELD's counts, and the
// listpack -> hashtable conversion. Expected replies are Redis 7.0.15's.
#include <set>
#include <string>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

using HashFamilyTest = CommandTest;

TEST_F(HashFamilyTest, HSetCountsOnlyNewFields) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1", "b", "2"}), 2));
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "10", "c", "3"}), 1));
  EXPECT_TRUE(IsError(Run({"HSET", "h", "a"}), "ERR wrong number of arguments for 'hset' command"));
  EXPECT_TRUE(IsStatus(Run({"HMSET", "h", "x", "1"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"HGET", "h", "a"}), "10"));
  EXPECT_TRUE(IsNil(Run({"HGET", "h", "nope"})));
  EXPECT_TRUE(IsNil(Run({"HGET", "missing", "a"})));
  EXPECT_TRUE(IsInt(Run({"HLEN", "h"}), 4));
  EXPECT_TRUE(IsUnorderedArray(Run({"HGETALL", "h"}), {"a", "10", "b", "2", "c", "3", "x", "1"}));
}

TEST_F(HashFamilyTest, HSetNxLeavesAnExistingFieldAlone) {
  EXPECT_TRUE(IsInt(Run({"HSETNX", "h", "a", "1"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSETNX", "h", "a", "99"}), 0));
  EXPECT_TRUE(IsBulk(Run({"HGET", "h", "a"}), "1"));
  // Only the successful HSETNX reaches the write log.
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"HSETNX h a 1"});
  EXPECT_EQ(host_.dirty, 1);
}

TEST_F(HashFamilyTest, HIncrByOverflowAndNonIntegerFields) {
  EXPECT_TRUE(IsInt(Run({"HSET", "n", "v", "9223372036854775807"}), 1));
  EXPECT_TRUE(
      IsError(Run({"HINCRBY", "n", "v", "1"}), "ERR increment or decrement would overflow"));
  EXPECT_TRUE(IsBulk(Run({"HGET", "n", "v"}), "9223372036854775807"));
  EXPECT_TRUE(
      IsError(Run({"HINCRBY", "n", "v", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsInt(Run({"HSET", "n", "s", "abc", "f", "1.5", "big", "9223372036854775808"}), 3));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "n", "s", "1"}), "ERR hash value is not an integer"));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "n", "f", "1"}), "ERR hash value is not an integer"));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "n", "big", "1"}), "ERR hash value is not an integer"));
  // A missing field starts at 0.
  EXPECT_TRUE(IsInt(Run({"HINCRBY", "n", "new", "-5"}), -5));
  EXPECT_TRUE(IsInt(Run({"HINCRBY", "fresh", "c", "7"}), 7));
}

TEST_F(HashFamilyTest, HIncrByFloatFormatsAndRejects) {
  EXPECT_TRUE(IsInt(Run({"HSET", "n", "f", "1.5", "s", "abc", "i", "10"}), 3));
  EXPECT_TRUE(IsBulk(Run({"HINCRBYFLOAT", "n", "f", "0.25"}), "1.75"));
  EXPECT_TRUE(IsBulk(Run({"HINCRBYFLOAT", "n", "i", "-0.5"}), "9.5"));
  EXPECT_TRUE(IsBulk(Run({"HINCRBYFLOAT", "n", "e", "3.0e3"}), "3000"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "n", "f", "abc"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "n", "s", "1"}), "ERR hash value is not a float"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "n", "f", "inf"}), "ERR value is NaN or Infinity"));
  EXPECT_TRUE(IsBulk(Run({"HGET", "n", "f"}), "1.75"));
}

TEST_F(HashFamilyTest, HIncrByFloatIsPropagatedAsHSetOfTheResult) {
  EXPECT_TRUE(IsBulk(Run({"HINCRBYFLOAT", "h", "f", "0.1"}), "0.1"));
  EXPECT_TRUE(IsBulk(Run({"HINCRBYFLOAT", "h", "f", "0.2"}), "0.3"));
  EXPECT_TRUE(IsInt(Run({"HINCRBY", "h", "i", "2"}), 2));
  EXPECT_EQ(LogCommands(),
            (std::vector<std::string>{"HSET h f 0.1", "HSET h f 0.3", "HINCRBY h i 2"}));
}

TEST_F(HashFamilyTest, HRandFieldWithoutCountOrOnMissingKey) {
  EXPECT_TRUE(IsNil(Run({"HRANDFIELD", "missing"})));
  EXPECT_TRUE(IsArray(Run({"HRANDFIELD", "missing", "5"}), {}));
  EXPECT_TRUE(IsArray(Run({"HRANDFIELD", "missing", "5", "WITHVALUES"}), {}));
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "only", "1"}), 1));
  EXPECT_TRUE(IsBulk(Run({"HRANDFIELD", "h"}), "only"));
  EXPECT_TRUE(IsArray(Run({"HRANDFIELD", "h", "0"}), {}));
}

TEST_F(HashFamilyTest, HRandFieldPositiveCountIsDistinctAndCapped) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1", "b", "2", "c", "3"}), 3));
  EXPECT_TRUE(IsUnorderedArray(Run({"HRANDFIELD", "h", "10"}), {"a", "b", "c"}));
  EXPECT_TRUE(IsUnorderedArray(Run({"HRANDFIELD", "h", "3", "WITHVALUES"}),
                               {"a", "1", "b", "2", "c", "3"}));
  protocol::Reply two = Run({"HRANDFIELD", "h", "2"});
  ASSERT_EQ(two.elements.size(), 2u) << Show(two);
  EXPECT_NE(two.elements[0].str, two.elements[1].str);
}

TEST_F(HashFamilyTest, HRandFieldNegativeCountRepeatsAndPairsValues) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1", "b", "2"}), 2));
  protocol::Reply r = Run({"HRANDFIELD", "h", "-7"});
  ASSERT_EQ(r.elements.size(), 7u) << Show(r);
  for (const auto& e : r.elements) EXPECT_TRUE(e.str == "a" || e.str == "b") << e.str;
  r = Run({"HRANDFIELD", "h", "-5", "WITHVALUES"});
  ASSERT_EQ(r.elements.size(), 10u) << Show(r);
  for (size_t i = 0; i < r.elements.size(); i += 2) {
    EXPECT_EQ(r.elements[i + 1].str, r.elements[i].str == "a" ? "1" : "2") << Show(r);
  }
}

TEST_F(HashFamilyTest, HRandFieldArgumentErrors) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1"}), 1));
  EXPECT_TRUE(
      IsError(Run({"HRANDFIELD", "h", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "1", "WITHSCORES"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "1", "WITHVALUES", "x"}), "ERR syntax error"));
  // The one count whose absolute value does not fit, refused before any work.
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "-9223372036854775808"}),
                      "ERR value is out of range, value must between -9223372036854775807 and "
                      "9223372036854775807"));
}

TEST_F(HashFamilyTest, LongValueConvertsToHashtableAndKeepsAnswering) {
  std::string v64(64, 'x');
  std::string v65(65, 'y');
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", v64}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "h"}), "listpack"));
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "b", v65}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "h"}), "hashtable"));
  EXPECT_TRUE(IsBulk(Run({"HGET", "h", "a"}), v64));
  EXPECT_TRUE(IsBulk(Run({"HGET", "h", "b"}), v65));
  EXPECT_TRUE(IsInt(Run({"HSTRLEN", "h", "b"}), 65));
  EXPECT_TRUE(IsInt(Run({"HDEL", "h", "b"}), 1));
  // Redis never converts back.
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "h"}), "hashtable"));
}

TEST_F(HashFamilyTest, ManyFieldsConvertToHashtableAndKeepsAnswering) {
  // hash-max-listpack-entries is 512: the 513th field converts.
  for (int i = 0; i < 512; i++) {
    std::string f = "f" + std::to_string(i);
    ASSERT_TRUE(IsInt(Run({"HSET", "h", f, std::to_string(i)}), 1));
  }
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "h"}), "listpack"));
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "last", "x"}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "h"}), "hashtable"));
  EXPECT_TRUE(IsInt(Run({"HLEN", "h"}), 513));
  EXPECT_TRUE(IsBulk(Run({"HGET", "h", "f511"}), "511"));
  EXPECT_TRUE(IsInt(Run({"HINCRBY", "h", "f100", "1"}), 101));
  EXPECT_TRUE(IsInt(Run({"HEXISTS", "h", "f0"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSETNX", "h", "f0", "y"}), 0));
  protocol::Reply r = Run({"HRANDFIELD", "h", "-3", "WITHVALUES"});
  EXPECT_EQ(r.elements.size(), 6u) << Show(r);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "600"}).elements.size(), 513u);
  std::set<std::string> distinct;
  for (const auto& e : Run({"HRANDFIELD", "h", "20"}).elements) distinct.insert(e.str);
  EXPECT_EQ(distinct.size(), 20u);
}

TEST_F(HashFamilyTest, HDelRemovesTheEmptyKeyAndWrongTypeIsRefused) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1", "b", "2"}), 2));
  EXPECT_TRUE(IsInt(Run({"HDEL", "h", "a", "nope"}), 1));
  EXPECT_TRUE(IsInt(Run({"HDEL", "h", "b"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "h"}), 0));
  EXPECT_TRUE(IsInt(Run({"HDEL", "h", "b"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"HGET", "s", "a"}), "WRONGTYPE Operation against a key holding"));
  EXPECT_TRUE(IsError(Run({"HSET", "s", "a", "b"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "s", "1"}), "WRONGTYPE"));
}

TEST_F(HashFamilyTest, ArgumentErrorsComeBeforeWrongType) {
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "x"}), "OK"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "s", "f", "abc"}), "ERR value is not a valid float"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "s", "f", "inf"}), "ERR value is NaN or Infinity"));
  EXPECT_TRUE(IsError(Run({"HINCRBYFLOAT", "s", "f", "1"}), "WRONGTYPE"));
  EXPECT_TRUE(
      IsError(Run({"HINCRBY", "s", "f", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"HINCRBY", "s", "f", "1"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"HSET", "s", "a"}), "ERR wrong number of arguments for 'hset' command"));
  EXPECT_TRUE(IsError(Run({"HSETNX", "s", "f", "v"}), "WRONGTYPE"));
  EXPECT_TRUE(IsError(Run({"HDEL", "s", "f"}), "WRONGTYPE"));
  EXPECT_TRUE(
      IsError(Run({"HRANDFIELD", "s", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "s", "1", "foo"}), "ERR syntax error"));
  // Nothing failed reached the write log, and neither did an HDEL of nothing.
  EXPECT_TRUE(IsInt(Run({"HDEL", "missing", "f"}), 0));
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"SET s x"});
}

TEST_F(HashFamilyTest, HRandFieldOptionOrderAndWithValuesRange) {
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1", "b", "2"}), 2));
  // The count is checked first, then the options, then WITHVALUES' range.
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "x", "WITHSCORES"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"HRANDFIELD", "h", "-9223372036854775808", "WITHSCORES"}),
                      "ERR value is out of range, value must between"));
  EXPECT_EQ(Show(Run({"HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"})),
            "-ERR value is out of range");
  EXPECT_EQ(Show(Run({"HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"})),
            "-ERR value is out of range");
  EXPECT_TRUE(IsUnorderedArray(Run({"HRANDFIELD", "h", "4611686018427387903", "withvalues"}),
                               {"a", "1", "b", "2"}));
  EXPECT_TRUE(IsUnorderedArray(Run({"HRANDFIELD", "h", "4611686018427387904"}), {"a", "b"}));
}

}  // namespace
}  // namespace basalt::commands
