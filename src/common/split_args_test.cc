#include "common/split_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basalt {
namespace {

using Args = std::vector<std::string>;

Args Split(std::string_view line) {
  auto r = SplitArgs(line);
  EXPECT_TRUE(r.has_value()) << line;
  return r.value_or(Args{"<nullopt>"});
}

TEST(SplitArgsTest, EmptyAndBlank) {
  EXPECT_EQ(Split(""), Args{});
  EXPECT_EQ(Split("   "), Args{});
  EXPECT_EQ(Split(" \t\r\n\v\f"), Args{});
}

TEST(SplitArgsTest, Whitespace) {
  EXPECT_EQ(Split("SET k v"), (Args{"SET", "k", "v"}));
  EXPECT_EQ(Split("  SET\t\tk   v  "), (Args{"SET", "k", "v"}));
  EXPECT_EQ(Split("a\rb\nc"), (Args{"a", "b", "c"}));
  // \v and \f are skipped between arguments but do not end a bare one.
  EXPECT_EQ(Split("\vECHO\v\fx"), (Args{"ECHO\v\fx"}));
  EXPECT_EQ(Split("x\vy"), (Args{"x\vy"}));
}

TEST(SplitArgsTest, DoubleQuotes) {
  EXPECT_EQ(Split("\"\""), (Args{""}));
  EXPECT_EQ(Split("\"\" x"), (Args{"", "x"}));
  EXPECT_EQ(Split("\"hello world\""), (Args{"hello world"}));
  EXPECT_EQ(Split(R"("a\nb\rc\td\be\af\\g\"h")"), (Args{"a\nb\rc\td\be\af\\g\"h"}));
  EXPECT_EQ(Split(R"("a\x41b")"), (Args{"aAb"}));
  EXPECT_EQ(Split(R"("\x41\x4a\x4A")"), (Args{"AJJ"}));
  EXPECT_EQ(Split(R"("\xfF")"), (Args{"\xff"}));
  EXPECT_EQ(Split(R"("\x00")"), (Args{std::string(1, '\0')}));
  // Not two hex digits: the backslash is dropped and the rest is literal.
  EXPECT_EQ(Split(R"("\x4g")"), (Args{"x4g"}));
  EXPECT_EQ(Split(R"("\xZZ")"), (Args{"xZZ"}));
  EXPECT_EQ(Split(R"("\x4")"), (Args{"x4"}));
  EXPECT_EQ(Split(R"("\x")"), (Args{"x"}));
  EXPECT_EQ(Split(R"("\X41")"), (Args{"X41"}));
  EXPECT_EQ(Split(R"("\q")"), (Args{"q"}));
  EXPECT_EQ(Split("\"a\v\""), (Args{"a\v"}));
  EXPECT_EQ(Split("\"a\" \"b\""), (Args{"a", "b"}));
}

TEST(SplitArgsTest, SingleQuotes) {
  EXPECT_EQ(Split("''"), (Args{""}));
  EXPECT_EQ(Split(R"('a\'b')"), (Args{"a'b"}));
  EXPECT_EQ(Split(R"('a\nb')"), (Args{R"(a\nb)"}));
  EXPECT_EQ(Split(R"('a\\b')"), (Args{R"(a\\b)"}));
  EXPECT_EQ(Split(R"('a"b')"), (Args{"a\"b"}));
  EXPECT_EQ(Split(R"("a'b")"), (Args{"a'b"}));
}

TEST(SplitArgsTest, QuotesInsideBareArgument) {
  EXPECT_EQ(Split(R"(a"b")"), (Args{"ab"}));
  EXPECT_EQ(Split(R"(a'b')"), (Args{"ab"}));
  EXPECT_EQ(Split(R"(a"b c")"), (Args{"ab c"}));
  EXPECT_EQ(Split(R"(a\nb)"), (Args{R"(a\nb)"}));  // no escapes outside quotes
}

TEST(SplitArgsTest, ClosingQuoteFollowedBy) {
  EXPECT_EQ(Split("\"a\"\tb"), (Args{"a", "b"}));
  EXPECT_EQ(Split("\"a\"\vb"), (Args{"a", "b"}));
  EXPECT_EQ(Split("\"abc\"\r\r"), (Args{"abc"}));
  EXPECT_FALSE(SplitArgs(R"("abc"def)").has_value());
  EXPECT_FALSE(SplitArgs(R"('abc'def)").has_value());
  EXPECT_FALSE(SplitArgs(R"("a"'b')").has_value());
  EXPECT_FALSE(SplitArgs(R"("a""b")").has_value());
  EXPECT_FALSE(SplitArgs(R"(a"b c"d)").has_value());
  EXPECT_FALSE(SplitArgs(R"("x"y")").has_value());
}

TEST(SplitArgsTest, Unbalanced) {
  EXPECT_FALSE(SplitArgs("\"abc").has_value());
  EXPECT_FALSE(SplitArgs("'abc").has_value());
  EXPECT_FALSE(SplitArgs(R"("a\")").has_value());
  EXPECT_FALSE(SplitArgs(R"("a\)").has_value());
  EXPECT_FALSE(SplitArgs(R"('\')").has_value());
  EXPECT_FALSE(SplitArgs(R"('a\')").has_value());
  EXPECT_FALSE(SplitArgs("\"").has_value());
  EXPECT_FALSE(SplitArgs("ECHO \"abc\r\r").has_value());
}

TEST(SplitArgsTest, NulEndsTheLine) {
  using namespace std::string_literals;
  EXPECT_EQ(Split("abc\0def"s), (Args{"abc"}));
  EXPECT_EQ(Split("\"a\"\0x"s), (Args{"a"}));
  EXPECT_FALSE(SplitArgs("\"a\0\""s).has_value());
}

TEST(SplitArgsTest, ConfigLines) {
  EXPECT_EQ(Split("save 900 1"), (Args{"save", "900", "1"}));
  EXPECT_EQ(Split("requirepass \"p a\\\"ss\""), (Args{"requirepass", "p a\"ss"}));
  EXPECT_EQ(Split("dir '/var/lib/redis'"), (Args{"dir", "/var/lib/redis"}));
}

}  // namespace
}  // namespace basalt
