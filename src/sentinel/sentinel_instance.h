// The sentinel's view of the instances it watches: a monitored primary
// (Master), its replicas and the other sentinels watching it (Instance).
// Internal to src/sentinel (sentinel.cc, sentinel_monitor.cc,
// sentinel_discovery.cc, sentinel_api.cc, failover.cc).
//
// Thread-safety: guarded by Sentinel::mu_.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sentinel/link.h"
#include "sentinel/sentinel_config.h"

namespace basalt::sentinel {

enum InstanceFlag : uint32_t {
  kFlagMaster = 1u << 0,
  kFlagReplica = 1u << 1,
  kFlagSentinel = 1u << 2,
  kFlagSDown = 1u << 3,
  kFlagODown = 1u << 4,
  kFlagMasterDown = 1u << 5,  // a sentinel told us it sees our master down
  kFlagFailoverInProgress = 1u << 6,
  kFlagPromoted = 1u << 7,
  kFlagReconfSent = 1u << 8,
  kFlagReconfInprog = 1u << 9,
  kFlagReconfDone = 1u << 10,
  kFlagForceFailover = 1u << 11,
  kFlagScriptKillSent = 1u << 12,  // SCRIPT KILL sent to a BUSY node (cleared on -sdown)
};

enum class FailoverState {
  kNone,
  kWaitStart,
  kSelectReplica,
  kSendReplicaOfNoOne,
  kWaitPromotion,
  kReconfReplicas,
  kUpdateConfig,
};

struct Master;

struct Instance {
  uint32_t flags = 0;
  std::string name;  // masters: their name; replicas: "ip:port"; sentinels: run id
  std::string ip;
  int port = 0;
  std::string runid;
  Master* master = nullptr;  // replicas and sentinels: the master they belong to

  Link cmd;
  Link pubsub;               // masters and replicas only
  int64_t link_created = 0;  // when cmd was last (re)connected
  int64_t pubsub_created = 0;
  int64_t pubsub_last_activity = 0;
  int64_t act_ping_time = 0;    // oldest PING without a valid reply (0: none pending)
  int64_t last_ping_time = 0;   // last PING sent
  bool pinged_on_link = false;  // a PING went out on the current cmd link
  int64_t last_avail_time = 0;  // last valid PING reply
  int64_t last_pong_time = 0;   // last reply of any kind to PING
  int64_t last_pub_time = 0;    // last hello sent
  int64_t last_hello_time = 0;  // sentinels: last hello heard from them
  int64_t last_master_down_reply_time = 0;
  int64_t s_down_since = 0;
  int64_t o_down_since = 0;
  int64_t info_refresh = 0;  // when the last INFO reply arrived
  std::string info;          // that reply
  bool info_pending = false;
  int64_t info_asked_at = 0;  // when the INFO of the last reply was sent

  // From INFO.
  bool role_is_master = true;
  bool role_known = false;
  int64_t role_reported_time = 0;
  int64_t replica_conf_change_time = 0;
  int64_t master_link_down_time = 0;  // ms
  std::string replica_master_host;
  int replica_master_port = 0;
  bool replica_master_link_up = false;
  int64_t replica_priority = 100;
  int64_t replica_repl_offset = 0;
  bool replica_announced = true;

  // Replica reconfiguration during a failover.
  int64_t reconf_sent_time = 0;

  // When a refused command (NOPERM, WRONGPASS...) was last logged: once a
  // minute at most.
  int64_t last_refusal_log = 0;

  // Sentinels: the leader this sentinel voted for, and in which epoch.
  std::string leader;
  uint64_t leader_epoch = 0;

  bool is_master() const { return flags & kFlagMaster; }
  bool is_replica() const { return flags & kFlagReplica; }
  bool is_sentinel() const { return flags & kFlagSentinel; }
};

struct Master : Instance {
  MonitoredMaster config;  // name, quorum, timings, auth, epochs...
  std::vector<std::unique_ptr<Instance>> replicas;
  std::vector<std::unique_ptr<Instance>> sentinels;

  // Our own vote for this master's failover is in Instance::leader and
  // Instance::leader_epoch.
  int64_t reboot_since = 0;  // when INFO last showed a new run id

  FailoverState failover_state = FailoverState::kNone;
  uint64_t failover_epoch = 0;
  int64_t failover_state_change_time = 0;
  int64_t failover_start_time = 0;
  int64_t failover_delay_logged = 0;
  Instance* promoted = nullptr;
};

// The name the data node knows `command` by (sentinel rename-command).
std::string MappedCommand(const Master* m, const std::string& command);

}  // namespace basalt::sentinel
