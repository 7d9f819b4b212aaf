// Client eviction (maxmemory-clients, Redis 7.0): when the memory of all
// normal and pubsub connections reaches the limit, the biggest ones are
// closed first until the rest fit. Connections with CLIENT NO-EVICT on, the
// primary link and replicas are never chosen (their memory still counts, as
// in Redis). A connection's memory is what Basalt can account for it: the
// connection object, its query buffer's capacity, the replies waiting in its
// output buffer and its queued MULTI commands.
//
// Redis checks after every read and command; Basalt checks on worker 0's
// cron (hz times a second) and whenever a query buffer grows, so a client
// whose replies pile up may briefly hold more before it is closed.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "config/config.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {

namespace {

// The limit in bytes: a size, or a percentage of maxmemory (0 when
// maxmemory is 0); 0 means off.
uint64_t ClientEvictionLimit(const config::Config& cfg) {
  int64_t raw = cfg.maxmemory_clients_raw();
  if (raw >= 0) return uint64_t(raw);
  uint64_t maxmemory = uint64_t(cfg.maxmemory());
  return maxmemory / 100 * uint64_t(-raw) + maxmemory % 100 * uint64_t(-raw) / 100;
}

}  // namespace

void Server::EvictClientsIfNeeded() {
  uint64_t limit = ClientEvictionLimit(config());
  if (limit == 0) return;
  std::lock_guard<std::mutex> lock(registry_mu_);
  uint64_t total = 0;
  std::vector<std::pair<uint64_t, Client*>> candidates;
  for (auto& [id, c] : registry_) {
    if (c->link_kind_.load(std::memory_order_relaxed) != 0) continue;  // primary, replicas
    if (c->kill_requested.load()) continue;                            // already on its way out
    uint64_t bytes = sizeof(Client) + c->qbuf_cap.load(std::memory_order_relaxed) +
                     c->obuf_len.load(std::memory_order_relaxed) +
                     c->multi_mem_shared.load(std::memory_order_relaxed);
    total += bytes;
    if (!c->no_evict()) candidates.emplace_back(bytes, c);
  }
  if (total < limit) return;
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [bytes, c] : candidates) {
    if (total < limit) break;
    Log(LogLevel::kVerbose, "Evicting client: id=%llu addr=%s tot-mem=%llu",
        (unsigned long long)c->id, c->addr.c_str(), (unsigned long long)bytes);
    KillClient(c);
    evicted_clients_.fetch_add(1);
    total -= bytes;
  }
}

}  // namespace basalt::server
