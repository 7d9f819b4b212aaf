// Sentinel: the monitoring, failure detection, leader election and failover
// engine of `basalt-server --sentinel`, speaking Redis Sentinel's protocol so
// that Basalt and redis-sentinel processes can watch the same primaries,
// vote with each other and be used by the same sentinel-aware clients.
//
// One control thread does all the network work: per monitored instance a
// command link (PING every second, INFO every 10 s, every second while its
// primary is down or failing over, hello messages every 2 s) and, for primaries
// and replicas, a pub/sub link on `__sentinel__:hello` where the sentinels
// watching the same primary announce themselves. From these it derives:
//   - subjective down (SDOWN): no valid PING reply for down-after-milliseconds;
//   - objective down (ODOWN): `quorum` sentinels (itself included) say SDOWN,
//     asked with SENTINEL IS-MASTER-DOWN-BY-ADDR;
//   - a failover: a new epoch, votes asked from the other sentinels (one vote
//     per sentinel per epoch), and when elected by a majority and at least the
//     quorum, the promotion of the best replica and the re-pointing of the
//     others, each step bounded by failover-timeout (docs/failover.md).
// The replica promoted is the one with the lowest replica-priority (0 =
// never), then the largest replication offset, then the smallest run id,
// among those that answer and whose INFO was read after the failover began:
// with synchronous replication that replica holds every acknowledged write.
//
// State changes (epochs, votes, discovered replicas and sentinels, a new
// primary) are saved by rewriting the config file (sentinel_config.h).
//
// Thread-safety: every public method may be called from any thread; all state
// is guarded by one mutex, which the control thread holds while it handles
// events and timers. Events are published through Options::publish from either
// the control thread or a command's thread, with the mutex held.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/status.h"
#include "sentinel/sentinel_config.h"

namespace basalt::protocol {
struct Reply;
}

namespace basalt::sentinel {

struct Master;
struct Instance;

// Field name -> value pairs, as SENTINEL MASTER and friends reply them.
using Fields = std::vector<std::pair<std::string, std::string>>;

struct IsMasterDownReply {
  bool down = false;
  std::string leader = "*";
  uint64_t leader_epoch = 0;
};

class Sentinel {
 public:
  struct Options {
    std::string config_file;  // rewritten on every state change; empty: none
    int port = 26379;         // our port, announced unless announce-port is set
    // tls-replication: links to data nodes and sentinels use TLS (Redis's
    // rule), and `port` is then the tls-port.
    bool tls = false;
    // Delivers an event to the sentinel's subscribers (channel, message).
    std::function<void(std::string_view, std::string_view)> publish;
  };

  Sentinel(SentinelState state, Options options);
  ~Sentinel();
  // Before Start(): where events go (the server's pub/sub).
  void set_publish(std::function<void(std::string_view, std::string_view)> fn) {
    options_.publish = std::move(fn);
  }

  // Checks what the state asks for is supported, saves the config (a new myid
  // is persisted at once, as Redis does) and starts the control thread.
  Status Start();
  void Stop();

  // --- SENTINEL sub-commands ---
  std::string MyId();
  std::vector<Fields> Masters();
  StatusOr<Fields> MasterInfo(std::string_view name);
  StatusOr<std::vector<Fields>> Replicas(std::string_view name);
  StatusOr<std::vector<Fields>> Sentinels(std::string_view name);
  // nullopt if no master has that name.
  std::optional<std::pair<std::string, int>> MasterAddr(std::string_view name);
  IsMasterDownReply IsMasterDownByAddr(std::string_view ip, int port, uint64_t req_epoch,
                                       std::string_view req_runid);
  Status Failover(std::string_view name);
  // Whether this sentinel leads a failover past the point of no return: a
  // replica was promoted (or was told REPLICAOF NO ONE less than 1 s ago),
  // and the other sentinels learn the new primary only when this one
  // finishes (shutdown waits).
  bool PromotionInProgress();
  int64_t Reset(std::string_view pattern);
  // The CKQUORUM status text, or its -NOQUORUM error.
  StatusOr<std::string> CkQuorum(std::string_view name);
  Status FlushConfig();
  Status Monitor(std::string_view name, std::string_view host, std::string_view port,
                 std::string_view quorum);
  Status Remove(std::string_view name);
  // SENTINEL SET <name> <option> <value> [<option> <value> ...]
  Status Set(std::string_view name, const std::vector<std::string>& args);
  StatusOr<Fields> ConfigGet(std::string_view pattern);
  Status ConfigSet(std::string_view option, std::string_view value);
  // (master name, [(age ms, INFO text) per instance: the master, then replicas])
  std::vector<std::pair<std::string, std::vector<std::pair<int64_t, std::string>>>> InfoCache(
      const std::vector<std::string>& names);
  Fields DebugPeriods();
  Status SetDebugPeriod(std::string_view name, std::string_view value);
  std::vector<std::string> MasterNames();
  // The `# Sentinel` section of INFO, without its header line.
  std::string InfoSection();
  // A hello message sent to us with PUBLISH __sentinel__:hello.
  void ProcessHello(std::string_view message);
  // SENTINEL SIMULATE-FAILURE flags.
  void SimulateFailure(uint32_t flags) { simulate_failure_.store(flags); }
  static constexpr uint32_t kCrashAfterElection = 1, kCrashAfterPromotion = 2;

 private:
  // All of these REQUIRE mu_ held.
  void Run();
  void Tick(int64_t now);
  void HandleMaster(Master* m, int64_t now);
  void HandleInstance(Instance* ri, int64_t now);
  void ReconnectIfNeeded(Instance* ri, int64_t now);
  void SendPeriodic(Instance* ri, int64_t now);
  void SendHello(Instance* ri);
  void CheckSubjectivelyDown(Instance* ri, int64_t now);
  void CheckObjectivelyDown(Master* m, int64_t now);
  void AskMasterStateToOtherSentinels(Master* m, int64_t now, bool force);
  void OnPingReply(Instance* ri, const protocol::Reply& r, int64_t now);
  void OnInfoReply(Instance* ri, const std::string& info);
  // Sends INFO unless one is pending; the reply goes to OnInfoReply.
  // force: send even with one in flight (its answer may predate a fence).
  void RequestInfo(Instance* ri, bool force = false);
  // FENCE <ms> to a replica (docs/failover.md); a redis-server replica
  // refuses it (logged) and is simply not fenced.
  void SendFence(Instance* ri, int64_t ms);
  bool MasterLooksSane(const Master* m, int64_t now) const;
  static bool NoDownFor(const Instance* ri, int64_t ms, int64_t now);
  void OnHello(std::string_view message);
  void StartFailoverIfNeeded(Master* m, int64_t now);
  void FailoverStep(Master* m, int64_t now);
  void FailoverWaitStart(Master* m, int64_t now);
  void FailoverSelectReplica(Master* m, int64_t now);
  void FailoverSendReplicaOfNoOne(Master* m, int64_t now);
  void FailoverWaitPromotion(Master* m, int64_t now);
  void FailoverReconfNextReplica(Master* m, int64_t now);
  void FailoverDetectEnd(Master* m, int64_t now);
  void SwitchToPromoted(Master* m);
  void AbortFailover(Master* m);
  Instance* SelectReplica(Master* m, int64_t now, bool require_fresh_info);
  std::string GetLeader(Master* m, uint64_t epoch);
  std::string VoteLeader(Master* m, uint64_t req_epoch, const std::string& req_runid,
                         uint64_t* leader_epoch);
  bool SendReplicaOf(Instance* ri, const std::string& host, int port);
  // A reply callback that logs a refusal of `command` by ri (NOPERM,
  // WRONGPASS, NOAUTH, an unknown or renamed command) with the ACL rules a
  // sentinel needs, so that a sentinel user without them does not stop
  // failovers silently.
  std::function<void(const protocol::Reply&)> LogIfRefused(Instance* ri, std::string command);
  void LogRefusal(Instance* ri, const std::string& command, const protocol::Reply& r);
  void ResetMaster(Master* m, bool keep_sentinels);
  void ChangeMasterAddress(Master* m, const std::string& host, int port);
  Master* FindMasterByAddr(std::string_view ip, int port);
  Instance* AddReplica(Master* m, const std::string& ip, int port, bool announce);
  Fields Describe(const Instance* ri, int64_t now);
  void Event(LogLevel level, std::string_view type, const Instance* ri, const std::string& tail);
  void EventText(LogLevel level, std::string_view type, const std::string& text);
  void SaveConfig();
  SentinelState Snapshot() const;
  std::string AnnounceIp(Instance* via) const;
  // How an instance's host is kept and shown: with resolve-hostnames yes and
  // announce-hostnames no, a name is replaced by its address (as Redis
  // announces it); otherwise the host as given.
  std::string HostForDisplay(const std::string& host) const;
  int AnnouncePort() const;
  void Retire(std::unique_ptr<Instance> ri);

  std::mutex mu_;
  SentinelState global_;  // the global options; masters live in masters_
  std::vector<std::unique_ptr<Master>> masters_;
  Options options_;
  std::vector<std::unique_ptr<Instance>> retired_;  // destroyed after the event round
  std::vector<std::unique_ptr<Master>> retired_masters_;
  bool tilt_ = false;
  int64_t tilt_start_ = 0;
  int64_t previous_tick_ = 0;
  int64_t previous_wall_ = 0;
  // Periods (SENTINEL DEBUG), in ms.
  int64_t info_period_ = 10000, ping_period_ = 1000, ask_period_ = 1000, publish_period_ = 2000,
          default_down_after_ = 30000, tilt_trigger_ = 2000, tilt_period_ = 30000,
          slave_reconf_timeout_ = 10000, min_link_reconnect_ = 15000, election_timeout_ = 10000;
  std::atomic<uint32_t> simulate_failure_{0};
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace basalt::sentinel
