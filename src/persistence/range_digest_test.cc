#include "persistence/range_digest.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/hash.h"
#include "storage/keyspace.h"

namespace basalt::persistence {
namespace {

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

// A digest pass over the keyspace as it is (no writers).
std::shared_ptr<RangeDigest> DigestOf(storage::Keyspace& ks, std::vector<uint32_t> detail = {}) {
  auto d = std::make_shared<RangeDigest>(RangeDigest::kDefaultRanges, detail);
  SnapshotOptions opts;
  opts.visitor = d.get();
  Snapshot snap(ks, opts);
  snap.Begin({});
  class Null final : public SnapshotSink {
   public:
    Status Write(std::string_view) override { return Status::Ok(); }
  } sink;
  EXPECT_TRUE(snap.Run(sink).ok());
  return d;
}

void ExpectSame(const RangeDigest& a, const RangeDigest& b) {
  ASSERT_EQ(a.keys(), b.keys());
  for (uint32_t r = 0; r < a.range_count(); r++) {
    ASSERT_EQ(a.range_sum(r), b.range_sum(r)) << r;
    ASSERT_EQ(a.range_keys(r), b.range_keys(r)) << r;
  }
}

// Equal contents digest equally whatever the insertion order or shard count
// (the per-process key hashing seed and the table layout do not matter).
// The snapshot parity is process-wide and entries are born marked with the
// current one, so each keyspace here is digested before the next is built
// (a server has one keyspace).
TEST(RangeDigestTest, OrderAndLayoutIndependent) {
  storage::Keyspace a(2, 8);
  for (int i = 0; i < 5000; i++) Put(a, i % 2, Key(i), "v" + std::to_string(i));
  auto da = DigestOf(a);
  storage::Keyspace b(2, 16);
  for (int i = 4999; i >= 0; i--) Put(b, i % 2, Key(i), "v" + std::to_string(i));
  ExpectSame(*da, *DigestOf(b));

  // One changed value changes exactly its range.
  Put(b, 1, Key(77), "other");
  auto db = DigestOf(b);
  uint32_t r77 = RangeDigest::RangeOf(Key(77), RangeDigest::kDefaultRanges);
  for (uint32_t r = 0; r < da->range_count(); r++) {
    EXPECT_EQ(da->range_sum(r) == db->range_sum(r), r != r77) << r;
  }
  // The same key in another database is another key.
  storage::Keyspace c(2, 8);
  for (int i = 0; i < 5000; i++) Put(c, (i + 1) % 2, Key(i), "v" + std::to_string(i));
  EXPECT_NE(DigestOf(c)->range_sum(r77), da->range_sum(r77));
}

// A pass taken while writers overwrite keys digests the dataset of its start
// instant, and lists the keys of the ranges asked for.
TEST(RangeDigestTest, PointInTimeUnderWrites) {
  constexpr int kKeys = 20000;
  std::vector<uint32_t> detail = {RangeDigest::RangeOf(Key(5), RangeDigest::kDefaultRanges)};
  // The dataset of the instant, digested quietly first (see above).
  storage::Keyspace quiet(1, 8);
  for (int i = 0; i < kKeys; i++) Put(quiet, 0, Key(i), "old-" + std::to_string(i));
  auto want = DigestOf(quiet, detail);
  storage::Keyspace live(1, 8);
  for (int i = 0; i < kKeys; i++) Put(live, 0, Key(i), "old-" + std::to_string(i));
  auto d = std::make_shared<RangeDigest>(RangeDigest::kDefaultRanges, detail);
  SnapshotOptions opts;
  opts.visitor = d.get();
  Snapshot snap(live, opts);
  snap.Begin({});
  std::atomic<int> written{0};
  std::thread writer([&] {
    storage::SetWriteIntent(true);
    for (int i = 0; i < kKeys; i++) {
      Put(live, 0, Key(i), "new-" + std::to_string(i));
      Put(live, 0, "added:" + std::to_string(i), "x");
      written.fetch_add(1);
    }
    storage::SetWriteIntent(false);
  });
  while (written.load() < 10) std::this_thread::yield();
  class Null final : public SnapshotSink {
   public:
    Status Write(std::string_view) override { return Status::Ok(); }
  } sink;
  ASSERT_TRUE(snap.Run(sink).ok());
  writer.join();
  EXPECT_GT(snap.captured_keys(), 0u);
  ExpectSame(*d, *want);
  auto listed = d->TakeDetail();
  EXPECT_EQ(listed.size(), want->TakeDetail().size());
  bool found = false;
  for (const auto& k : listed) found |= k.key == Key(5);
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace basalt::persistence
