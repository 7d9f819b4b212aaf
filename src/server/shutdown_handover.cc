#include "server/shutdown_handover.h"

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "sentinel/primary_discovery.h"

namespace basalt::server {

bool HandOverToReplica(const config::Config& cfg, int own_port, int64_t deadline_ms) {
  auto sentinels = sentinel::ParseSentinelList(cfg.primary_discovery_sentinels());
  if (!sentinels.ok()) {
    Log(LogLevel::kWarning,
        "shutdown-handover: no usable primary-discovery-sentinels (%s): shutting down without "
        "a handover",
        sentinels.status().message().c_str());
    return false;
  }
  const std::string name = cfg.primary_discovery_name();
  int64_t start = MonotonicUs() / 1000;
  Status st = sentinel::RequestFailover(*sentinels, name, 1000, cfg.tls_replication());
  // NOGOODSLAVE from a sentinel that has not read a replica's INFO yet (the
  // replica restarted a moment ago, or the sentinel did) passes within a
  // second or so: ask again until the deadline. Other refusals are final.
  while (!st.ok() && st.message().find("NOGOODSLAVE") != std::string::npos &&
         MonotonicUs() / 1000 + 100 < deadline_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    st = sentinel::RequestFailover(*sentinels, name, 1000, cfg.tls_replication());
  }
  if (!st.ok()) {
    Log(LogLevel::kWarning, "shutdown-handover: no sentinel accepted SENTINEL FAILOVER %s: %s",
        name.c_str(), st.message().c_str());
    return false;
  }
  LogEvent(LogLevel::kNotice, "failover", {{"step", "handover"}, {"cause", "shutdown"}},
           "shutdown-handover: the sentinels fail '%s' over before this primary exits",
           name.c_str());
  while (MonotonicUs() / 1000 < deadline_ms) {
    sentinel::DiscoveryResult r =
        sentinel::AskSentinels(*sentinels, name, 500, cfg.tls_replication());
    // Done once a majority of the sentinels name another node: the leader
    // names the promoted replica first, and the failover is not settled
    // until it has told the others (if it died before, they would turn the
    // promoted replica back and wait for this node).
    if (r.kind == sentinel::DiscoveryResult::Kind::kPrimary &&
        size_t(r.agreeing) * 2 > sentinels->size() &&
        !sentinel::IsThisNode(r.primary, own_port, cfg.replica_announce_ip())) {
      Log(LogLevel::kNotice,
          "shutdown-handover: %d of %zu sentinels name %s:%d the primary after %lld ms",
          r.agreeing, sentinels->size(), r.primary.first.c_str(), r.primary.second,
          (long long)(MonotonicUs() / 1000 - start));
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Log(LogLevel::kWarning,
      "shutdown-handover: the sentinels still name this node after shutdown-timeout; exiting");
  return false;
}

}  // namespace basalt::server
