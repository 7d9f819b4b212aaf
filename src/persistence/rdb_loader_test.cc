#include "persistence/rdb_loader.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "persistence/crc64.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/zset_type.h"

namespace basalt::persistence {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;

std::string Hex2Bin(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Records what the loader reports; owns the entries it is given.
class Collector : public RdbLoadHandler {
 public:
  ~Collector() override {
    for (Entry* e : owned_) storage::FreeEntry(e);
  }
  Status OnAux(std::string_view k, std::string_view v) override {
    aux[std::string(k)] = std::string(v);
    return Status::Ok();
  }
  Status OnResizeDb(int db, uint64_t size, uint64_t expires) override {
    resize.push_back(std::to_string(db) + ":" + std::to_string(size) + "/" +
                     std::to_string(expires));
    return Status::Ok();
  }
  Status OnEntry(int db, Entry* e, int64_t idle, int freq) override {
    owned_.push_back(e);
    std::string d = std::to_string(db) + " " + std::string(e->key());
    if (e->has_expire()) d += " exp=" + std::to_string(e->expire_ms());
    if (idle >= 0) d += " idle=" + std::to_string(idle);
    if (freq >= 0) d += " freq=" + std::to_string(freq);
    d += " type=" + std::to_string(int(e->type()));
    entries.push_back(d);
    if (fail_after >= 0 && int(entries.size()) > fail_after)
      return Status::Error("handler says no");
    return Status::Ok();
  }
  void OnProgress(uint64_t /*bytes*/) override { progress++; }

  std::map<std::string, std::string> aux;
  std::vector<std::string> resize;
  std::vector<std::string> entries;
  int progress = 0;
  int fail_after = -1;

 private:
  std::vector<Entry*> owned_;
};

// A small file: two databases, expires, eviction hints, a list.
std::string SampleFile(bool checksum = true) {
  std::string out;
  RdbEncoder enc(&out, true);
  WriteRdbHeader(enc, {{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1700000000"}});
  WriteSelectDb(enc, 0, 2, 1);
  Entry* a = EntryBuilder::String("a", "1", true, 1893456000000);
  EncodeKeyValue(*a, enc);
  storage::FreeEntry(a);
  auto* l = new storage::ListObject(-2);
  l->PushBack("x");
  l->PushBack(std::string(30, 'y'));
  Entry* b = EntryBuilder::Object("b", ValueType::kList, l, false, 0);
  EncodeKeyValue(*b, enc, 10, -1);
  storage::FreeEntry(b);
  WriteSelectDb(enc, 3, 1, 0);
  Entry* c = EntryBuilder::String(std::string("c\0c", 3), "v", false, 0);
  EncodeKeyValue(*c, enc, -1, 7);
  storage::FreeEntry(c);
  WriteRdbEof(&out);
  WriteRdbChecksum(&out, checksum ? Crc64(0, out.data(), out.size()) : 0);
  return out;
}

Status Load(const std::string& bytes, Collector* c, int dbs = 16) {
  StringSource src(bytes);
  return LoadRdb(src, dbs, RdbLimits(), *c);
}

TEST(RdbLoaderTest, LoadsWhatWeWrite) {
  Collector c;
  Status st = Load(SampleFile(), &c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.aux["redis-ver"], "7.0.15");
  EXPECT_EQ(c.aux["redis-bits"], "64");
  EXPECT_EQ(c.aux["ctime"], "1700000000");
  EXPECT_EQ(c.resize, (std::vector<std::string>{"0:2/1", "3:1/0"}));
  EXPECT_EQ(c.entries,
            (std::vector<std::string>{"0 a exp=1893456000000 type=0", "0 b idle=10 type=1",
                                      std::string("3 c\0c freq=7 type=0", 19)}));
}

TEST(RdbLoaderTest, ZeroChecksumIsAccepted) {
  Collector c;
  EXPECT_TRUE(Load(SampleFile(false), &c).ok());
  EXPECT_EQ(c.entries.size(), 3u);
}

TEST(RdbLoaderTest, BadChecksum) {
  std::string f = SampleFile();
  f[f.size() - 3] ^= 1;
  Collector c;
  Status st = Load(f, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("Bad RDB checksum at offset " + std::to_string(f.size() - 8), 0), 0u)
      << st.message();
  // A flipped byte inside a value is caught by the checksum too.
  f = SampleFile();
  size_t pos = f.find("7.0.15");
  f[pos] = '8';
  Collector c2;
  st = Load(f, &c2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Bad RDB checksum"), std::string::npos);
}

TEST(RdbLoaderTest, Versions) {
  std::string f = SampleFile();
  Collector c;
  f[8] = '1';  // REDIS0011
  Status st = Load(f, &c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Can't handle RDB format version 11"), std::string::npos);
  f = SampleFile();
  f.replace(5, 4, "0009");
  f.resize(f.size() - 8);
  WriteRdbChecksum(&f, Crc64(0, f.data(), f.size()));
  Collector c2;
  EXPECT_TRUE(Load(f, &c2).ok());
  // Before version 5 there is no checksum after EOF.
  f = SampleFile();
  f.replace(5, 4, "0004");
  f.resize(f.size() - 8);
  Collector c3;
  EXPECT_TRUE(Load(f, &c3).ok());
  EXPECT_EQ(c3.entries.size(), 3u);
  Collector c4;
  EXPECT_FALSE(Load("RDBIS0010", &c4).ok());
  EXPECT_FALSE(Load("REDIS00x0", &c4).ok());
}

TEST(RdbLoaderTest, EveryTruncationFails) {
  std::string f = SampleFile();
  for (size_t n = 0; n < f.size(); n++) {
    Collector c;
    Status st = Load(f.substr(0, n), &c);
    ASSERT_FALSE(st.ok()) << n;
    EXPECT_NE(st.message().find("at offset"), std::string::npos) << st.message();
  }
}

TEST(RdbLoaderTest, BitFlipsNeverCrash) {
  std::string f = SampleFile(false);
  for (size_t i = 9; i < f.size(); i++) {
    for (int x : {1, 0x40, 0x80}) {
      std::string bad = f;
      bad[i] = char(bad[i] ^ x);
      Collector c;
      (void)Load(bad, &c);
    }
  }
}

std::string Prefix() {
  std::string out;
  RdbEncoder enc(&out, false);
  WriteRdbHeader(enc, {});
  return out;
}

TEST(RdbLoaderTest, UnsupportedAndUnknownRecords) {
  Collector c;
  // A handler that takes no function libraries refuses a FUNCTION2 record;
  // the pre-GA format is refused by the loader itself.
  std::string fn = Prefix() + std::string(1, char(kRdbOpFunction2));
  RdbEncoder fenc(&fn, false);
  fenc.String("#!lua name=x");
  Status st = Load(fn, &c);
  EXPECT_EQ(st.message(), "RDB contains function libraries, which this load does not take");
  st = Load(Prefix() + std::string(1, char(kRdbOpFunctionPreGa)) + "xx", &c);
  EXPECT_EQ(st.message(),
            "RDB contains functions in the pre-GA (7.0 release candidate) format at offset 9");
  st = Load(Prefix() + std::string(1, char(42)), &c);
  EXPECT_EQ(st.message(), "Unknown RDB type 42 at offset 9");
  // A stream record cut short (streams themselves load: rdb_stream.cc).
  st = Load(Prefix() + std::string(1, char(kRdbTypeStreamListpacks2)) + "\x01k", &c);
  EXPECT_FALSE(st.ok());
  st = Load(Prefix() + std::string(1, char(kRdbOpModuleAux)), &c);
  EXPECT_NE(st.message().find("modules"), std::string::npos);
  std::string sel;
  RdbEncoder enc(&sel, false);
  WriteSelectDb(enc, 16, 0, 0);
  st = Load(Prefix() + sel, &c);
  EXPECT_EQ(st.message(), "Database index 16 out of range (databases 16) at offset 9");
  EXPECT_TRUE(c.entries.empty());
}

TEST(RdbLoaderTest, EmptyKeysAreSkipped) {
  std::string f = Prefix();
  RdbEncoder enc(&f, false);
  enc.Byte(kRdbTypeSet);
  enc.String("empty");
  enc.Length(0);
  enc.Byte(kRdbTypeString);
  enc.String("k");
  enc.String("v");
  WriteRdbEof(&f);
  WriteRdbChecksum(&f, Crc64(0, f.data(), f.size()));
  Collector c;
  Status st = Load(f, &c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.entries, (std::vector<std::string>{"0 k type=0"}));
}

TEST(RdbLoaderTest, HandlerErrorsStopTheLoad) {
  Collector c;
  c.fail_after = 1;
  Status st = Load(SampleFile(), &c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "handler says no");
  EXPECT_EQ(c.entries.size(), 2u);
}

TEST(RdbLoaderTest, ProgressIsReported) {
  std::string f = Prefix();
  RdbEncoder enc(&f, false);
  std::string v(100000, 'v');
  for (int i = 0; i < 60; i++) {
    enc.Byte(kRdbTypeString);
    enc.String("k" + std::to_string(i));
    enc.String(v);
  }
  WriteRdbEof(&f);
  WriteRdbChecksum(&f, Crc64(0, f.data(), f.size()));
  Collector c;
  ASSERT_TRUE(Load(f, &c).ok());
  EXPECT_EQ(c.entries.size(), 60u);
  EXPECT_GE(c.progress, 2);
}

TEST(RdbLoaderTest, LoadsARedisFile) {
  // SAVE output of Redis 7.0.15: str, n (with a PEXPIREAT), l, s, z, h in db 0
  // and db2key in db 2.
  std::string f = Hex2Bin(
      "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa05"
      "6374696d65c216fa026bfa08757365642d6d656dc218df1200fa08616f662d62617365c000fe00fb0601fc00"
      "d8c32cbb03000000016ec02a12016c01020c0c00000002008161020101ff11017a0f0f0000000200816d02"
      "83312e3504ff1001680d0d0000000200816602817602ff02017301017800037374720568656c6c6ffe02fb01"
      "0000066462326b6579027632ff4773feb18c6fc7d3");
  Collector c;
  Status st = Load(f, &c);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.aux["redis-ver"], "7.0.15");
  EXPECT_EQ(c.aux["aof-base"], "0");
  EXPECT_EQ(c.resize, (std::vector<std::string>{"0:6/1", "2:1/0"}));
  EXPECT_EQ(c.entries, (std::vector<std::string>{"0 n exp=4102444800000 type=0", "0 l type=1",
                                                 "0 z type=3", "0 h type=4", "0 s type=2",
                                                 "0 str type=0", "2 db2key type=0"}));
  // Its checksum is verified.
  f[f.size() - 1] ^= 1;
  Collector c2;
  EXPECT_FALSE(Load(f, &c2).ok());
}

}  // namespace
}  // namespace basalt::persistence
