// The checks behind /healthz and /readyz (metrics_endpoint.h): whether the
// process and its event loops respond, and whether this node should receive
// traffic. Each returns the verdict and, when not ok, the reason an operator
// reads in the probe's body.
//
// Thread-safety: any thread except a worker (CheckHealth waits for every
// worker loop to run a posted task; from a worker it would wait for itself).
#pragma once

#include <string>

namespace basalt::server {

class Server;

struct ProbeResult {
  bool ok = true;
  std::string reason;  // "ok" when ok
};

// Posts a no-op task to every worker's event loop and waits up to
// timeout_ms for all of them to run it.
ProbeResult CheckHealth(Server& s, int timeout_ms);

// Ready: the dataset is loaded (not LOADING) and either this node is a
// primary that accepts writes (no failover, no MISCONF, enough replicas for
// min-replicas-to-write), or a replica whose link is up, not in a full sync,
// that heard from its primary at most readyz-max-lag seconds ago. A
// sentinel: it monitors at least one primary and sees none of them down.
ProbeResult CheckReady(Server& s);

}  // namespace basalt::server
