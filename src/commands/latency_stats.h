// Per-command latency distributions, merged over every thread's histograms
// (commands/command_stats.h), for INFO latencystats and LATENCY HISTOGRAM.
//
// Thread-safety: any thread; the histograms are read with relaxed loads
// while their owners may be recording (a figure may miss a call in flight).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/latency_histogram.h"

namespace basalt::commands {

class Admin;
struct CommandSpec;

struct CommandLatency {
  const CommandSpec* spec = nullptr;
  LatencyDistribution dist;
};

// The merged distribution of each of `specs` that holds at least one sample,
// in the order given (a spec given twice is reported twice, as Redis does).
std::vector<CommandLatency> CollectCommandLatencies(Admin& admin,
                                                    std::span<const CommandSpec* const> specs);

// "p50=1.003,p99=2.007,p99.9=4.015": each percentile (as CONFIG GET spells
// it) and its value in microseconds with three decimals, INFO latencystats'
// format.
std::string FormatLatencyPercentiles(const LatencyDistribution& dist,
                                     const std::vector<std::string>& percentiles);

}  // namespace basalt::commands
