#include "protocol/reply_builder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace basalt::protocol {
namespace {

std::string Printf17g(double d) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, n);
}

TEST(FormatDoubleTest, MatchesRedis) {
  // Replies observed from redis-server 7.0.15 (ZSCORE, and EVAL returning
  // {double=...} under RESP3).
  EXPECT_EQ(FormatDouble(3.0), "3");
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1e300), "1.0000000000000001e+300");
  EXPECT_EQ(FormatDouble(1e-310), "9.9999999999999694e-311");
  EXPECT_EQ(FormatDouble(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(FormatDouble(-2.5e-5), "-2.5000000000000001e-05");
  EXPECT_EQ(FormatDouble(1e15), "1000000000000000");
  EXPECT_EQ(FormatDouble(1e17), "1e+17");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::quiet_NaN()), "-nan");
}

TEST(FormatDoubleTest, MatchesPrintfOnRandomBitPatterns) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    ASSERT_EQ(FormatDouble(d), Printf17g(d)) << bits;
  }
  for (int i = 0; i < 100000; ++i) {
    double d = static_cast<double>(static_cast<int64_t>(rng()) >> (rng() % 64)) / 1000.0;
    ASSERT_EQ(FormatDouble(d), Printf17g(d));
  }
  const double specials[] = {std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(),
                             -std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::lowest(),
                             9007199254740993.0,
                             1e16,
                             1e-5,
                             1e-4,
                             123456.789};
  for (double d : specials) EXPECT_EQ(FormatDouble(d), Printf17g(d));
}

class ReplyBuilderTest : public ::testing::Test {
 protected:
  std::string out_;
  ReplyBuilder rb_{&out_};
  std::string Take() { return std::exchange(out_, std::string()); }
};

TEST_F(ReplyBuilderTest, Accessors) {
  EXPECT_EQ(rb_.resp(), 2);
  EXPECT_EQ(rb_.out(), &out_);
  rb_.set_resp(3);
  EXPECT_EQ(rb_.resp(), 3);
}

TEST_F(ReplyBuilderTest, Scalars) {
  rb_.SimpleString("PONG");
  EXPECT_EQ(Take(), "+PONG\r\n");
  rb_.Ok();
  EXPECT_EQ(Take(), "+OK\r\n");
  rb_.Integer(0);
  rb_.Integer(-1);
  rb_.Integer(std::numeric_limits<int64_t>::min());
  rb_.Integer(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Take(), ":0\r\n:-1\r\n:-9223372036854775808\r\n:9223372036854775807\r\n");
  rb_.Bulk("");
  rb_.Bulk("hello");
  rb_.Bulk(std::string_view("a\r\n\0b", 5));
  using namespace std::string_literals;
  EXPECT_EQ(Take(), "$0\r\n\r\n$5\r\nhello\r\n$5\r\na\r\n\0b\r\n"s);
}

TEST_F(ReplyBuilderTest, Errors) {
  rb_.Error("ERR syntax error");
  EXPECT_EQ(Take(), "-ERR syntax error\r\n");
  rb_.Error("ERR a\r\nb\rc\nd");
  EXPECT_EQ(Take(), "-ERR a  b c d\r\n");
  out_ = "keep";
  rb_.Error("X\n");
  EXPECT_EQ(Take(), "keep-X \r\n");
}

TEST_F(ReplyBuilderTest, NullsByProtocol) {
  rb_.Null();
  rb_.NullArray();
  EXPECT_EQ(Take(), "$-1\r\n*-1\r\n");
  rb_.set_resp(3);
  rb_.Null();
  rb_.NullArray();
  EXPECT_EQ(Take(), "_\r\n_\r\n");
}

TEST_F(ReplyBuilderTest, AggregatesResp2) {
  rb_.ArrayHeader(0);
  rb_.ArrayHeader(3);
  rb_.MapHeader(2);
  rb_.SetHeader(5);
  rb_.PushHeader(3);
  EXPECT_EQ(Take(), "*0\r\n*3\r\n*4\r\n*5\r\n*3\r\n");
}

TEST_F(ReplyBuilderTest, AggregatesResp3) {
  rb_.set_resp(3);
  rb_.ArrayHeader(3);
  rb_.MapHeader(2);
  rb_.SetHeader(5);
  rb_.PushHeader(3);
  rb_.MapHeader(0);
  EXPECT_EQ(Take(), "*3\r\n%2\r\n~5\r\n>3\r\n%0\r\n");
}

TEST_F(ReplyBuilderTest, Doubles) {
  rb_.Double(3.0);
  rb_.Double(std::numeric_limits<double>::infinity());
  rb_.Double(-std::numeric_limits<double>::infinity());
  rb_.Double(1e300);
  rb_.Double(-std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(Take(),
            "$1\r\n3\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$23\r\n1.0000000000000001e+300\r\n"
            "$4\r\n-nan\r\n");
  rb_.set_resp(3);
  rb_.Double(3.0);
  rb_.Double(std::numeric_limits<double>::infinity());
  rb_.Double(-std::numeric_limits<double>::infinity());
  rb_.Double(0.1);
  rb_.Double(-0.0);
  rb_.Double(std::numeric_limits<double>::quiet_NaN());
  rb_.Double(-std::numeric_limits<double>::max());
  EXPECT_EQ(Take(),
            ",3\r\n,inf\r\n,-inf\r\n,0.10000000000000001\r\n,-0\r\n,nan\r\n"
            ",-1.7976931348623157e+308\r\n");
}

TEST_F(ReplyBuilderTest, Bools) {
  rb_.Bool(true);
  rb_.Bool(false);
  EXPECT_EQ(Take(), ":1\r\n:0\r\n");
  rb_.set_resp(3);
  rb_.Bool(true);
  rb_.Bool(false);
  EXPECT_EQ(Take(), "#t\r\n#f\r\n");
}

TEST_F(ReplyBuilderTest, Verbatim) {
  rb_.Verbatim("id=3 addr=x\n");
  EXPECT_EQ(Take(), "$12\r\nid=3 addr=x\n\r\n");
  rb_.set_resp(3);
  rb_.Verbatim("id=3 addr=x\n");
  EXPECT_EQ(Take(), "=16\r\ntxt:id=3 addr=x\n\r\n");
  rb_.Verbatim("");
  EXPECT_EQ(Take(), "=4\r\ntxt:\r\n");
}

TEST_F(ReplyBuilderTest, BulkArray) {
  std::vector<std::string_view> items = {"a", "", "bc"};
  rb_.BulkArray(items);
  EXPECT_EQ(Take(), "*3\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbc\r\n");
  rb_.BulkArray({});
  EXPECT_EQ(Take(), "*0\r\n");
}

TEST_F(ReplyBuilderTest, AppendsToExistingOutput) {
  out_ = "+PONG\r\n";
  rb_.Integer(7);
  EXPECT_EQ(out_, "+PONG\r\n:7\r\n");
}

TEST_F(ReplyBuilderTest, LargeHeaders) {
  rb_.ArrayHeader(std::numeric_limits<uint32_t>::max());
  rb_.set_resp(2);
  rb_.MapHeader(size_t{1} << 40);
  EXPECT_EQ(Take(), "*4294967295\r\n*2199023255552\r\n");
}

}  // namespace
}  // namespace basalt::protocol
