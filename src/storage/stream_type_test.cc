// StreamObject: appends across nodes, deletes as tombstones, ranges both
// ways, exact and approximate trims, node limits, and the 7.0 lag rules.
#include "storage/stream_type.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace basalt::storage {
namespace {

std::vector<StreamID> Ids(const StreamObject& s, StreamID a, StreamID b, bool rev) {
  std::vector<StreamID> out;
  s.Range(a, b, rev, [&](const StreamID& id, const StreamObject::Fields&) {
    out.push_back(id);
    return true;
  });
  return out;
}

void Fill(StreamObject* s, int n, const StreamLimits& lim) {
  for (int i = 1; i <= n; i++) {
    std::string v = std::to_string(i);
    s->Append(StreamID{uint64_t(i), 0}, {"f", v}, lim);
  }
}

TEST(StreamIDTest, ParsesLikeRedis) {
  StreamID id;
  EXPECT_TRUE(ParseStreamID("5-3", 0, &id));
  EXPECT_EQ(id, (StreamID{5, 3}));
  EXPECT_TRUE(ParseStreamID("7", UINT64_MAX, &id));
  EXPECT_EQ(id, (StreamID{7, UINT64_MAX}));
  EXPECT_TRUE(ParseStreamID("18446744073709551615-18446744073709551615", 0, &id));
  EXPECT_EQ(id, StreamID::Max());
  EXPECT_FALSE(ParseStreamID("18446744073709551616-0", 0, &id));
  EXPECT_FALSE(ParseStreamID("-1", 0, &id));
  EXPECT_FALSE(ParseStreamID("1-", 0, &id));
  EXPECT_FALSE(ParseStreamID("a-1", 0, &id));
  EXPECT_FALSE(ParseStreamID("", 0, &id));
  StreamID m = StreamID::Max();
  EXPECT_FALSE(m.Incr());
  StreamID z;
  EXPECT_FALSE(z.Decr());
  StreamID w{1, UINT64_MAX};
  EXPECT_TRUE(w.Incr());
  EXPECT_EQ(w, (StreamID{2, 0}));
}

TEST(StreamObjectTest, AppendSplitsNodesAndRangesBothWays) {
  StreamObject s;
  StreamLimits lim{4096, 10};
  Fill(&s, 95, lim);
  EXPECT_EQ(s.Size(), 95u);
  EXPECT_EQ(s.node_count(), 10u);
  EXPECT_TRUE(s.CheckInvariants());
  auto fwd = Ids(s, StreamID{10, 0}, StreamID{21, 0}, false);
  ASSERT_EQ(fwd.size(), 12u);
  EXPECT_EQ(fwd.front(), (StreamID{10, 0}));
  auto rev = Ids(s, StreamID{10, 0}, StreamID{21, 0}, true);
  ASSERT_EQ(rev.size(), 12u);
  EXPECT_EQ(rev.front(), (StreamID{21, 0}));
  EXPECT_EQ(rev.back(), (StreamID{10, 0}));
  StreamObject::Fields f;
  ASSERT_TRUE(s.Get(StreamID{42, 0}, &f));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, "f");
  EXPECT_EQ(f[0].second, "42");
  EXPECT_EQ(s.first_id(), (StreamID{1, 0}));
  EXPECT_EQ(s.last_id(), (StreamID{95, 0}));
  EXPECT_EQ(s.entries_added(), 95u);
}

TEST(StreamObjectTest, DifferentFieldsAreKept) {
  StreamObject s;
  StreamLimits lim;
  s.Append(StreamID{1, 0}, {"a", "1", "b", "2"}, lim);
  s.Append(StreamID{1, 1}, {"x", "", "b", "2"}, lim);
  s.Append(StreamID{2, 0}, {"a", "3", "b", "4"}, lim);
  StreamObject::Fields f;
  ASSERT_TRUE(s.Get(StreamID{1, 1}, &f));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].first, "x");
  EXPECT_EQ(f[0].second, "");
  ASSERT_TRUE(s.Get(StreamID{2, 0}, &f));
  EXPECT_EQ(f[1].second, "4");
  EXPECT_FALSE(s.Get(StreamID{1, 2}));
}

TEST(StreamObjectTest, DeleteLeavesTombstonesAndDropsEmptyNodes) {
  StreamObject s;
  StreamLimits lim{0, 5};
  Fill(&s, 10, lim);
  for (int i = 1; i <= 5; i++) EXPECT_TRUE(s.Delete(StreamID{uint64_t(i), 0}));
  EXPECT_FALSE(s.Delete(StreamID{3, 0}));
  EXPECT_EQ(s.node_count(), 1u);
  EXPECT_EQ(s.first_id(), (StreamID{6, 0}));
  EXPECT_TRUE(s.Delete(StreamID{8, 0}));
  EXPECT_EQ(Ids(s, StreamID{}, StreamID::Max(), false).size(), 4u);
  EXPECT_TRUE(s.CheckInvariants());
}

TEST(StreamObjectTest, TrimMaxLenExactAndApprox) {
  StreamObject s;
  StreamLimits lim{0, 10};
  Fill(&s, 100, lim);
  // Approximate: only whole nodes go, so 25 -> keeps 30.
  EXPECT_EQ(s.TrimMaxLen(25, true, 0), 70);
  EXPECT_EQ(s.Size(), 30u);
  EXPECT_EQ(s.first_id(), (StreamID{71, 0}));
  EXPECT_EQ(s.TrimMaxLen(25, false, 0), 5);
  EXPECT_EQ(s.Size(), 25u);
  EXPECT_EQ(s.first_id(), (StreamID{76, 0}));
  // A limit stops before a node that would exceed it.
  EXPECT_EQ(s.TrimMaxLen(0, true, 3), 0);
  EXPECT_TRUE(s.CheckInvariants());
}

TEST(StreamObjectTest, TrimMinId) {
  StreamObject s;
  StreamLimits lim{0, 10};
  Fill(&s, 50, lim);
  EXPECT_EQ(s.TrimMinId(StreamID{25, 0}, true, 0), 20);
  EXPECT_EQ(s.TrimMinId(StreamID{25, 0}, false, 0), 4);
  EXPECT_EQ(s.first_id(), (StreamID{25, 0}));
  EXPECT_EQ(s.TrimMinId(StreamID{1000, 0}, false, 0), 26);
  EXPECT_EQ(s.Size(), 0u);
  EXPECT_EQ(s.first_id(), StreamID{});
  EXPECT_TRUE(s.CheckInvariants());
}

TEST(StreamObjectTest, LagFollowsRedis70) {
  StreamObject s;
  StreamLimits lim;
  StreamGroup g;
  EXPECT_EQ(s.Lag(g), 0);  // never used: 0
  Fill(&s, 5, lim);
  g.last_id = StreamID{2, 0};
  g.entries_read = 2;
  EXPECT_EQ(s.Lag(g), 3);
  // A tombstone after the group's position makes the counter unusable.
  s.Delete(StreamID{4, 0});
  s.set_max_deleted_id(StreamID{4, 0});
  g.entries_read = kInvalidEntriesRead;
  EXPECT_EQ(s.Lag(g), std::nullopt);
  g.last_id = StreamID{5, 0};
  EXPECT_EQ(s.Lag(g), 0);  // at the last ID the count is exact
}

TEST(StreamObjectTest, CloneIsDeep) {
  StreamObject s;
  Fill(&s, 20, StreamLimits{0, 7});
  s.groups()["g"].pel[StreamID{1, 0}].consumer = "c";
  auto c = s.Clone();
  s.Delete(StreamID{1, 0});
  auto* cs = static_cast<StreamObject*>(c.get());
  EXPECT_EQ(cs->Size(), 20u);
  EXPECT_TRUE(cs->Get(StreamID{1, 0}));
  EXPECT_EQ(cs->groups().size(), 1u);
  EXPECT_TRUE(cs->CheckInvariants());
}

}  // namespace
}  // namespace basalt::storage
