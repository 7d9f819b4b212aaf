#include "persistence/digest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/entry.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/zset_type.h"

namespace basalt::persistence {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;

// Owns an Entry for the duration of a test.
struct EntryPtr {
  explicit EntryPtr(Entry* e) : e(e) {}
  EntryPtr(EntryPtr&& o) noexcept : e(std::exchange(o.e, nullptr)) {}
  EntryPtr(const EntryPtr&) = delete;
  ~EntryPtr() {
    if (e != nullptr) storage::FreeEntry(e);
  }
  const Entry& operator*() const { return *e; }
  Entry* e;
};

EntryPtr Str(std::string_view key, std::string_view value, bool try_int = true,
             int64_t expire = -1) {
  return EntryPtr(EntryBuilder::String(key, value, expire >= 0, expire, try_int));
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

EntryPtr Hash(std::string_view key, const Pairs& pairs, bool table) {
  auto h = std::make_unique<storage::HashObject>();
  storage::HashLimits limits;
  limits.max_listpack_value = 1024;
  for (const auto& [f, v] : pairs) h->Set(f, v, limits);
  if (table) h->ConvertToTable();
  EXPECT_EQ(h->is_listpack(), !table);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kHash, h.release(), false, 0));
}

EntryPtr Set(std::string_view key, const std::vector<std::string>& members, bool table) {
  auto s = std::make_unique<storage::SetObject>();
  for (const auto& m : members) s->Add(m, 512);
  if (table) s->ConvertToHashTable();
  EXPECT_EQ(s->is_intset(), !table);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kSet, s.release(), false, 0));
}

EntryPtr List(std::string_view key, const std::vector<std::string>& items, int64_t fill = -2) {
  auto l = std::make_unique<storage::ListObject>(fill);
  for (const auto& i : items) l->PushBack(i);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kList, l.release(), false, 0));
}

using Scores = std::vector<std::pair<std::string, double>>;

EntryPtr ZSet(std::string_view key, const Scores& items, bool skiplist) {
  auto z = std::make_unique<storage::ZSetObject>(skiplist);
  const storage::ZSetObject::Limits limits{128, 64};
  for (const auto& [m, s] : items) z->Add(m, s, 0, limits);
  EXPECT_EQ(z->is_listpack(), !skiplist);
  return EntryPtr(EntryBuilder::Object(key, ValueType::kZSet, z.release(), false, 0));
}

std::string V(const EntryPtr& e) { return DigestHex(DigestValue(*e)); }

TEST(DigestTest, HexShape) {
  Digest d{};
  EXPECT_EQ(DigestHex(d), std::string(40, '0'));
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 17);
  EXPECT_EQ(DigestHex(d), "00112233445566778899aabbccddeeff10213243");
  const std::string v = V(Str("k", "v"));
  EXPECT_EQ(v.size(), 40u);
  EXPECT_EQ(v.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(v, std::string(40, '0'));
}

TEST(DigestTest, StringsIgnoreEncoding) {
  auto as_int = Str("k", "12345");
  auto as_raw = Str("k", "12345", /*try_int=*/false);
  ASSERT_TRUE(as_int.e->IsInt());
  ASSERT_FALSE(as_raw.e->IsInt());
  EXPECT_EQ(V(as_int), V(as_raw));
  // Keys and expires are not part of a value digest.
  EXPECT_EQ(V(Str("k", "abc")), V(Str("other", "abc", true, 1000)));
  // Heap strings (after APPEND) digest as their text.
  auto heap = EntryPtr(EntryBuilder::HeapStr("k", storage::NewHeapString("12345", 64), false, 0));
  EXPECT_EQ(V(heap), V(as_int));
  const std::string long_value(1000, 'x');
  EXPECT_EQ(V(Str("k", long_value)), V(Str("k2", long_value)));
  EXPECT_NE(V(Str("k", "12345")), V(Str("k", "12346")));
  EXPECT_NE(V(Str("k", "")), V(Str("k", std::string(1, '\0'))));
}

TEST(DigestTest, HashesIgnoreOrderAndEncoding) {
  const Pairs pairs = {{"a", "1"}, {"b", "2"}, {"", ""}, {"long", std::string(200, 'z')}};
  Pairs reversed(pairs.rbegin(), pairs.rend());
  const std::string ref = V(Hash("h", pairs, false));
  EXPECT_EQ(V(Hash("h", reversed, false)), ref);
  EXPECT_EQ(V(Hash("h", pairs, true)), ref);
  EXPECT_EQ(V(Hash("h", reversed, true)), ref);

  Pairs changed = pairs;
  changed[3].second[100] = 'y';
  EXPECT_NE(V(Hash("h", changed, false)), ref);
  // A field and a value swapped, or moved between pairs.
  EXPECT_NE(V(Hash("h", {{"1", "a"}, {"b", "2"}, {"", ""}, pairs[3]}, false)), ref);
  EXPECT_NE(V(Hash("h", {{"a", "2"}, {"b", "1"}, {"", ""}, pairs[3]}, false)), ref);
  EXPECT_NE(V(Hash("h", {{"ab", ""}}, false)), V(Hash("h", {{"a", "b"}}, false)));
  // One pair more or less.
  EXPECT_NE(V(Hash("h", Pairs(pairs.begin(), pairs.end() - 1), false)), ref);
}

TEST(DigestTest, SetsIgnoreOrderAndEncoding) {
  const std::vector<std::string> ints = {"3", "-7", "100000", "1"};
  std::vector<std::string> shuffled = ints;
  std::reverse(shuffled.begin(), shuffled.end());
  const std::string ref = V(Set("s", ints, false));  // intset
  EXPECT_EQ(V(Set("s", shuffled, true)), ref);       // hashtable
  EXPECT_NE(V(Set("s", {"3", "-7", "100000", "2"}, false)), ref);
  EXPECT_NE(V(Set("s", {"3", "-7", "100000"}, false)), ref);

  std::vector<std::string> words;
  for (int i = 0; i < 300; ++i) words.push_back("member:" + std::to_string(i));
  std::vector<std::string> mixed = words;
  std::shuffle(mixed.begin(), mixed.end(), std::mt19937(7));
  EXPECT_EQ(V(Set("s", words, true)), V(Set("s", mixed, true)));
}

TEST(DigestTest, ListsAreOrdered) {
  std::vector<std::string> items;
  for (int i = 0; i < 500; ++i) items.push_back(std::string(size_t(i % 37), char('a' + i % 26)));
  const std::string ref = V(List("l", items));
  // The node layout does not matter.
  EXPECT_EQ(V(List("l", items, 1)), ref);
  EXPECT_EQ(V(List("l", items, -5)), ref);
  auto swapped = items;
  std::swap(swapped[10], swapped[11]);
  EXPECT_NE(V(List("l", swapped)), ref);
  EXPECT_NE(V(List("l", {"ab", "c"})), V(List("l", {"a", "bc"})));
  EXPECT_NE(V(List("l", {"a", "b"})), V(List("l", {"b", "a"})));
}

TEST(DigestTest, SortedSetsAreMemberToScore) {
  const Scores items = {{"a", 1.5}, {"b", -2}, {"c", 1e300}, {"d", 0}};
  Scores reversed(items.rbegin(), items.rend());
  const std::string ref = V(ZSet("z", items, false));
  EXPECT_EQ(V(ZSet("z", reversed, false)), ref);
  EXPECT_EQ(V(ZSet("z", items, true)), ref);
  // -0 and 0 are one score (the listpack cannot store -0).
  EXPECT_EQ(V(ZSet("z", {{"a", 1.5}, {"b", -2}, {"c", 1e300}, {"d", -0.0}}, true)), ref);
  EXPECT_NE(V(ZSet("z", {{"a", 1.5}, {"b", -2}, {"c", 1e300}, {"d", 1e-300}}, false)), ref);
  EXPECT_NE(V(ZSet("z", {{"a", -2}, {"b", 1.5}, {"c", 1e300}, {"d", 0}}, false)), ref);
}

TEST(DigestTest, TypesAreTagged) {
  const std::set<std::string> digests = {
      V(Str("k", "a")),
      V(List("k", {"a"})),
      V(Set("k", {"a"}, true)),
      V(Hash("k", {{"a", ""}}, false)),
      V(ZSet("k", {{"a", 0}}, false)),
  };
  EXPECT_EQ(digests.size(), 5u);
}

// A small dataset: (db, entry) pairs built fresh for each use.
std::vector<std::pair<int, EntryPtr>> Dataset(bool alternative_encodings) {
  const bool alt = alternative_encodings;
  std::vector<std::pair<int, EntryPtr>> d;
  d.emplace_back(0, Str("s", "7", !alt));
  d.emplace_back(0, Str("ttl", "v", true, 1700000000123));
  d.emplace_back(0, Hash("h", {{"f", "v"}, {"g", "w"}}, alt));
  d.emplace_back(1, Set("s", {"1", "2"}, alt));
  d.emplace_back(1, List("l", {"x", "y", "z"}, alt ? 1 : -2));
  d.emplace_back(9, ZSet("z", {{"m", 3}, {"n", 4}}, alt));
  return d;
}

std::string DatasetHex(const std::vector<std::pair<int, EntryPtr>>& d,
                       const std::vector<size_t>& order) {
  DatasetDigest digest;
  for (size_t i : order) digest.Add(d[i].first, *d[i].second);
  return digest.Hex();
}

TEST(DigestTest, DatasetIgnoresOrderAndEncoding) {
  EXPECT_EQ(DatasetDigest().Hex(), std::string(40, '0'));
  EXPECT_EQ(DatasetDigest().keys(), 0u);
  const auto a = Dataset(false);
  const auto b = Dataset(true);
  const std::string ref = DatasetHex(a, {0, 1, 2, 3, 4, 5});
  EXPECT_NE(ref, std::string(40, '0'));
  EXPECT_EQ(DatasetHex(a, {5, 4, 3, 2, 1, 0}), ref);
  EXPECT_EQ(DatasetHex(b, {3, 0, 5, 1, 4, 2}), ref);
  // Merging per-shard digests gives the same as adding everything to one.
  DatasetDigest shard1, shard2;
  for (size_t i : {0, 2, 4}) shard1.Add(a[i].first, *a[i].second);
  for (size_t i : {1, 3, 5}) shard2.Add(a[i].first, *a[i].second);
  shard1.Merge(shard2);
  EXPECT_EQ(shard1.Hex(), ref);
  EXPECT_EQ(shard1.keys(), 6u);
  // A key missing changes it.
  EXPECT_NE(DatasetHex(a, {0, 1, 2, 3, 4}), ref);
}

TEST(DigestTest, DatasetSeesEveryChange) {
  const auto a = Dataset(false);
  auto with = [&](size_t replace, int db, EntryPtr e) {
    DatasetDigest d;
    for (size_t i = 0; i < a.size(); ++i) {
      if (i == replace) {
        d.Add(db, *e);
      } else {
        d.Add(a[i].first, *a[i].second);
      }
    }
    return d.Hex();
  };
  const std::string ref = DatasetHex(a, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(with(0, 0, Str("s", "7")), ref);
  EXPECT_NE(with(0, 0, Str("s", "8")), ref);           // value
  EXPECT_NE(with(0, 2, Str("s", "7")), ref);           // db
  EXPECT_NE(with(0, 0, Str("t", "7")), ref);           // key
  EXPECT_NE(with(0, 0, Str("s", "7", true, 5)), ref);  // expire added
  EXPECT_EQ(with(1, 0, Str("ttl", "v", true, 1700000000123)), ref);
  EXPECT_NE(with(1, 0, Str("ttl", "v", true, 1700000000124)), ref);      // expire moved
  EXPECT_NE(with(1, 0, Str("ttl", "v")), ref);                           // expire removed
  EXPECT_NE(with(4, 1, List("l", {"x", "z", "y"})), ref);                // list order
  EXPECT_NE(with(5, 9, ZSet("z", {{"m", 3}, {"n", 4.5}}, false)), ref);  // score
  EXPECT_NE(with(2, 0, Hash("h", {{"f", "v"}, {"g", "W"}}, false)), ref);
  EXPECT_NE(with(3, 1, Set("s", {"1", "3"}, false)), ref);
}

}  // namespace
}  // namespace basalt::persistence
