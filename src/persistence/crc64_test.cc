#include "persistence/crc64.h"

#include <gtest/gtest.h>

#include <string>

namespace basalt::persistence {
namespace {

TEST(Crc64Test, CheckValue) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, "", 0), 0u);
  EXPECT_EQ(Crc64(0x1234, "", 0), 0x1234u);
}

TEST(Crc64Test, ChainingEqualsWhole) {
  std::string s;
  for (int i = 0; i < 1000; i++) s.push_back(char(i * 7 + 3));
  uint64_t whole = Crc64(0, s.data(), s.size());
  for (size_t cut : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(500),
                     size_t(999), size_t(1000)}) {
    uint64_t c = Crc64(0, s.data(), cut);
    c = Crc64(c, s.data() + cut, s.size() - cut);
    EXPECT_EQ(c, whole) << cut;
  }
}

// A bit-at-a-time reference, to check the table-driven version on every
// length and alignment.
uint64_t SlowCrc64(uint64_t crc, const std::string& s) {
  for (unsigned char c : s) {
    crc ^= c;
    for (int i = 0; i < 8; i++) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64Test, MatchesBitwiseReference) {
  std::string s;
  for (int i = 0; i < 100; i++) {
    EXPECT_EQ(Crc64(0, s.data(), s.size()), SlowCrc64(0, s)) << i;
    EXPECT_EQ(Crc64(0, s.data() + 1 * (s.size() > 0), s.size() - (s.size() > 0)),
              SlowCrc64(0, s.substr(s.size() > 0 ? 1 : 0)));
    s.push_back(char(i * 37 + 11));
  }
}

}  // namespace
}  // namespace basalt::persistence
