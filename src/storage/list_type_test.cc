#include "storage/list_type.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace basalt::storage {
namespace {

std::vector<std::string> All(const ListObject& l) {
  std::vector<std::string> out;
  for (auto it = l.Begin(); it.Valid(); it.Next()) out.emplace_back(it.value());
  return out;
}

std::vector<std::string> AllBackwards(const ListObject& l) {
  std::vector<std::string> out;
  for (auto it = l.RBegin(); it.Valid(); it.Next()) out.emplace_back(it.value());
  return out;
}

void ExpectSame(const ListObject& l, const std::deque<std::string>& model) {
  ASSERT_TRUE(l.CheckInvariants());
  ASSERT_EQ(l.Size(), model.size());
  std::vector<std::string> want(model.begin(), model.end());
  ASSERT_EQ(All(l), want);
  std::vector<std::string> rev(model.rbegin(), model.rend());
  ASSERT_EQ(AllBackwards(l), rev);
}

TEST(ListObject, PushPopBothEnds) {
  ListObject l(-2);
  EXPECT_STREQ(l.EncodingName(), "quicklist");
  l.PushBack("b");
  l.PushFront("a");
  l.PushBack("c");
  EXPECT_EQ(l.Size(), 3u);
  EXPECT_EQ(All(l), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(l.PopBack(), "c");
  EXPECT_EQ(l.PopFront(), "a");
  EXPECT_EQ(l.PopFront(), "b");
  EXPECT_EQ(l.Size(), 0u);
  EXPECT_EQ(l.node_count(), 0u);
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, EmptyAndBinaryElements) {
  ListObject l(-2);
  std::string bin("\0\r\n\xff", 4);
  l.PushBack("");
  l.PushBack(bin);
  l.PushFront(std::string(300, 'x'));  // two-byte length and backlen
  EXPECT_EQ(l.At(0), std::string(300, 'x'));
  EXPECT_EQ(l.At(1), "");
  EXPECT_EQ(l.At(2), bin);
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, NodeLimitsByCount) {
  ListObject l(4);
  for (int i = 0; i < 10; i++) l.PushBack(std::to_string(i));
  EXPECT_EQ(l.node_count(), 3u);
  // The full head node is not reused: 4 + 4 + 2 more nodes' worth.
  for (int i = 0; i < 10; i++) l.PushFront(std::to_string(i));
  EXPECT_EQ(l.node_count(), 6u);
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, NodeLimitsByBytes) {
  ListObject l(-1);  // 4 KiB nodes
  for (int i = 0; i < 100; i++) l.PushBack(std::string(100, 'a'));
  EXPECT_GE(l.node_count(), 3u);
  EXPECT_LE(l.node_count(), 4u);
  // A big element gets a node of its own.
  l.PushBack(std::string(100000, 'b'));
  l.PushBack("c");
  EXPECT_TRUE(l.CheckInvariants());
  EXPECT_EQ(l.At(100).size(), 100000u);
  EXPECT_EQ(l.At(101), "c");
}

TEST(ListObject, ManyNodesAtTheHead) {
  ListObject l(1);
  for (int i = 0; i < 500; i++) l.PushFront(std::to_string(i));
  for (int i = 499; i >= 10; i--) ASSERT_EQ(l.PopFront(), std::to_string(i));
  EXPECT_EQ(l.node_count(), 10u);
  EXPECT_EQ(l.At(0), "9");
  EXPECT_EQ(l.At(9), "0");
  EXPECT_TRUE(l.CheckInvariants());
  for (int i = 0; i < 300; i++) l.PushFront("x");
  EXPECT_EQ(l.At(309), "0");
  EXPECT_TRUE(l.CheckInvariants());
}

// Room split between both ends of a node: inserts must relayout in place.
TEST(ListObject, RelayoutWithinNode) {
  for (size_t k = 1; k < 12; k++) {
    for (size_t sz = 1; sz < 30; sz += 3) {
      for (size_t t = 1; t < 60; t += 2) {
        ListObject l(-2);
        std::deque<std::string> m;
        for (size_t i = 0; i < k; i++) {
          l.PushBack(std::string(sz, char('a' + i)));
          m.push_back(std::string(sz, char('a' + i)));
        }
        l.PopFront();
        m.pop_front();
        l.PushFront(std::string(t, 'F'));
        m.push_front(std::string(t, 'F'));
        if (!m.empty()) {
          l.Set(m.size() / 2, std::string(t, 'S'));
          m[m.size() / 2] = std::string(t, 'S');
        }
        l.PushBack(std::string(t, 'B'));
        m.push_back(std::string(t, 'B'));
        ASSERT_NO_FATAL_FAILURE(ExpectSame(l, m));
      }
    }
  }
}

TEST(ListObject, FillZeroMeansOneElementPerNode) {
  ListObject l(0);
  for (int i = 0; i < 5; i++) l.PushBack("x");
  EXPECT_EQ(l.node_count(), 5u);
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, NormalizeIndex) {
  ListObject l(-2);
  for (int i = 0; i < 5; i++) l.PushBack(std::to_string(i));
  size_t i;
  EXPECT_TRUE(l.NormalizeIndex(0, &i));
  EXPECT_EQ(i, 0u);
  EXPECT_TRUE(l.NormalizeIndex(-1, &i));
  EXPECT_EQ(i, 4u);
  EXPECT_TRUE(l.NormalizeIndex(-5, &i));
  EXPECT_EQ(i, 0u);
  EXPECT_FALSE(l.NormalizeIndex(-6, &i));
  EXPECT_FALSE(l.NormalizeIndex(5, &i));
  EXPECT_FALSE(l.NormalizeIndex(INT64_MIN, &i));
  EXPECT_FALSE(l.NormalizeIndex(INT64_MAX, &i));
}

TEST(ListObject, SetSplitsOversizedNode) {
  ListObject l(-1);
  for (int i = 0; i < 30; i++) l.PushBack(std::string(100, char('a' + i % 26)));
  l.Set(15, std::string(5000, 'Z'));
  EXPECT_TRUE(l.CheckInvariants());
  EXPECT_EQ(l.At(15), std::string(5000, 'Z'));
  EXPECT_EQ(l.At(14), std::string(100, char('a' + 14)));
  EXPECT_EQ(l.At(16), std::string(100, char('a' + 16)));
  l.Set(15, "small");
  EXPECT_EQ(l.At(15), "small");
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, InsertRemoveTrimPositions) {
  ListObject l(3);
  for (const char* s : {"a", "b", "c", "a", "b", "c", "a"}) l.PushBack(s);
  EXPECT_TRUE(l.InsertAtPivot("c", "X", false));
  EXPECT_TRUE(l.InsertAtPivot("a", "Y", true));
  EXPECT_FALSE(l.InsertAtPivot("zz", "Q", true));
  EXPECT_EQ(All(l), (std::vector<std::string>{"a", "Y", "b", "X", "c", "a", "b", "c", "a"}));
  EXPECT_EQ(l.Positions("a", 0, 0, 0, false), (std::vector<size_t>{0, 5, 8}));
  EXPECT_EQ(l.Positions("a", 1, 1, 0, false), (std::vector<size_t>{5}));
  EXPECT_EQ(l.Positions("a", 0, 2, 0, true), (std::vector<size_t>{8, 5}));
  EXPECT_EQ(l.Positions("a", 0, 0, 5, false), (std::vector<size_t>{0}));
  EXPECT_EQ(l.Remove("a", -1), 1u);
  EXPECT_EQ(l.Remove("b", 0), 2u);
  EXPECT_EQ(l.Remove("a", 5), 2u);
  EXPECT_EQ(All(l), (std::vector<std::string>{"Y", "X", "c", "c"}));
  l.TrimEnds(1, 1);
  EXPECT_EQ(All(l), (std::vector<std::string>{"X", "c"}));
  l.TrimEnds(1, 1);
  EXPECT_EQ(l.Size(), 0u);
  EXPECT_TRUE(l.CheckInvariants());
}

TEST(ListObject, CloneIsDeep) {
  ListObject l(2);
  for (int i = 0; i < 7; i++) l.PushBack(std::to_string(i));
  auto c = l.Clone();
  l.PopFront();
  auto* lc = static_cast<ListObject*>(c.get());
  EXPECT_EQ(lc->Size(), 7u);
  EXPECT_EQ(lc->At(0), "0");
  EXPECT_TRUE(lc->CheckInvariants());
  EXPECT_GT(lc->MemoryUsage(), 0u);
}

TEST(ListObject, CompressionSavesMemoryAndKeepsElements) {
  // 100k similar elements, as a queue of job ids would hold.
  auto fill_list = [](ListObject& l) {
    for (int i = 0; i < 100000; i++) l.PushBack("job:" + std::to_string(i) + ":pending");
  };
  ListObject plain(-2, 0), packed(-2, 1);
  fill_list(plain);
  fill_list(packed);
  EXPECT_EQ(plain.compressed_nodes(), 0u);
  EXPECT_EQ(packed.compressed_nodes(), packed.node_count() - 2);
  EXPECT_LT(packed.MemoryUsage() * 2, plain.MemoryUsage());
  EXPECT_EQ(packed.UncompressedBytes(), plain.UncompressedBytes());
  // Reads anywhere, and a copy made while nodes are compressed.
  EXPECT_EQ(packed.At(50000), "job:50000:pending");
  auto copy = packed.Clone();
  auto* c = static_cast<ListObject*>(copy.get());
  EXPECT_EQ(c->compress_depth(), 1);
  EXPECT_EQ(c->At(99999), "job:99999:pending");
  EXPECT_EQ(c->At(12345), "job:12345:pending");
  EXPECT_TRUE(c->CheckInvariants());
  // A change recompresses what reads decompressed.
  packed.PushBack("last");
  EXPECT_EQ(packed.compressed_nodes(), packed.node_count() - 2);
  EXPECT_TRUE(packed.CheckInvariants());
  EXPECT_EQ(packed.PopFront(), "job:0:pending");
}

TEST(ListObject, CompressDepthKeepsEndsRaw) {
  ListObject l(4, 2);  // 4 elements per node
  for (int i = 0; i < 40; i++) l.PushBack(std::string(40, char('a' + i % 26)));
  // 10 nodes: 2 raw at each end, 6 compressed.
  EXPECT_EQ(l.node_count(), 10u);
  EXPECT_EQ(l.compressed_nodes(), 6u);
  // Too small to be worth it: nothing compressed.
  ListObject small(4, 1);
  for (int i = 0; i < 40; i++) small.PushBack("x");
  EXPECT_EQ(small.compressed_nodes(), 0u);
  // Lists created after SetCompressDepth take the new depth.
  ListObject::SetCompressDepth(3);
  ListObject later(-2);
  EXPECT_EQ(later.compress_depth(), 3);
  ListObject::SetCompressDepth(0);
}

// Random operations against a std::deque model, across fill factors.
// With compression depths 1 and 2 too: interior nodes compressed, every
// operation still sees the same elements.
TEST(ListObject, RandomizedAgainstModel) {
  for (int64_t depth : {0, 1, 2})
  for (int64_t fill : {-5, -2, -1, 0, 1, 3, 16, 128}) {
    std::mt19937_64 rng(uint64_t(fill + 100 + depth * 1000));
    ListObject l(fill, depth);
    std::deque<std::string> m;
    auto rand_value = [&]() {
      int kind = int(rng() % 10);
      size_t len = kind == 0 ? rng() % 3000 : kind == 1 ? 0 : kind < 6 ? 1 + rng() % 2 : rng() % 20;
      std::string s(len, 'a');
      for (auto& ch : s) ch = char('a' + rng() % 4);
      return s;
    };
    for (int step = 0; step < 4000; step++) {
      int op = int(rng() % 13);
      SCOPED_TRACE("depth " + std::to_string(depth) + " fill " + std::to_string(fill) + " step " + std::to_string(step) + " op " +
                   std::to_string(op));
      switch (op) {
        case 0:
        case 1: {
          std::string v = rand_value();
          l.PushBack(v);
          m.push_back(v);
          break;
        }
        case 2:
        case 3: {
          std::string v = rand_value();
          l.PushFront(v);
          m.push_front(v);
          break;
        }
        case 4:
          if (!m.empty()) {
            ASSERT_EQ(l.PopFront(), m.front());
            m.pop_front();
          }
          break;
        case 5:
          if (!m.empty()) {
            ASSERT_EQ(l.PopBack(), m.back());
            m.pop_back();
          }
          break;
        case 6:
          if (!m.empty()) {
            size_t i = rng() % m.size();
            std::string v = rand_value();
            l.Set(i, v);
            m[i] = v;
          }
          break;
        case 7: {
          std::string pivot = rand_value(), v = rand_value();
          bool after = rng() % 2;
          auto it = std::find(m.begin(), m.end(), pivot);
          ASSERT_EQ(l.InsertAtPivot(pivot, v, after), it != m.end());
          if (it != m.end()) m.insert(after ? it + 1 : it, v);
          break;
        }
        case 8: {
          std::string v = rand_value();
          int64_t count = int64_t(rng() % 5) - 2;
          size_t want = 0;
          if (count >= 0) {
            for (auto it = m.begin(); it != m.end();) {
              if (*it == v && (count == 0 || want < size_t(count))) {
                it = m.erase(it);
                want++;
              } else {
                ++it;
              }
            }
          } else {
            for (size_t i = m.size(); i-- > 0;) {
              if (m[i] == v && want < size_t(-count)) {
                m.erase(m.begin() + ptrdiff_t(i));
                want++;
              }
            }
          }
          ASSERT_EQ(l.Remove(v, count), want);
          break;
        }
        case 9:
          if (rng() % 8 == 0) {
            size_t f = m.empty() ? 0 : rng() % (m.size() / 4 + 1);
            size_t b = m.empty() ? 0 : rng() % (m.size() / 4 + 1);
            l.TrimEnds(f, b);
            for (size_t k = 0; k < f && !m.empty(); k++) m.pop_front();
            for (size_t k = 0; k < b && !m.empty(); k++) m.pop_back();
          }
          break;
        case 10:
          if (!m.empty()) {
            size_t i = rng() % m.size();
            ASSERT_EQ(l.At(i), m[i]);
            size_t n = rng() % 10;
            auto it = l.IteratorAt(i, true);
            for (size_t k = 0; k < n && i + k < m.size(); k++, it.Next()) {
              ASSERT_TRUE(it.Valid());
              ASSERT_EQ(it.value(), m[i + k]);
            }
          }
          break;
        case 11: {
          std::string v = rand_value();
          bool tail = rng() % 2;
          size_t skip = rng() % 2, count = rng() % 3, maxlen = rng() % 4 == 0 ? 10 : 0;
          std::vector<size_t> want;
          size_t seen = 0, sk = skip;
          for (size_t k = 0; k < m.size(); k++) {
            size_t i = tail ? m.size() - 1 - k : k;
            if (maxlen && seen == maxlen) break;
            seen++;
            if (m[i] != v) continue;
            if (sk > 0) {
              sk--;
              continue;
            }
            want.push_back(i);
            if (count && want.size() == count) break;
          }
          ASSERT_EQ(l.Positions(v, skip, count, maxlen, tail), want);
          break;
        }
        case 12:
          if (!m.empty()) {
            std::vector<std::string> out;
            size_t n = rng() % 5;
            if (rng() % 2) {
              l.PopFront(n, &out);
              for (size_t k = 0; k < out.size(); k++) {
                ASSERT_EQ(out[k], m.front());
                m.pop_front();
              }
            } else {
              l.PopBack(n, &out);
              for (size_t k = 0; k < out.size(); k++) {
                ASSERT_EQ(out[k], m.back());
                m.pop_back();
              }
            }
            ASSERT_EQ(out.size(), std::min(n, out.size() + m.size()));
          }
          break;
      }
      if (step % 97 == 0) ExpectSame(l, m);
      ASSERT_TRUE(l.CheckInvariants());
    }
    ExpectSame(l, m);
  }
}

}  // namespace
}  // namespace basalt::storage
