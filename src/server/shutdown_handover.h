// Planned handover at shutdown (`shutdown-handover yes`): a primary that is
// asked to stop (SIGTERM, SHUTDOWN without NOW), with writes already paused
// and at least one replica holding the whole stream, asks the sentinels of
// `primary-discovery-sentinels` for SENTINEL FAILOVER and waits, up to the
// deadline, until they name another primary; then the shutdown goes on
// (final save, exit). Nothing acknowledged is lost: no write ran after the
// replicas caught up, and the sentinels promote the most advanced replica.
// Clients' writes wait in the pause and fail over with the connection.
//
// Thread-safety: the main thread, during the shutdown.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace basalt::server {

// True when the sentinels named another primary by deadline_ms (monotonic).
// own_port: AnnouncedPort (server/startup_discovery.h).
bool HandOverToReplica(const config::Config& cfg, int own_port, int64_t deadline_ms);

}  // namespace basalt::server
