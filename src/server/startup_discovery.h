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

// An error only for an unusable sentinel list (the caller exits).
Status DiscoverPrimaryAtStartup(config::Config& cfg);

}  // namespace basalt::server
