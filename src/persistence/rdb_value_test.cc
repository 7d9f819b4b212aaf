#include "persistence/rdb_value.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
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
using storage::HashObject;
using storage::ListObject;
using storage::SetObject;
using storage::ValueType;
using storage::ZSetObject;

struct EntryDeleter {
  void operator()(Entry* e) const { storage::FreeEntry(e); }
};
using EntryPtr = std::unique_ptr<Entry, EntryDeleter>;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(char(c));
  return s;
}

std::string Hex2Bin(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A canonical text of an entry's key, expire, type, encoding and contents.
std::string Describe(const Entry& e) {
  std::string out(e.key());
  out += e.has_expire() ? " exp=" + std::to_string(e.expire_ms()) : std::string();
  auto add = [&out](std::string_view s) {
    out += " " + std::to_string(s.size()) + ":";
    out += s;
  };
  switch (e.type()) {
    case ValueType::kString: {
      char buf[24];
      out += e.IsInt() ? " string/int" : " string";
      add(e.StringValue(buf));
      break;
    }
    case ValueType::kList: {
      out += " list";
      auto* l = static_cast<const ListObject*>(e.obj());
      for (auto it = l->Begin(); it.Valid(); it.Next()) add(it.value());
      break;
    }
    case ValueType::kSet: {
      auto* s = static_cast<const SetObject*>(e.obj());
      out += std::string(" set/") + s->EncodingName();
      std::vector<std::string> m = s->Members();
      std::sort(m.begin(), m.end());
      for (const auto& x : m) add(x);
      break;
    }
    case ValueType::kZSet: {
      auto* z = static_cast<const ZSetObject*>(e.obj());
      out += std::string(" zset/") + z->EncodingName();
      for (auto it = z->AtRank(0); it.Valid(); it.Next()) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%.17g", it.score());
        add(it.member());
        out += "=";
        out += buf;
      }
      break;
    }
    case ValueType::kHash: {
      auto* h = static_cast<const HashObject*>(e.obj());
      out += std::string(" hash/") + h->EncodingName();
      std::vector<std::pair<std::string, std::string>> kv;
      h->ForEach([&](std::string_view f, std::string_view v) { kv.emplace_back(f, v); });
      std::sort(kv.begin(), kv.end());
      for (const auto& [f, v] : kv) {
        add(f);
        add(v);
      }
      break;
    }
    case ValueType::kStream:
      out += " stream";
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Entry builders

EntryPtr Str(std::string_view key, std::string_view v, bool has_exp = false, int64_t exp = 0) {
  return EntryPtr(EntryBuilder::String(key, v, has_exp, exp));
}

EntryPtr List(std::string_view key, const std::vector<std::string>& items, int64_t fill = -2) {
  auto l = std::make_unique<ListObject>(fill);
  for (const auto& s : items) l->PushBack(s);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kList, l.release(), false, 0));
}

EntryPtr Set(std::string_view key, const std::vector<std::string>& members,
             size_t max_intset = 512) {
  auto s = std::make_unique<SetObject>();
  for (const auto& m : members) s->Add(m, max_intset);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kSet, s.release(), false, 0));
}

EntryPtr Hash(std::string_view key, const std::vector<std::pair<std::string, std::string>>& kv,
              bool table = false) {
  auto h = std::make_unique<HashObject>();
  storage::HashLimits limits;
  for (const auto& [f, v] : kv) h->Set(f, v, limits);
  if (table) h->ConvertToTable();
  return EntryPtr(EntryBuilder::Object(key, ValueType::kHash, h.release(), false, 0));
}

EntryPtr ZSet(std::string_view key, const std::vector<std::pair<std::string, double>>& ms,
              bool skiplist = false) {
  auto z = std::make_unique<ZSetObject>(skiplist);
  for (const auto& [m, s] : ms) z->Add(m, s, 0, ZSetObject::Limits{128, 64});
  return EntryPtr(EntryBuilder::Object(key, ValueType::kZSet, z.release(), false, 0));
}

// Decodes an EncodeValue() output completely.
StatusOr<Entry*> DecodeAll(const std::string& bytes, std::string_view key,
                           const RdbLimits& limits = RdbLimits(), bool has_exp = false,
                           int64_t exp = 0) {
  StringSource src(bytes);
  uint8_t type;
  if (!src.Read(&type, 1)) return Status::Error("no type");
  StatusOr<Entry*> e = DecodeValue(type, src, key, has_exp, exp, limits);
  if (e.ok() && src.remaining() != 0) {
    storage::FreeEntry(*e);
    return Status::Error("trailing bytes");
  }
  return e;
}

std::string Encode(const Entry& e, bool compress) {
  std::string out;
  RdbEncoder enc(&out, compress);
  EncodeValue(e, enc);
  return out;
}

// `want` is what the decoded entry describes as, when the load converts the
// encoding (small hashtables and skiplists come back as listpacks, as in Redis).
void ExpectRoundTrip(const Entry& e, uint8_t want_type, const std::string& want = "") {
  for (bool compress : {false, true}) {
    std::string bytes = Encode(e, compress);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(uint8_t(bytes[0]), want_type) << Describe(e);
    StatusOr<Entry*> got =
        DecodeAll(bytes, e.key(), RdbLimits(), e.has_expire(), e.has_expire() ? e.expire_ms() : 0);
    ASSERT_TRUE(got.ok()) << got.status().message() << " for " << Describe(e);
    EntryPtr owned(*got);
    EXPECT_EQ(Describe(*owned), want.empty() ? Describe(e) : want);
  }
}

// ---------------------------------------------------------------------------
// Round trips

TEST(RdbValueTest, Strings) {
  ExpectRoundTrip(*Str("k", "hello"), kRdbTypeString);
  ExpectRoundTrip(*Str("k", "12345"), kRdbTypeString);
  ExpectRoundTrip(*Str("k", "-9223372036854775808"), kRdbTypeString);
  ExpectRoundTrip(*Str("k", "007"), kRdbTypeString);
  ExpectRoundTrip(*Str("k", ""), kRdbTypeString);
  ExpectRoundTrip(*Str(std::string("bin\0key\xff", 8), std::string("v\0\r\n", 4)), kRdbTypeString);
  ExpectRoundTrip(*Str("k", std::string(5000, 'z')), kRdbTypeString);
  ExpectRoundTrip(*Str("k", "with expire", true, 1893456000123), kRdbTypeString);
  EntryPtr i = Str("k", "-42");
  EXPECT_TRUE(i->IsInt());
  EXPECT_EQ(Encode(*i, false), Bytes({0, 0xC0, 0xD6}));
}

TEST(RdbValueTest, Lists) {
  ExpectRoundTrip(*List("l", {"a", "b", "1", "-5", "100000"}), kRdbTypeListQuicklist2);
  std::vector<std::string> many;
  for (int i = 0; i < 5000; i++) {
    many.push_back(i % 3 == 0 ? std::to_string(i * 7919 - 100000)
                              : std::string(i % 50, 'a' + i % 26));
  }
  ExpectRoundTrip(*List("l", many), kRdbTypeListQuicklist2);
  ExpectRoundTrip(*List("l", many, 5), kRdbTypeListQuicklist2);
  ExpectRoundTrip(*List("l", many, -5), kRdbTypeListQuicklist2);
  std::vector<std::string> big = {
      "x", std::string(10000, 'B'), "y", std::string(20000, 'C'), std::string(100000, 'D'), "z"};
  ExpectRoundTrip(*List("l", big), kRdbTypeListQuicklist2);
}

TEST(RdbValueTest, ListNodeLayoutFollowsFill) {
  // Elements over the node size get a packed node of their own (Redis 7.0
  // uses PLAIN nodes only from 1 GiB); small ones share 8 KiB listpacks.
  std::vector<std::string> items = {"a", std::string(10000, 'B'), "c", "d"};
  std::string bytes = Encode(*List("l", items), false);
  StringSource src(bytes);
  uint8_t type;
  ASSERT_TRUE(src.Read(&type, 1));
  uint64_t nodes;
  ASSERT_TRUE(ReadLength(src, &nodes).ok());
  EXPECT_EQ(nodes, 3u);
  std::vector<size_t> counts;
  for (uint64_t i = 0; i < nodes; i++) {
    uint64_t container;
    ASSERT_TRUE(ReadLength(src, &container).ok());
    EXPECT_EQ(container, kQuicklistNodePacked);
    std::string blob;
    ASSERT_TRUE(ReadString(src, &blob).ok());
    std::vector<PackedItem> it;
    ASSERT_TRUE(ParseListpack(blob, &it).ok());
    counts.push_back(it.size());
    EXPECT_LE(blob.size(), it.size() == 1 ? 20000u : 8192u);
  }
  EXPECT_EQ(counts, (std::vector<size_t>{1, 1, 2}));

  std::vector<std::string> counted(12, "v");
  bytes = Encode(*List("l", counted, 5), false);
  StringSource src2(bytes);
  ASSERT_TRUE(src2.Read(&type, 1));
  ASSERT_TRUE(ReadLength(src2, &nodes).ok());
  EXPECT_EQ(nodes, 3u);  // 5 + 5 + 2
}

TEST(RdbValueTest, ListMatchesRedisDump) {
  // DUMP of RPUSH l a b 1 -5 100000 from Redis 7.0.15.
  std::string redis =
      Hex2Bin("120102171700000005008161028162020101dffb02f2a0860104ff0a00467a271192aeeabe");
  EXPECT_EQ(DumpPayload(*List("l", {"a", "b", "1", "-5", "100000"}), true), redis);
}

TEST(RdbValueTest, Sets) {
  EntryPtr ints = Set("s", {"3", "1", "2", "-70000"});
  ASSERT_TRUE(static_cast<SetObject*>(ints->obj())->is_intset());
  ExpectRoundTrip(*ints, kRdbTypeSetIntset);
  EXPECT_EQ(DumpPayload(*ints, true),
            Hex2Bin("0b18040000000400000090eefeff0100000002000000030000000a00a8b63c622cbf2c9c"));
  ExpectRoundTrip(*Set("s", {"9223372036854775807", "-9223372036854775808", "0"}),
                  kRdbTypeSetIntset);
  ExpectRoundTrip(*Set("s", {"a", "b", "1", std::string("\0", 1)}), kRdbTypeSet);
  std::vector<std::string> big;
  for (int i = 0; i < 2000; i++) big.push_back(std::to_string(i * 3));
  ExpectRoundTrip(*Set("s", big), kRdbTypeSet);  // > 512 members: hashtable
}

TEST(RdbValueTest, Hashes) {
  EntryPtr small = Hash("h", {{"f1", "v1"}, {"f2", "22"}});
  ExpectRoundTrip(*small, kRdbTypeHashListpack);
  EXPECT_EQ(DumpPayload(*small, true),
            Hex2Bin("10151500000004008266310382763103826632031601ff0a00794ee62e9c48a90c"));
  ExpectRoundTrip(*Hash("h", {{"f", std::string(100, 'v')}}), kRdbTypeHash);
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 1000; i++) kv.emplace_back("field" + std::to_string(i), std::to_string(i));
  ExpectRoundTrip(*Hash("h", kv), kRdbTypeHash);
  ExpectRoundTrip(*Hash("h", {{"a", "1"}, {"b", "2"}}, true), kRdbTypeHash,
                  "h hash/listpack 1:a 1:1 1:b 1:2");
}

TEST(RdbValueTest, SortedSets) {
  EntryPtr small = ZSet("z", {{"a", 1}, {"b", 2.5}, {"c", -HUGE_VAL}});
  ExpectRoundTrip(*small, kRdbTypeZSetListpack);
  EXPECT_EQ(DumpPayload(*small, true),
            Hex2Bin("111d1d0000000600816302842d696e6605816102010181620283322e3504ff0a003992339be1"
                    "1f323d"));
  ExpectRoundTrip(*ZSet("z", {{"a", 0.1},
                              {"b", 1e300},
                              {"c", HUGE_VAL},
                              {"d", -1e-300},
                              {"e", 123456789012.0},
                              {"f", 1e17},
                              {"g", -0.0}}),
                  kRdbTypeZSetListpack);
  EntryPtr sl = ZSet("z", {{"x", 1}, {"y", 2}}, true);
  ExpectRoundTrip(*sl, kRdbTypeZSet2, "z zset/listpack 1:x=1 1:y=2");
  // Redis writes skiplists highest score first.
  EXPECT_EQ(DumpPayload(*sl, true),
            Hex2Bin("0502017900000000000000400178000000000000f03f0a00923d6866813f7c49"));
  std::vector<std::pair<std::string, double>> many;
  for (int i = 0; i < 1000; i++) many.emplace_back("m" + std::to_string(i), i * 0.37 - 100);
  ExpectRoundTrip(*ZSet("z", many), kRdbTypeZSet2);
  ExpectRoundTrip(*ZSet("z", {{std::string(100, 'L'), 1}}), kRdbTypeZSet2);
}

TEST(RdbValueTest, KeyValueRecord) {
  EntryPtr e = Str("key", "val", true, 0x0102030405060708);
  std::string out;
  RdbEncoder enc(&out, false);
  EncodeKeyValue(*e, enc);
  EXPECT_EQ(out, Bytes({0xFC, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3}) + "key" + Bytes({3}) + "val");
  out.clear();
  EncodeKeyValue(*Str("k", "v"), enc, 7, -1);
  EXPECT_EQ(out, Bytes({0xF8, 7, 0, 1, 'k', 1, 'v'}));
  out.clear();
  EncodeKeyValue(*Str("k", "v"), enc, -1, 5);
  EXPECT_EQ(out, Bytes({0xF9, 5, 0, 1, 'k', 1, 'v'}));
}

// ---------------------------------------------------------------------------
// Encodings chosen on load

std::string Len(uint64_t n) {
  std::string out;
  RdbEncoder(&out, false).Length(n);
  return out;
}

std::string S(std::string_view s) {
  std::string out;
  RdbEncoder(&out, false).String(s);
  return out;
}

std::string Listpack(const std::vector<std::string>& items) {
  ListpackWriter lp;
  for (const auto& s : items) lp.Add(s);
  return std::string(lp.Finish());
}

std::string DescribeDecoded(const std::string& bytes, const RdbLimits& limits = RdbLimits()) {
  StatusOr<Entry*> e = DecodeAll(bytes, "k", limits);
  if (!e.ok()) return "error: " + e.status().message();
  EntryPtr owned(*e);
  return Describe(*owned);
}

TEST(RdbValueTest, LoadConversionsFollowLimits) {
  RdbLimits lim;
  lim.hash_max_listpack_entries = 2;
  lim.hash_max_listpack_value = 4;
  lim.set_max_intset_entries = 2;
  lim.zset_max_listpack_entries = 2;
  lim.zset_max_listpack_value = 4;
  // HASH: listpack unless too many pairs or a long field/value.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHash}) + Len(1) + S("a") + S("b"), lim),
            "k hash/listpack 1:a 1:b");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHash}) + Len(1) + S("a") + S("bbbbb"), lim),
            "k hash/hashtable 1:a 5:bbbbb");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHash}) + Len(3) + S("a") + S("1") + S("b") + S("2") +
                                S("c") + S("3"),
                            lim),
            "k hash/hashtable 1:a 1:1 1:b 1:2 1:c 1:3");
  // HASH_LISTPACK: kept whatever the element sizes; converted past the count.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHashListpack}) + S(Listpack({"a", "bbbbbbbb"})), lim),
            "k hash/listpack 1:a 8:bbbbbbbb");
  EXPECT_EQ(DescribeDecoded(
                Bytes({kRdbTypeHashListpack}) + S(Listpack({"a", "1", "b", "2", "c", "3"})), lim),
            "k hash/hashtable 1:a 1:1 1:b 1:2 1:c 1:3");
  // SET / SET_INTSET.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeSet}) + Len(2) + S("1") + S("2"), lim),
            "k set/intset 1:1 1:2");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeSet}) + Len(2) + S("1") + S("x"), lim),
            "k set/hashtable 1:1 1:x");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeSet}) + Len(3) + S("1") + S("2") + S("3"), lim),
            "k set/hashtable 1:1 1:2 1:3");
  std::vector<int64_t> three = {1, 2, 3};
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeSetIntset}) + S(EncodeIntset(three)), lim),
            "k set/hashtable 1:1 1:2 1:3");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeSetIntset}) + S(EncodeIntset(three))),
            "k set/intset 1:1 1:2 1:3");
  // ZSET_2: listpack when small enough on both counts.
  std::string z2 = Bytes({kRdbTypeZSet2}) + Len(2) + S("b");
  RdbEncoder enc(&z2, false);
  enc.BinaryDouble(2);
  enc.String("a");
  enc.BinaryDouble(1);
  EXPECT_EQ(DescribeDecoded(z2, lim), "k zset/listpack 1:a=1 1:b=2");
  std::string z2long = Bytes({kRdbTypeZSet2}) + Len(1) + S("abcdef");
  RdbEncoder(&z2long, false).BinaryDouble(1);
  EXPECT_EQ(DescribeDecoded(z2long, lim), "k zset/skiplist 6:abcdef=1");
  // ZSET_LISTPACK: kept unless too many entries.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeZSetListpack}) + S(Listpack({"abcdef", "1.5"})), lim),
            "k zset/listpack 6:abcdef=1.5");
  EXPECT_EQ(DescribeDecoded(
                Bytes({kRdbTypeZSetListpack}) + S(Listpack({"a", "1", "b", "2", "c", "inf"})), lim),
            "k zset/skiplist 1:a=1 1:b=2 1:c=inf");
}

// ---------------------------------------------------------------------------
// Older types

TEST(RdbValueTest, LegacyTypes) {
  // LIST (linked list), ZSET (text scores), HASH_ZIPMAP.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeList}) + Len(3) + S("a") + S("12") + S("c")),
            "k list 1:a 2:12 1:c");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeZSet}) + Len(3) + S("a") + Bytes({3}) + "1.5" + S("b") +
                            Bytes({254}) + S("c") + Bytes({255})),
            "k zset/listpack 1:c=-inf 1:a=1.5 1:b=inf");
  std::string zm = Bytes({2, 1}) + "a" + Bytes({1, 0}) + "1" + Bytes({1}) + "b" + Bytes({2, 1}) +
                   "xyz" + Bytes({0xFF});
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHashZipmap}) + S(zm)),
            "k hash/listpack 1:a 1:1 1:b 2:xy");
  RdbLimits lim;
  lim.hash_max_listpack_value = 1;
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHashZipmap}) + S(zm), lim),
            "k hash/hashtable 1:a 1:1 1:b 2:xy");
}

// Ziplist bytes for the legacy encodings (strings < 64 bytes, int16 ints).
std::string Ziplist(const std::vector<std::string>& items) {
  std::string body;
  size_t prev = 0, last = 0;
  for (const auto& s : items) {
    std::string e(1, char(prev));
    char* end;
    long v = strtol(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') {
      e.push_back(char(0xC0));
      e.push_back(char(v & 0xFF));
      e.push_back(char((v >> 8) & 0xFF));
    } else {
      e.push_back(char(s.size()));
      e += s;
    }
    last = body.size();
    body += e;
    prev = e.size();
  }
  std::string out(10, '\0');
  out += body;
  out.push_back(char(0xFF));
  uint32_t total = uint32_t(out.size()), tail = uint32_t(items.empty() ? 10 : 10 + last);
  uint16_t count = uint16_t(items.size());
  memcpy(&out[0], &total, 4);
  memcpy(&out[4], &tail, 4);
  memcpy(&out[8], &count, 2);
  return out;
}

TEST(RdbValueTest, ZiplistTypes) {
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeListZiplist}) + S(Ziplist({"a", "-300", "b"}))),
            "k list 1:a 4:-300 1:b");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeListQuicklist}) + Len(3) + S(Ziplist({"a", "1"})) +
                            S(Ziplist({})) + S(Ziplist({"z"}))),
            "k list 1:a 1:1 1:z");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeHashZiplist}) + S(Ziplist({"f", "v", "g", "7"}))),
            "k hash/listpack 1:f 1:v 1:g 1:7");
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeZSetZiplist}) + S(Ziplist({"m", "5", "n", "2.5"}))),
            "k zset/listpack 1:n=2.5 1:m=5");
  // QUICKLIST_2 with a PLAIN node and an empty packed node.
  EXPECT_EQ(DescribeDecoded(Bytes({kRdbTypeListQuicklist2}) + Len(3) + Len(1) + S("plain") +
                            Len(2) + S(Listpack({})) + Len(2) + S(Listpack({"x", "9"}))),
            "k list 5:plain 1:x 1:9");
}

// ---------------------------------------------------------------------------
// Errors

TEST(RdbValueTest, CorruptValuesAreErrors) {
  auto err = [](const std::string& bytes) {
    std::string d = DescribeDecoded(bytes);
    EXPECT_EQ(d.rfind("error: ", 0), 0u) << d;
    return d;
  };
  EXPECT_NE(err(Bytes({kRdbTypeSet}) + Len(2) + S("a") + S("a")).find("Duplicate set"),
            std::string::npos);
  err(Bytes({kRdbTypeSet}) + Len(2) + S("1") + S("1"));
  EXPECT_NE(err(Bytes({kRdbTypeHash}) + Len(2) + S("a") + S("1") + S("a") + S("2"))
                .find("Duplicate hash"),
            std::string::npos);
  err(Bytes({kRdbTypeHashListpack}) + S(Listpack({"a", "1", "a", "2"})));
  err(Bytes({kRdbTypeHashListpack}) + S(Listpack({"a", "1", "b"})));
  std::string zdup = Bytes({kRdbTypeZSet2}) + Len(2) + S("a");
  RdbEncoder enc(&zdup, false);
  enc.BinaryDouble(1);
  enc.String("a");
  enc.BinaryDouble(2);
  EXPECT_NE(err(zdup).find("Duplicate zset"), std::string::npos);
  std::string znan = Bytes({kRdbTypeZSet2}) + Len(1) + S("a");
  RdbEncoder(&znan, false).BinaryDouble(std::nan(""));
  EXPECT_NE(err(znan).find("NAN"), std::string::npos);
  err(Bytes({kRdbTypeZSet}) + Len(1) + S("a") + Bytes({253}));
  err(Bytes({kRdbTypeZSetListpack}) + S(Listpack({"a", "notanumber"})));
  err(Bytes({kRdbTypeZSetListpack}) + S(Listpack({"a", "nan"})));
  err(Bytes({kRdbTypeListQuicklist2}) + Len(1) + Len(3) + S("x"));
  err(Bytes({kRdbTypeListQuicklist2}) + Len(1) + Len(2) + S("not a listpack"));
  err(Bytes({kRdbTypeSetIntset}) + S("garbage!!"));
  EXPECT_NE(err(Bytes({kRdbTypeModule2}) + Len(1)).find("not supported"), std::string::npos);
  // Streams load now (rdb_stream.cc); a truncated or malformed one is an error.
  err(Bytes({kRdbTypeStreamListpacks}));
  err(Bytes({kRdbTypeStreamListpacks2}) + Len(1) + S("short") + S("x"));
  EXPECT_NE(err(Bytes({8})).find("Unknown RDB type 8"), std::string::npos);
  // Empty collections: an error for DecodeValue, nullptr for DecodeValueOrEmpty.
  EXPECT_NE(err(Bytes({kRdbTypeSet}) + Len(0)).find("Empty"), std::string::npos);
  std::string empty = Bytes({kRdbTypeHashListpack}) + S(Listpack({}));
  err(empty);
  StringSource src(std::string_view(empty).substr(1));
  StatusOr<Entry*> e = DecodeValueOrEmpty(empty[0], src, "k", false, 0, RdbLimits());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, nullptr);
  EXPECT_EQ(src.remaining(), 0u);
}

TEST(RdbValueTest, TruncationsAndBitFlipsNeverCrash) {
  std::vector<EntryPtr> entries;
  entries.push_back(Str("k", std::string(100, 'q')));
  entries.push_back(List("k", {"a", "1", std::string(300, 'b'), "-70000"}));
  entries.push_back(Set("k", {"1", "5", "-3"}));
  entries.push_back(Set("k", {"a", "b"}));
  entries.push_back(Hash("k", {{"a", "1"}, {"bb", "22"}}));
  entries.push_back(Hash("k", {{"a", "1"}}, true));
  entries.push_back(ZSet("k", {{"a", 1}, {"b", 0.5}}));
  entries.push_back(ZSet("k", {{"a", 1}, {"b", 0.5}}, true));
  for (const EntryPtr& e : entries) {
    for (bool compress : {false, true}) {
      std::string good = Encode(*e, compress);
      for (size_t n = 0; n < good.size(); n++) {
        StatusOr<Entry*> got = DecodeAll(good.substr(0, n), "k");
        EXPECT_FALSE(got.ok()) << Describe(*e) << " cut at " << n;
      }
      for (size_t i = 1; i < good.size(); i++) {
        for (int x : {1, 0x10, 0x80}) {
          std::string bad = good;
          bad[i] = char(bad[i] ^ x);
          StatusOr<Entry*> got = DecodeAll(bad, "k");
          if (got.ok()) storage::FreeEntry(*got);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// DUMP / RESTORE

TEST(RdbValueTest, RedisDumpPayloadsRestore) {
  struct Case {
    const char* hex;
    const char* want;
  };
  // DUMP output of Redis 7.0.15 for each encoding.
  const Case cases[] = {
      {"000568656c6c6f0a006372df766534200a", "k string 5:hello"},
      {"00c139300a009d94ea2793fc08b9", "k string/int 5:12345"},
      {"120102171700000005008161028162020101dffb02f2a0860104ff0a00467a271192aeeabe",
       "k list 1:a 1:b 1:1 2:-5 6:100000"},
      {"0b18040000000400000090eefeff0100000002000000030000000a00a8b63c622cbf2c9c",
       "k set/intset 6:-70000 1:1 1:2 1:3"},
      {"0202016201610a0075d99d835ef85f65", "k set/hashtable 1:a 1:b"},
      {"10151500000004008266310382763103826632031601ff0a00794ee62e9c48a90c",
       "k hash/listpack 2:f1 2:v1 2:f2 2:22"},
      {"111d1d0000000600816302842d696e6605816102010181620283322e3504ff0a003992339be11f323d",
       "k zset/listpack 1:c=-inf 1:a=1 1:b=2.5"},
      {"00c30b240361626361e015020162630a008e8791ca11001e28",
       "k string 36:abcabcabcabcabcabcabcabcabcabcabcabc"},
      {"0502017900000000000000400178000000000000f03f0a00923d6866813f7c49",
       "k zset/listpack 1:x=1 1:y=2"},
      {"04020162c0020161c0010a006684aa0d26dd4ab2", "k hash/listpack 1:b 1:2 1:a 1:1"},
  };
  for (const Case& c : cases) {
    std::string payload = Hex2Bin(c.hex);
    StatusOr<Entry*> e = RestorePayload(payload, "k", false, 0, RdbLimits());
    ASSERT_TRUE(e.ok()) << c.hex << ": " << e.status().message();
    EntryPtr owned(*e);
    // Hash pairs are sorted by Describe; restate the expectation in that order.
    std::string got = Describe(*owned);
    if (std::string(c.want).find("hash/listpack 1:b") != std::string::npos) {
      EXPECT_EQ(got, "k hash/listpack 1:a 1:1 1:b 1:2");
    } else if (std::string(c.want).find("hash/listpack 2:f1") != std::string::npos) {
      EXPECT_EQ(got, "k hash/listpack 2:f1 2:v1 2:f2 2:22");
    } else {
      EXPECT_EQ(got, c.want);
    }
  }
}

TEST(RdbValueTest, DumpRestoreRoundTripAndErrors) {
  EntryPtr e = Hash("h", {{"field", std::string(200, 'x')}});
  std::string payload = DumpPayload(*e, true);
  StatusOr<Entry*> got = RestorePayload(payload, "other", true, 5000, RdbLimits());
  ASSERT_TRUE(got.ok()) << got.status().message();
  EntryPtr owned(*got);
  EXPECT_EQ(owned->key(), "other");
  EXPECT_TRUE(owned->has_expire());
  EXPECT_EQ(owned->expire_ms(), 5000);

  const std::string kBadFooter = "ERR DUMP payload version or checksum are wrong";
  const std::string kBadData = "ERR Bad data format";
  auto restore_error = [](const std::string& p) {
    StatusOr<Entry*> r = RestorePayload(p, "k", false, 0, RdbLimits());
    if (r.ok()) {
      storage::FreeEntry(*r);
      return std::string("ok");
    }
    return r.status().message();
  };
  std::string bad = payload;
  bad[3] ^= 1;
  EXPECT_EQ(restore_error(bad), kBadFooter);
  EXPECT_EQ(restore_error("short"), kBadFooter);
  // Version 11 with a valid CRC.
  bad = payload;
  bad[bad.size() - 10] = 11;
  uint64_t crc = Crc64(0, bad.data(), bad.size() - 8);
  for (int i = 0; i < 8; i++) bad[bad.size() - 8 + i] = char(crc >> (8 * i));
  EXPECT_EQ(restore_error(bad), kBadFooter);
  // Older versions are fine.
  bad[bad.size() - 10] = 9;
  crc = Crc64(0, bad.data(), bad.size() - 8);
  for (int i = 0; i < 8; i++) bad[bad.size() - 8 + i] = char(crc >> (8 * i));
  EXPECT_EQ(restore_error(bad), "ok");

  // Valid footers around bad bodies.
  auto with_footer = [](std::string body) {
    body.push_back(char(kRdbVersion));
    body.push_back(0);
    uint64_t c = Crc64(0, body.data(), body.size());
    for (int i = 0; i < 8; i++) body.push_back(char(c >> (8 * i)));
    return body;
  };
  std::string body = payload.substr(0, payload.size() - 10);
  EXPECT_EQ(restore_error(with_footer(body)), "ok");
  EXPECT_EQ(restore_error(with_footer(body + "x")), kBadData);  // trailing byte
  EXPECT_EQ(restore_error(with_footer(body.substr(0, body.size() - 1))), kBadData);
  EXPECT_EQ(restore_error(with_footer(Bytes({kRdbTypeSet, 0}))), kBadData);  // empty
  EXPECT_EQ(restore_error(with_footer(Bytes({42}))), kBadData);
  EXPECT_EQ(restore_error(with_footer("")), kBadData);
  EXPECT_EQ(restore_error(with_footer(Bytes({kRdbTypeStreamListpacks2}))), kBadData);
}

}  // namespace
}  // namespace basalt::persistence
