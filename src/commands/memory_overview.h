// MemoryOverview: where the server's memory goes, in Redis's terms. One
// computation feeds both MEMORY STATS (commands/memory_family.cc) and the
// INFO memory section (server/info.cc), so the two always agree.
//
// Thread-safety: ComputeMemoryOverview may be called from any worker thread;
// it takes each shard lock briefly, one at a time, to read table sizes.
#pragma once

#include <cstddef>
#include <vector>

namespace basalt::commands {

class Host;

struct MemoryOverview {
  // Allocator figures (jemalloc: stats.allocated / active / resident).
  size_t peak_allocated = 0;
  size_t total_allocated = 0;      // used_memory
  size_t startup_allocated = 0;    // after start-up, before any data
  size_t allocator_allocated = 0;
  size_t allocator_active = 0;
  size_t allocator_resident = 0;
  size_t rss = 0;
  // Overheads (not the dataset).
  size_t replication_backlog = 0;
  size_t replication_buffers = 0;  // backlog + what replicas still have to read
  size_t clients_replicas = 0;
  size_t clients_normal = 0;
  size_t aof_buffer = 0;
  size_t lua_caches = 0;           // EVAL script cache
  size_t functions_caches = 0;     // function libraries
  struct Db {
    int index;
    size_t main;     // the key table's bucket arrays
    size_t expires;  // the expiry index
  };
  std::vector<Db> dbs;  // databases holding keys only
  size_t overhead_total = 0;
  // The dataset: everything else.
  size_t keys_count = 0;
  size_t bytes_per_key = 0;
  size_t dataset = 0;
  // Ratios, as float like Redis's (MEMORY STATS prints them with %.17g).
  float dataset_percentage = 0;
  float peak_percentage = 0;
  float allocator_frag_ratio = 0;
  long long allocator_frag_bytes = 0;
  float allocator_rss_ratio = 0;
  long long allocator_rss_bytes = 0;
  float rss_overhead_ratio = 0;
  long long rss_overhead_bytes = 0;
  float fragmentation = 0;
  long long fragmentation_bytes = 0;
};

MemoryOverview ComputeMemoryOverview(Host& host);

}  // namespace basalt::commands
