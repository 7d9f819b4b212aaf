#include "http/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace basalt::http {
namespace {

ParseResult Parse(std::string_view in, Request* r = nullptr, size_t max = 8192) {
  Request tmp;
  size_t len = 0;
  return ParseRequestHead(in, max, r ? r : &tmp, &len);
}

TEST(HttpRequestTest, ParsesGetWithHeadersAndQuery) {
  Request r;
  size_t len = 0;
  std::string in = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nextra";
  ASSERT_EQ(ParseRequestHead(in, 8192, &r, &len), ParseResult::kOk);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(len, in.size() - 5);
}

TEST(HttpRequestTest, BareLineFeedsAndHttp10) {
  Request r;
  EXPECT_EQ(Parse("HEAD /healthz HTTP/1.0\n\n", &r), ParseResult::kOk);
  EXPECT_EQ(r.method, "HEAD");
  EXPECT_EQ(r.path, "/healthz");
}

TEST(HttpRequestTest, IncompleteUntilBlankLine) {
  EXPECT_EQ(Parse(""), ParseResult::kIncomplete);
  EXPECT_EQ(Parse("GE"), ParseResult::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n"), ParseResult::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\n"), ParseResult::kIncomplete);
}

TEST(HttpRequestTest, MalformedIsBad) {
  EXPECT_EQ(Parse("\x16\x03\x01\x02"), ParseResult::kBad);  // a TLS hello, garbage
  EXPECT_EQ(Parse("GET /\r\n\r\n"), ParseResult::kBad);
  EXPECT_EQ(Parse("GET / HTTP/2.0\r\n\r\n"), ParseResult::kBad);
  EXPECT_EQ(Parse("G(T / HTTP/1.1\r\n\r\n"), ParseResult::kBad);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nno colon\r\n\r\n"), ParseResult::kBad);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n folded: x\r\n\r\n"), ParseResult::kBad);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n"), ParseResult::kBad);
}

TEST(HttpRequestTest, HeadOverTheLimitIsTooLarge) {
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(200, 'a');
  EXPECT_EQ(Parse(big, nullptr, 100), ParseResult::kTooLarge);
  EXPECT_EQ(Parse(big + "\r\n\r\n", nullptr, 100), ParseResult::kTooLarge);
  EXPECT_EQ(Parse(std::string(101, 'G'), nullptr, 100), ParseResult::kTooLarge);
  EXPECT_EQ(Parse(big + "\r\n\r\n", nullptr, 8192), ParseResult::kOk);
}

}  // namespace
}  // namespace basalt::http
