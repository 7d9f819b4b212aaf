#include "commands/command_stats.h"

#include <mutex>

namespace basalt::commands {
namespace {
thread_local ThreadStats* t_stats = nullptr;
ThreadStats* g_shared_stats = nullptr;
std::mutex g_shared_hist_mu;  // the shared slot's histograms
}  // namespace

void RecordCommandLatencySlow(ThreadStats& stats, CommandStat& cs, int64_t us) {
  std::unique_lock<std::mutex> lock(g_shared_hist_mu, std::defer_lock);
  if (stats.shared) lock.lock();
  LatencyHistogram* h = cs.hist.load(std::memory_order_relaxed);
  if (h == nullptr) {
    h = new LatencyHistogram();
    cs.hist.store(h, std::memory_order_release);
  }
  h->RecordUs(us);
}

ThreadStats& CurrentStats() { return t_stats ? *t_stats : *g_shared_stats; }
void SetThreadStats(ThreadStats* stats) { t_stats = stats; }
void SetSharedStats(ThreadStats* stats) {
  g_shared_stats = stats;
  if (stats != nullptr) stats->shared = true;
}

}  // namespace basalt::commands
