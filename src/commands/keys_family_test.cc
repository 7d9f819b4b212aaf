// Keyspace commands in process: DEL/EXISTS over repeated keys, RENAME and
// RENAMENX onto themselves, COPY with DB/REPLACE, EXPIRE's NX/XX/GT/LT and
// its propagation as PEXPIREAT (or DEL for a time in the past), PERSIST,
// TYPE, OBJECT ENCODING transitions, SCAN's MATCH/COUNT/TYPE, MOVE, SWAPDB
// and FLUSHDB. Expected replies are Redis 7.0.15's.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "commands/command_test_fixture.h"

namespace basalt::commands {
namespace {

class KeysFamilyTest : public CommandTest {
 protected:
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // Every key a full SCAN with `options` returns, following the cursor.
  std::multiset<std::string> ScanAll(std::initializer_list<std::string_view> options) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    for (int rounds = 0; rounds < 1000; rounds++) {
      std::vector<std::string_view> args = {"SCAN", cursor};
      args.insert(args.end(), options.begin(), options.end());
      protocol::Reply r = Run(session_, args);
      if (r.type != protocol::Reply::Type::kArray || r.elements.size() != 2) {
        ADD_FAILURE() << "SCAN answered " << Show(r);
        break;
      }
      for (const auto& k : r.elements[1].elements) keys.insert(k.str);
      cursor = r.elements[0].str;
      if (cursor == "0") break;
    }
    return keys;
  }
};

TEST_F(KeysFamilyTest, DelAndExistsCountRepeatedKeys) {
  EXPECT_TRUE(IsStatus(Run({"MSET", "a", "1", "b", "2"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "a", "a", "b", "missing"}), 3));
  // DEL counts each key it removed once.
  EXPECT_TRUE(IsInt(Run({"DEL", "a", "b", "a", "missing"}), 2));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "a", "b"}), 0));
  EXPECT_TRUE(IsInt(Run({"DEL", "a"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "c", "3"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"UNLINK", "c", "missing"}), 1));
  // A DEL that removed nothing is not logged.
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"MSET a 1 b 2", "DEL a b a missing", "SET c 3",
                                                     "UNLINK c missing"}));
}

TEST_F(KeysFamilyTest, RenameOntoItselfAndMissingSource) {
  EXPECT_TRUE(IsError(Run({"RENAME", "missing", "x"}), "ERR no such key"));
  EXPECT_TRUE(IsError(Run({"RENAME", "missing", "missing"}), "ERR no such key"));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"RENAME", "k", "k"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"RENAMENX", "k", "k"}), 0));
  EXPECT_TRUE(IsBulk(Run({"GET", "k"}), "v"));
  // Renaming a key onto itself changes nothing and is not logged.
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"SET k v"});
  EXPECT_EQ(host_.dirty, 1);
}

TEST_F(KeysFamilyTest, RenameNxAndTtlTravelsWithTheValue) {
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "k2", "v2"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"RENAMENX", "k", "k2"}), 0));
  EXPECT_TRUE(IsInt(Run({"RENAMENX", "k", "k3"}), 1));
  EXPECT_TRUE(IsBulk(Run({"GET", "k3"}), "v"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "k"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "t", "v", "EX", "100"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"RENAME", "t", "k2"}), "OK"));
  protocol::Reply ttl = Run({"TTL", "k2"});
  EXPECT_TRUE(ttl.integer >= 99 && ttl.integer <= 100) << Show(ttl);
  EXPECT_TRUE(IsInt(Run({"TTL", "t"}), -2));
}

TEST_F(KeysFamilyTest, CopyReplaceAndOtherDatabase) {
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "c"}), 1));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "c"}), 0));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "c", "REPLACE"}), 1));
  EXPECT_TRUE(IsInt(Run({"COPY", "missing", "c"}), 0));
  EXPECT_TRUE(IsError(Run({"COPY", "k", "k"}), "ERR source and destination objects are the same"));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "k", "DB", "1"}), 1));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "k", "DB", "1"}), 0));
  EXPECT_TRUE(IsError(Run({"COPY", "k", "c", "DB", "16"}), "ERR DB index is out of range"));
  EXPECT_TRUE(
      IsError(Run({"COPY", "k", "c", "DB", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"COPY", "k", "c", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsInt(Run({"COPY", "k", "c", "DB", "0", "REPLACE"}), 1));
  EXPECT_TRUE(IsStatus(Run({"SELECT", "1"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"GET", "k"}), "v"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "c"}), 0));
}

TEST_F(KeysFamilyTest, CopyIsDeepForAggregates) {
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a", "b"}), 2));
  EXPECT_TRUE(IsInt(Run({"COPY", "l", "l2"}), 1));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l2", "c"}), 3));
  EXPECT_TRUE(IsArray(Run({"LRANGE", "l", "0", "-1"}), {"a", "b"}));
  EXPECT_TRUE(IsStatus(Run({"SET", "t", "v", "EX", "100"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"COPY", "t", "t2"}), 1));
  EXPECT_GT(Run({"PTTL", "t2"}).integer, 90000);
}

TEST_F(KeysFamilyTest, ExpireNxXxGtLt) {
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "XX"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "GT"}), 0));  // no TTL counts as infinite
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "NX"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "50", "NX"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "200", "GT"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "GT"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "50", "LT"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "500", "LT"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "60", "XX"}), 1));
  protocol::Reply ttl = Run({"TTL", "e"});
  EXPECT_TRUE(ttl.integer >= 59 && ttl.integer <= 60) << Show(ttl);
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "missing", "10"}), 0));
}

TEST_F(KeysFamilyTest, ExpireOptionErrors) {
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v"}), "OK"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "10", "NX", "XX"}),
                      "ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "10", "NX", "GT"}),
                      "ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "10", "GT", "LT"}),
                      "ERR GT and LT options at the same time are not compatible"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "10", "FOO"}), "ERR Unsupported option FOO"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "e", "9223372036854775807"}),
                      "ERR invalid expire time in 'expire' command"));
  EXPECT_TRUE(IsError(Run({"PEXPIRE", "e", "9223372036854775807"}),
                      "ERR invalid expire time in 'pexpire' command"));
  EXPECT_TRUE(IsInt(Run({"TTL", "e"}), -1));
}

TEST_F(KeysFamilyTest, RelativeExpireIsLoggedAsAbsolutePExpireAt) {
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v"}), "OK"));
  int64_t before = NowMs();
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100"}), 1));
  EXPECT_TRUE(IsInt(Run({"PEXPIRE", "e", "200000", "GT"}), 1));
  int64_t after = NowMs();
  std::vector<std::string> log = LogCommands();
  ASSERT_EQ(log.size(), 3u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[1].find("EXPIRE e"), std::string::npos) << log[1];
  ASSERT_TRUE(log[1].starts_with("PEXPIREAT e ")) << log[1];
  int64_t at = std::stoll(log[1].substr(12));
  EXPECT_GE(at, before + 100000);
  EXPECT_LE(at, after + 100000);
  ASSERT_TRUE(log[2].starts_with("PEXPIREAT e ")) << log[2];
  at = std::stoll(log[2].substr(12));
  EXPECT_GE(at, before + 200000);
  EXPECT_LE(at, after + 200000);
  // EXPIREAT's seconds become milliseconds too.
  EXPECT_TRUE(IsInt(Run({"EXPIREAT", "e", "4000000000"}), 1));
  EXPECT_EQ(LogCommands().back(), "PEXPIREAT e 4000000000000");
  EXPECT_TRUE(IsInt(Run({"EXPIRETIME", "e"}), 4000000000));
  EXPECT_TRUE(IsInt(Run({"PEXPIRETIME", "e"}), 4000000000000));
}

// Redis 7.0.15 logs EXPIRE e 100 NX as "PEXPIREAT e <ms> NX" (GT/LT/XX
// likewise, as sent).
TEST_F(KeysFamilyTest, ExpireOptionTravelsWithPExpireAt) {
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "NX"}), 1));
  EXPECT_TRUE(IsInt(Run({"PEXPIRE", "e", "200000", "GT"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXPIREAT", "e", "4000000000", "XX"}), 1));
  std::vector<std::string> log = LogCommands();
  ASSERT_EQ(log.size(), 4u) << ::testing::PrintToString(log);
  EXPECT_TRUE(log[1].starts_with("PEXPIREAT e ") && log[1].ends_with(" NX")) << log[1];
  EXPECT_TRUE(log[2].starts_with("PEXPIREAT e ") && log[2].ends_with(" GT")) << log[2];
  EXPECT_EQ(log[3], "PEXPIREAT e 4000000000000 XX");
}

TEST_F(KeysFamilyTest, ExpireInThePastDeletesAndIsLoggedAsDel) {
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "-1"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "e"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "f", "v"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXPIREAT", "f", "100"}), 1));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "f"}), 0));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"SET e v", "DEL e", "SET f v", "DEL f"}));
}

TEST_F(KeysFamilyTest, PersistAndTtlReplies) {
  EXPECT_TRUE(IsInt(Run({"TTL", "missing"}), -2));
  EXPECT_TRUE(IsInt(Run({"EXPIRETIME", "missing"}), -2));
  EXPECT_TRUE(IsInt(Run({"PERSIST", "missing"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "e", "v", "EX", "100"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"PERSIST", "e"}), 1));
  EXPECT_TRUE(IsInt(Run({"PERSIST", "e"}), 0));
  EXPECT_TRUE(IsInt(Run({"TTL", "e"}), -1));
  EXPECT_TRUE(IsInt(Run({"PTTL", "e"}), -1));
  EXPECT_TRUE(IsInt(Run({"EXPIRETIME", "e"}), -1));
  // After PERSIST, GT never applies and LT always does.
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "GT"}), 0));
  EXPECT_TRUE(IsInt(Run({"EXPIRE", "e", "100", "LT"}), 1));
  std::vector<std::string> log = LogCommands();
  ASSERT_EQ(log.size(), 3u) << ::testing::PrintToString(log);
  EXPECT_EQ(log[1], "PERSIST e");
  EXPECT_TRUE(log[2].starts_with("PEXPIREAT e ")) << log[2];
}

TEST_F(KeysFamilyTest, TypeOfEachKind) {
  EXPECT_TRUE(IsStatus(Run({"TYPE", "missing"}), "none"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "1"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsInt(Run({"SADD", "st", "a"}), 1));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsInt(Run({"HSET", "h", "a", "1"}), 1));
  EXPECT_TRUE(IsInt(Run({"PFADD", "p", "a"}), 1));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "s"}), "string"));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "l"}), "list"));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "st"}), "set"));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "z"}), "zset"));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "h"}), "hash"));
  EXPECT_TRUE(IsStatus(Run({"TYPE", "p"}), "string"));
}

TEST_F(KeysFamilyTest, ObjectEncodingTransitions) {
  EXPECT_TRUE(IsNil(Run({"OBJECT", "ENCODING", "missing"})));
  EXPECT_TRUE(IsStatus(Run({"SET", "i", "123"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "i"}), "int"));
  EXPECT_TRUE(IsInt(Run({"APPEND", "i", "4"}), 4));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "i"}), "raw"));
  EXPECT_TRUE(IsInt(Run({"INCR", "i"}), 1235));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "i"}), "int"));
  EXPECT_TRUE(IsStatus(Run({"SET", "n", "-9223372036854775808"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "n"}), "int"));
  EXPECT_TRUE(IsStatus(Run({"SET", "n", "9223372036854775808"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "n"}), "embstr"));
  EXPECT_TRUE(IsStatus(Run({"SET", "s", "hello"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "s"}), "embstr"));
  EXPECT_TRUE(IsInt(Run({"SETRANGE", "s", "0", "H"}), 5));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "s"}), "raw"));
  // embstr holds up to 44 bytes.
  EXPECT_TRUE(IsStatus(Run({"SET", "e44", std::string(44, 'x')}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "e44"}), "embstr"));
  EXPECT_TRUE(IsStatus(Run({"SET", "r45", std::string(45, 'x')}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "r45"}), "raw"));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "l", "a"}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "l"}), "quicklist"));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "1", "a"}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "z"}), "listpack"));
  EXPECT_TRUE(IsInt(Run({"ZADD", "z", "2", std::string(65, 'm')}), 1));
  EXPECT_TRUE(IsBulk(Run({"OBJECT", "ENCODING", "z"}), "skiplist"));
  EXPECT_TRUE(IsInt(Run({"ZCARD", "z"}), 2));
}

TEST_F(KeysFamilyTest, ScanMatchCountType) {
  EXPECT_TRUE(IsStatus(Run({"MSET", "k1", "a", "k2", "b", "other", "c"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"RPUSH", "klist", "x"}), 1));
  EXPECT_TRUE(IsInt(Run({"SADD", "kset", "y"}), 1));
  for (int i = 0; i < 40; i++) {
    ASSERT_TRUE(IsStatus(Run({"SET", "bulk:" + std::to_string(i), "v"}), "OK"));
  }
  EXPECT_EQ(ScanAll({}).size(), 45u);
  EXPECT_EQ(ScanAll({"COUNT", "3"}).size(), 45u);  // small steps still cover every key once
  EXPECT_EQ(ScanAll({"MATCH", "k*"}), (std::multiset<std::string>{"k1", "k2", "klist", "kset"}));
  EXPECT_EQ(ScanAll({"MATCH", "k*", "TYPE", "string", "COUNT", "2"}),
            (std::multiset<std::string>{"k1", "k2"}));
  EXPECT_EQ(ScanAll({"TYPE", "LIST"}), std::multiset<std::string>{"klist"});
  EXPECT_EQ(ScanAll({"MATCH", "bulk:1?"}).size(), 10u);
  // Redis 7.0 answers an unknown type with no keys rather than an error.
  EXPECT_TRUE(ScanAll({"TYPE", "nosuchtype"}).empty());
}

TEST_F(KeysFamilyTest, ScanArgumentErrors) {
  EXPECT_TRUE(IsError(Run({"SCAN", "0", "COUNT", "0"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SCAN", "0", "COUNT", "-1"}), "ERR syntax error"));
  EXPECT_TRUE(
      IsError(Run({"SCAN", "0", "COUNT", "x"}), "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Run({"SCAN", "x"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Run({"SCAN", "18446744073709551616"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Run({"SCAN", "0", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"SCAN", "0", "MATCH"}), "ERR syntax error"));
}

TEST_F(KeysFamilyTest, MoveBetweenDatabases) {
  EXPECT_TRUE(IsStatus(Run({"SET", "x", "1"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"MOVE", "x", "1"}), 1));
  EXPECT_TRUE(IsInt(Run({"MOVE", "x", "1"}), 0));
  EXPECT_TRUE(IsInt(Run({"MOVE", "missing", "2"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SELECT", "1"}), "OK"));
  EXPECT_TRUE(IsBulk(Run({"GET", "x"}), "1"));
  EXPECT_TRUE(IsError(Run({"MOVE", "x", "1"}), "ERR source and destination objects are the same"));
  EXPECT_TRUE(IsError(Run({"MOVE", "x", "99"}), "ERR DB index is out of range"));
  // MOVE does not overwrite.
  EXPECT_TRUE(IsStatus(Run({"SELECT", "0"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "x", "0"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"MOVE", "x", "1"}), 0));
  EXPECT_TRUE(IsBulk(Run({"GET", "x"}), "0"));
}

TEST_F(KeysFamilyTest, SwapDbAndFlushDb) {
  EXPECT_TRUE(IsStatus(Run({"MSET", "a", "1", "b", "2"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SWAPDB", "0", "1"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"DBSIZE"}), 0));
  EXPECT_TRUE(IsError(Run({"SWAPDB", "0", "16"}), "ERR DB index is out of range"));
  EXPECT_TRUE(IsError(Run({"SWAPDB", "0", "x"}), "ERR invalid second DB index"));
  EXPECT_TRUE(IsError(Run({"SWAPDB", "x", "0"}), "ERR invalid first DB index"));
  EXPECT_TRUE(IsStatus(Run({"SELECT", "1"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"DBSIZE"}), 2));
  EXPECT_TRUE(IsError(Run({"FLUSHDB", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsStatus(Run({"FLUSHDB"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"DBSIZE"}), 0));
  EXPECT_TRUE(IsStatus(Run({"FLUSHDB", "ASYNC"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"FLUSHDB", "SYNC"}), "OK"));
  EXPECT_EQ(LogCommands(), (std::vector<std::string>{"MSET a 1 b 2", "SWAPDB 0 1", "FLUSHDB",
                                                     "FLUSHDB ASYNC", "FLUSHDB SYNC"}));
}

// Redis 7.0.15 logs SWAPDB 1 1 though it changes nothing.
TEST_F(KeysFamilyTest, SwapDbOfADatabaseWithItselfIsLogged) {
  EXPECT_TRUE(IsStatus(Run({"SWAPDB", "1", "1"}), "OK"));
  EXPECT_EQ(LogCommands(), std::vector<std::string>{"SWAPDB 1 1"});
}

TEST_F(KeysFamilyTest, FlushDbAndSwapDbTouchWatchedKeys) {
  EXPECT_TRUE(IsStatus(Run({"SET", "w", "1"}), "OK"));
  DetachedSession other(2, Origin::kClient);
  EXPECT_TRUE(IsStatus(Run({"WATCH", "w"}), "OK"));
  EXPECT_TRUE(IsStatus(Run(other, {"FLUSHDB"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"SET", "w", "2"}), "QUEUED"));
  EXPECT_TRUE(IsNil(Run({"EXEC"})));
  EXPECT_TRUE(IsStatus(Run(other, {"SELECT", "1"}), "OK"));
  EXPECT_TRUE(IsStatus(Run(other, {"SET", "w", "one"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"WATCH", "w"}), "OK"));
  EXPECT_TRUE(IsStatus(Run(other, {"SWAPDB", "0", "1"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"MULTI"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"GET", "w"}), "QUEUED"));
  EXPECT_TRUE(IsNil(Run({"EXEC"})));
  EXPECT_TRUE(IsBulk(Run({"GET", "w"}), "one"));
}

TEST_F(KeysFamilyTest, FlushModeAndCopyOptionErrors) {
  EXPECT_TRUE(IsError(Run({"FLUSHDB", "FOO"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"FLUSHDB", "ASYNC", "SYNC"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"FLUSHALL", "SYNC", "x"}), "ERR syntax error"));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsStatus(Run({"FLUSHDB", "sync"}), "OK"));
  EXPECT_TRUE(IsInt(Run({"EXISTS", "k"}), 0));
  EXPECT_TRUE(IsStatus(Run({"SET", "k", "v"}), "OK"));
  EXPECT_TRUE(IsError(Run({"COPY", "k", "c", "DB"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Run({"COPY", "k", "c", "DB", "x", "FOO"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Run({"EXPIRE", "k", "10", "NX", "FOO", "BAR"}), "ERR Unsupported option FOO"));
  EXPECT_TRUE(IsError(Run({"EXPIRE", "k", "x", "FOO"}), "ERR Unsupported option FOO"));
}

}  // namespace
}  // namespace basalt::commands
