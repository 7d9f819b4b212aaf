#include "commands/latency_stats.h"

#include <cstdio>
#include <cstdlib>

#include "commands/command_stats.h"
#include "commands/command_table.h"
#include "commands/host.h"

namespace basalt::commands {

std::vector<CommandLatency> CollectCommandLatencies(Admin& admin,
                                                    std::span<const CommandSpec* const> specs) {
  std::vector<CommandLatency> out(specs.size());
  for (size_t i = 0; i < specs.size(); i++) out[i].spec = specs[i];
  admin.ForEachThreadStats([&](const ThreadStats& t) {
    for (CommandLatency& c : out) {
      const LatencyHistogram* h = t.cmd[size_t(c.spec->id)].hist.load(std::memory_order_acquire);
      if (h != nullptr && h->total() > 0) c.dist.Add(*h);
    }
  });
  std::erase_if(out, [](const CommandLatency& c) { return c.dist.total() == 0; });
  return out;
}

std::string FormatLatencyPercentiles(const LatencyDistribution& dist,
                                     const std::vector<std::string>& percentiles) {
  std::string out;
  for (const std::string& p : percentiles) {
    double pct = std::strtod(p.c_str(), nullptr);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", double(dist.ValueAtPercentile(pct)) / 1000.0);
    if (!out.empty()) out += ',';
    out += 'p';
    out += p;
    out += '=';
    out += buf;
  }
  return out;
}

}  // namespace basalt::commands
