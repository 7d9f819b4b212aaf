// Primary discovery at start-up: before the dataset loads (clients get
// -LOADING meanwhile), a data node with `primary-discovery-sentinels` asks
// those sentinels who the primary of `primary-discovery-name` is and sets its
// role from the answer:
//   - another node is the primary: start as its replica (replicaof is
//     replaced, so a node restarted with a stale config, or under a new
//     address, never comes back as a second writable primary);
//   - this node is the primary: start as a primary;
//   - the sentinels monitor no such primary (a fresh deployment), or none
//     answered within `primary-discovery-timeout` seconds: start as
//     configured, with a warning in the second case.
// See sentinel/primary_discovery.h for the questions and the choice.
//
// Thread-safety: main thread, before the workers serve commands.
#pragma once

#include "common/status.h"
#include "config/config.h"

namespace basalt::server {

// The port this node is known by to sentinels and replicas: replica-announce-
// port, else tls-port over tls-replication (as a replica announces it), else
// the plain port bound.
int AnnouncedPort(const config::Config& cfg, int tcp_port_bound);

// own_port: AnnouncedPort. An error only for an unusable sentinel list or
// an empty node the sentinels would not replace (the caller exits).
Status DiscoverPrimaryAtStartup(config::Config& cfg, int own_port);

}  // namespace basalt::server
