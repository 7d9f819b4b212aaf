#include "protocol/request_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

namespace basalt::protocol {
namespace {

using namespace std::string_literals;
using Args = std::vector<std::string>;
using Result = RequestParser::Result;

// What a connection would see: each request's arguments, or the error that
// closes it (as "ERROR <message>").
struct Outcome {
  std::vector<Args> commands;  // empty requests included, as empty Args
  std::string error;
  size_t pending = 0;  // bytes left unconsumed at the end

  bool operator==(const Outcome& o) const {
    return commands == o.commands && error == o.error && pending == o.pending;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{";
  for (const Args& a : o.commands) {
    os << "[";
    for (const std::string& s : a) os << "'" << s << "' ";
    os << "] ";
  }
  return os << "error='" << o.error << "' pending=" << o.pending << "}";
}

// Feeds `data` in pieces ending at `cuts` (ascending), parsing after each piece
// as a connection would; multibulk args are checked to point into the buffer.
Outcome Feed(std::string_view data, const std::vector<size_t>& cuts,
             const ParserLimits& limits = {}) {
  RequestParser parser;
  Outcome out;
  std::string buf;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(data.size());
  std::vector<std::string_view> args;
  for (size_t end : ends) {
    if (end < fed) continue;
    buf.append(data.substr(fed, end - fed));
    fed = end;
    while (true) {
      size_t consumed = 123;
      Result r = parser.Parse(buf, limits, &args, &consumed);
      if (r == Result::kNeedMore) {
        EXPECT_EQ(consumed, 0u);
        break;
      }
      if (r == Result::kError) {
        out.error = parser.error();
        out.pending = buf.size();
        return out;
      }
      EXPECT_GT(consumed, 0u);
      EXPECT_LE(consumed, buf.size());
      if (!buf.empty() && buf[0] == '*') {
        for (std::string_view a : args) {
          EXPECT_GE(a.data(), buf.data());
          EXPECT_LE(a.data() + a.size(), buf.data() + consumed);
        }
      }
      out.commands.emplace_back(args.begin(), args.end());
      buf.erase(0, consumed);
    }
  }
  out.pending = buf.size();
  return out;
}

Outcome FeedWhole(std::string_view data, const ParserLimits& limits = {}) {
  return Feed(data, {}, limits);
}

Outcome Commands(std::vector<Args> commands, size_t pending = 0) {
  return Outcome{std::move(commands), "", pending};
}

Outcome Error(std::string msg, size_t pending) { return Outcome{{}, std::move(msg), pending}; }

std::string Multibulk(const Args& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(RequestParserTest, SingleMultibulk) {
  EXPECT_EQ(FeedWhole("*1\r\n$4\r\nPING\r\n"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole(Multibulk({"SET", "key", "value"})), Commands({{"SET", "key", "value"}}));
}

TEST(RequestParserTest, ConsumedAndViews) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  std::string buf = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI";
  ASSERT_EQ(p.Parse(buf, {}, &args, &consumed), Result::kCommand);
  EXPECT_EQ(consumed, 20u);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0].data(), buf.data() + 8);
  EXPECT_EQ(args[1].data(), buf.data() + 17);
  ASSERT_EQ(p.Parse(std::string_view(buf).substr(20), {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(args.empty());
  EXPECT_EQ(p.BytesWanted(), 4u);  // "NG\r\n"
}

TEST(RequestParserTest, BinarySafeBulks) {
  const std::string v = "a\r\nb\0c\r\n*1\r\n$"s;
  const std::string data = Multibulk({"SET", "k\0"s, v}) + Multibulk({"GET", "\r\n"});
  const Outcome expected = Commands({{"SET", "k\0"s, v}, {"GET", "\r\n"}});
  EXPECT_EQ(FeedWhole(data), expected);
  for (size_t i = 0; i <= data.size(); ++i) EXPECT_EQ(Feed(data, {i}), expected) << i;
  EXPECT_EQ(FeedWhole("*1\r\n$0\r\n\r\n"), Commands({{""}}));
}

TEST(RequestParserTest, EmptyRequests) {
  EXPECT_EQ(FeedWhole("*0\r\n"), Commands({{}}));
  EXPECT_EQ(FeedWhole("*-1\r\n"), Commands({{}}));
  EXPECT_EQ(FeedWhole("*-2\r\n*1\r\n$4\r\nPING\r\n"), Commands({{}, {"PING"}}));
  EXPECT_EQ(FeedWhole("*-9223372036854775808\r\n"), Commands({{}}));
  EXPECT_EQ(FeedWhole("\r\n"), Commands({{}}));
  EXPECT_EQ(FeedWhole("\n"), Commands({{}}));
  EXPECT_EQ(FeedWhole("   \t\r\n"), Commands({{}}));
}

TEST(RequestParserTest, Inline) {
  EXPECT_EQ(FeedWhole("PING\n"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole("PING\r\n"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole("PING\r\r\n"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole("SET k \"a b\\x41\"\r\nGET 'k'\n"),
            Commands({{"SET", "k", "a bA"}, {"GET", "k"}}));
  EXPECT_EQ(FeedWhole("ECHO x\vy\r\n"), Commands({{"ECHO", "x\vy"}}));
  EXPECT_EQ(FeedWhole("PING"), Commands({}, 4));
  EXPECT_EQ(FeedWhole("PING\r"), Commands({}, 5));
}

TEST(RequestParserTest, InlineArgsOwnedByParser) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  std::string buf = "SET \"k\\n\" v\r\n";
  ASSERT_EQ(p.Parse(buf, {}, &args, &consumed), Result::kCommand);
  EXPECT_EQ(consumed, buf.size());
  buf.assign(buf.size(), 'X');  // the caller drops the bytes; the args survive
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], "SET");
  EXPECT_EQ(args[1], "k\n");
  EXPECT_EQ(args[2], "v");
}

TEST(RequestParserTest, InlineUnbalancedQuotes) {
  const std::string msg = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(FeedWhole("ECHO \"abc\r\n"), Error(msg, 11));
  EXPECT_EQ(FeedWhole("ECHO \"abc\"def\r\n"), Error(msg, 15));
  EXPECT_EQ(FeedWhole("ECHO 'abc'def\n"), Error(msg, 14));
  EXPECT_EQ(FeedWhole("PING\r\nECHO \"a\\\"\r\n"), (Outcome{{{"PING"}}, msg, 11}));
}

TEST(RequestParserTest, EveryCutOfAPipeline) {
  const std::string data = Multibulk({"SET", "k", "v\r\n"}) + "PING\r\n" + "*0\r\n" +
                           "ECHO \"x y\"\n" + "*-1\r\n" + Multibulk({"GET", "k"}) + "\r\n" +
                           Multibulk({"MSET", std::string(300, 'z'), ""}) + "*1\r\n$4\r\nPI";
  const Outcome expected = Commands({{"SET", "k", "v\r\n"},
                                     {"PING"},
                                     {},
                                     {"ECHO", "x y"},
                                     {},
                                     {"GET", "k"},
                                     {},
                                     {"MSET", std::string(300, 'z'), ""}},
                                    10);
  EXPECT_EQ(FeedWhole(data), expected);
  for (size_t i = 0; i <= data.size(); ++i) {
    ASSERT_EQ(Feed(data, {i}), expected) << "cut at " << i;
    for (size_t j = i; j <= data.size(); j += 7) ASSERT_EQ(Feed(data, {i, j}), expected);
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
  EXPECT_EQ(Feed(data, every), expected);
}

// Redis skips the byte after a header's '\r' and the two bytes after a bulk's
// payload without looking at them.
TEST(RequestParserTest, UncheckedTerminators) {
  EXPECT_EQ(FeedWhole("*1\r\n$4\r\nPINGxx"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole("*1\r\n$4\r\nPINGab*1\r\n$4\r\nPING\r\n"), Commands({{"PING"}, {"PING"}}));
  EXPECT_EQ(FeedWhole("*1\rx$4\ryPING\r\n"), Commands({{"PING"}}));
  EXPECT_EQ(FeedWhole("*1\r"), Commands({}, 3));
  EXPECT_EQ(FeedWhole("*1\r\n$4\r"), Commands({}, 7));
  EXPECT_EQ(FeedWhole("*1\r\n$4\r\nPING\r"), Commands({}, 13));
}

TEST(RequestParserTest, BytesWanted) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed;
  EXPECT_EQ(p.Parse("", {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 0u);
  EXPECT_EQ(p.Parse("*1", {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 0u);
  EXPECT_EQ(p.Parse("*1\r", {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 1u);
  EXPECT_EQ(p.Parse("*1\r\n$536870912\r\n", {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 536870914u);
  EXPECT_EQ(p.Parse("*1\r\n$536870912\r\nabc", {}, &args, &consumed), Result::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 536870911u);
  p.Reset();
  EXPECT_EQ(p.BytesWanted(), 0u);
  EXPECT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n", {}, &args, &consumed), Result::kCommand);
  EXPECT_EQ(p.BytesWanted(), 0u);
}

TEST(RequestParserTest, MultibulkLengthErrors) {
  const std::string msg = "Protocol error: invalid multibulk length";
  for (const char* bad :
       {"*abc\r\n", "*+1\r\n", "*01\r\n", "* 1\r\n", "*1 \r\n", "*\r\n", "*-0\r\n", "*00\r\n",
        "*-\r\n", "*1x\r\n", "*2147483648\r\n", "*9223372036854775807\r\n",
        "*9223372036854775808\r\n", "*-9223372036854775809\r\n", "*1\n$4\r\nPING\r\n"}) {
    EXPECT_EQ(FeedWhole(bad), Error(msg, strlen(bad))) << bad;
  }
  EXPECT_EQ(FeedWhole("*2147483647\r\n"), Commands({}, 13));
}

TEST(RequestParserTest, BulkLengthErrors) {
  const std::string msg = "Protocol error: invalid bulk length";
  for (const char* bad :
       {"*1\r\n$abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$+4\r\nPING\r\n", "*1\r\n$04\r\nPING\r\n",
        "*1\r\n$\r\n", "*1\r\n$4\nPING\r\n", "*1\r\n$-0\r\n", "*1\r\n$00\r\n\r\n", "*1\r\n$4 \r\n",
        "*1\r\n$ 4\r\n", "*1\r\n$536870913\r\n", "*1\r\n$9223372036854775807\r\n",
        "*1\r\n$9223372036854775808\r\n", "*1\r\n$-9223372036854775808\r\n"}) {
    EXPECT_EQ(FeedWhole(bad), Error(msg, strlen(bad))) << bad;
  }
  EXPECT_EQ(FeedWhole("*1\r\n$536870912\r\n"), Commands({}, 16));
  ParserLimits small;
  small.max_bulk_len = 3;
  EXPECT_EQ(FeedWhole("*1\r\n$3\r\nabc\r\n", small), Commands({{"abc"}}));
  EXPECT_EQ(FeedWhole("*1\r\n$4\r\nabcd\r\n", small), Error(msg, 14));
  ParserLimits huge;
  huge.max_bulk_len = INT64_MAX;
  EXPECT_EQ(FeedWhole("*1\r\n$9223372036854775807\r\n", huge), Commands({}, 26));
}

TEST(RequestParserTest, ExpectedDollar) {
  EXPECT_EQ(FeedWhole("*1\r\nx\r\n"), Error("Protocol error: expected '$', got 'x'", 7));
  EXPECT_EQ(FeedWhole("*1\r\n:4\r\n"), Error("Protocol error: expected '$', got ':'", 8));
  EXPECT_EQ(FeedWhole("*1\r\n\xff\r\n"), Error("Protocol error: expected '$', got '\xff'", 7));
  // Redis turns CR and LF in error replies into spaces.
  EXPECT_EQ(FeedWhole("*1\r\n\r\n"), Error("Protocol error: expected '$', got ' '", 6));
  EXPECT_EQ(FeedWhole("*1\r\n\n\r\n"), Error("Protocol error: expected '$', got ' '", 7));
  EXPECT_EQ(FeedWhole("*1\rx\r\n"), Error("Protocol error: expected '$', got ' '", 6));
  EXPECT_EQ(FeedWhole("*2\r\n$1\r\na\r\nb\r\n"),
            Error("Protocol error: expected '$', got 'b'", 14));
  // The line must end before the '$' is checked.
  EXPECT_EQ(FeedWhole("*1\r\nx"), Commands({}, 5));
}

TEST(RequestParserTest, Unauthenticated) {
  ParserLimits noauth;
  noauth.auth_required = true;
  EXPECT_EQ(FeedWhole("*11\r\n", noauth),
            Error("Protocol error: unauthenticated multibulk length", 5));
  EXPECT_EQ(FeedWhole("*10\r\n", noauth), Commands({}, 5));
  EXPECT_EQ(FeedWhole("*-5\r\n", noauth), Commands({{}}));
  EXPECT_EQ(FeedWhole("*2147483648\r\n", noauth),
            Error("Protocol error: invalid multibulk length", 13));
  EXPECT_EQ(FeedWhole("*1\r\n$16385\r\n", noauth),
            Error("Protocol error: unauthenticated bulk length", 12));
  EXPECT_EQ(FeedWhole("*1\r\n$16384\r\n", noauth), Commands({}, 12));
  EXPECT_EQ(FeedWhole("*1\r\n$536870913\r\n", noauth),
            Error("Protocol error: invalid bulk length", 16));
  EXPECT_EQ(FeedWhole("*1\r\n$-1\r\n", noauth), Error("Protocol error: invalid bulk length", 9));
  EXPECT_EQ(FeedWhole("*11\r\n"), Commands({}, 5));
  EXPECT_EQ(FeedWhole("*1\r\n$16385\r\n"), Commands({}, 12));
}

TEST(RequestParserTest, TooBigInline) {
  const std::string msg = "Protocol error: too big inline request";
  EXPECT_EQ(FeedWhole(std::string(65536, 'A')), Commands({}, 65536));
  EXPECT_EQ(FeedWhole(std::string(65537, 'A')), Error(msg, 65537));
  // Only a missing newline counts: a long line that arrives whole is fine.
  std::string line = "ECHO " + std::string(70000, 'x') + "\n";
  EXPECT_EQ(FeedWhole(line), Commands({{"ECHO", std::string(70000, 'x')}}));
  EXPECT_EQ(Feed(line, {16384, 32768, 49152, 65536}),
            Commands({{"ECHO", std::string(70000, 'x')}}));
  EXPECT_EQ(Feed(line, {16384, 32768, 49152, 65537}), Error(msg, 65537));
  EXPECT_EQ(FeedWhole(Multibulk({"PING"}) + std::string(65537, 'A')),
            (Outcome{{{"PING"}}, msg, 65537}));
}

TEST(RequestParserTest, TooBigCountStrings) {
  EXPECT_EQ(FeedWhole("*" + std::string(65535, '1')), Commands({}, 65536));
  EXPECT_EQ(FeedWhole("*" + std::string(65536, '1')),
            Error("Protocol error: too big mbulk count string", 65537));
  // A '\r' was found, so the size limit does not apply; the number is invalid.
  EXPECT_EQ(FeedWhole("*" + std::string(70000, '1') + "\r"), Commands({}, 70002));
  EXPECT_EQ(FeedWhole("*" + std::string(70000, '1') + "\r\n"),
            Error("Protocol error: invalid multibulk length", 70003));
  // Measured from the '$' of the bulk header being read.
  EXPECT_EQ(FeedWhole("*1\r\n$" + std::string(65535, '1')), Commands({}, 65540));
  EXPECT_EQ(FeedWhole("*1\r\n$" + std::string(65536, '1')),
            Error("Protocol error: too big bulk count string", 65541));
  const std::string head = "*2\r\n$4\r\nECHO\r\n$";
  EXPECT_EQ(FeedWhole(head + std::string(65530, '1')), Commands({}, 65545));
  EXPECT_EQ(FeedWhole(head + std::string(65536, '1')),
            Error("Protocol error: too big bulk count string", 65551));
}

// Redis finds line ends with strchr(), which stops at NUL: such a line never
// ends, and the request waits until the size limit rejects it.
TEST(RequestParserTest, NulInLines) {
  EXPECT_EQ(FeedWhole("*1\0\r\n"s), Commands({}, 5));
  EXPECT_EQ(FeedWhole("*1\r\n$4\0\r\n"s), Commands({}, 9));
  EXPECT_EQ(FeedWhole("*1\r\n\0\r\n"s), Commands({}, 7));
  EXPECT_EQ(FeedWhole("ECHO x\0y\r\nPING\r\n"s), Commands({}, 16));
  std::string inline_nul = "ECHO \0\n"s + std::string(65536, 'A');
  EXPECT_EQ(FeedWhole(inline_nul), Error("Protocol error: too big inline request", 65543));
  std::vector<size_t> cuts;
  for (size_t i = 1; i < inline_nul.size(); i += 1000) cuts.push_back(i);
  EXPECT_EQ(Feed(inline_nul, cuts), Error("Protocol error: too big inline request", 65543));
  std::string count_nul = "*1\0\r\n"s + std::string(65536, '1');
  EXPECT_EQ(Feed(count_nul, cuts), Error("Protocol error: too big mbulk count string", 65541));
}

TEST(RequestParserTest, HugeDeclaredCountsDoNotAllocate) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed;
  std::string buf = "*2147483647\r\n" + Multibulk({"a"}).substr(4);
  EXPECT_EQ(p.Parse(buf, {}, &args, &consumed), Result::kNeedMore);
  EXPECT_LT(args.capacity(), 4096u);
  buf = "*1\r\n$536870912\r\n";
  p.Reset();
  EXPECT_EQ(p.Parse(buf, {}, &args, &consumed), Result::kNeedMore);
}

TEST(RequestParserTest, ShorterBufferRestarts) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed;
  EXPECT_EQ(p.Parse("*2\r\n$3\r\nGET\r\n$5\r\nab", {}, &args, &consumed), Result::kNeedMore);
  // The caller discarded its input: the saved progress must not be trusted.
  std::string fresh = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(p.Parse(fresh, {}, &args, &consumed), Result::kCommand);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "PING");
}

TEST(RequestParserTest, ErrorThenReuse) {
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed;
  EXPECT_EQ(p.Parse("*x\r\n", {}, &args, &consumed), Result::kError);
  EXPECT_EQ(p.error(), "Protocol error: invalid multibulk length");
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n", {}, &args, &consumed), Result::kCommand);
}

// Progress is kept across kNeedMore, so the work is linear in the request size
// even when it arrives in tiny pieces (quadratic rescans would take minutes).
TEST(RequestParserTest, LinearInManySmallReads) {
  Args many(200000, "v");
  many[0] = "RPUSH";
  const std::string data = Multibulk(many);
  std::vector<size_t> cuts;
  for (size_t i = 7; i < data.size(); i += 7) cuts.push_back(i);
  auto start = std::chrono::steady_clock::now();
  Outcome o = Feed(data, cuts);
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0].size(), many.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RequestParserTest, LinearForBigBulkIn16KReads) {
  const size_t kLen = 64u << 20;
  std::string buf = "*2\r\n$3\r\nSET\r\n$" + std::to_string(kLen) + "\r\n";
  RequestParser p;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  std::string chunk(16384, 'x');
  auto start = std::chrono::steady_clock::now();
  Result r;
  int calls = 0;
  buf.reserve(kLen + 64);
  while ((r = p.Parse(buf, {}, &args, &consumed)) == Result::kNeedMore) {
    ++calls;
    ASSERT_GT(p.BytesWanted(), 0u);
    const size_t want = p.BytesWanted();
    if (want > chunk.size()) {
      buf += chunk;
    } else {
      buf.append(want - 2, 'x');
      buf += "\r\n";
    }
  }
  ASSERT_EQ(r, Result::kCommand);
  EXPECT_GT(calls, 4000);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[1].size(), kLen);
  EXPECT_EQ(consumed, buf.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace basalt::protocol
