// Per-thread command statistics: calls, time, rejections and failures per
// command (INFO commandstats), latency histograms per command (INFO
// latencystats, LATENCY HISTOGRAM), keyspace hits and misses, network bytes.
// The executor counts into the calling thread's slot; readers sum the slots.
//
// Thread-safety: a ThreadStats is written by its owner thread only (Bump: a
// relaxed load and store, no locked instruction), except the shared "other"
// slot that non-worker threads write with fetch_add. Any thread may read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/latency_histogram.h"

namespace basalt::commands {

// Adds to a counter only its owner thread writes: no locked instruction.
inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct CommandStat {
  CommandStat() = default;
  CommandStat(const CommandStat&) = delete;
  CommandStat& operator=(const CommandStat&) = delete;
  ~CommandStat() { delete hist.load(std::memory_order_relaxed); }
  std::atomic<uint64_t> calls{0}, usec{0}, rejected{0}, failed{0};
  // The command's latency histogram on this thread, made by the owner thread
  // on the command's first call with latency-tracking on (published with a
  // release store; readers load with acquire). Never freed before the slot.
  std::atomic<LatencyHistogram*> hist{nullptr};
};

// Counters owned by one thread (a worker, or the shared "other" slot whose
// writers use fetch_add).
struct ThreadStats {
  explicit ThreadStats(size_t ncommands) : cmd(new CommandStat[ncommands]) {}
  std::atomic<uint64_t> commands{0}, hits{0}, misses{0}, expired{0}, evicted{0}, net_in{0},
      net_out{0};
  // Bytes of the replication stream (from our primary, to our replicas),
  // which Redis 7.0 counts apart from net_in/net_out; reads and writes on
  // client sockets; microseconds spent in the active expiry cycle; client
  // reply buffers given back once drained and grown past their size
  // (INFO reply_buffer_shrinks / _expands).
  std::atomic<uint64_t> net_repl_in{0}, net_repl_out{0}, reads{0}, writes{0},
      expire_cycle_us{0}, reply_shrinks{0}, reply_expands{0};
  std::unique_ptr<CommandStat[]> cmd;
  // The shared slot of the non-worker threads: several writers, so its
  // histograms are written under a mutex.
  bool shared = false;
};

// Adds one call of `us` microseconds to the command's histogram on the
// calling thread's slot (latency-tracking). No lock and no allocation but
// on the command's first call on this thread (or in the shared slot).
void RecordCommandLatencySlow(ThreadStats& stats, CommandStat& cs, int64_t us);
inline void RecordCommandLatency(ThreadStats& stats, CommandStat& cs, int64_t us) {
  LatencyHistogram* h = cs.hist.load(std::memory_order_relaxed);
  if (h != nullptr && !stats.shared) {
    h->RecordUs(us);
  } else {
    RecordCommandLatencySlow(stats, cs, us);
  }
}

// The stats slot of the calling thread: its own if SetThreadStats() named
// one, else the shared slot given to SetSharedStats().
ThreadStats& CurrentStats();
// Called once by each worker thread when it starts.
void SetThreadStats(ThreadStats* stats);
// Called once at start-up, before any thread counts.
void SetSharedStats(ThreadStats* stats);

}  // namespace basalt::commands
