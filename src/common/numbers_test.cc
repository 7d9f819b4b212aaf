#include "common/numbers.h"

#include <gtest/gtest.h>

#include <cmath>

namespace basalt {

TEST(NumbersTest, ParseInt64AcceptsRedisIntegers) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-1"), -1);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
}

TEST(NumbersTest, ParseInt64RejectsWhatRedisRejects) {
  for (const char* s : {"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1a", "9223372036854775808",
                        "-9223372036854775809", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseInt64(s).has_value()) << s;
  }
}

TEST(NumbersTest, ParseDouble) {
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("-inf"), -HUGE_VAL);
  EXPECT_FALSE(ParseDouble("nan").has_value());
  EXPECT_FALSE(ParseDouble(" 1").has_value());
  EXPECT_FALSE(ParseDouble("1x").has_value());
  EXPECT_FALSE(ParseDouble("1e400").has_value());
  EXPECT_TRUE(ParseDouble("1e-310").has_value());  // denormal: accepted
  EXPECT_FALSE(ParseDouble("1e-400").has_value());  // underflow to zero: rejected
  EXPECT_FALSE(ParseDouble("").has_value());
}

TEST(NumbersTest, FormatLongDoubleHuman) {
  EXPECT_EQ(FormatLongDoubleHuman(10.5L), "10.5");
  EXPECT_EQ(FormatLongDoubleHuman(3.0L), "3");
  EXPECT_EQ(FormatLongDoubleHuman(-0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(5.0e3L), "5000");
}

}  // namespace basalt
