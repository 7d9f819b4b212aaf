#include "persistence/rdb_format.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace basalt::persistence {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(char(c));
  return s;
}

std::string EncodeLength(uint64_t n) {
  std::string out;
  RdbEncoder enc(&out, false);
  enc.Length(n);
  return out;
}

std::string EncodeString(std::string_view v, bool compress) {
  std::string out;
  RdbEncoder enc(&out, compress);
  enc.String(v);
  return out;
}

// Decodes one string and checks the whole input was used.
std::string DecodeString(const std::string& in) {
  StringSource src(in);
  std::string out;
  Status st = ReadString(src, &out);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(src.remaining(), 0u);
  return out;
}

TEST(RdbEncoderTest, LengthEncodings) {
  EXPECT_EQ(EncodeLength(0), Bytes({0x00}));
  EXPECT_EQ(EncodeLength(63), Bytes({0x3F}));
  EXPECT_EQ(EncodeLength(64), Bytes({0x40, 0x40}));
  EXPECT_EQ(EncodeLength(16383), Bytes({0x7F, 0xFF}));
  EXPECT_EQ(EncodeLength(16384), Bytes({0x80, 0x00, 0x00, 0x40, 0x00}));
  EXPECT_EQ(EncodeLength(UINT32_MAX), Bytes({0x80, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(EncodeLength(uint64_t(UINT32_MAX) + 1), Bytes({0x81, 0, 0, 0, 1, 0, 0, 0, 0}));
  for (uint64_t n :
       {uint64_t(0), uint64_t(1), uint64_t(63), uint64_t(64), uint64_t(16383), uint64_t(16384),
        uint64_t(UINT32_MAX), uint64_t(UINT32_MAX) + 1, uint64_t(1) << 62, UINT64_MAX}) {
    std::string e = EncodeLength(n);
    StringSource src(e);
    uint64_t got;
    ASSERT_TRUE(ReadLength(src, &got).ok());
    EXPECT_EQ(got, n);
    EXPECT_EQ(src.remaining(), 0u);
  }
}

TEST(RdbEncoderTest, IntegerStrings) {
  EXPECT_EQ(EncodeString("0", false), Bytes({0xC0, 0x00}));
  EXPECT_EQ(EncodeString("-128", false), Bytes({0xC0, 0x80}));
  EXPECT_EQ(EncodeString("127", false), Bytes({0xC0, 0x7F}));
  EXPECT_EQ(EncodeString("128", false), Bytes({0xC1, 0x80, 0x00}));
  EXPECT_EQ(EncodeString("-32768", false), Bytes({0xC1, 0x00, 0x80}));
  EXPECT_EQ(EncodeString("32768", false), Bytes({0xC2, 0x00, 0x80, 0x00, 0x00}));
  EXPECT_EQ(EncodeString("-2147483648", false), Bytes({0xC2, 0x00, 0x00, 0x00, 0x80}));
  // Beyond int32, non-canonical, or too long: raw.
  for (const char* s : {"2147483648", "-2147483649", "01", "-0", "+1", " 1", "1 ", "",
                        "99999999999", "12345678901234"}) {
    std::string e = EncodeString(s, false);
    EXPECT_EQ(e, EncodeLength(strlen(s)) + s) << s;
  }
  for (const char* s : {"0", "-1", "127", "-128", "128", "-129", "32767", "-32768", "65535",
                        "2147483647", "-2147483648", "2147483648", "007", "-0"}) {
    EXPECT_EQ(DecodeString(EncodeString(s, true)), s);
  }
}

TEST(RdbEncoderTest, LzfCompression) {
  std::string text(1000, 'a');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = char('b' + i % 5);
  std::string c = EncodeString(text, true);
  ASSERT_EQ(uint8_t(c[0]), 0xC3);
  EXPECT_LT(c.size(), text.size());
  EXPECT_EQ(DecodeString(c), text);
  // Compression off, or too short (<= 20 bytes), or incompressible: raw.
  std::string raw = EncodeString(text, false);
  EXPECT_EQ(raw, EncodeLength(text.size()) + text);
  std::string twenty(20, 'x');
  EXPECT_EQ(EncodeString(twenty, true), EncodeLength(20) + twenty);
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 200; i++) {
    x = x * 1103515245 + 12345;
    noise.push_back(char(x >> 16));
  }
  EXPECT_EQ(EncodeString(noise, true), EncodeLength(noise.size()) + noise);
  EXPECT_EQ(DecodeString(EncodeString(std::string(21, 'z'), true)), std::string(21, 'z'));
  std::string big(3 << 20, 'q');
  EXPECT_EQ(DecodeString(EncodeString(big, true)), big);
}

TEST(RdbEncoderTest, BinaryStrings) {
  std::string bin("\0\xff\r\n\x01key", 8);
  EXPECT_EQ(DecodeString(EncodeString(bin, true)), bin);
  std::string big(70000, '\0');
  big[123] = '\xfe';
  EXPECT_EQ(DecodeString(EncodeString(big, false)), big);
}

TEST(RdbEncoderTest, DoublesAndMillis) {
  for (double d : {0.0, -0.0, 1.5, -3.25e300, 1e-310, HUGE_VAL, -HUGE_VAL}) {
    std::string out;
    RdbEncoder enc(&out, false);
    enc.BinaryDouble(d);
    ASSERT_EQ(out.size(), 8u);
    StringSource src(out);
    double got;
    ASSERT_TRUE(ReadBinaryDouble(src, &got).ok());
    EXPECT_EQ(memcmp(&got, &d, 8), 0) << d;
  }
  std::string out;
  RdbEncoder enc(&out, false);
  enc.Millis(0x0102030405060708);
  EXPECT_EQ(out, Bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  StringSource src(out);
  int64_t ms;
  ASSERT_TRUE(ReadMillis(src, &ms).ok());
  EXPECT_EQ(ms, 0x0102030405060708);
}

TEST(RdbEncoderTest, TextDoubles) {
  std::string in = Bytes({253, 254, 255, 3}) + "2.5";
  StringSource src(in);
  double d;
  ASSERT_TRUE(ReadTextDouble(src, &d).ok());
  EXPECT_TRUE(std::isnan(d));
  ASSERT_TRUE(ReadTextDouble(src, &d).ok());
  EXPECT_EQ(d, HUGE_VAL);
  ASSERT_TRUE(ReadTextDouble(src, &d).ok());
  EXPECT_EQ(d, -HUGE_VAL);
  ASSERT_TRUE(ReadTextDouble(src, &d).ok());
  EXPECT_EQ(d, 2.5);
  std::string bad = Bytes({3}) + "abc";
  StringSource bsrc(bad);
  EXPECT_FALSE(ReadTextDouble(bsrc, &d).ok());
}

TEST(RdbEncoderTest, HeaderSelectDbEof) {
  std::string out;
  RdbEncoder enc(&out, false);
  WriteRdbHeader(enc, {{"redis-ver", "7.0.15"}, {"redis-bits", "64"}});
  EXPECT_EQ(out, std::string("REDIS0010") + Bytes({0xFA, 9}) + "redis-ver" + Bytes({6}) + "7.0.15" +
                     Bytes({0xFA, 10}) + "redis-bits" + Bytes({0xC0, 64}));
  out.clear();
  WriteSelectDb(enc, 3, 100, 2);
  EXPECT_EQ(out, Bytes({0xFE, 3, 0xFB, 0x40, 100, 2}));
  out.clear();
  WriteRdbEof(&out);
  WriteRdbChecksum(&out, 0x1122334455667788ULL);
  EXPECT_EQ(out, Bytes({0xFF, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}));
}

TEST(RdbSourceTest, TruncatedInputsAreErrors) {
  std::string s = EncodeString(std::string(100, 'x'), false);
  for (size_t n = 0; n < s.size(); n++) {
    StringSource src(std::string_view(s).substr(0, n));
    std::string out;
    Status st = ReadString(src, &out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("Unexpected end of file at offset"), std::string::npos);
  }
}

TEST(RdbSourceTest, HugeLengthsDoNotAllocateUpFront) {
  // A 2^40-byte string claim followed by a few bytes: fails at the end of
  // input without trying to allocate a terabyte.
  std::string s = EncodeLength(uint64_t(1) << 40) + "abc";
  StringSource src(s);
  std::string out;
  Status st = ReadString(src, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_LT(out.capacity(), size_t(8) << 20);
  // An LZF header claiming an impossible expansion.
  std::string lzf = Bytes({0xC3}) + EncodeLength(4) + EncodeLength(uint64_t(1) << 31) + "abcd";
  StringSource lsrc(lzf);
  st = ReadString(lsrc, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("LZF"), std::string::npos);
}

TEST(RdbSourceTest, BadLzfAndEncodings) {
  std::string lzf = Bytes({0xC3}) + EncodeLength(4) + EncodeLength(40) + Bytes({0xE0, 0xFF, 1, 2});
  StringSource src(lzf);
  std::string out;
  EXPECT_FALSE(ReadString(src, &out).ok());
  std::string bad_enc = Bytes({0xC4});
  StringSource src2(bad_enc);
  EXPECT_FALSE(ReadString(src2, &out).ok());
  std::string bad_len = Bytes({0x82});
  StringSource src3(bad_len);
  uint64_t n;
  EXPECT_FALSE(ReadLength(src3, &n).ok());
  std::string encoded = Bytes({0xC0});
  StringSource src4(encoded);
  EXPECT_FALSE(ReadLength(src4, &n).ok());
}

TEST(RdbSourceTest, CrcAndOffset) {
  std::string s = "hello world";
  StringSource src(s);
  char buf[16];
  ASSERT_TRUE(src.Read(buf, 5));
  ASSERT_TRUE(src.Read(buf, 6));
  EXPECT_EQ(src.offset(), 11u);
  StringSource whole(s);
  ASSERT_TRUE(whole.Read(buf, 11));
  EXPECT_EQ(src.crc(), whole.crc());
  EXPECT_FALSE(src.Read(buf, 1));
  EXPECT_TRUE(src.error().empty());
}

TEST(RdbSourceTest, FdSourceHonoursLimit) {
  std::string data(300000, 'd');
  for (size_t i = 0; i < data.size(); i++) data[i] = char(i * 13);
  char path[] = "/tmp/rdb_fdsource_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data.data(), data.size()), ssize_t(data.size()));
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  {
    FdSource src(fd, 200000);
    std::string got(150000, '\0');
    ASSERT_TRUE(src.Read(got.data(), 10));
    ASSERT_TRUE(src.Read(got.data() + 10, 149990));
    EXPECT_EQ(got, data.substr(0, 150000));
    std::string rest(60000, '\0');
    EXPECT_FALSE(src.Read(rest.data(), rest.size()));  // only 50000 left under the limit
    EXPECT_EQ(src.fd_bytes(), 200000u);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 200000);
  }
  close(fd);
  unlink(path);
}

// ---------------------------------------------------------------------------
// Listpack

TEST(ListpackTest, MatchesRedisBytes) {
  // What Redis 7.0 writes for RPUSH l a b 1 -5 100000.
  ListpackWriter lp;
  for (const char* s : {"a", "b", "1", "-5", "100000"}) lp.Add(s);
  EXPECT_EQ(std::string(lp.Finish()),
            Bytes({0x17, 0, 0,    0,    5, 0,    0x81, 'a',  2,    0x81, 'b', 2,
                   1,    1, 0xDF, 0xFB, 2, 0xF2, 0xA0, 0x86, 0x01, 4,    0xFF}));
}

TEST(ListpackTest, AllWidthsRoundTrip) {
  std::vector<int64_t> ints = {0,         1,        127,       128,       -1,
                               -4096,     4095,     4096,      -4097,     32767,
                               -32768,    32768,    -32769,    8388607,   -8388608,
                               8388608,   -8388609, INT32_MAX, INT32_MIN, int64_t(INT32_MAX) + 1,
                               INT64_MAX, INT64_MIN};
  std::vector<std::string> strs = {"",
                                   "x",
                                   std::string(63, 'a'),
                                   std::string(64, 'b'),
                                   std::string(127, 'c'),
                                   std::string(4095, 'd'),
                                   std::string(4096, 'e'),
                                   std::string(20000, 'f'),
                                   "01",
                                   "-0",
                                   "+1",
                                   "123456789012345678901",
                                   "1.5",
                                   std::string("\0\xff", 2)};
  ListpackWriter lp;
  size_t expect_bytes = 7;
  for (int64_t v : ints) {
    std::string s = std::to_string(v);
    expect_bytes += ListpackWriter::EntrySize(s);
    lp.Add(s);
  }
  for (const std::string& s : strs) {
    expect_bytes += ListpackWriter::EntrySize(s);
    lp.Add(s);
  }
  EXPECT_EQ(lp.bytes(), expect_bytes);
  std::string blob(lp.Finish());
  EXPECT_EQ(blob.size(), expect_bytes);
  std::vector<PackedItem> items;
  Status st = ParseListpack(blob, &items);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(items.size(), ints.size() + strs.size());
  for (size_t i = 0; i < ints.size(); i++) {
    EXPECT_TRUE(items[i].is_int) << i;
    EXPECT_EQ(items[i].num, ints[i]);
  }
  for (size_t i = 0; i < strs.size(); i++) {
    EXPECT_FALSE(items[ints.size() + i].is_int) << i;
    EXPECT_EQ(items[ints.size() + i].str, strs[i]);
  }
}

TEST(ListpackTest, BigCountUsesUnknownMarker) {
  ListpackWriter lp;
  for (int i = 0; i < 70000; i++) lp.AddInt(i % 3);
  std::string blob(lp.Finish());
  EXPECT_EQ(uint8_t(blob[4]), 0xFF);
  EXPECT_EQ(uint8_t(blob[5]), 0xFF);
  std::vector<PackedItem> items;
  ASSERT_TRUE(ParseListpack(blob, &items).ok());
  EXPECT_EQ(items.size(), 70000u);
}

TEST(ListpackTest, CorruptionIsDetected) {
  ListpackWriter lp;
  for (const char* s : {"hello", "12", "-7000", "world", "x"}) lp.Add(s);
  lp.Add(std::string(200, 'y'));
  std::string good(lp.Finish());
  std::vector<PackedItem> items;
  ASSERT_TRUE(ParseListpack(good, &items).ok());
  // Every truncation fails.
  for (size_t n = 0; n < good.size(); n++) {
    items.clear();
    EXPECT_FALSE(ParseListpack(good.substr(0, n), &items).ok()) << n;
  }
  // Wrong count, wrong size, bad backlen, missing terminator.
  std::string bad = good;
  bad[4] = 9;
  EXPECT_FALSE(ParseListpack(bad, &items).ok());
  bad = good;
  bad[0]++;
  EXPECT_FALSE(ParseListpack(bad, &items).ok());
  bad = good;
  bad[6 + 6] ^= 1;  // backlen of "hello"
  EXPECT_FALSE(ParseListpack(bad, &items).ok());
  bad = good;
  bad.back() = 0;
  EXPECT_FALSE(ParseListpack(bad, &items).ok());
  // Any single-byte change either fails or still yields in-bounds views.
  for (size_t i = 0; i < good.size(); i++) {
    for (int x : {1, 0x80, 0xFF}) {
      bad = good;
      bad[i] = char(bad[i] ^ x);
      items.clear();
      if (ParseListpack(bad, &items).ok()) {
        for (const PackedItem& it : items) {
          if (!it.is_int) {
            EXPECT_GE(it.str.data(), bad.data());
            EXPECT_LE(it.str.data() + it.str.size(), bad.data() + bad.size());
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Ziplist (test-only writer; Basalt never writes ziplists)

class ZiplistBuilder {
 public:
  void Str(std::string_view s) {
    std::string e;
    if (s.size() < 64) {
      e.push_back(char(s.size()));
    } else if (s.size() < 16384) {
      e.push_back(char(0x40 | (s.size() >> 8)));
      e.push_back(char(s.size() & 0xFF));
    } else {
      e.push_back(char(0x80));
      for (int i = 3; i >= 0; i--) e.push_back(char(s.size() >> (8 * i)));
    }
    e.append(s);
    Entry(e);
  }
  // enc: 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8, 0xF1.. immediate.
  void Int(int64_t v, uint8_t enc) {
    std::string e(1, char(enc));
    int n = enc == 0xC0   ? 2
            : enc == 0xD0 ? 4
            : enc == 0xE0 ? 8
            : enc == 0xF0 ? 3
            : enc == 0xFE ? 1
                          : 0;
    for (int i = 0; i < n; i++) e.push_back(char(uint64_t(v) >> (8 * i)));
    Entry(e);
  }
  std::string Finish() {
    std::string out(10, '\0');
    out += body_;
    out.push_back(char(0xFF));
    uint32_t total = uint32_t(out.size());
    uint32_t tail = count_ ? uint32_t(10 + last_) : 10;
    memcpy(&out[0], &total, 4);
    memcpy(&out[4], &tail, 4);
    uint16_t c = uint16_t(count_);
    memcpy(&out[8], &c, 2);
    return out;
  }

 private:
  void Entry(const std::string& enc_and_data) {
    std::string e;
    if (prev_ < 254) {
      e.push_back(char(prev_));
    } else {
      e.push_back(char(254));
      uint32_t p = uint32_t(prev_);
      e.append(reinterpret_cast<const char*>(&p), 4);
    }
    e += enc_and_data;
    last_ = body_.size();
    body_ += e;
    prev_ = e.size();
    count_++;
  }
  std::string body_;
  size_t prev_ = 0, last_ = 0, count_ = 0;
};

TEST(ZiplistTest, AllEncodingsParse) {
  ZiplistBuilder zl;
  zl.Str("abc");
  zl.Str(std::string(300, 'm'));    // 14-bit length, and the next prevlen takes 5 bytes
  zl.Str(std::string(20000, 'n'));  // 32-bit length
  zl.Int(-2, 0xFE);
  zl.Int(-300, 0xC0);
  zl.Int(-8000000, 0xF0);
  zl.Int(100000000, 0xD0);
  zl.Int(INT64_MIN, 0xE0);
  zl.Int(0, 0xF1);
  zl.Int(12, 0xFD);
  zl.Str("");
  std::string blob = zl.Finish();
  std::vector<PackedItem> items;
  Status st = ParseZiplist(blob, &items);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(items.size(), 11u);
  EXPECT_EQ(items[0].str, "abc");
  EXPECT_EQ(items[1].str, std::string(300, 'm'));
  EXPECT_EQ(items[2].str.size(), 20000u);
  std::vector<int64_t> want = {-2, -300, -8000000, 100000000, INT64_MIN, 0, 12};
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_TRUE(items[3 + i].is_int);
    EXPECT_EQ(items[3 + i].num, want[i]);
  }
  EXPECT_EQ(items[10].str, "");
  EXPECT_FALSE(items[10].is_int);
}

TEST(ZiplistTest, CorruptionIsDetected) {
  ZiplistBuilder zl;
  zl.Str("abc");
  zl.Int(7, 0xC0);
  zl.Str(std::string(260, 'z'));
  zl.Int(3, 0xF4);
  std::string good = zl.Finish();
  std::vector<PackedItem> items;
  ASSERT_TRUE(ParseZiplist(good, &items).ok());
  for (size_t n = 0; n < good.size(); n++) {
    items.clear();
    EXPECT_FALSE(ParseZiplist(good.substr(0, n), &items).ok()) << n;
  }
  std::string bad = good;
  bad[4]++;  // tail
  EXPECT_FALSE(ParseZiplist(bad, &items).ok());
  bad = good;
  bad[8] = 5;  // count
  EXPECT_FALSE(ParseZiplist(bad, &items).ok());
  bad = good;
  bad[10 + 5] = 9;  // prevlen of the second entry
  EXPECT_FALSE(ParseZiplist(bad, &items).ok());
  for (size_t i = 0; i < good.size(); i++) {
    bad = good;
    bad[i] = char(bad[i] ^ 0x41);
    items.clear();
    (void)ParseZiplist(bad, &items);  // must not crash (ASan run)
  }
}

// ---------------------------------------------------------------------------
// Intset and zipmap

TEST(IntsetTest, WidthsAndValidation) {
  std::vector<int64_t> small = {-5, 0, 7, 32767};
  std::string b = EncodeIntset(small);
  EXPECT_EQ(b.size(), 8u + 4 * 2);
  std::vector<int64_t> got;
  ASSERT_TRUE(ParseIntset(b, &got).ok());
  EXPECT_EQ(got, small);
  std::vector<int64_t> mid = {-70000, 1};
  EXPECT_EQ(EncodeIntset(mid).size(), 8u + 2 * 4);
  std::vector<int64_t> wide = {INT64_MIN, -1, INT64_MAX};
  b = EncodeIntset(wide);
  EXPECT_EQ(b.size(), 8u + 3 * 8);
  got.clear();
  ASSERT_TRUE(ParseIntset(b, &got).ok());
  EXPECT_EQ(got, wide);
  // Unsorted, duplicate, bad width, size mismatch.
  std::string bad = EncodeIntset(std::vector<int64_t>{1, 2});
  std::swap(bad[8], bad[10]);
  got.clear();
  EXPECT_FALSE(ParseIntset(bad, &got).ok());
  bad = EncodeIntset(std::vector<int64_t>{1, 2});
  bad[10] = 1;
  got.clear();
  EXPECT_FALSE(ParseIntset(bad, &got).ok());
  bad = EncodeIntset(std::vector<int64_t>{1, 2});
  bad[0] = 3;
  EXPECT_FALSE(ParseIntset(bad, &got).ok());
  bad = EncodeIntset(std::vector<int64_t>{1, 2});
  bad[4] = char(0xFF);
  bad[7] = char(0x7F);
  EXPECT_FALSE(ParseIntset(bad, &got).ok());
  EXPECT_FALSE(ParseIntset("abc", &got).ok());
}

TEST(ZipmapTest, ParseAndValidate) {
  std::string zm;
  zm.push_back(2);
  zm += Bytes({3}) + "foo" + Bytes({3, 0}) + "bar";
  std::string longv(300, 'v');
  zm += Bytes({1}) + "k" + Bytes({254, 0x2C, 0x01, 0, 0, 2}) + longv + "xx";  // 2 free bytes
  zm.push_back(char(0xFF));
  std::vector<std::string_view> kv;
  Status st = ParseZipmap(zm, &kv);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[0], "foo");
  EXPECT_EQ(kv[1], "bar");
  EXPECT_EQ(kv[2], "k");
  EXPECT_EQ(kv[3], longv);
  for (size_t n = 0; n < zm.size(); n++) {
    kv.clear();
    EXPECT_FALSE(ParseZipmap(zm.substr(0, n), &kv).ok()) << n;
  }
  std::string bad = zm;
  bad[0] = 3;  // count mismatch
  kv.clear();
  EXPECT_FALSE(ParseZipmap(bad, &kv).ok());
}

}  // namespace
}  // namespace basalt::persistence
