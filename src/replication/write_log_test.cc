#include "replication/write_log.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace basalt::replication {
namespace {

// Splits a RESP command stream into commands (arrays of bulk strings).
std::vector<std::vector<std::string>> Decode(const std::string& s) {
  std::vector<std::vector<std::string>> out;
  size_t p = 0;
  auto line = [&]() {
    size_t e = s.find("\r\n", p);
    std::string l = s.substr(p, e - p);
    p = e + 2;
    return l;
  };
  while (p < s.size()) {
    std::string h = line();
    EXPECT_EQ(h[0], '*');
    int n = std::stoi(h.substr(1));
    std::vector<std::string> cmd;
    for (int i = 0; i < n; i++) {
      std::string b = line();
      EXPECT_EQ(b[0], '$');
      size_t len = std::stoul(b.substr(1));
      cmd.push_back(s.substr(p, len));
      p += len + 2;
    }
    out.push_back(cmd);
  }
  return out;
}

TEST(WriteLogTest, EncodesAndInsertsSelect) {
  WriteLog log(1 << 16);
  std::string_view set[] = {"SET", "k", "v"};
  log.Append(0, set);
  log.Append(0, set);
  log.Append(3, set);
  std::string bytes;
  ASSERT_TRUE(log.ReadFrom(0, &bytes));
  EXPECT_EQ(int64_t(bytes.size()), log.offset());
  auto cmds = Decode(bytes);
  ASSERT_EQ(cmds.size(), 5u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SELECT", "0"}));
  EXPECT_EQ(cmds[3], (std::vector<std::string>{"SELECT", "3"}));
}

TEST(WriteLogTest, TransactionIsOneGroupWithSelects) {
  WriteLog log(1 << 16);
  std::vector<std::pair<int, std::vector<std::string>>> cmds = {
      {0, {"SET", "a", "1"}}, {2, {"SET", "b", "2"}}, {2, {"DEL", "c"}}};
  log.AppendTransaction(cmds);
  std::string bytes;
  ASSERT_TRUE(log.ReadFrom(0, &bytes));
  auto got = Decode(bytes);
  std::vector<std::vector<std::string>> want = {{"SELECT", "0"}, {"MULTI"},       {"SET", "a", "1"},
                                                {"SELECT", "2"}, {"SET", "b", "2"}, {"DEL", "c"},
                                                {"EXEC"}};
  EXPECT_EQ(got, want);
}

TEST(WriteLogTest, BacklogKeepsOnlyTheTail) {
  WriteLog log(16384);
  std::string big(10000, 'x');
  std::string_view cmd[] = {"SET", "k", big};
  log.Append(-1, cmd);
  log.Append(-1, cmd);
  std::string out;
  EXPECT_FALSE(log.ReadFrom(0, &out));
  int64_t half = log.offset() - 10020;
  EXPECT_TRUE(log.ReadFrom(half, &out));
  EXPECT_EQ(int64_t(out.size()), 10020);
}

// Collects what a tap sees.
class CollectTap : public WriteLogTap {
 public:
  void OnAppend(std::string_view bytes, int64_t end_offset) override {
    seen.append(bytes);
    end = end_offset;
  }
  std::string seen;
  int64_t end = -1;
};

TEST(WriteLogTest, ReplicaModeStreamIsRawAndTheTapGetsWhatRan) {
  WriteLog log(1 << 16);
  CollectTap aof, replica;
  log.SetTap(&aof);
  log.AddTap(&replica);
  log.SetReplicaMode(true);
  std::string raw = "*1\r\n$4\r\nPING\r\n";
  std::string_view set[] = {"SET", "k", "v"};
  // What the replica executes reaches the AOF only, with its own SELECT.
  log.Append(2, set);
  EXPECT_EQ(log.offset(), 0);
  log.AppendRaw(raw);
  EXPECT_EQ(log.offset(), int64_t(raw.size()));
  EXPECT_EQ(replica.seen, raw);
  auto got = Decode(aof.seen);
  EXPECT_EQ(got, (std::vector<std::vector<std::string>>{{"SELECT", "2"}, {"SET", "k", "v"}}));
  EXPECT_EQ(aof.end, log.offset());  // durability waits on raw offsets still end
  // Promotion: the next own write selects its database in the stream.
  log.SetReplicaMode(false);
  log.Append(2, set);
  std::string tail;
  ASSERT_TRUE(log.ReadFrom(int64_t(raw.size()), &tail));
  EXPECT_EQ(Decode(tail),
            (std::vector<std::vector<std::string>>{{"SELECT", "2"}, {"SET", "k", "v"}}));
}

TEST(WriteLogTest, AddTapFromReplaysTheBacklogOrRefuses) {
  WriteLog log(16384);
  std::string_view set[] = {"SET", "k", "v"};
  log.Append(0, set);
  int64_t mid = log.offset();
  log.Append(0, set);
  CollectTap t;
  ASSERT_TRUE(log.AddTapFrom(&t, mid));
  EXPECT_EQ(Decode(t.seen), (std::vector<std::vector<std::string>>{{"SET", "k", "v"}}));
  log.Append(0, set);
  EXPECT_EQ(Decode(t.seen).size(), 2u);
  log.RemoveTap(&t);
  CollectTap late;
  EXPECT_FALSE(log.AddTapFrom(&late, log.offset() + 1));
  log.ClearBacklog();
  EXPECT_FALSE(log.AddTapFrom(&late, mid));
  EXPECT_TRUE(log.AddTapFrom(&late, log.offset()));  // nothing to replay, still continues
  EXPECT_TRUE(late.seen.empty());
  log.RemoveTap(&late);
}

TEST(WriteLogTest, ResizeBacklogKeepsTheNewestBytes) {
  WriteLog log(16384);
  std::string v(1000, 'a');
  for (int i = 0; i < 30; i++) {
    v[0] = char('a' + i % 26);
    std::string_view cmd[] = {"SET", "k", v};
    log.Append(-1, cmd);
  }
  std::string before;
  int64_t from = log.offset() - 16000;
  ASSERT_TRUE(log.ReadFrom(from, &before));
  log.ResizeBacklog(32768);
  std::string after;
  ASSERT_TRUE(log.ReadFrom(from, &after));
  EXPECT_EQ(before, after);
  log.ResizeBacklog(16384);
  after.clear();
  ASSERT_TRUE(log.ReadFrom(from, &after));
  EXPECT_EQ(before, after);
  EXPECT_FALSE(log.ReadFrom(log.offset() - 16385, &after));
}

// Writers on several threads update keys under per-key "shard" locks and
// append while holding them, as commands do. For every key, the log must show
// its values in the order they were applied, and offsets must be contiguous.
TEST(WriteLogTest, OrderPerKeyUnderConcurrentWriters) {
  constexpr int kThreads = 4, kKeys = 8, kOps = 5000;
  WriteLog log(64 << 20);
  std::mutex key_mu[kKeys];
  int applied[kKeys] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; i++) {
        int k = (i * 7 + t) % kKeys;
        std::lock_guard<std::mutex> lock(key_mu[k]);
        int v = ++applied[k];
        std::string key = "key" + std::to_string(k), val = std::to_string(v);
        std::string_view args[] = {"SET", key, val};
        log.Append(0, args);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::string bytes;
  ASSERT_TRUE(log.ReadFrom(0, &bytes));
  EXPECT_EQ(int64_t(bytes.size()), log.offset());
  auto cmds = Decode(bytes);
  ASSERT_EQ(cmds.size(), size_t(kThreads * kOps + 1));
  std::map<std::string, int> last;
  for (size_t i = 1; i < cmds.size(); i++) {
    int v = std::stoi(cmds[i][2]);
    EXPECT_EQ(v, last[cmds[i][1]] + 1) << "out of order at command " << i;
    last[cmds[i][1]] = v;
  }
}

}  // namespace
}  // namespace basalt::replication
