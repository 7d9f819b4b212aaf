// LatencyHistogram: a log-linear histogram of command durations, for INFO
// latencystats and LATENCY HISTOGRAM.
//
// Redis 7.0 keeps one HDR histogram per command over nanoseconds (1 ns ..
// 1 s, 2 significant digits) and feeds it the duration in microseconds
// times 1000. This one uses the same bucket layout, so percentiles and the
// power-of-two steps of LATENCY HISTOGRAM come out as Redis's do for the
// same durations:
//   - values below 256 ns have one slot each;
//   - above, each power of two [2^e, 2^(e+1)) is cut into 128 equal slots,
//     so a slot is at most 1/128 (0.8 %) of its value wide.
// 3072 slots cover 1 ns .. 2^30 ns; values are clamped to [1 ns, 1 s].
//
// Thread-safety: Record() is for the histogram's owner thread only (a
// relaxed load and store per counter, no locked instruction, no
// allocation). Any thread may read it (MergeInto) or Reset() it; a Reset()
// racing with Record() may lose that one sample, as the other per-thread
// statistics may.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace basalt {

class LatencyHistogram {
 public:
  static constexpr int kSlots = 3072;
  static constexpr int64_t kMinNs = 1;
  static constexpr int64_t kMaxNs = 1000000000;

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Owner thread only.
  void RecordUs(int64_t us) {
    int64_t ns = us * 1000;
    if (ns < kMinNs) ns = kMinNs;
    if (ns > kMaxNs) ns = kMaxNs;
    std::atomic<uint64_t>& c = counts_[SlotOf(ns)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    total_.store(total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  void Reset();

  // Adds this histogram's counts to `counts` (kSlots long) and returns how
  // many samples it holds.
  uint64_t MergeInto(std::vector<uint64_t>& counts) const;

  // The slot of a value in ns (>= 1), and the values a slot covers.
  static int SlotOf(int64_t ns) {
    if (ns < 256) return int(ns);
    int e = 63 - __builtin_clzll(uint64_t(ns));  // 2^e <= ns < 2^(e+1), e >= 8
    int shift = e - 7;                           // slot width is 2^shift
    return shift * 128 + int(ns >> shift);
  }
  static int64_t SlotLowest(int slot);
  static int64_t SlotHighest(int slot);

 private:
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> counts_[kSlots];
};

// Merged counts of one or more histograms (read side, any thread).
class LatencyDistribution {
 public:
  void Add(const LatencyHistogram& h) {
    if (counts_.empty()) counts_.assign(LatencyHistogram::kSlots, 0);  // first use
    total_ += h.MergeInto(counts_);
  }
  uint64_t total() const { return total_; }
  // The value (ns) at or below which `percentile` % of the samples fall: the
  // highest value of the slot holding the sample of that rank (the lowest
  // value of that slot for percentile 0). 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;
  // LATENCY HISTOGRAM's steps: for 1024 ns, 2048 ns, 4096 ns, ..., the
  // highest value of the step's slot in whole microseconds and the number
  // of samples up to it; only steps whose count grew, up to the last sample.
  std::vector<std::pair<int64_t, uint64_t>> PowerOfTwoSteps() const;
  // Prometheus histogram buckets: for each bound (ns, ascending), the number
  // of samples at or below it, counting every slot up to the bound's own
  // whole (so a bucket may hold samples up to 1/128 above its bound).
  std::vector<uint64_t> CumulativeCounts(std::span<const int64_t> bounds_ns) const;
  // The sum of the samples in ns, each taken as its slot's midpoint (within
  // 1/256 of the true sum).
  double ApproxSumNs() const;

 private:
  std::vector<uint64_t> counts_;  // kSlots long once a histogram was added
  uint64_t total_ = 0;
};

}  // namespace basalt
