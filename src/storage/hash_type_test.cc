#include "storage/hash_type.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace basalt::storage {
namespace {

using Map = std::map<std::string, std::string>;

Map Contents(const HashObject& h) {
  Map m;
  h.ForEach([&m](std::string_view f, std::string_view v) {
    EXPECT_TRUE(m.emplace(std::string(f), std::string(v)).second) << "duplicate field " << f;
  });
  return m;
}

std::vector<std::string> FieldOrder(const HashObject& h) {
  std::vector<std::string> out;
  h.ForEach([&out](std::string_view f, std::string_view) { out.emplace_back(f); });
  return out;
}

HashLimits Lim(size_t entries, size_t value) {
  HashLimits l;
  l.max_listpack_entries = entries;
  l.max_listpack_value = value;
  return l;
}

TEST(HashObjectTest, ListpackBasics) {
  HashObject h;
  HashLimits l = Lim(128, 64);
  EXPECT_STREQ(h.EncodingName(), "listpack");
  EXPECT_EQ(h.Size(), 0u);
  EXPECT_FALSE(h.Get("a"));
  EXPECT_TRUE(h.Set("a", "1", l));
  EXPECT_TRUE(h.Set("b", "2", l));
  EXPECT_TRUE(h.Set("", "", l));
  EXPECT_FALSE(h.Set("a", "one", l));  // grows in place
  EXPECT_FALSE(h.Set("b", "", l));     // shrinks in place
  EXPECT_EQ(h.Size(), 3u);
  EXPECT_EQ(*h.Get("a"), "one");
  EXPECT_EQ(*h.Get("b"), "");
  EXPECT_EQ(*h.Get(""), "");
  EXPECT_TRUE(h.Contains(""));
  EXPECT_FALSE(h.Contains("c"));
  // Insertion order is kept, updates do not move a field.
  EXPECT_EQ(FieldOrder(h), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_TRUE(h.Delete("b"));
  EXPECT_FALSE(h.Delete("b"));
  EXPECT_EQ(FieldOrder(h), (std::vector<std::string>{"a", ""}));
  EXPECT_STREQ(h.EncodingName(), "listpack");
}

TEST(HashObjectTest, BinarySafeAndLongLengths) {
  HashObject h;
  HashLimits l = Lim(128, 100000);
  std::string f("k\0\r\n", 4);
  std::string big(300, 'x');  // needs a two-byte length prefix
  std::string huge(20000, 'y');
  EXPECT_TRUE(h.Set(f, big, l));
  EXPECT_TRUE(h.Set(big, huge, l));
  EXPECT_TRUE(h.Set("z", "1", l));
  EXPECT_STREQ(h.EncodingName(), "listpack");
  EXPECT_EQ(*h.Get(f), big);
  EXPECT_EQ(*h.Get(big), huge);
  EXPECT_FALSE(h.Set(big, "s", l));  // prefix shrinks from 3 bytes to 1
  EXPECT_EQ(*h.Get(big), "s");
  EXPECT_EQ(*h.Get("z"), "1");
  EXPECT_FALSE(h.Set(f, huge, l));
  EXPECT_EQ(*h.Get(f), huge);
  EXPECT_EQ(FieldOrder(h), (std::vector<std::string>{f, big, "z"}));
}

TEST(HashObjectTest, ConvertsOnLongValueOrField) {
  HashLimits l = Lim(128, 4);
  HashObject a;
  EXPECT_TRUE(a.Set("f", "1234", l));  // exactly the limit: still listpack
  EXPECT_TRUE(a.Set("1234", "v", l));
  EXPECT_STREQ(a.EncodingName(), "listpack");
  EXPECT_TRUE(a.Set("g", "12345", l));
  EXPECT_STREQ(a.EncodingName(), "hashtable");
  EXPECT_EQ(Contents(a), (Map{{"f", "1234"}, {"1234", "v"}, {"g", "12345"}}));

  HashObject b;
  b.Set("f", "v", l);
  EXPECT_TRUE(b.Set("12345", "v", l));
  EXPECT_STREQ(b.EncodingName(), "hashtable");

  // Overwriting an existing field with a long value converts too.
  HashObject c;
  c.Set("f", "v", l);
  EXPECT_FALSE(c.Set("f", "123456", l));
  EXPECT_STREQ(c.EncodingName(), "hashtable");
  EXPECT_EQ(*c.Get("f"), "123456");
}

TEST(HashObjectTest, ConvertsPastEntryLimitAndStays) {
  HashLimits l = Lim(3, 64);
  HashObject h;
  h.Set("a", "1", l);
  h.Set("b", "2", l);
  h.Set("c", "3", l);
  EXPECT_STREQ(h.EncodingName(), "listpack");
  EXPECT_FALSE(h.Set("c", "33", l));  // updates do not count
  EXPECT_STREQ(h.EncodingName(), "listpack");
  EXPECT_TRUE(h.Set("d", "4", l));
  EXPECT_STREQ(h.EncodingName(), "hashtable");
  EXPECT_EQ(Contents(h), (Map{{"a", "1"}, {"b", "2"}, {"c", "33"}, {"d", "4"}}));
  EXPECT_TRUE(h.Delete("a"));
  EXPECT_TRUE(h.Delete("b"));
  EXPECT_TRUE(h.Delete("c"));
  EXPECT_STREQ(h.EncodingName(), "hashtable");  // one-way, as Redis

  HashObject zero;
  zero.Set("a", "1", Lim(0, 64));
  EXPECT_STREQ(zero.EncodingName(), "hashtable");
}

TEST(HashObjectTest, CloneIsDeep) {
  for (size_t entries : {size_t(128), size_t(2)}) {
    HashLimits l = Lim(entries, 64);
    HashObject h;
    for (int i = 0; i < 10; i++) h.Set("f" + std::to_string(i), "v" + std::to_string(i), l);
    auto c = h.Clone();
    auto* hc = static_cast<HashObject*>(c.get());
    EXPECT_STREQ(hc->EncodingName(), h.EncodingName());
    EXPECT_EQ(Contents(*hc), Contents(h));
    h.Set("f0", "changed", l);
    h.Delete("f1");
    EXPECT_EQ(*hc->Get("f0"), "v0");
    EXPECT_EQ(*hc->Get("f1"), "v1");
    EXPECT_EQ(hc->Size(), 10u);
  }
}

TEST(HashObjectTest, MemoryUsageTracksContents) {
  HashLimits l = Lim(8, 64);
  HashObject h;
  size_t empty = h.MemoryUsage();
  for (int i = 0; i < 8; i++) h.Set("field" + std::to_string(i), std::string(40, 'v'), l);
  size_t small = h.MemoryUsage();
  EXPECT_GT(small, empty + 8 * 40);
  for (int i = 8; i < 1000; i++) h.Set("field" + std::to_string(i), std::string(40, 'v'), l);
  size_t big = h.MemoryUsage();
  EXPECT_GT(big, 1000u * 40);
  for (int i = 0; i < 990; i++) h.Delete("field" + std::to_string(i));
  EXPECT_LT(h.MemoryUsage(), big / 10);
}

// Random operations against std::map, on both encodings.
TEST(HashObjectTest, RandomizedAgainstMap) {
  for (size_t entries : {size_t(16), size_t(100000)}) {
    std::mt19937_64 rng(entries);
    HashLimits l = Lim(entries, 64);
    HashObject h;
    Map ref;
    for (int op = 0; op < 20000; op++) {
      std::string f = "f" + std::to_string(rng() % 300);
      switch (rng() % 4) {
        case 0:
        case 1: {
          std::string v(rng() % 20, char('a' + rng() % 26));
          bool added = ref.find(f) == ref.end();
          ref[f] = v;
          ASSERT_EQ(h.Set(f, v, l), added);
          break;
        }
        case 2:
          ASSERT_EQ(h.Delete(f), ref.erase(f) == 1);
          break;
        case 3: {
          auto v = h.Get(f);
          auto it = ref.find(f);
          ASSERT_EQ(v.has_value(), it != ref.end());
          if (v) {
            ASSERT_EQ(*v, it->second);
          }
          break;
        }
      }
      ASSERT_EQ(h.Size(), ref.size());
    }
    EXPECT_EQ(Contents(h), ref);
  }
}

TEST(FieldTableTest, GrowsAndShrinksIncrementally) {
  FieldTable t;
  for (int i = 0; i < 5000; i++) ASSERT_TRUE(t.Set("k" + std::to_string(i), std::to_string(i)));
  EXPECT_EQ(t.size(), 5000u);
  EXPECT_LE(t.bucket_count(), 4 * 8192u);
  for (int i = 0; i < 5000; i++) ASSERT_EQ(*t.Get("k" + std::to_string(i)), std::to_string(i));
  for (int i = 0; i < 4990; i++) ASSERT_TRUE(t.Delete("k" + std::to_string(i)));
  while (t.RehashSteps(100)) {
  }
  EXPECT_EQ(t.size(), 10u);
  EXPECT_LE(t.bucket_count(), 128u);
  for (int i = 4990; i < 5000; i++) ASSERT_EQ(*t.Get("k" + std::to_string(i)), std::to_string(i));
}

// Every field present for the whole scan is returned at least once, while the
// table grows and shrinks between scan calls.
TEST(FieldTableTest, ScanSurvivesResizes) {
  for (int mode = 0; mode < 3; mode++) {
    FieldTable t;
    for (int i = 0; i < 1000; i++) t.Set("stable" + std::to_string(i), "v");
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int step = 0;
    int extra = 0;
    do {
      cursor = t.Scan(cursor, [&](std::string_view f, std::string_view) { seen.emplace(f); });
      step++;
      if (mode == 0 && step % 3 == 0 && extra < 5000) {
        for (int i = 0; i < 50; i++) t.Set("grow" + std::to_string(extra++), "v");
      } else if (mode == 1 && step == 5) {
        for (int i = 0; i < 20000; i++) t.Set("grow" + std::to_string(extra++), "v");
      } else if (mode == 2 && step == 1) {
        for (int i = 0; i < 20000; i++) t.Set("tmp" + std::to_string(i), "v");
      } else if (mode == 2 && step == 40) {
        for (int i = 0; i < 20000; i++) t.Delete("tmp" + std::to_string(i));
      }
    } while (cursor != 0);
    for (int i = 0; i < 1000; i++) {
      ASSERT_TRUE(seen.count("stable" + std::to_string(i))) << "mode " << mode << " i " << i;
    }
  }
}

// Every field is about equally likely, whatever the length of its chain.
TEST(FieldTableTest, RandomIsUniform) {
  for (int n : {1000, 1500}) {  // load factors near 1 and near 3/4
    FieldTable t;
    for (int i = 0; i < n; i++) t.Set("f" + std::to_string(i), "v");
    while (t.RehashSteps(100)) {
    }
    std::map<std::string, int> hits;
    const int kDraws = 100 * n;
    for (int i = 0; i < kDraws; i++) hits[std::string(t.Random(uint64_t(i) * 7919 + 1).first)]++;
    ASSERT_EQ(hits.size(), size_t(n));
    for (const auto& [f, c] : hits) {
      ASSERT_GT(c, 45) << f;  // expected 100, standard deviation 10
      ASSERT_LT(c, 160) << f;
    }
  }
}

TEST(FieldTableTest, ScanOfEmptyTable) {
  FieldTable t;
  int n = 0;
  EXPECT_EQ(t.Scan(0, [&](std::string_view, std::string_view) { n++; }), 0u);
  EXPECT_EQ(n, 0);
}

TEST(HashObjectTest, ScanListpackReturnsAllWithCursorZero) {
  HashObject h;
  HashLimits l = Lim(128, 64);
  for (int i = 0; i < 50; i++) h.Set("f" + std::to_string(i), "v", l);
  int n = 0;
  EXPECT_EQ(h.Scan(12345, 1, [&](std::string_view, std::string_view) { n++; }), 0u);
  EXPECT_EQ(n, 50);
}

TEST(HashObjectTest, ScanHashtableHonoursCount) {
  HashObject h;
  HashLimits l = Lim(4, 64);
  for (int i = 0; i < 1000; i++) h.Set("f" + std::to_string(i), "v", l);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    size_t before = seen.size();
    cursor = h.Scan(cursor, 10, [&](std::string_view f, std::string_view) { seen.emplace(f); });
    calls++;
    EXPECT_LT(seen.size() - before, 40u);  // a few buckets per call, not everything
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_GT(calls, 20);
}

TEST(HashObjectTest, RandomPairs) {
  for (size_t entries : {size_t(128), size_t(4)}) {
    HashLimits l = Lim(entries, 64);
    HashObject h;
    Map ref;
    for (int i = 0; i < 60; i++) {
      std::string f = "f" + std::to_string(i), v = "v" + std::to_string(i);
      h.Set(f, v, l);
      ref[f] = v;
    }
    for (uint64_t count : {1, 5, 19, 20, 21, 59, 60, 61, 1000}) {
      std::vector<std::string> got;
      h.RandomPairs(count, true, count * 7919, [&](std::string_view f, std::string_view v) {
        ASSERT_EQ(ref.at(std::string(f)), v);
        got.emplace_back(f);
      });
      EXPECT_EQ(got.size(), std::min<uint64_t>(count, 60));
      EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
    }
    // count >= size returns everything in iteration order.
    std::vector<std::string> all;
    h.RandomPairs(60, true, 1, [&](std::string_view f, std::string_view) { all.emplace_back(f); });
    EXPECT_EQ(all, FieldOrder(h));
    // Repeats allowed: exactly count pairs, and with enough draws most fields show up.
    std::set<std::string> distinct;
    size_t n = 0;
    h.RandomPairs(3000, false, 42, [&](std::string_view f, std::string_view v) {
      ASSERT_EQ(ref.at(std::string(f)), v);
      distinct.emplace(f);
      n++;
    });
    EXPECT_EQ(n, 3000u);
    EXPECT_GT(distinct.size(), 50u);
  }
}

}  // namespace
}  // namespace basalt::storage
