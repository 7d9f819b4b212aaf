#include "common/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace basalt {
namespace {

using namespace std::string_view_literals;

bool M(std::string_view p, std::string_view s) { return GlobMatch(p, s); }

TEST(GlobTest, LiteralsAndWildcards) {
  EXPECT_TRUE(M("hello", "hello"));
  EXPECT_FALSE(M("hello", "hell"));
  EXPECT_FALSE(M("hell", "hello"));
  EXPECT_TRUE(M("h?llo", "hello"));
  EXPECT_FALSE(M("h?llo", "hllo"));
  EXPECT_TRUE(M("h*llo", "hllo"));
  EXPECT_TRUE(M("h*llo", "heeeello"));
  EXPECT_TRUE(M("*", "x"));
  EXPECT_TRUE(M("a*", "a"));
  EXPECT_TRUE(M("*a", "ba"));
  EXPECT_TRUE(M("**a**", "a"));
  EXPECT_TRUE(M("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(M("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(M("", ""));
  EXPECT_FALSE(M("", "a"));
}

TEST(GlobTest, EmptySubjectMatchesOnlyEmptyPattern) {
  // redis-server: KEYS ** does not return the empty key (KEYS * does, by a
  // shortcut in the command, not in the matcher).
  EXPECT_FALSE(M("*", ""));
  EXPECT_FALSE(M("**", ""));
  EXPECT_FALSE(M("?", ""));
}

TEST(GlobTest, Classes) {
  EXPECT_TRUE(M("h[ae]llo", "hallo"));
  EXPECT_FALSE(M("h[ae]llo", "hillo"));
  EXPECT_TRUE(M("h[^e]llo", "hallo"));
  EXPECT_FALSE(M("h[^e]llo", "hello"));
  EXPECT_TRUE(M("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(M("[z-a]", "m"));  // reversed range
  EXPECT_FALSE(M("[z-a]", "A"));
  EXPECT_TRUE(M("[^a-z]", "A"));
  EXPECT_FALSE(M("[^a-z]", "a"));
  EXPECT_TRUE(M("[a-c-e]", "-"));
  EXPECT_FALSE(M("[a-c-e]", "d"));
  EXPECT_TRUE(M("[-a]", "-"));
}

// Each expectation below is what redis-server 7.0.15 answers to KEYS.
TEST(GlobTest, RedisCornerCases) {
  // "a-]" is a range from ']' to 'a', and the class is then unterminated.
  EXPECT_TRUE(M("[a-]", "_"));
  EXPECT_TRUE(M("[a-]", "]"));
  EXPECT_FALSE(M("[a-]", "-"));
  // "[]" is an empty class, "[^]" any byte.
  EXPECT_FALSE(M("[]a]", "a"));
  EXPECT_FALSE(M("[]a]", "]a]"));
  EXPECT_TRUE(M("[^]", "]"));
  EXPECT_FALSE(M("[", "["));
  EXPECT_TRUE(M("[^", "x"));
  // Unterminated classes run to the end of the pattern.
  EXPECT_TRUE(M("[ab", "b"));
  EXPECT_FALSE(M("[ab", "["));
  EXPECT_TRUE(M("[a-", "-"));
  EXPECT_FALSE(M("[a-", "b"));
  // Escapes.
  EXPECT_TRUE(M("\\", "\\"));
  EXPECT_TRUE(M("a\\", "a\\"));
  EXPECT_TRUE(M("\\*x", "*x"));
  EXPECT_FALSE(M("\\*x", "ax"));
  EXPECT_TRUE(M("[\\]]", "]"));
  EXPECT_FALSE(M("[\\]]", "\\"));
  EXPECT_TRUE(M("[\\a-c]", "-"));  // the escape stops "a-c" being a range
  EXPECT_FALSE(M("[\\a-c]", "b"));
  EXPECT_TRUE(M("[a\\-z]", "-"));
  EXPECT_FALSE(M("[a\\-z]", "m"));
}

TEST(GlobTest, BinarySafe) {
  EXPECT_TRUE(M("a\0*"sv, "a\0b"sv));
  EXPECT_FALSE(M("a\0*"sv, "ab"sv));
  EXPECT_TRUE(M("?"sv, "\0"sv));
  EXPECT_TRUE(M("[\xff]"sv, "\xff"sv));
  // Range ends compare as signed chars in redis-server: [\x01-\xfe] is -2..1.
  EXPECT_FALSE(M("[\x01-\xfe]"sv, "\x80"sv));
  EXPECT_TRUE(M("[\x01-\xfe]"sv, "\xff"sv));
  EXPECT_TRUE(M("[\x01-\xfe]"sv, "\0"sv));
  EXPECT_TRUE(M("[\x7f-\x80]"sv, "a"sv));
  EXPECT_FALSE(M("[a-\xff]"sv, "b"sv));
}

TEST(GlobTest, NoCase) {
  EXPECT_TRUE(GlobMatch("MAXCLIENT*", "maxclients", true));
  EXPECT_FALSE(GlobMatch("MAXCLIENT*", "maxclients", false));
  EXPECT_TRUE(GlobMatch("maxcl[H-J]ents", "maxclients", true));
  EXPECT_TRUE(GlobMatch("[^A]", "b", true));
  EXPECT_FALSE(GlobMatch("[^A]", "a", true));
}

TEST(GlobTest, StarNestingLimitLikeRedis) {
  std::string key(1001, 'a');
  key += 'b';
  std::string p1000, p1001;
  for (int i = 0; i < 1000; i++) p1000 += "a*";
  p1001 = p1000 + "a*b";
  EXPECT_TRUE(M(p1000 + "b", key));
  EXPECT_FALSE(M(p1001, key));        // 1001 inner '*' groups: redis gives up
  EXPECT_TRUE(M(p1000 + "a*", key));  // a trailing group does not count
  EXPECT_TRUE(M(p1000 + "*****b", key));
}

TEST(GlobTest, PathologicalPatternsStayFast) {
  std::string s(50000, 'a');
  std::string p;
  for (int i = 0; i < 900; i++) p += "a*";
  p += "b";
  std::string p2 = "*" + std::string(300, 'a') + "b";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(M(p, s));
  EXPECT_FALSE(M(p2, s));
  EXPECT_FALSE(M("*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*b", s));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, 5.0);
}

}  // namespace
}  // namespace basalt
