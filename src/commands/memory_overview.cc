#include "commands/memory_overview.h"

#include <algorithm>

#include "commands/host.h"
#include "common/memory.h"
#include "replication/write_log.h"
#include "scripting/runtime.h"
#include "storage/keyspace.h"
#include "storage/table.h"

namespace basalt::commands {
namespace {

float Ratio(size_t a, size_t b) { return b == 0 ? 0.0f : float(double(a) / double(b)); }

}  // namespace

MemoryOverview ComputeMemoryOverview(Host& host) {
  MemoryOverview o;
  MemoryStats m = ReadMemoryStats();
  o.total_allocated = m.allocated;
  o.peak_allocated = std::max(PeakMemory(), m.allocated);
  o.allocator_allocated = m.allocated;
  o.allocator_active = m.active;
  o.allocator_resident = m.resident;
  o.rss = m.rss;

  ServerMemory sm = host.admin().MemoryFigures();
  o.startup_allocated = sm.startup;
  o.clients_normal = sm.clients_normal;
  o.clients_replicas = sm.clients_replicas;
  o.aof_buffer = sm.aof_buffer;
  o.replication_backlog = host.write_log().backlog_size();
  o.replication_buffers = o.replication_backlog + sm.replica_output;
  scripting::Runtime& rt = host.scripts();
  o.lua_caches = rt.scripts_bytes.load(std::memory_order_relaxed);
  o.functions_caches = rt.functions_bytes.load(std::memory_order_relaxed);

  size_t overhead = o.startup_allocated + o.replication_backlog + o.clients_replicas +
                    o.clients_normal + o.aof_buffer + o.lua_caches + o.functions_caches;
  storage::Keyspace& ks = host.keyspace();
  for (int d = 0; d < ks.db_count(); d++) {
    storage::Database& db = ks.db(d);
    if (db.ApproxSize() == 0) continue;
    MemoryOverview::Db row{d, 0, 0};
    for (uint32_t i = 0; i < db.shard_count(); i++) {
      storage::Shard& sh = db.shard(i);
      storage::ShardLock lock(sh);
      row.main += sh.table().MemoryOverhead();
      row.expires += sh.ttl_count() * sizeof(void*);
    }
    o.keys_count += db.ApproxSize();
    overhead += row.main + row.expires;
    o.dbs.push_back(row);
  }
  o.overhead_total = overhead;
  o.dataset = o.total_allocated > overhead ? o.total_allocated - overhead : 0;
  size_t net = o.total_allocated > o.startup_allocated ? o.total_allocated - o.startup_allocated
                                                       : 0;
  o.bytes_per_key = o.keys_count ? net / o.keys_count : 0;
  o.dataset_percentage = net ? float(double(o.dataset) * 100.0 / double(net)) : 0.0f;
  o.peak_percentage = Ratio(o.total_allocated * 100, o.peak_allocated);
  o.allocator_frag_ratio = Ratio(o.allocator_active, o.allocator_allocated);
  o.allocator_frag_bytes = (long long)o.allocator_active - (long long)o.allocator_allocated;
  o.allocator_rss_ratio = Ratio(o.allocator_resident, o.allocator_active);
  o.allocator_rss_bytes = (long long)o.allocator_resident - (long long)o.allocator_active;
  o.rss_overhead_ratio = Ratio(o.rss, o.allocator_resident);
  o.rss_overhead_bytes = (long long)o.rss - (long long)o.allocator_resident;
  o.fragmentation = Ratio(o.rss, o.total_allocated);
  o.fragmentation_bytes = (long long)o.rss - (long long)o.total_allocated;
  return o;
}

}  // namespace basalt::commands
