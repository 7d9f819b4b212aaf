#include "server/health_probes.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "replication/ack_tracker.h"
#include "replication/role.h"
#include "sentinel/sentinel.h"
#include "server/server.h"
#include "server/worker.h"

namespace basalt::server {

namespace {

// What the posted tasks report back; shared with them, so a worker that
// answers after the wait gave up touches live memory.
struct Pings {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bool> done;  // Guarded by mu
  size_t remaining = 0;    // Guarded by mu
};

ProbeResult NotOk(std::string reason) { return ProbeResult{false, std::move(reason)}; }

ProbeResult SentinelReady(sentinel::Sentinel& sentinel) {
  std::vector<sentinel::Fields> masters = sentinel.Masters();
  if (masters.empty()) return NotOk("sentinel monitors no primary");
  for (const sentinel::Fields& m : masters) {
    std::string name, flags;
    for (const auto& [k, v] : m) {
      if (k == "name") name = v;
      if (k == "flags") flags = v;
    }
    if (flags.find("s_down") != std::string::npos || flags.find("o_down") != std::string::npos ||
        flags.find("disconnected") != std::string::npos) {
      return NotOk("sentinel does not reach primary " + name + " (" + flags + ")");
    }
  }
  return ProbeResult{true, "ok"};
}

}  // namespace

ProbeResult CheckHealth(Server& s, int timeout_ms) {
  const auto& workers = s.workers();
  auto pings = std::make_shared<Pings>();
  pings->done.assign(workers.size(), false);
  pings->remaining = workers.size();
  for (size_t i = 0; i < workers.size(); i++) {
    workers[i]->Post([pings, i] {
      std::lock_guard<std::mutex> l(pings->mu);
      pings->done[i] = true;
      pings->remaining--;
      pings->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> l(pings->mu);
  if (pings->cv.wait_for(l, std::chrono::milliseconds(timeout_ms),
                         [&] { return pings->remaining == 0; })) {
    return ProbeResult{true, "ok"};
  }
  std::string stuck;
  for (size_t i = 0; i < pings->done.size(); i++) {
    if (!pings->done[i]) stuck += (stuck.empty() ? "" : ", ") + std::to_string(i);
  }
  return NotOk("event loop of worker " + stuck + " did not respond within " +
               std::to_string(timeout_ms) + " ms");
}

ProbeResult CheckReady(Server& s) {
  if (s.sentinel() != nullptr) return SentinelReady(*s.sentinel());
  // A replica loading its primary's snapshot is in a full sync: say so
  // before the plain "loading" of a start-up load.
  if (s.is_replica() && s.replication_role().Info().sync_in_progress) {
    return NotOk("replica in full sync");
  }
  if (s.loading()) return NotOk("loading");
  // Configured as a replica but replication not started yet (start-up, before
  // the load ends): not a writable primary.
  if (!s.is_replica() && !s.config().replicaof().empty()) return NotOk("master_link_down");
  if (s.is_replica()) {
    replication::ReplicaSideInfo ri = s.replication_role().Info();
    if (ri.sync_in_progress) return NotOk("replica in full sync");
    if (!ri.link_up) return NotOk("master_link_down");
    int64_t max_lag = s.config().readyz_max_lag();
    if (ri.last_io_seconds_ago > max_lag) {
      return NotOk("replica lag " + std::to_string(ri.last_io_seconds_ago) +
                   " s > readyz-max-lag " + std::to_string(max_lag) + " s");
    }
    return ProbeResult{true, "ok"};
  }
  if (s.failover_active()) return NotOk("failover in progress");
  std::string refusal = s.PersistenceWriteRefusal();
  // Asked of the tracker directly: a probe is not a refused write.
  if (refusal.empty()) refusal = s.ack_tracker().WriteRefusal();
  if (!refusal.empty()) return NotOk("writes refused: " + refusal);
  return ProbeResult{true, "ok"};
}

}  // namespace basalt::server
