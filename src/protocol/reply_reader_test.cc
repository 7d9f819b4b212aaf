#include "protocol/reply_reader.h"

#include <gtest/gtest.h>

namespace basalt::protocol {
namespace {

using Type = Reply::Type;

TEST(ReplyReader, ScalarsAndNil) {
  ReplyReader r;
  r.Feed("+PONG\r\n-ERR bad\r\n:-42\r\n$3\r\na\r\n\r\n$-1\r\n*-1\r\n$0\r\n\r\n");
  Reply v;
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kStatus);
  EXPECT_EQ(v.str, "PONG");
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_TRUE(v.is_error());
  EXPECT_EQ(v.str, "ERR bad");
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kInteger);
  EXPECT_EQ(v.integer, -42);
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kBulk);
  EXPECT_EQ(v.str, std::string("a\r\n"));  // binary-safe payload
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kNil);
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kNil);
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  EXPECT_EQ(v.type, Type::kBulk);
  EXPECT_EQ(v.str, "");
  EXPECT_EQ(r.Next(&v), ReplyReader::Result::kNeedMore);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(ReplyReader, NestedArrayArrivingByteByByte) {
  std::string msg = "*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n*2\r\n:1\r\n+x\r\n";
  ReplyReader r;
  Reply v;
  for (size_t i = 0; i + 1 < msg.size(); i++) {
    r.Feed(msg.substr(i, 1));
    ASSERT_EQ(r.Next(&v), ReplyReader::Result::kNeedMore) << i;
  }
  r.Feed(msg.substr(msg.size() - 1));
  ASSERT_EQ(r.Next(&v), ReplyReader::Result::kReply);
  ASSERT_EQ(v.type, Type::kArray);
  ASSERT_EQ(v.elements.size(), 3u);
  EXPECT_EQ(v.elements[1].str, "__sentinel__:hello");
  ASSERT_EQ(v.elements[2].elements.size(), 2u);
  EXPECT_EQ(v.elements[2].elements[0].integer, 1);
  EXPECT_EQ(v.elements[2].elements[1].str, "x");
}

TEST(ReplyReader, ProtocolErrorsAreSticky) {
  for (const char* bad : {"?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcXY", "*-5\r\n",
                          "$99999999999\r\n"}) {
    ReplyReader r;
    r.Feed(bad);
    Reply v;
    EXPECT_EQ(r.Next(&v), ReplyReader::Result::kError) << bad;
    EXPECT_FALSE(r.error().empty());
    r.Feed("+OK\r\n");
    EXPECT_EQ(r.Next(&v), ReplyReader::Result::kError) << bad;
  }
}

TEST(ReplyReader, LimitsNestingAndSizes) {
  ReplyReader r(/*max_bulk=*/4, /*max_elements=*/2);
  Reply v;
  r.Feed("$5\r\n");
  EXPECT_EQ(r.Next(&v), ReplyReader::Result::kError);
  ReplyReader r2(16, 2);
  r2.Feed("*3\r\n");
  EXPECT_EQ(r2.Next(&v), ReplyReader::Result::kError);
  ReplyReader r3;
  std::string deep;
  for (int i = 0; i <= ReplyReader::kMaxDepth + 1; i++) deep += "*1\r\n";
  deep += ":1\r\n";
  r3.Feed(deep);
  EXPECT_EQ(r3.Next(&v), ReplyReader::Result::kError);
}

}  // namespace
}  // namespace basalt::protocol
