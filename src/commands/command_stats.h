// Per-thread command statistics: calls, time, rejections and failures per
// command (INFO commandstats), keyspace hits and misses, network bytes. The
// executor counts into the calling thread's slot; readers sum the slots.
//
// Thread-safety: a ThreadStats is written by its owner thread only (Bump: a
// relaxed load and store, no locked instruction), except the shared "other"
// slot that non-worker threads write with fetch_add. Any thread may read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace basalt::commands {

// Adds to a counter only its owner thread writes: no locked instruction.
inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct CommandStat {
  std::atomic<uint64_t> calls{0}, usec{0}, rejected{0}, failed{0};
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
};

// The stats slot of the calling thread: its own if SetThreadStats() named
// one, else the shared slot given to SetSharedStats().
ThreadStats& CurrentStats();
// Called once by each worker thread when it starts.
void SetThreadStats(ThreadStats* stats);
// Called once at start-up, before any thread counts.
void SetSharedStats(ThreadStats* stats);

}  // namespace basalt::commands
