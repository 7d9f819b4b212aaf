#include "storage/zset_type.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace basalt::storage {
namespace {

using Limits = ZSetObject::Limits;
using AddResult = ZSetObject::AddResult;

constexpr Limits kSmall{128, 64};
constexpr Limits kNoListpack{0, 64};

// The reference model: (score, member) pairs in order plus a member index.
struct Model {
  std::set<std::pair<double, std::string>> ordered;
  std::map<std::string, double> scores;

  void Set(const std::string& m, double s) {
    if (s == 0) s = 0.0;  // both encodings compare -0 == 0; keep the model simple
    auto it = scores.find(m);
    if (it != scores.end()) ordered.erase({it->second, m});
    scores[m] = s;
    ordered.insert({s, m});
  }
  void Erase(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return;
    ordered.erase({it->second, m});
    scores.erase(it);
  }
  std::vector<std::pair<double, std::string>> Vec() const {
    return {ordered.begin(), ordered.end()};
  }
};

std::vector<std::pair<double, std::string>> Contents(const ZSetObject& z) {
  std::vector<std::pair<double, std::string>> out;
  for (auto it = z.AtRank(0); it.Valid(); it.Next()) {
    out.emplace_back(it.score(), std::string(it.member()));
  }
  return out;
}

std::vector<std::pair<double, std::string>> ContentsBackward(const ZSetObject& z) {
  std::vector<std::pair<double, std::string>> out;
  if (z.Size() == 0) return out;
  for (auto it = z.AtRank(z.Size() - 1); it.Valid(); it.Prev()) {
    out.emplace_back(it.score(), std::string(it.member()));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

TEST(ZSetTest, EmptySet) {
  for (bool sl : {false, true}) {
    ZSetObject z(sl);
    EXPECT_EQ(z.Size(), 0u);
    EXPECT_STREQ(z.EncodingName(), sl ? "skiplist" : "listpack");
    EXPECT_FALSE(z.Score("a").has_value());
    EXPECT_FALSE(z.Rank("a", false).has_value());
    EXPECT_FALSE(z.AtRank(0).Valid());
    EXPECT_FALSE(z.FirstInRange({-INFINITY, INFINITY, false, false}, false).Valid());
    EXPECT_EQ(z.CountInRange({-INFINITY, INFINITY, false, false}), 0u);
    EXPECT_TRUE(z.CheckInvariants());
  }
}

TEST(ZSetTest, AddFlagsAndResults) {
  for (bool sl : {false, true}) {
    ZSetObject z(sl);
    double ns = 0;
    EXPECT_EQ(z.Add("a", 1, 0, kSmall, &ns), AddResult::kAdded);
    EXPECT_EQ(ns, 1);
    EXPECT_EQ(z.Add("a", 1, 0, kSmall, &ns), AddResult::kUnchanged);
    EXPECT_EQ(z.Add("a", 2, 0, kSmall, &ns), AddResult::kUpdated);
    EXPECT_EQ(z.Add("a", 5, ZSetObject::kAddNX, kSmall, &ns), AddResult::kSkipped);
    EXPECT_EQ(z.Add("b", 5, ZSetObject::kAddXX, kSmall, &ns), AddResult::kSkipped);
    EXPECT_EQ(z.Add("a", 1, ZSetObject::kAddGT, kSmall, &ns), AddResult::kSkipped);
    EXPECT_EQ(z.Add("a", 3, ZSetObject::kAddGT, kSmall, &ns), AddResult::kUpdated);
    EXPECT_EQ(z.Add("a", 4, ZSetObject::kAddLT, kSmall, &ns), AddResult::kSkipped);
    EXPECT_EQ(z.Add("a", 2, ZSetObject::kAddIncr, kSmall, &ns), AddResult::kUpdated);
    EXPECT_EQ(ns, 5);
    EXPECT_EQ(z.Add("c", 2, ZSetObject::kAddIncr | ZSetObject::kAddGT, kSmall, &ns),
              AddResult::kAdded);
    EXPECT_EQ(z.Add("i", INFINITY, 0, kSmall, &ns), AddResult::kAdded);
    EXPECT_EQ(z.Add("i", -INFINITY, ZSetObject::kAddIncr, kSmall, &ns), AddResult::kNaN);
    EXPECT_EQ(*z.Score("i"), INFINITY);
    EXPECT_EQ(*z.Score("a"), 5);
    EXPECT_EQ(z.Size(), 3u);
    EXPECT_TRUE(z.Remove("a"));
    EXPECT_FALSE(z.Remove("a"));
    EXPECT_EQ(z.Size(), 2u);
    EXPECT_TRUE(z.CheckInvariants());
  }
}

TEST(ZSetTest, NegativeZero) {
  ZSetObject lp(false), sl(true);
  double ns = 1;
  EXPECT_EQ(lp.Add("a", -0.0, ZSetObject::kAddIncr, kSmall, &ns), AddResult::kAdded);
  EXPECT_TRUE(std::signbit(ns));               // the reply shows the computed -0
  EXPECT_FALSE(std::signbit(*lp.Score("a")));  // the listpack keeps 0
  sl.Add("a", -0.0, 0, kSmall);
  EXPECT_TRUE(std::signbit(*sl.Score("a")));
  EXPECT_EQ(sl.Add("a", 0.0, 0, kSmall), AddResult::kUnchanged);
}

TEST(ZSetTest, ConversionThresholds) {
  ZSetObject z;
  Limits lim{3, 5};
  z.Add("a", 1, 0, lim);
  z.Add("b", 2, 0, lim);
  z.Add("c", 3, 0, lim);
  EXPECT_TRUE(z.is_listpack());
  z.Add("c", 4, 0, lim);  // an update never converts
  EXPECT_TRUE(z.is_listpack());
  z.Add("d", 4, 0, lim);
  EXPECT_FALSE(z.is_listpack());
  EXPECT_TRUE(z.CheckInvariants());
  z.Remove("d");
  z.Remove("c");
  EXPECT_FALSE(z.is_listpack());  // no conversion back

  ZSetObject y;
  y.Add("short", 1, 0, lim);
  EXPECT_TRUE(y.is_listpack());
  y.Add("longer", 1, 0, lim);
  EXPECT_FALSE(y.is_listpack());
  EXPECT_EQ(Contents(y),
            (std::vector<std::pair<double, std::string>>{{1, "longer"}, {1, "short"}}));
}

TEST(ZSetTest, FromSortedPicksEncoding) {
  std::vector<ZMemberScore> items = {{"a", 1}, {"b", 2}, {"c", -0.0}};
  std::sort(items.begin(), items.end(), [](const ZMemberScore& x, const ZMemberScore& y) {
    return x.score < y.score || (x.score == y.score && x.member < y.member);
  });
  auto lp = ZSetObject::FromSorted(items, Limits{3, 10});
  EXPECT_TRUE(lp->is_listpack());
  EXPECT_FALSE(std::signbit(*lp->Score("c")));
  auto sl = ZSetObject::FromSorted(items, Limits{2, 10});
  EXPECT_FALSE(sl->is_listpack());
  EXPECT_TRUE(std::signbit(*sl->Score("c")));
  auto sl2 = ZSetObject::FromSorted(items, Limits{3, 0});
  EXPECT_FALSE(sl2->is_listpack());
  EXPECT_EQ(Contents(*lp), Contents(*sl));
  EXPECT_TRUE(sl->CheckInvariants());
  EXPECT_TRUE(lp->CheckInvariants());
}

TEST(ZSetTest, LexRanges) {
  ZLexRange all{{ZLexBound::kMinusInf, {}}, {ZLexBound::kPlusInf, {}}};
  EXPECT_FALSE(all.IsEmpty());
  ZLexRange inv{{ZLexBound::kPlusInf, {}}, {ZLexBound::kMinusInf, {}}};
  EXPECT_TRUE(inv.IsEmpty());
  ZLexRange point{{ZLexBound::kInclusive, "b"}, {ZLexBound::kInclusive, "b"}};
  EXPECT_FALSE(point.IsEmpty());
  ZLexRange open{{ZLexBound::kExclusive, "b"}, {ZLexBound::kInclusive, "b"}};
  EXPECT_TRUE(open.IsEmpty());
  for (bool sl : {false, true}) {
    ZSetObject z(sl);
    for (const char* m : {"a", "b", "c", "d", "e"}) z.Add(m, 0, 0, kSmall);
    ZLexRange r{{ZLexBound::kExclusive, "a"}, {ZLexBound::kInclusive, "d"}};
    EXPECT_EQ(z.CountInLexRange(r), 3u);
    EXPECT_EQ(z.FirstInLexRange(r, false).member(), "b");
    EXPECT_EQ(z.FirstInLexRange(r, true).member(), "d");
    EXPECT_EQ(z.CountInLexRange(all), 5u);
    EXPECT_EQ(z.CountInLexRange(point), 1u);
    EXPECT_EQ(z.RemoveRangeByLex(r), 3u);
    EXPECT_EQ(Contents(z), (std::vector<std::pair<double, std::string>>{{0, "a"}, {0, "e"}}));
    EXPECT_TRUE(z.CheckInvariants());
  }
}

TEST(ZSetTest, ListpackScoreText) {
  EXPECT_EQ(ZSetObject::ListpackScoreText(1), "1");
  EXPECT_EQ(ZSetObject::ListpackScoreText(-3), "-3");
  EXPECT_EQ(ZSetObject::ListpackScoreText(0.1), "0.10000000000000001");
  EXPECT_EQ(ZSetObject::ListpackScoreText(1.5), "1.5");
  EXPECT_EQ(ZSetObject::ListpackScoreText(123456789012345678.0), "123456789012345680");
  EXPECT_EQ(ZSetObject::ListpackScoreText(4611686018427387904.0), "4611686018427387904");
  EXPECT_EQ(ZSetObject::ListpackScoreText(4611686018427388928.0), "4.6116860184273889e+18");
  EXPECT_EQ(ZSetObject::ListpackScoreText(INFINITY), "inf");
  EXPECT_EQ(ZSetObject::ListpackScoreText(-INFINITY), "-inf");
  EXPECT_EQ(ZSetObject::ListpackScoreText(1e300), "1.0000000000000001e+300");
}

// Random operations on both encodings, checked against the model.
void RandomOps(bool start_skiplist, Limits lim, int ops, uint32_t seed) {
  std::mt19937 rng(seed);
  ZSetObject z(start_skiplist);
  Model m;
  auto member = [&] {
    int n = int(rng() % 200);
    std::string s = "m" + std::to_string(n);
    if (n % 17 == 0) s += std::string(n % 5 * 7, 'x');  // some longer members
    return s;
  };
  auto score = [&] { return double(int(rng() % 40) - 20) / 2; };
  for (int i = 0; i < ops; i++) {
    int op = int(rng() % 100);
    if (op < 45) {
      std::string k = member();
      double s = score();
      double ns = 0;
      AddResult r = z.Add(k, s, (op % 3 == 0) ? ZSetObject::kAddIncr : 0, lim, &ns);
      ASSERT_NE(r, AddResult::kSkipped);
      m.Set(k, ns);
    } else if (op < 60) {
      std::string k = member();
      EXPECT_EQ(z.Remove(k), m.scores.count(k) == 1);
      m.Erase(k);
    } else if (op < 65) {
      ZScoreRange r{score(), score(), bool(rng() % 2), bool(rng() % 2)};
      size_t expect = 0;
      for (auto it = m.ordered.begin(); it != m.ordered.end();) {
        if (r.Contains(it->first)) {
          m.scores.erase(it->second);
          it = m.ordered.erase(it);
          expect++;
        } else {
          ++it;
        }
      }
      EXPECT_EQ(z.RemoveRangeByScore(r), expect);
    } else if (op < 68 && z.Size() > 0) {
      size_t a = rng() % z.Size(), b = rng() % z.Size();
      if (a > b) std::swap(a, b);
      auto v = m.Vec();
      for (size_t j = a; j <= b; j++) m.Erase(v[j].second);
      EXPECT_EQ(z.RemoveRangeByRank(a, b), b - a + 1);
    } else if (op < 70) {
      std::string lo = member(), hi = member();
      ZLexRange r{{rng() % 2 ? ZLexBound::kInclusive : ZLexBound::kExclusive, lo},
                  {rng() % 2 ? ZLexBound::kInclusive : ZLexBound::kExclusive, hi}};
      // Lex ranges need equal scores to be meaningful; check counts only.
      size_t expect = 0;
      bool sorted_by_member = true;
      for (auto& [s, k] : m.ordered) {
        if (s != m.ordered.begin()->first) sorted_by_member = false;
        if (r.Contains(k)) expect++;
      }
      if (sorted_by_member) {
        EXPECT_EQ(z.CountInLexRange(r), expect);
      }
    } else {
      // Queries.
      std::string k = member();
      auto sc = z.Score(k);
      auto it = m.scores.find(k);
      ASSERT_EQ(sc.has_value(), it != m.scores.end());
      if (sc) {
        EXPECT_EQ(*sc, it->second);
        auto v = m.Vec();
        size_t rank =
            size_t(std::find(v.begin(), v.end(), std::make_pair(it->second, k)) - v.begin());
        EXPECT_EQ(*z.Rank(k, false), rank);
        EXPECT_EQ(*z.Rank(k, true), v.size() - 1 - rank);
        auto at = z.AtRank(rank);
        ASSERT_TRUE(at.Valid());
        EXPECT_EQ(at.member(), k);
      }
      ZScoreRange r{score(), score(), bool(rng() % 2), bool(rng() % 2)};
      size_t expect = 0;
      const std::pair<double, std::string>* first = nullptr;
      const std::pair<double, std::string>* last = nullptr;
      for (auto& p : m.ordered) {
        if (r.Contains(p.first)) {
          expect++;
          if (first == nullptr) first = &p;
          last = &p;
        }
      }
      EXPECT_EQ(z.CountInRange(r), expect);
      auto f = z.FirstInRange(r, false);
      auto l = z.FirstInRange(r, true);
      ASSERT_EQ(f.Valid(), first != nullptr);
      ASSERT_EQ(l.Valid(), last != nullptr);
      if (first != nullptr) {
        EXPECT_EQ(f.member(), first->second);
        EXPECT_EQ(l.member(), last->second);
      }
    }
    ASSERT_EQ(z.Size(), m.scores.size());
    if (i % 50 == 0) {
      ASSERT_TRUE(z.CheckInvariants()) << "op " << i;
      ASSERT_EQ(Contents(z), m.Vec());
      ASSERT_EQ(ContentsBackward(z), m.Vec());
    }
  }
  ASSERT_TRUE(z.CheckInvariants());
  ASSERT_EQ(Contents(z), m.Vec());
  auto c = z.Clone();
  auto* zc = static_cast<ZSetObject*>(c.get());
  EXPECT_EQ(Contents(*zc), m.Vec());
  EXPECT_TRUE(zc->CheckInvariants());
  EXPECT_STREQ(zc->EncodingName(), z.EncodingName());
}

TEST(ZSetTest, RandomListpack) { RandomOps(false, Limits{100000, 100000}, 3000, 1); }
TEST(ZSetTest, RandomSkiplist) { RandomOps(true, kSmall, 5000, 2); }
TEST(ZSetTest, RandomConverting) { RandomOps(false, Limits{64, 20}, 5000, 3); }

TEST(ZSetTest, ScanVisitsEverything) {
  ZSetObject z(true);
  std::set<std::string> all;
  for (int i = 0; i < 3000; i++) {
    std::string m = "member:" + std::to_string(i);
    z.Add(m, i, 0, kNoListpack);
    all.insert(m);
  }
  // Remove some while scanning, forcing shrinks; every member present for the
  // whole scan must be returned.
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int rounds = 0;
  do {
    std::vector<std::pair<std::string_view, std::string>> out;
    cursor = z.Scan(cursor, 10, &out);
    for (auto& [m, s] : out) seen.insert(std::string(m));
    if (rounds++ % 3 == 0) {
      for (int j = 0; j < 20 && z.Size() > 100; j++) {
        auto it = z.AtRank(z.Size() - 1);
        std::string victim(it.member());
        z.Remove(victim);
        all.erase(victim);
      }
    }
  } while (cursor != 0);
  for (const std::string& m : all) EXPECT_TRUE(seen.count(m)) << m;
  EXPECT_TRUE(z.CheckInvariants());

  ZSetObject lp;
  lp.Add("a", 0.5, 0, kSmall);
  lp.Add("b", 7, 0, kSmall);
  std::vector<std::pair<std::string_view, std::string>> out;
  EXPECT_EQ(lp.Scan(0, 1, &out), 0u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].second, "0.5");
  EXPECT_EQ(out[1].second, "7");
}

TEST(ZSetTest, LargeRanks) {
  ZSetObject z(true);
  const int n = 20000;
  for (int i = n - 1; i >= 0; i--) z.Add("k" + std::to_string(i), i, 0, kNoListpack);
  EXPECT_TRUE(z.CheckInvariants());
  for (int i = 0; i < n; i += 997) {
    EXPECT_EQ(*z.Rank("k" + std::to_string(i), false), size_t(i));
    EXPECT_EQ(z.AtRank(size_t(i)).score(), i);
  }
  EXPECT_EQ(z.CountInRange({100, 199, false, false}), 100u);
  EXPECT_EQ(z.RemoveRangeByRank(0, 9999), 10000u);
  EXPECT_EQ(*z.Rank("k10000", false), 0u);
  EXPECT_EQ(z.RemoveRangeByScore({-INFINITY, INFINITY, false, false}), 10000u);
  EXPECT_EQ(z.Size(), 0u);
  EXPECT_TRUE(z.CheckInvariants());
}

}  // namespace
}  // namespace basalt::storage
