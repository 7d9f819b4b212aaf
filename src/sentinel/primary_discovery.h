// Primary discovery: a data node asks the sentinels who the primary is before
// it serves anything (`primary-discovery-sentinels`, docs/operations.md), so
// a node that restarts, possibly with a new address, joins the current
// primary as a replica instead of coming back as a second writable primary.
//
// This file is the client side only: one round of questions to each
// sentinel (SENTINEL MASTER for the configuration epoch, SENTINEL
// GET-MASTER-ADDR-BY-NAME for the address clients are told), and the choice
// between their answers. The server decides what to do with the result.
//
// Thread-safety: functions of their arguments only; blocking (sockets with
// timeouts), for the start-up path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace basalt::sentinel {

using HostPort = std::pair<std::string, int>;

// "host:port host:port ..." (spaces or commas between; "[v6addr]:port" for
// IPv6). An empty list is an error.
StatusOr<std::vector<HostPort>> ParseSentinelList(std::string_view text);

struct DiscoveryAnswer {
  HostPort sentinel;
  bool reachable = false;  // it answered both questions
  bool known = false;      // it monitors a primary of that name
  HostPort primary;        // when known: the address it gives clients
  uint64_t config_epoch = 0;
  int known_replicas = 0;  // replicas it knows (SENTINEL REPLICAS)
  int live_replicas = 0;   // of those, up (not s_down/o_down/disconnected)
  std::string error;       // when !reachable
};

struct DiscoveryResult {
  enum class Kind {
    kNoAnswer,       // no sentinel answered
    kUnknownMaster,  // every sentinel that answered monitors no such primary
    kPrimary,        // `primary` is the one to follow
  };
  Kind kind = Kind::kNoAnswer;
  HostPort primary;
  uint64_t config_epoch = 0;
  int agreeing = 0;        // sentinels naming `primary` at that epoch
  int known_replicas = 0;  // the most any of those sentinels knows
  int live_replicas = 0;   // the most any of those sentinels sees up
  std::vector<DiscoveryAnswer> answers;
};

// Asks every sentinel once, each within timeout_ms per step. The primary
// named under the highest configuration epoch wins (a sentinel that missed
// a failover still has the older epoch); among equal epochs the address more
// sentinels give, then the first sentinel's. tls: over TLS (the node's
// client certificate), as with tls-replication.
DiscoveryResult AskSentinels(const std::vector<HostPort>& sentinels, std::string_view name,
                             int timeout_ms, bool tls);

// The choice alone, over answers already collected (unit-tested).
DiscoveryResult ChooseAnswer(std::vector<DiscoveryAnswer> answers);

// Asks the sentinels, in turn, for SENTINEL FAILOVER <name> until one
// accepts (+OK, or -INPROG: one is already running). A planned handover:
// the caller has paused writes and seen its replicas catch up first.
Status RequestFailover(const std::vector<HostPort>& sentinels, std::string_view name,
                       int timeout_ms, bool tls);

// Whether host:port names this process: the port is `own_port` and the host
// is `announce_ip` (when set) or resolves to an address of this machine.
bool IsThisNode(const HostPort& addr, int own_port, const std::string& announce_ip);

}  // namespace basalt::sentinel
