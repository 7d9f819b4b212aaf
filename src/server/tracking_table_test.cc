// TrackingTable alone: remembering, taking, clearing, picking keys for
// eviction, and its totals under concurrent use.
#include "server/tracking_table.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace basalt::server {
namespace {

TEST(TrackingTableTest, RememberAndTake) {
  TrackingTable t;
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.Remember("k", 1));
  EXPECT_FALSE(t.Remember("k", 1));  // same pair
  EXPECT_TRUE(t.Remember("k", 2));
  EXPECT_TRUE(t.Remember("other", 1));
  EXPECT_EQ(t.keys(), 2);
  EXPECT_EQ(t.items(), 3);
  std::vector<uint64_t> ids = t.Take("k");
  EXPECT_EQ(std::set<uint64_t>(ids.begin(), ids.end()), (std::set<uint64_t>{1, 2}));
  EXPECT_TRUE(t.Take("k").empty());  // forgotten after one invalidation
  EXPECT_EQ(t.keys(), 1);
  EXPECT_EQ(t.items(), 1);
  t.Clear();
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.items(), 0);
  EXPECT_FALSE(t.PickKey(7).has_value());
}

TEST(TrackingTableTest, PickKeyFindsEveryKeyEventually) {
  TrackingTable t;
  for (int i = 0; i < 50; i++) t.Remember("key:" + std::to_string(i), 1);
  std::set<std::string> seen;
  uint64_t rnd = 12345;
  while (!t.empty()) {
    rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    auto k = t.PickKey(rnd);
    ASSERT_TRUE(k.has_value());
    EXPECT_TRUE(seen.insert(*k).second);
    EXPECT_EQ(t.Take(*k).size(), 1u);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(TrackingTableTest, ConcurrentWritersKeepTotals) {
  TrackingTable t;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; w++) {
    threads.emplace_back([&t, w] {
      for (int i = 0; i < 2000; i++) {
        std::string k = "k" + std::to_string(i % 100);
        t.Remember(k, uint64_t(w + 1));
        if (i % 3 == 0) t.Take(k);
      }
    });
  }
  for (auto& th : threads) th.join();
  // The atomic totals agree with what the stripes hold.
  int64_t want_keys = t.keys(), want_items = t.items();
  int64_t keys = 0, items = 0;
  for (int i = 0; i < 100; i++) {
    auto ids = t.Take("k" + std::to_string(i));
    if (!ids.empty()) keys++;
    items += int64_t(ids.size());
  }
  EXPECT_EQ(keys, want_keys);
  EXPECT_EQ(items, want_items);
  EXPECT_EQ(t.keys(), 0);
  EXPECT_EQ(t.items(), 0);
}

}  // namespace
}  // namespace basalt::server
