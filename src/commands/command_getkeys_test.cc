// The key search of COMMAND GETKEYS / GETKEYSANDFLAGS and EXEC's locking over
// the real command table: Redis's key specs applied by Finalize(), each spec
// form (index, keyword from the start and from the end, range with limit,
// keynum), NOT_KEY, and the per-command procedures (SORT ... STORE, MIGRATE
// ... KEYS, SET ... GET, BITFIELD, invalid numkeys). Expected keys and flags
// are redis-server 7.0.15's answers.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "commands/command_key_specs.h"
#include "commands/command_table.h"

namespace basalt::commands {
namespace {

class GetKeysTest : public ::testing::Test {
 protected:
  GetKeysTest() { RegisterAllFamilies(table_); }

  const CommandSpec* Lookup(const std::vector<std::string_view>& args) {
    const CommandSpec* c = table_.Find(args[0]);
    if (c != nullptr && !c->subcommands.empty() && args.size() > 1) {
      c = c->FindSubcommand(std::string(args[1]));
    }
    return c;
  }

  // "key:flags" per key, or "invalid".
  std::vector<std::string> Keys(std::vector<std::string_view> args) {
    const CommandSpec* c = Lookup(args);
    EXPECT_NE(c, nullptr) << args[0];
    std::vector<KeyRef> refs;
    if (!FindKeys(*c, args, &refs)) return {"invalid"};
    std::vector<std::string> out;
    for (const KeyRef& r : refs) out.push_back(std::string(args[size_t(r.pos)]) + ":" +
                                               std::string(r.flags));
    return out;
  }

  using V = std::vector<std::string>;
  CommandTable table_;
};

TEST_F(GetKeysTest, RedisSpecsAreApplied) {
  const CommandSpec* sort = table_.Find("sort");
  ASSERT_TRUE(sort->redis_key_specs);
  ASSERT_EQ(sort->key_specs.size(), 3u);
  EXPECT_EQ(sort->key_specs[0].flags, "RO access");
  EXPECT_TRUE(sort->key_specs[2].begin_unknown);
  EXPECT_TRUE(sort->key_specs[2].find_unknown);
  EXPECT_FALSE(sort->key_specs[2].notes.empty());
  const CommandSpec* ping = table_.Find("ping");
  EXPECT_TRUE(ping->redis_key_specs);
  EXPECT_TRUE(ping->key_specs.empty());
  EXPECT_FALSE(CommandHasKeys(*ping));
  const CommandSpec* usage = Lookup({"memory", "usage"});
  ASSERT_EQ(usage->key_specs.size(), 1u);
  EXPECT_EQ(usage->key_specs[0].begin_index, 2);
}

TEST_F(GetKeysTest, IndexRangeAndKeynum) {
  EXPECT_EQ(Keys({"get", "k"}), (V{"k:RO access"}));
  EXPECT_EQ(Keys({"mset", "a", "1", "b", "2"}), (V{"a:OW update", "b:OW update"}));
  EXPECT_EQ(Keys({"del", "a", "b"}), (V{"a:RM delete", "b:RM delete"}));
  EXPECT_EQ(Keys({"zunionstore", "d", "2", "a", "b"}),
            (V{"d:OW update", "a:RO access", "b:RO access"}));
  EXPECT_EQ(Keys({"zunionstore", "d", "3", "a", "b"}), (V{"invalid"}));
  EXPECT_EQ(Keys({"eval", "s", "2", "a", "b", "c"}),
            (V{"a:RW access update", "b:RW access update"}));
  EXPECT_EQ(Keys({"eval", "s", "0"}), (V{"invalid"}));
  EXPECT_EQ(Keys({"lmpop", "2", "a", "b", "LEFT"}), (V{"a:RW access delete", "b:RW access delete"}));
  EXPECT_EQ(Keys({"object", "encoding", "k"}), (V{"k:RO"}));
}

TEST_F(GetKeysTest, ProceduresForIncompleteAndVariableSpecs) {
  EXPECT_EQ(Keys({"set", "k", "v"}), (V{"k:OW update"}));
  EXPECT_EQ(Keys({"set", "k", "v", "get"}), (V{"k:RW access update"}));
  EXPECT_EQ(Keys({"bitfield", "k", "GET", "u8", "0"}), (V{"k:RO access"}));
  EXPECT_EQ(Keys({"bitfield", "k", "SET", "u8", "0", "1"}), (V{"k:RW access update"}));
  EXPECT_EQ(Keys({"sort", "k", "BY", "w", "STORE", "d"}), (V{"k:RO access", "d:OW update"}));
  EXPECT_EQ(Keys({"sort", "k", "STORE", "a", "STORE", "b"}), (V{"k:RO access", "b:OW update"}));
  EXPECT_EQ(Keys({"sort_ro", "k", "BY", "w"}), (V{"k:RO access"}));
}

TEST_F(GetKeysTest, NotKeySpecsAreSkipped) {
  const CommandSpec* spublish = table_.Find("spublish");
  if (spublish == nullptr) GTEST_SKIP() << "no SPUBLISH";
  EXPECT_FALSE(CommandHasKeys(*spublish));
}

// Commands Basalt may not register yet: a spec with only Redis's facts.
std::vector<std::string> RedisKeys(std::string name, std::vector<std::string_view> args) {
  CommandSpec c;
  c.name = name;
  std::string tips;
  EXPECT_TRUE(RedisCommandFacts(name, &c.key_specs, &tips)) << name;
  c.redis_key_specs = true;
  std::vector<KeyRef> refs;
  if (!FindKeys(c, args, &refs)) return {"invalid"};
  std::vector<std::string> out;
  for (const KeyRef& r : refs) out.push_back(std::string(args[size_t(r.pos)]) + ":" +
                                             std::string(r.flags));
  return out;
}

TEST(GetKeysRedisOnly, KeywordSearchesAndProcedures) {
  using V = std::vector<std::string>;
  EXPECT_EQ(RedisKeys("xread", {"xread", "STREAMS", "a", "b", "0", "0"}),
            (V{"a:RO access", "b:RO access"}));
  EXPECT_EQ(RedisKeys("xread", {"xread", "STREAMS", "a", "b", "0"}), (V{"a:RO access"}));
  EXPECT_EQ(RedisKeys("xread", {"xread", "COUNT", "streams", "STREAMS", "a", "0"}),
            (V{"STREAMS:RO access"}));
  EXPECT_EQ(RedisKeys("xreadgroup", {"xreadgroup", "GROUP", "streams", "streams", "STREAMS",
                                     "a", ">"}),
            (V{"a:RO access"}));
  EXPECT_EQ(RedisKeys("georadius", {"georadius", "g", "0", "0", "1", "km", "STORE", "d1",
                                    "STOREDIST", "d2"}),
            (V{"g:RO access", "d1:OW update", "d2:OW update"}));
  EXPECT_EQ(RedisKeys("georadius", {"georadius", "g", "0", "0", "1", "km", "STORE"}),
            (V{"g:RO access"}));
  // MIGRATE: KEYS is searched from the end (startfrom -2); the spec is
  // INCOMPLETE, so once KEYS is found the procedure decides.
  EXPECT_EQ(RedisKeys("migrate", {"migrate", "h", "1", "", "0", "100", "AUTH", "keys", "keys",
                                  "a"}),
            (V{"a:RW access delete"}));
  EXPECT_EQ(RedisKeys("migrate", {"migrate", "h", "1", "", "0", "100", "KEYS"}),
            (V{":RW access delete"}));
  EXPECT_EQ(RedisKeys("migrate", {"migrate", "h", "1", "k", "0", "100", "KEYS", "a"}),
            (V{"invalid"}));
}

TEST_F(GetKeysTest, ExecLocksWhatTheSpecsPlaceEvenWhenInvalid) {
  const CommandSpec* mset = table_.Find("mset");
  std::vector<std::string_view> args = {"mset", "a", "1", "b"};
  EXPECT_EQ(mset->KeyPositions(args), (std::vector<int>{1, 3}));
}

}  // namespace
}  // namespace basalt::commands
