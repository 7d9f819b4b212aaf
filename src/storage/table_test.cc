#include "storage/table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/hash.h"
#include "storage/keyspace.h"

namespace basalt::storage {
namespace {

Entry* Make(const std::string& k, const std::string& v) {
  return EntryBuilder::String(k, v, false, 0);
}

TEST(EntryTest, EncodingsAndLayout) {
  char buf[32];
  Entry* a = Make("k", "12345");
  EXPECT_EQ(a->encoding(), Encoding::kInt);
  EXPECT_EQ(a->StringValue(buf), "12345");
  Entry* b = Make("key", std::string(44, 'x'));
  EXPECT_EQ(b->encoding(), Encoding::kEmbStr);
  Entry* c = Make("key", std::string(45, 'x'));
  EXPECT_EQ(c->encoding(), Encoding::kRawInline);
  EXPECT_EQ(c->StringValue(buf).size(), 45u);
  Entry* d = EntryBuilder::String("kk", "007", true, 123456789);
  EXPECT_EQ(d->encoding(), Encoding::kEmbStr);
  EXPECT_EQ(d->expire_ms(), 123456789);
  EXPECT_EQ(d->key(), "kk");
  Entry* e = EntryBuilder::WithExpire(d, false, 0);
  EXPECT_FALSE(e->has_expire());
  EXPECT_EQ(e->StringValue(buf), "007");
  for (Entry* x : {a, b, c, d, e}) FreeEntry(x);
}

TEST(TableTest, InsertFindDeleteAcrossResizes) {
  Table t;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; i++) {
    std::string k = "key:" + std::to_string(i);
    ASSERT_EQ(t.Find(k, HashKey(k)), nullptr);
    t.Insert(Make(k, "v"), HashKey(k));
  }
  EXPECT_EQ(t.size(), size_t(kN));
  for (int i = 0; i < kN; i += 2) {
    std::string k = "key:" + std::to_string(i);
    Entry** l = t.FindLink(k, HashKey(k));
    ASSERT_NE(l, nullptr);
    FreeEntry(t.Unlink(l));
  }
  for (int i = 0; i < kN; i++) {
    std::string k = "key:" + std::to_string(i);
    EXPECT_EQ(t.Find(k, HashKey(k)) != nullptr, i % 2 == 1) << k;
  }
  t.MaybeShrink();
  while (t.RehashSteps(100)) {
  }
  EXPECT_EQ(t.size(), size_t(kN / 2));
}

// A key present for the whole scan is returned at least once, even when the
// table grows and shrinks between SCAN calls.
TEST(TableTest, ScanSurvivesResizes) {
  Table t;
  std::set<std::string> stable;
  for (int i = 0; i < 1000; i++) {
    std::string k = "s" + std::to_string(i);
    stable.insert(k);
    t.Insert(Make(k, "v"), HashKey(k));
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int round = 0;
  do {
    cursor = t.Scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow with extra keys, then later delete them to trigger a shrink.
    if (round < 20) {
      for (int j = 0; j < 500; j++) {
        std::string k = "x" + std::to_string(round * 500 + j);
        t.Insert(Make(k, "v"), HashKey(k));
      }
    } else if (round == 20) {
      for (int j = 0; j < 20 * 500; j++) {
        std::string k = "x" + std::to_string(j);
        Entry** l = t.FindLink(k, HashKey(k));
        if (l) FreeEntry(t.Unlink(l));
      }
      t.MaybeShrink();
    }
    round++;
  } while (cursor != 0);
  for (const auto& k : stable) EXPECT_TRUE(seen.count(k)) << k;
}

TEST(ShardTest, TtlIndexFollowsEntries) {
  Shard s(0, 0);
  std::lock_guard<std::mutex> lock(s.mu);
  for (int i = 0; i < 100; i++) {
    std::string k = "k" + std::to_string(i);
    s.Add(EntryBuilder::String(k, "v", i % 2 == 0, 1), HashKey(k));  // expired long ago
  }
  EXPECT_EQ(s.ttl_count(), 50u);
  Shard::SetExpiryEnabled(true);
  int expired = 0;
  for (int round = 0; round < 100 && s.ttl_count() > 0; round++) {
    expired += s.ActiveExpireSample(20, 1000).second;
  }
  EXPECT_EQ(expired, 50);
  EXPECT_EQ(s.approx_size(), 50u);
  EXPECT_EQ(s.Find("k0", HashKey("k0")), nullptr);
  EXPECT_NE(s.Find("k1", HashKey("k1")), nullptr);
}

}  // namespace
}  // namespace basalt::storage
