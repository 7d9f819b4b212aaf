#include "common/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

namespace basalt {
namespace {

TEST(LatencyHistogramTest, SlotsTileTheRangeWithoutGaps) {
  // Every slot starts right after the previous one ends, and a value maps to
  // the slot whose range holds it.
  for (int s = 1; s < LatencyHistogram::kSlots; s++) {
    ASSERT_EQ(LatencyHistogram::SlotLowest(s), LatencyHistogram::SlotHighest(s - 1) + 1) << s;
  }
  for (int64_t v : {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{1000}, int64_t{2000},
                    int64_t{123456}, int64_t{999999999}, LatencyHistogram::kMaxNs}) {
    int s = LatencyHistogram::SlotOf(v);
    EXPECT_LE(LatencyHistogram::SlotLowest(s), v);
    EXPECT_GE(LatencyHistogram::SlotHighest(s), v);
    EXPECT_LT(s, LatencyHistogram::kSlots);
  }
  // Precision: a slot is at most 1/128 of its values wide.
  for (int s = 256; s < LatencyHistogram::kSlots; s++) {
    int64_t width = LatencyHistogram::SlotHighest(s) - LatencyHistogram::SlotLowest(s) + 1;
    EXPECT_LE(width * 128, LatencyHistogram::SlotLowest(s)) << s;
  }
}

TEST(LatencyHistogramTest, MatchesRedisValuesForWholeMicroseconds) {
  // Redis 7.0 reports 2 us as p50=2.007 and 4 us as 4.015 (observed).
  LatencyHistogram h;
  h.RecordUs(2);
  LatencyDistribution d;
  d.Add(h);
  EXPECT_EQ(d.ValueAtPercentile(50), 2007);
  EXPECT_EQ(d.ValueAtPercentile(0), 2000);
  LatencyHistogram h4;
  h4.RecordUs(4);
  LatencyDistribution d4;
  d4.Add(h4);
  EXPECT_EQ(d4.ValueAtPercentile(99.9), 4015);
}

TEST(LatencyHistogramTest, PercentilesOfAKnownDistribution) {
  // 1..100000 us, each once, spread over four "threads": the p-th percentile
  // is p * 1000 us, within the histogram's 1/128 precision.
  LatencyHistogram parts[4];
  std::vector<int64_t> values;
  for (int64_t v = 1; v <= 100000; v++) values.push_back(v);
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  for (size_t i = 0; i < values.size(); i++) parts[i % 4].RecordUs(values[i]);
  LatencyDistribution d;
  for (auto& p : parts) d.Add(p);
  ASSERT_EQ(d.total(), 100000u);
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    double want_ns = p * 1000.0 * 1000.0;
    double got_ns = double(d.ValueAtPercentile(p));
    EXPECT_GE(got_ns, want_ns) << p;  // the slot's highest value
    EXPECT_LE(std::fabs(got_ns - want_ns) / want_ns, 1.0 / 128 + 1e-9) << p;
  }
  // A skewed distribution: 99 % at 10 us, 1 % at 5 ms.
  LatencyHistogram h;
  for (int i = 0; i < 9900; i++) h.RecordUs(10);
  for (int i = 0; i < 100; i++) h.RecordUs(5000);
  LatencyDistribution s;
  s.Add(h);
  EXPECT_NEAR(double(s.ValueAtPercentile(50)) / 1000, 10.0, 0.1);
  EXPECT_NEAR(double(s.ValueAtPercentile(99)) / 1000, 10.0, 0.1);
  EXPECT_NEAR(double(s.ValueAtPercentile(99.5)) / 1000, 5000.0, 5000.0 / 128);
}

TEST(LatencyHistogramTest, ClampsToTheRange) {
  LatencyHistogram h;
  h.RecordUs(0);
  h.RecordUs(5000000);  // 5 s: counted as 1 s
  LatencyDistribution d;
  d.Add(h);
  EXPECT_EQ(d.ValueAtPercentile(10), 1);
  EXPECT_GE(d.ValueAtPercentile(100), LatencyHistogram::kMaxNs);
  EXPECT_LE(d.ValueAtPercentile(100), LatencyHistogram::kMaxNs * 129 / 128);
}

TEST(LatencyHistogramTest, PowerOfTwoStepsAreCumulative) {
  // Redis 7.0 replies {2: 1} for one 2 us call, and for calls of 16 us,
  // 1 ms and 2 ms: {16: 1, 1056: 2, 2113: 3} (observed).
  LatencyHistogram a;
  a.RecordUs(2);
  LatencyDistribution da;
  da.Add(a);
  EXPECT_EQ(da.PowerOfTwoSteps(), (std::vector<std::pair<int64_t, uint64_t>>{{2, 1}}));
  LatencyHistogram b;
  b.RecordUs(16);
  b.RecordUs(1000);
  b.RecordUs(2000);
  LatencyDistribution db;
  db.Add(b);
  EXPECT_EQ(db.PowerOfTwoSteps(),
            (std::vector<std::pair<int64_t, uint64_t>>{{16, 1}, {1056, 2}, {2113, 3}}));
  LatencyHistogram c;
  c.RecordUs(1);
  c.RecordUs(10000000);
  LatencyDistribution dc;
  dc.Add(c);
  auto steps = dc.PowerOfTwoSteps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0], (std::pair<int64_t, uint64_t>{1, 1}));
  EXPECT_EQ(steps[1].second, 2u);
  EXPECT_TRUE(LatencyDistribution().PowerOfTwoSteps().empty());
}

TEST(LatencyHistogramTest, ResetEmpties) {
  LatencyHistogram h;
  h.RecordUs(3);
  EXPECT_EQ(h.total(), 1u);
  h.Reset();
  EXPECT_EQ(h.total(), 0u);
  LatencyDistribution d;
  d.Add(h);
  EXPECT_EQ(d.total(), 0u);
  EXPECT_EQ(d.ValueAtPercentile(50), 0);
}

}  // namespace
TEST(LatencyHistogramTest, CumulativeCountsForPrometheusBuckets) {
  // Whole microseconds fall in the bucket of their bound (1 us, 2 us, ...).
  LatencyHistogram h;
  h.RecordUs(0);  // clamped to 1 ns
  h.RecordUs(1);
  h.RecordUs(2);
  h.RecordUs(3);
  h.RecordUs(1000);
  h.RecordUs(5000000);  // clamped to 1 s
  LatencyDistribution d;
  d.Add(h);
  const int64_t bounds[] = {1000, 2000, 4000, 1024000, 1048576000};
  EXPECT_EQ(d.CumulativeCounts(bounds), (std::vector<uint64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(LatencyDistribution().CumulativeCounts(bounds), (std::vector<uint64_t>(5, 0)));
  // The sum is within 1/256 of 1 + 1000 + 2000 + 3000 + 1e6 + 1e9 ns.
  double sum = 1 + 1000 + 2000 + 3000 + 1e6 + 1e9;
  EXPECT_NEAR(d.ApproxSumNs(), sum, sum / 256);
}

}  // namespace basalt
