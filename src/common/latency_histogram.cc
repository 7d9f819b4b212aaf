#include "common/latency_histogram.h"

namespace basalt {

LatencyHistogram::LatencyHistogram() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

void LatencyHistogram::Reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  total_.store(0, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::MergeInto(std::vector<uint64_t>& counts) const {
  uint64_t n = 0;
  for (int i = 0; i < kSlots; i++) {
    uint64_t c = counts_[i].load(std::memory_order_relaxed);
    counts[size_t(i)] += c;
    n += c;
  }
  // Summed from the slots rather than read from total_, so a reader racing
  // with Record() sees counts and total that agree.
  return n;
}

int64_t LatencyHistogram::SlotLowest(int slot) {
  if (slot < 256) return slot;
  int shift = slot / 128 - 1;
  return int64_t(slot - shift * 128) << shift;
}

int64_t LatencyHistogram::SlotHighest(int slot) {
  if (slot < 256) return slot;
  int shift = slot / 128 - 1;
  return SlotLowest(slot) + (int64_t{1} << shift) - 1;
}

int64_t LatencyDistribution::ValueAtPercentile(double percentile) const {
  if (total_ == 0) return 0;
  if (percentile > 100.0) percentile = 100.0;
  // The rank of the sample that percentile names, rounded to nearest.
  uint64_t rank = uint64_t(percentile / 100.0 * double(total_) + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < LatencyHistogram::kSlots; i++) {
    seen += counts_[size_t(i)];
    if (seen >= rank) {
      return percentile == 0.0 ? LatencyHistogram::SlotLowest(i) : LatencyHistogram::SlotHighest(i);
    }
  }
  return LatencyHistogram::SlotHighest(LatencyHistogram::kSlots - 1);
}

std::vector<std::pair<int64_t, uint64_t>> LatencyDistribution::PowerOfTwoSteps() const {
  std::vector<std::pair<int64_t, uint64_t>> out;
  if (total_ == 0) return out;
  uint64_t cumulative = 0, reported = 0;
  int next = 0;  // the first slot not yet summed
  for (int64_t level = 1024;; level *= 2) {
    // A power of two is the lowest value of its slot; the step counts every
    // sample up to that slot's highest value.
    int slot =
        level >= (int64_t{1} << 30) ? LatencyHistogram::kSlots : LatencyHistogram::SlotOf(level);
    int last = slot < LatencyHistogram::kSlots ? slot : LatencyHistogram::kSlots - 1;
    for (; next <= last; next++) cumulative += counts_[size_t(next)];
    if (cumulative > reported) {
      int64_t highest = slot < LatencyHistogram::kSlots
                            ? LatencyHistogram::SlotHighest(slot)
                            : level + (level >> 7) - 1;  // the slot past the table
      out.emplace_back(highest / 1000, cumulative);
      reported = cumulative;
    }
    if (cumulative >= total_ || slot >= LatencyHistogram::kSlots) break;
  }
  return out;
}

std::vector<uint64_t> LatencyDistribution::CumulativeCounts(
    std::span<const int64_t> bounds_ns) const {
  std::vector<uint64_t> out;
  out.reserve(bounds_ns.size());
  uint64_t cumulative = 0;
  int next = 0;  // the first slot not yet summed
  for (int64_t bound : bounds_ns) {
    int64_t ns = bound < LatencyHistogram::kMinNs ? LatencyHistogram::kMinNs : bound;
    int last =
        ns > LatencyHistogram::kMaxNs ? LatencyHistogram::kSlots - 1 : LatencyHistogram::SlotOf(ns);
    if (last >= LatencyHistogram::kSlots) last = LatencyHistogram::kSlots - 1;
    for (; !counts_.empty() && next <= last; next++) cumulative += counts_[size_t(next)];
    out.push_back(cumulative);
  }
  return out;
}

double LatencyDistribution::ApproxSumNs() const {
  double sum = 0;
  for (size_t i = 0; i < counts_.size(); i++) {
    if (counts_[i] == 0) continue;
    double mid = (double(LatencyHistogram::SlotLowest(int(i))) +
                  double(LatencyHistogram::SlotHighest(int(i)))) /
                 2;
    sum += mid * double(counts_[i]);
  }
  return sum;
}

}  // namespace basalt
