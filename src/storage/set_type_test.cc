#include "storage/set_type.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace basalt::storage {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(IntSetTest, KeepsSortedAndDistinct) {
  IntSet s;
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.width(), 2);
  for (int64_t v : {5, -3, 100, 0, 5, 7, -3}) s.Insert(v);
  ASSERT_EQ(s.size(), 5u);
  std::vector<int64_t> got;
  for (size_t i = 0; i < s.size(); i++) got.push_back(s.Get(i));
  EXPECT_EQ(got, (std::vector<int64_t>{-3, 0, 5, 7, 100}));
  EXPECT_FALSE(s.Insert(7));
  EXPECT_TRUE(s.Contains(0));
  EXPECT_FALSE(s.Contains(1));
  EXPECT_TRUE(s.Erase(0));
  EXPECT_FALSE(s.Erase(0));
  EXPECT_FALSE(s.Contains(0));
  EXPECT_EQ(s.size(), 4u);
}

TEST(IntSetTest, WidensAsRedisDoes) {
  IntSet s;
  s.Insert(1);
  s.Insert(32767);
  s.Insert(-32768);
  EXPECT_EQ(s.width(), 2);
  s.Insert(32768);  // past int16: widened, appended last
  EXPECT_EQ(s.width(), 4);
  EXPECT_EQ(s.Get(s.size() - 1), 32768);
  s.Insert(-2147483649LL);  // past int32: widened, put first
  EXPECT_EQ(s.width(), 8);
  EXPECT_EQ(s.Get(0), -2147483649LL);
  s.Insert(INT64_MAX);
  s.Insert(INT64_MIN);
  std::vector<int64_t> got;
  for (size_t i = 0; i < s.size(); i++) got.push_back(s.Get(i));
  EXPECT_EQ(got,
            (std::vector<int64_t>{INT64_MIN, -2147483649LL, -32768, 1, 32767, 32768, INT64_MAX}));
  // The width never shrinks; values outside a narrower width are still found.
  s.Erase(INT64_MIN);
  s.Erase(INT64_MAX);
  s.Erase(-2147483649LL);
  EXPECT_EQ(s.width(), 8);
  EXPECT_TRUE(s.Contains(32768));
  // Values wider than the current width are never members.
  IntSet small;
  small.Insert(3);
  EXPECT_FALSE(small.Contains(1LL << 40));
  EXPECT_FALSE(small.Erase(1LL << 40));
}

TEST(IntSetTest, RandomOpsMatchStdSet) {
  std::mt19937_64 rng(42);
  IntSet s;
  std::set<int64_t> ref;
  for (int i = 0; i < 20000; i++) {
    int64_t v;
    switch (rng() % 3) {
      case 0:
        v = int64_t(rng() % 200) - 100;
        break;
      case 1:
        v = int64_t(rng() % 200000) - 100000;
        break;
      default:
        v = int64_t(rng());
    }
    if (rng() % 3 == 0) {
      EXPECT_EQ(s.Erase(v), ref.erase(v) == 1);
    } else {
      EXPECT_EQ(s.Insert(v), ref.insert(v).second);
    }
  }
  ASSERT_EQ(s.size(), ref.size());
  size_t i = 0;
  for (int64_t v : ref) EXPECT_EQ(s.Get(i++), v);
}

TEST(SetMemberTableTest, InsertEraseAcrossResizes) {
  SetMemberTable t;
  std::set<std::string> ref;
  for (int i = 0; i < 5000; i++) {
    std::string m = "m" + std::to_string(i);
    EXPECT_TRUE(t.Insert(m));
    ref.insert(m);
  }
  EXPECT_FALSE(t.Insert("m17"));
  EXPECT_EQ(t.size(), 5000u);
  for (int i = 0; i < 5000; i += 2) EXPECT_TRUE(t.Erase("m" + std::to_string(i)));
  EXPECT_FALSE(t.Erase("m0"));
  EXPECT_FALSE(t.Erase("absent"));
  for (int i = 0; i < 5000; i++) {
    EXPECT_EQ(t.Contains("m" + std::to_string(i)), i % 2 == 1);
  }
  // Shrink down to a handful, then grow again: contents must survive.
  for (int i = 1; i < 4990; i += 2) EXPECT_TRUE(t.Erase("m" + std::to_string(i)));
  EXPECT_EQ(t.size(), 5u);
  std::vector<std::string> all;
  t.ForEach([&](std::string_view m) {
    all.emplace_back(m);
    return true;
  });
  EXPECT_EQ(Sorted(all), (std::vector<std::string>{"m4991", "m4993", "m4995", "m4997", "m4999"}));
  EXPECT_TRUE(t.Insert(std::string("bin\0ary", 7)));
  EXPECT_TRUE(t.Contains(std::string("bin\0ary", 7)));
  EXPECT_FALSE(t.Contains("bin"));
  EXPECT_TRUE(t.Insert(""));
  EXPECT_TRUE(t.Contains(""));
}

// Every member present for the whole scan is returned, even when the table
// grows or shrinks between steps.
TEST(SetMemberTableTest, ScanSurvivesResizes) {
  for (int mode = 0; mode < 2; mode++) {
    SetMemberTable t;
    for (int i = 0; i < 1000; i++) t.Insert("k" + std::to_string(i));
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int step = 0;
    do {
      cursor = t.Scan(cursor, [&](std::string_view m) { seen.emplace(m); });
      step++;
      if (mode == 0 && step % 3 == 0 && step < 60) {
        for (int j = 0; j < 200; j++) t.Insert("extra" + std::to_string(step * 1000 + j));
      }
      if (mode == 1 && step == 5) {
        for (int j = 100; j < 1000; j++) t.Erase("k" + std::to_string(j));
      }
    } while (cursor != 0);
    int limit = mode == 0 ? 1000 : 100;
    for (int i = 0; i < limit; i++) {
      EXPECT_TRUE(seen.count("k" + std::to_string(i))) << "mode " << mode << " k" << i;
    }
  }
}

TEST(SetMemberTableTest, RandomReturnsMembers) {
  SetMemberTable t;
  for (int i = 0; i < 100; i++) t.Insert("r" + std::to_string(i));
  std::set<std::string> seen;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; i++) {
    std::string m(t.Random(rng()));
    EXPECT_TRUE(t.Contains(m));
    seen.insert(m);
  }
  EXPECT_EQ(seen.size(), 100u);  // every member drawn at some point
}

TEST(SetObjectTest, IntsetUntilNonIntegerOrThreshold) {
  SetObject s;
  EXPECT_STREQ(s.EncodingName(), "intset");
  EXPECT_TRUE(s.Add("3", 4));
  EXPECT_TRUE(s.Add("1", 4));
  EXPECT_TRUE(s.Add("-2", 4));
  EXPECT_FALSE(s.Add("1", 4));
  EXPECT_TRUE(s.Add("9223372036854775807", 4));
  EXPECT_STREQ(s.EncodingName(), "intset");
  EXPECT_EQ(s.Members(), (std::vector<std::string>{"-2", "1", "3", "9223372036854775807"}));
  EXPECT_TRUE(s.Add("5", 4));  // the 5th member crosses the threshold
  EXPECT_STREQ(s.EncodingName(), "hashtable");
  EXPECT_EQ(s.Size(), 5u);
  EXPECT_TRUE(s.Contains("5"));
  EXPECT_TRUE(s.Contains("-2"));
  // Removals never convert back.
  s.Remove("5");
  s.Remove("3");
  EXPECT_STREQ(s.EncodingName(), "hashtable");

  for (const char* m : {"a", "01", "+1", "-0", " 1", "1 ", "9223372036854775808", ""}) {
    SetObject t;
    t.Add("1", 512);
    EXPECT_TRUE(t.Add(m, 512)) << m;
    EXPECT_STREQ(t.EncodingName(), "hashtable") << m;
    EXPECT_TRUE(t.Contains(m));
    EXPECT_TRUE(t.Contains("1"));
  }
  SetObject zero;
  zero.Add("1", 0);  // set-max-intset-entries 0: a hashtable from the start
  EXPECT_STREQ(zero.EncodingName(), "hashtable");
}

TEST(SetObjectTest, NonCanonicalIntegersAreNotIntsetMembers) {
  SetObject s;
  s.Add("10", 512);
  EXPECT_FALSE(s.Contains("010"));
  EXPECT_FALSE(s.Contains("+10"));
  EXPECT_FALSE(s.Remove("010"));
  EXPECT_TRUE(s.Contains("10"));
}

TEST(SetObjectTest, CloneIsDeep) {
  SetObject a;
  a.Add("1", 512);
  a.Add("2", 512);
  auto b = a.Clone();
  a.Add("x", 512);
  auto* bs = static_cast<SetObject*>(b.get());
  EXPECT_STREQ(bs->EncodingName(), "intset");
  EXPECT_EQ(bs->Size(), 2u);
  auto c = a.Clone();
  a.Remove("x");
  auto* cs = static_cast<SetObject*>(c.get());
  EXPECT_STREQ(cs->EncodingName(), "hashtable");
  EXPECT_EQ(Sorted(cs->Members()), (std::vector<std::string>{"1", "2", "x"}));
  EXPECT_GT(cs->MemoryUsage(), sizeof(SetObject));
}

TEST(SetObjectTest, PopRandomEmptiesTheSet) {
  for (const char* extra : {"", "str"}) {
    SetObject s;
    std::set<std::string> ref;
    for (int i = 0; i < 300; i++) {
      s.Add(std::to_string(i), 512);
      ref.insert(std::to_string(i));
    }
    if (*extra) {
      s.Add(extra, 512);
      ref.insert(extra);
    }
    std::mt19937_64 rng(1);
    std::set<std::string> popped;
    while (s.Size() > 0) {
      char buf[kSetIntBufSize];
      std::string r(s.RandomMember(rng(), buf));
      EXPECT_TRUE(s.Contains(r));
      popped.insert(s.PopRandom(rng()));
    }
    EXPECT_EQ(popped, ref);
  }
}

TEST(SetObjectTest, ScanIntsetWholeHashtableByCursor) {
  SetObject s;
  for (int i = 0; i < 10; i++) s.Add(std::to_string(i), 512);
  std::vector<std::string> got;
  EXPECT_EQ(s.Scan(12345, 1, [&](std::string_view m) { got.emplace_back(m); }), 0u);
  EXPECT_EQ(got.size(), 10u);

  SetObject h;
  for (int i = 0; i < 1000; i++) h.Add("m" + std::to_string(i), 512);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    cursor = h.Scan(cursor, 10, [&](std::string_view m) { seen.emplace(m); });
    calls++;
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_GT(calls, 10);
}

}  // namespace
}  // namespace basalt::storage
