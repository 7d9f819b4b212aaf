#include "persistence/snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "common/hash.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_loader.h"

namespace basalt::persistence {
namespace {

// Collects what a snapshot writes, slowly (a disk slower than the writers).
class SlowSink final : public SnapshotSink {
 public:
  explicit SlowSink(int delay_us) : delay_us_(delay_us) {}
  Status Write(std::string_view bytes) override {
    data.append(bytes);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us_));
    return Status::Ok();
  }
  std::string data;

 private:
  int delay_us_;
};

class Collect final : public RdbLoadHandler {
 public:
  Status OnEntry(int db, storage::Entry* e, int64_t, int) override {
    char buf[32];
    auto& slot = keys[{db, std::string(e->key())}];
    slot = std::string(e->StringValue(buf));
    storage::FreeEntry(e);
    return Status::Ok();
  }
  std::map<std::pair<int, std::string>, std::string> keys;
};

std::string Key(int i) { return "key:" + std::to_string(i); }

void Put(storage::Keyspace& ks, int db, const std::string& key, const std::string& value) {
  uint64_t h = HashKey(key);
  storage::Shard& sh = ks.db(db).ShardFor(h);
  storage::ShardLock lock(sh);
  storage::Entry* e = storage::EntryBuilder::String(key, value, false, 0);
  storage::Entry** link = sh.FindLink(key, h);
  if (link != nullptr) {
    sh.Overwrite(link, e);
  } else {
    sh.Add(e, h);
  }
}

void Del(storage::Keyspace& ks, int db, const std::string& key) {
  uint64_t h = HashKey(key);
  storage::Shard& sh = ks.db(db).ShardFor(h);
  storage::ShardLock lock(sh);
  storage::Entry** link = sh.FindLink(key, h);
  if (link != nullptr) sh.Delete(link);
}

// Holds exactly the dataset of the start instant while writers overwrite,
// delete and add keys on other threads, and keeps the captured backlog under
// its bound when the sink is slower than the writers.
TEST(SnapshotTest, PointInTimeWithBoundedBacklog) {
  constexpr int kKeys = 20000;
  storage::Keyspace ks(2, 8);
  for (int i = 0; i < kKeys; i++) Put(ks, i % 2, Key(i), "old-" + std::to_string(i));

  SnapshotOptions opts;
  opts.max_pending_bytes = 8192;
  Snapshot snap(ks, opts);
  snap.Begin([] { return std::vector<std::pair<std::string, std::string>>{{"redis-bits", "64"}}; });
  SlowSink sink(200);
  Status result = Status::Ok();
  std::atomic<int> written{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; t++) {
    writers.emplace_back([&ks, &written, t] {
      storage::SetWriteIntent(true);
      for (int i = t; i < kKeys; i += 2) {
        if (i % 3 == 0) {
          Del(ks, i % 2, Key(i));
        } else {
          Put(ks, i % 2, Key(i), "new-" + std::to_string(i));
        }
        Put(ks, i % 2, "added:" + std::to_string(i), "x");
        written.fetch_add(1);
      }
      storage::SetWriteIntent(false);
    });
  }
  // The walker starts once the writers have changed entries it has not
  // reached, so some are captured however the threads get scheduled (a few
  // records stay far under the bound, so the writers cannot block first).
  while (written.load() < 10) std::this_thread::yield();
  std::thread walker([&] { result = snap.Run(sink); });
  for (auto& w : writers) w.join();
  walker.join();
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_GT(snap.captured_keys(), 0u);
  // A record per writer over the bound at most (each adds before it waits).
  EXPECT_LE(snap.peak_pending_bytes(), opts.max_pending_bytes + 256);

  StringSource src(sink.data);
  Collect got;
  RdbLimits limits;
  Status st = LoadRdb(src, 2, limits, got);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(got.keys.size(), size_t(kKeys));
  for (int i = 0; i < kKeys; i++) {
    auto it = got.keys.find({i % 2, Key(i)});
    ASSERT_NE(it, got.keys.end()) << Key(i);
    EXPECT_EQ(it->second, "old-" + std::to_string(i));
  }

  // The next snapshot sees the new state (the parity flipped cleanly).
  Snapshot again(ks, SnapshotOptions{});
  again.Begin({});
  SlowSink sink2(0);
  ASSERT_TRUE(again.Run(sink2).ok());
  StringSource src2(sink2.data);
  Collect got2;
  ASSERT_TRUE(LoadRdb(src2, 2, limits, got2).ok());
  EXPECT_EQ(got2.keys.size(), size_t(kKeys - (kKeys + 2) / 3 + kKeys));
  EXPECT_EQ(got2.keys.count({1, Key(1)}), 1u);
  EXPECT_EQ((got2.keys[{1, Key(1)}]), "new-1");
  EXPECT_EQ(got2.keys.count({0, Key(0)}), 0u);
}

// A flushed shard's old table still reaches the snapshot.
TEST(SnapshotTest, ClearDuringSnapshotKeepsOldEntries) {
  storage::Keyspace ks(1, 4);
  for (int i = 0; i < 1000; i++) Put(ks, 0, Key(i), "v");
  Snapshot snap(ks, SnapshotOptions{});
  snap.Begin({});
  for (uint32_t s = 0; s < ks.db(0).shard_count(); s++) {
    storage::ShardLock lock(ks.db(0).shard(s));
    ks.db(0).shard(s).Clear(false);
  }
  Put(ks, 0, "after", "v");
  SlowSink sink(0);
  ASSERT_TRUE(snap.Run(sink).ok());
  StringSource src(sink.data);
  Collect got;
  ASSERT_TRUE(LoadRdb(src, 1, RdbLimits{}, got).ok());
  EXPECT_EQ(got.keys.size(), 1000u);
  EXPECT_EQ(got.keys.count({0, "after"}), 0u);
}

}  // namespace
}  // namespace basalt::persistence
