#include "acl/user.h"

#include <gtest/gtest.h>

#include "acl/acl_file.h"
#include "acl/catalog.h"
#include "acl/registry.h"

namespace basalt::acl {
namespace {

// (In this small catalog @read is only GET and @write only SET, so the
// best-fit description names those categories.)
// A small catalog: get (@read @string @fast), set (@write @string @slow),
// config (container, @slow) with get (@admin @slow) and set (@admin @slow
// @dangerous), select (@keyspace @fast), auth (no-auth), publish, subscribe,
// psubscribe (@pubsub).
Catalog TestCatalog() {
  Catalog c;
  int id = 0;
  auto add = [&](const char* name, const char* cats, int parent = -1, bool no_auth = false,
                 CatalogCommand::Channels ch = CatalogCommand::kNoChannels) {
    CatalogCommand cc;
    cc.id = id++;
    cc.fullname = name;
    cc.parent = parent;
    cc.categories = CategoryMask(cats);
    cc.no_auth = no_auth;
    cc.channels = ch;
    c.Add(cc);
    return cc.id;
  };
  add("get", "@read @string @fast");
  add("set", "@write @string @slow");
  int config = add("config", "@slow");
  add("config|get", "@admin @slow", config);
  add("config|set", "@admin @slow @dangerous", config);
  add("select", "@keyspace @fast");
  add("auth", "@fast @connection", -1, true);
  add("publish", "@pubsub @fast", -1, false, CatalogCommand::kFirstChannel);
  add("subscribe", "@pubsub @slow", -1, false, CatalogCommand::kAllChannels);
  add("psubscribe", "@pubsub @slow", -1, false, CatalogCommand::kAllPatterns);
  return c;
}

class StaticKeys : public KeySource {
 public:
  explicit StaticKeys(std::vector<KeyArg> k) : k_(std::move(k)) {}
  std::span<const KeyArg> Keys() override { return k_; }

 private:
  std::vector<KeyArg> k_;
};

std::string Set(User& u, const Catalog& cat, std::vector<std::string_view> ops) {
  std::string err;
  if (!u.ApplyAll(cat, ops, false, &err)) return err;
  return "";
}

TEST(AclUserTest, DefaultUserDescribesAsRedis) {
  Catalog cat = TestCatalog();
  User d = User::Default(cat);
  EXPECT_EQ(d.Describe(cat), "on nopass ~* &* +@all");
  EXPECT_TRUE(d.unrestricted());
  EXPECT_TRUE(d.CheckPassword("anything"));
}

TEST(AclUserTest, NewUserIsOffWithNothing) {
  Catalog cat = TestCatalog();
  User u("u", false);
  EXPECT_EQ(u.Describe(cat), "off resetchannels -@all");
  EXPECT_FALSE(u.CheckPassword(""));
}

TEST(AclUserTest, PasswordsAddRemoveHash) {
  Catalog cat = TestCatalog();
  User u("u", false);
  EXPECT_EQ(Set(u, cat, {"on", ">p1", ">p1", ">p2"}), "");
  EXPECT_EQ(u.passwords().size(), 2u);
  EXPECT_TRUE(u.CheckPassword("p2"));
  EXPECT_FALSE(u.CheckPassword("p3"));
  EXPECT_EQ(Set(u, cat, {"<p1"}), "");
  EXPECT_FALSE(u.CheckPassword("p1"));
  EXPECT_EQ(Set(u, cat, {"<p1"}),
            "Error in ACL SETUSER modifier '<p1': The password you are trying to remove from "
            "the user does not exist");
  // The hash redis-server 7.0 shows for ">p1".
  EXPECT_EQ(HashPassword("p1"), "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a");
}

TEST(AclUserTest, MalformedRulesGiveRedisErrors) {
  Catalog cat = TestCatalog();
  struct Case {
    std::vector<std::string_view> ops;
    std::string err;
  } cases[] = {
      {{"bad"}, "Error in ACL SETUSER modifier 'bad': Syntax error"},
      {{"+nocmd"}, "Error in ACL SETUSER modifier '+nocmd': Unknown command or category name in ACL"},
      {{"+@nocat"}, "Error in ACL SETUSER modifier '+@nocat': Unknown command or category name in ACL"},
      {{"%X~a"}, "Error in ACL SETUSER modifier '%X~a': Syntax error"},
      {{"%~a"}, "Error in ACL SETUSER modifier '%~a': Syntax error"},
      {{"%RR~a"}, "Error in ACL SETUSER modifier '%RR~a': Syntax error"},
      {{"#abc"},
       "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters "
       "and contain only lowercase hexadecimal characters"},
      {{"+config|get|x"},
       "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not "
       "supported"},
      {{"-select|0"},
       "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"},
      {{"+config|"}, "Error in ACL SETUSER modifier '+config|': Syntax error"},
      {{"(+get", "~a"}, "Unmatched parenthesis in acl selector starting at '(+get'."},
      {{"(badop)"}, "Error in ACL SETUSER modifier '(badop)': Syntax error"},
      {{"~a", "allkeys", "~b"},
       "Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the "
       "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
       "with an empty list of patterns"},
      {{"allchannels", "&x"},
       "Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the "
       "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to "
       "start with an empty list of channels"},
  };
  for (const Case& c : cases) {
    User u("u", false);
    std::string before = u.Describe(cat);
    EXPECT_EQ(Set(u, cat, c.ops), c.err) << c.ops[0];
    EXPECT_EQ(u.Describe(cat), before) << "a failed SETUSER changes nothing";
  }
}

TEST(AclUserTest, DescribeCommandsBestFit) {
  Catalog cat = TestCatalog();
  User u("u", false);
  ASSERT_EQ(Set(u, cat, {"on", "+@string", "-set", "+select|0", "~foo", "%R~bar", "%W~baz",
                         "%R~foo", "&ch*", "(+set ~x*)"}),
            "");
  EXPECT_EQ(u.Describe(cat),
            "on ~foo %R~bar %W~baz resetchannels &ch* -@all +@read +select|0 "
            "(~x* resetchannels -@all +@write)");
  User a("a", false);
  ASSERT_EQ(Set(a, cat, {"+@all", "-config|set", "%RW~*", "~k"}), "");
  EXPECT_EQ(a.selectors()[0].DescribeCommands(cat), "+@all -@dangerous");
  EXPECT_EQ(a.selectors()[0].DescribeKeys(), "~* ~k");
  EXPECT_FALSE(a.selectors()[0].allkeys());
}

TEST(AclUserTest, CheckCommandsKeysChannels) {
  Catalog cat = TestCatalog();
  User u("u", false);
  ASSERT_EQ(Set(u, cat, {"on", "+get", "+set", "+config|get", "+select|0", "+publish",
                         "+subscribe", "+psubscribe", "%R~r*", "%W~w*", "~rw*", "&news.*"}),
            "");
  const CatalogCommand& get = *cat.Find("get");
  const CatalogCommand& set = *cat.Find("set");
  std::vector<std::string_view> a = {"get", "r1"};
  int pos = 0;
  StaticKeys read1({{1, kPermRead}});
  EXPECT_EQ(u.Check(get, a, &read1, &pos), Denial::kNone);
  std::vector<std::string_view> b = {"get", "w1"};
  EXPECT_EQ(u.Check(get, b, &read1, &pos), Denial::kKey);
  EXPECT_EQ(pos, 1);
  std::vector<std::string_view> c = {"set", "w1", "v"};
  StaticKeys write1({{1, kPermWrite}});
  EXPECT_EQ(u.Check(set, c, &write1, &pos), Denial::kNone);
  std::vector<std::string_view> d = {"set", "r1", "v"};
  EXPECT_EQ(u.Check(set, d, &write1, &pos), Denial::kKey);
  std::vector<std::string_view> e = {"config", "set", "x", "y"};
  EXPECT_EQ(u.Check(*cat.Find("config|set"), e, nullptr, &pos), Denial::kCommand);
  std::vector<std::string_view> s0 = {"select", "0"}, s1 = {"select", "1"};
  EXPECT_EQ(u.Check(*cat.Find("select"), s0, nullptr, &pos), Denial::kNone);
  EXPECT_EQ(u.Check(*cat.Find("select"), s1, nullptr, &pos), Denial::kCommand);
  std::vector<std::string_view> p1 = {"publish", "news.x", "m"}, p2 = {"publish", "old", "m"};
  EXPECT_EQ(u.Check(*cat.Find("publish"), p1, nullptr, &pos), Denial::kNone);
  EXPECT_EQ(u.Check(*cat.Find("publish"), p2, nullptr, &pos), Denial::kChannel);
  std::vector<std::string_view> sub = {"subscribe", "news.a", "x"};
  EXPECT_EQ(u.Check(*cat.Find("subscribe"), sub, nullptr, &pos), Denial::kChannel);
  EXPECT_EQ(pos, 2);
  // A pattern subscription must name an allowed pattern literally.
  std::vector<std::string_view> ps1 = {"psubscribe", "news.*"}, ps2 = {"psubscribe", "news.a*"};
  EXPECT_EQ(u.Check(*cat.Find("psubscribe"), ps1, nullptr, &pos), Denial::kNone);
  EXPECT_EQ(u.Check(*cat.Find("psubscribe"), ps2, nullptr, &pos), Denial::kChannel);
  // AUTH is always allowed.
  std::vector<std::string_view> au = {"auth", "x"};
  EXPECT_EQ(u.Check(*cat.Find("auth"), au, nullptr, &pos), Denial::kNone);
}

TEST(AclUserTest, KeyPatternKindsMatchLikeGlobs) {
  struct Case {
    const char* pattern;
    KeyPattern::Kind kind;
  } cases[] = {{"", KeyPattern::kExact},     {"abc", KeyPattern::kExact},
               {"abc*", KeyPattern::kPrefix}, {"*", KeyPattern::kPrefix},
               {"a*c", KeyPattern::kGlob},    {"a?*", KeyPattern::kGlob},
               {"a\\*", KeyPattern::kGlob},  {"[ab]*", KeyPattern::kGlob}};
  for (const Case& c : cases) {
    KeyPattern p{c.pattern, kPermAll, PatternKind(c.pattern)};
    EXPECT_EQ(p.kind, c.kind) << c.pattern;
    for (const char* key : {"", "a", "ab", "abc", "abcd", "a*", "xabc", "b1"}) {
      KeyPattern g{c.pattern, kPermAll, KeyPattern::kGlob};
      EXPECT_EQ(p.Matches(key), g.Matches(key)) << c.pattern << " vs " << key;
    }
  }
}

TEST(AclUserTest, SelectorsAnyMayAllow) {
  Catalog cat = TestCatalog();
  User u("u", false);
  ASSERT_EQ(Set(u, cat, {"on", "+get", "~a*", "(+set ~b*)"}), "");
  int pos = 0;
  StaticKeys k({{1, kPermAll}});
  std::vector<std::string_view> setb = {"set", "b1", "v"}, seta = {"set", "a1", "v"};
  EXPECT_EQ(u.Check(*cat.Find("set"), setb, &k, &pos), Denial::kNone);
  // Root denies the command, the selector the key: the key (higher) wins.
  EXPECT_EQ(u.Check(*cat.Find("set"), seta, &k, &pos), Denial::kKey);
  ASSERT_EQ(Set(u, cat, {"clearselectors"}), "");
  EXPECT_EQ(u.Check(*cat.Find("set"), setb, &k, &pos), Denial::kCommand);
}

// Check, with the keys PlaceKeys places, against a plain reading of the
// rules (every pattern through KeyPattern::Matches); and QuickAllows never
// says yes where Check does not, but does for the usual prefix patterns.
TEST(AclUserTest, QuickAllowsAgreesWithCheck) {
  Catalog cat;
  auto add = [&](const char* name, std::vector<KeyRange> ranges, bool set_keys = false) {
    CatalogCommand cc;
    cc.id = int(cat.size());
    cc.fullname = name;
    cc.categories = CategoryMask("@read @write");
    cc.simple_keys = !set_keys;
    cc.set_keys = set_keys;
    cc.key_ranges = std::move(ranges);
    cat.Add(cc);
  };
  add("get", {{1, 0, 1, 0, kPermRead}});
  add("set", {}, true);
  add("mget", {{1, -1, 1, 0, kPermRead}});
  add("hset", {{1, 0, 1, 0, kPermWrite}});
  add("copy", {{1, 0, 1, 0, kPermRead}, {2, 0, 1, 0, kPermWrite}});
  add("ping", {});

  const std::vector<std::vector<std::string_view>> users = {
      {"on", "+@all", "~session:*", "%R~cache:*", "%W~queue:*", "~key:*"},
      {"on", "+get", "+set", "+mget", "~k", "~longprefix:*", "%R~*"},
      {"on", "+@all", "~a?c", "~[xy]*", "~exact", "%W~", "~12345678*"},
      {"on", "+get", "~key:*", "(+set %W~k*)", "(+hset ~*)"},
      {"on", "+@all", "resetkeys"},
      {"on", "+@all", "allkeys"},
  };
  const std::vector<std::string_view> keys = {
      "",        "k",         "kk",        "key:",        "key:1",         "key:000012345",
      "cache:1", "queue:abc", "session:",  "session:xyz", "sessionX",      "longprefix:123",
      "longpre", "abc",       "aXc",       "x",           "yyyyyyyyyy",    "exact",
      "exactly", "12345678",  "123456789", "1234567",     "other-key-name"};
  const std::vector<std::vector<std::string_view>> shapes = {{"get", "$"},
                                                             {"set", "$", "v"},
                                                             {"set", "$", "v", "GET"},
                                                             {"mget", "$", "key:1"},
                                                             {"hset", "$", "f", "v"},
                                                             {"copy", "key:1", "$"},
                                                             {"copy", "$", "$"},
                                                             {"ping"}};

  int quick_yes = 0;
  for (const auto& rules : users) {
    User u("u", false);
    std::string err;
    ASSERT_TRUE(u.ApplyAll(cat, rules, false, &err)) << err;
    for (const auto& shape : shapes) {
      for (std::string_view key : keys) {
        std::vector<std::string_view> args = shape;
        for (std::string_view& a : args) {
          if (a == "$") a = key;
        }
        const CatalogCommand& cmd = *cat.Find(args[0]);
        KeyArgs placed;
        PlaceKeys(cmd, args, &placed);
        std::vector<KeyArg> list(placed.span().begin(), placed.span().end());
        StaticKeys source(list);
        int pos = 0;
        const bool allowed = u.Check(cmd, args, &source, &pos) == Denial::kNone;

        bool expected = false;
        for (const Selector& s : u.selectors()) {
          if (!s.CommandBit(cmd.id)) continue;
          bool ok = true;
          for (const KeyArg& k : list) {
            if (s.allkeys()) break;
            bool any = false;
            for (const KeyPattern& p : s.key_patterns()) {
              any = any || ((p.perm & k.perm) == k.perm && p.Matches(args[size_t(k.pos)]));
            }
            ok = ok && any;
          }
          expected = expected || ok;
        }
        const std::string what = std::string(rules.back()) + " / " + std::string(args[0]) + " " +
                                 std::string(key) + " " + std::to_string(args.size());
        EXPECT_EQ(allowed, expected) << what;
        const bool quick = u.QuickAllows(cmd, args);
        EXPECT_TRUE(!quick || allowed) << what;
        quick_yes += quick;
      }
    }
  }
  EXPECT_GT(quick_yes, 100);

  // The usual case is decided quickly, short keys included.
  User r("r", false);
  std::string err;
  std::vector<std::string_view> rules = users[0];
  ASSERT_TRUE(r.ApplyAll(cat, rules, false, &err)) << err;
  for (std::string_view key : {"key:1", "key:000012345", "session:", "cache:zz"}) {
    std::vector<std::string_view> get = {"get", key};
    EXPECT_TRUE(r.QuickAllows(*cat.Find("get"), get)) << key;
  }
  std::vector<std::string_view> set = {"set", "queue:1", "v"}, bad = {"set", "cache:1", "v"};
  EXPECT_TRUE(r.QuickAllows(*cat.Find("set"), set));
  EXPECT_FALSE(r.QuickAllows(*cat.Find("set"), bad));
}

TEST(AclUserTest, ResetAndCategories) {
  Catalog cat = TestCatalog();
  User u("u", false);
  ASSERT_EQ(Set(u, cat, {"on", ">x", "~*", "&*", "+@all", "(+get)", "reset"}), "");
  EXPECT_EQ(u.Describe(cat), "off sanitize-payload resetchannels -@all");
  ASSERT_EQ(Set(u, cat, {"+@slow"}), "");
  // config is @slow: the container and every subcommand follow it.
  EXPECT_TRUE(u.selectors()[0].CommandBit(cat.Find("config|set")->id));
  EXPECT_TRUE(u.selectors()[0].CommandBit(cat.Find("set")->id));
  EXPECT_FALSE(u.selectors()[0].CommandBit(cat.Find("get")->id));
}

TEST(AclFileTest, ParseErrorsAllOrNothing) {
  Catalog cat = TestCatalog();
  std::vector<User> users;
  std::string err;
  EXPECT_TRUE(ParseAclText(cat, "f.acl", "user a on >p ~* +get\n\nuser default on nopass ~* &* +@all\n",
                           false, &users, &err));
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].Describe(cat),
            "on #" + HashPassword("p") + " ~* resetchannels -@all +@read");
  EXPECT_FALSE(ParseAclText(cat, "f.acl", "user a on +nocmd\nfoo\nuser a\n", false, &users, &err));
  EXPECT_EQ(err,
            "f.acl:1: Error in applying operation '+nocmd': Unknown command or category name in "
            "ACL. f.acl:2 should start with user keyword followed by the username. WARNING: "
            "Duplicate user 'a' found on line 3. WARNING: ACL errors detected, no change to the "
            "previously active ACL rules was performed");
  EXPECT_TRUE(users.empty());
}

TEST(AclRegistryTest, SetUserGenerationAndLog) {
  Registry reg(TestCatalog());
  uint64_t g = reg.generation();
  std::vector<std::string_view> ops = {"on", ">pw", "+get"};
  EXPECT_EQ(reg.SetUser("u", ops, false), "");
  EXPECT_GT(reg.generation(), g);
  EXPECT_NE(reg.Authenticate("u", "pw"), nullptr);
  EXPECT_EQ(reg.Authenticate("u", "bad"), nullptr);
  reg.SyncRequirepass("secret");
  EXPECT_EQ(reg.Authenticate("default", "x"), nullptr);
  EXPECT_NE(reg.Authenticate("default", "secret"), nullptr);
  LogEntry e;
  e.object = "get";
  e.username = "u";
  e.ctime_ms = 1000;
  reg.AddLog(e, 2);
  e.ctime_ms = 2000;
  reg.AddLog(e, 2);
  auto entries = reg.LogEntries(10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].count, 2);
  e.object = "set";
  reg.AddLog(e, 2);
  e.object = "del";
  reg.AddLog(e, 2);
  EXPECT_EQ(reg.LogEntries(10).size(), 2u);
  EXPECT_EQ(reg.LogEntries(10)[0].object, "del");
}

}  // namespace
}  // namespace basalt::acl
