#include "common/latency_monitor.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace basalt {
namespace {

TEST(LatencyMonitorTest, OneSamplePerSecondKeepsTheWorst) {
  LatencyMonitor m;
  m.Add("command", 5, 100);
  m.Add("command", 9, 100);
  m.Add("command", 3, 100);
  m.Add("command", 4, 101);
  auto e = m.Get("command");
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->samples.size(), 2u);
  EXPECT_EQ(e->samples[0].time_s, 100);
  EXPECT_EQ(e->samples[0].ms, 9);
  EXPECT_EQ(e->latest().time_s, 101);
  EXPECT_EQ(e->latest().ms, 4);
  EXPECT_EQ(e->max_ms, 9);
  EXPECT_FALSE(m.Get("fast-command").has_value());
}

TEST(LatencyMonitorTest, KeepsTheLast160Seconds) {
  LatencyMonitor m;
  for (int64_t t = 0; t < 200; t++) m.Add("expire-cycle", t + 1, 1000 + t);
  auto e = m.Get("expire-cycle");
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->samples.size(), LatencyMonitor::kMaxSamples);
  EXPECT_EQ(e->samples.front().time_s, 1040);
  EXPECT_EQ(e->samples.back().time_s, 1199);
  EXPECT_EQ(e->max_ms, 200);
}

TEST(LatencyMonitorTest, ResetNamedOrAll) {
  LatencyMonitor m;
  m.Add("a", 1, 1);
  m.Add("b", 1, 1);
  m.Add("c", 1, 1);
  std::string_view two[] = {"a", "a", "nosuch"};
  EXPECT_EQ(m.Reset(two), 1u);
  EXPECT_EQ(m.All().size(), 2u);
  EXPECT_EQ(m.Reset({}), 2u);
  EXPECT_TRUE(m.All().empty());
}

TEST(LatencyMonitorTest, ThresholdGatesRecording) {
  LatencyMonitor& p = LatencyMonitor::Process();
  p.Reset({});
  RecordLatency("command", 50, 0);  // monitoring off
  RecordLatency("command", 4, 5);   // under the threshold
  EXPECT_TRUE(p.All().empty());
  RecordLatency("command", 5, 5);
  ASSERT_EQ(p.All().size(), 1u);
  EXPECT_EQ(p.All()[0].max_ms, 5);
  p.Reset({});
}

TEST(LatencyMonitorTest, ManyThreadsRecord) {
  LatencyMonitor m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 1000; i++) m.Add("event-" + std::to_string(t), i, i / 10);
    });
  }
  for (auto& th : threads) th.join();
  auto all = m.All();
  ASSERT_EQ(all.size(), 4u);
  for (const auto& e : all) {
    EXPECT_EQ(e.samples.size(), 100u);
    EXPECT_EQ(e.max_ms, 999);
  }
}

}  // namespace
}  // namespace basalt
