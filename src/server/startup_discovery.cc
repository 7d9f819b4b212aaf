#include "server/startup_discovery.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "sentinel/primary_discovery.h"

namespace basalt::server {

namespace {

constexpr int kAskTimeoutMs = 1000;

std::string Addr(const sentinel::HostPort& a) { return a.first + ":" + std::to_string(a.second); }

std::string Configured(const config::Config& cfg) {
  std::string r = cfg.replicaof();
  return r.empty() ? "as a primary" : "as a replica of " + r;
}

// Whether the data dir holds a dataset to load: a non-empty RDB file or a
// non-empty file in the AOF directory. An empty volume holds neither.
bool HasDataFiles(const config::Config& cfg) {
  std::error_code ec;
  auto size = std::filesystem::file_size(cfg.dbfilename(), ec);
  if (!ec && size > 0) return true;
  for (const auto& e : std::filesystem::directory_iterator(cfg.appenddirname(), ec)) {
    std::error_code ec2;
    if (e.is_regular_file(ec2) && e.file_size(ec2) > 0) return true;
  }
  return false;
}

// Named the primary with an empty data dir while the sentinels know replicas:
// those hold the data. Serving as the primary would make them sync the
// emptiness, so once the sentinels see one of them up (in a cold start of
// every pod they come up meanwhile) they are asked to promote one (the node
// is still -LOADING: no replica can sync from it meanwhile). Returns the new
// primary, or an error when no failover happened by the deadline.
StatusOr<sentinel::HostPort> StepAsideWhenEmpty(const config::Config& cfg,
                                                const std::vector<sentinel::HostPort>& sentinels,
                                                const std::string& name, int own_port,
                                                int64_t deadline) {
  bool asked = false;
  int live = 0;
  while (MonotonicUs() / 1000 < deadline) {
    if (!asked && live > 0) {
      Status st = sentinel::RequestFailover(sentinels, name, kAskTimeoutMs, cfg.tls_replication());
      asked = st.ok();
      if (!asked) {
        Log(LogLevel::kWarning, "Primary discovery: SENTINEL FAILOVER %s: %s", name.c_str(),
            st.message().c_str());
      }
    }
    sentinel::DiscoveryResult r =
        sentinel::AskSentinels(sentinels, name, kAskTimeoutMs, cfg.tls_replication());
    if (r.kind == sentinel::DiscoveryResult::Kind::kPrimary &&
        !sentinel::IsThisNode(r.primary, own_port, cfg.replica_announce_ip())) {
      return r.primary;
    }
    live = r.live_replicas;
    std::this_thread::sleep_for(std::chrono::milliseconds(asked ? 50 : 200));
  }
  return Status::Error(live == 0 ? "no replica came up to take over in time"
                                 : "the sentinels did not fail over to a replica in time");
}

}  // namespace

int AnnouncedPort(const config::Config& cfg, int tcp_port_bound) {
  if (cfg.replica_announce_port() != 0) return int(cfg.replica_announce_port());
  if (cfg.tls_replication() && cfg.tls_port() != 0) return int(cfg.tls_port());
  return tcp_port_bound;
}

Status DiscoverPrimaryAtStartup(config::Config& cfg, int own_port) {
  std::string list = cfg.primary_discovery_sentinels();
  if (list.empty()) return Status::Ok();
  auto sentinels = sentinel::ParseSentinelList(list);
  if (!sentinels.ok()) {
    return Status::Error("primary-discovery-sentinels: " + sentinels.status().message());
  }
  const std::string name = cfg.primary_discovery_name();
  const int64_t deadline = MonotonicUs() / 1000 + cfg.primary_discovery_timeout() * 1000;
  Log(LogLevel::kNotice, "Primary discovery: asking %zu sentinels who the primary of '%s' is",
      sentinels->size(), name.c_str());
  for (int attempt = 0;; attempt++) {
    sentinel::DiscoveryResult r =
        sentinel::AskSentinels(*sentinels, name, kAskTimeoutMs, cfg.tls_replication());
    for (const auto& a : r.answers) {
      if (!a.reachable && attempt == 0) {
        Log(LogLevel::kNotice, "Primary discovery: sentinel %s: %s", Addr(a.sentinel).c_str(),
            a.error.c_str());
      }
    }
    if (r.kind == sentinel::DiscoveryResult::Kind::kPrimary) {
      if (sentinel::IsThisNode(r.primary, own_port, cfg.replica_announce_ip()) &&
          r.known_replicas > 0 && !HasDataFiles(cfg)) {
        Log(LogLevel::kWarning,
            "Primary discovery: the sentinels name this node the primary of '%s', but it has no "
            "data and they know %d replica(s): asking them to promote one instead",
            name.c_str(), r.known_replicas);
        // A failover takes a few seconds at most; give it that even when
        // primary-discovery-timeout is short.
        int64_t until = std::max(deadline, MonotonicUs() / 1000 + 15000);
        auto moved = StepAsideWhenEmpty(cfg, *sentinels, name, own_port, until);
        if (!moved.ok()) {
          return Status::Error("Primary discovery: refusing to start as an empty primary: " +
                               moved.status().message());
        }
        r.primary = *moved;
      } else if (sentinel::IsThisNode(r.primary, own_port, cfg.replica_announce_ip())) {
        if (!cfg.replicaof().empty()) {
          Log(LogLevel::kWarning,
              "Primary discovery: the sentinels name this node (%s, epoch %llu) as the primary "
              "of '%s': starting as a primary, not as a replica of %s",
              Addr(r.primary).c_str(), (unsigned long long)r.config_epoch, name.c_str(),
              cfg.replicaof().c_str());
          cfg.set_replicaof("");
        } else {
          Log(LogLevel::kNotice,
              "Primary discovery: the sentinels name this node as the primary of '%s' "
              "(epoch %llu)",
              name.c_str(), (unsigned long long)r.config_epoch);
        }
        return Status::Ok();
      }
      std::string want = r.primary.first + " " + std::to_string(r.primary.second);
      LogEvent(LogLevel::kNotice, "primary_discovery",
               {{"primary", Addr(r.primary)},
                {"epoch", std::to_string(r.config_epoch)},
                {"sentinels", std::to_string(r.agreeing)},
                {"configured", cfg.replicaof()}},
               "Primary discovery: %d sentinel(s) name %s the primary of '%s' (epoch %llu): "
               "starting as its replica%s",
               r.agreeing, Addr(r.primary).c_str(), name.c_str(),
               (unsigned long long)r.config_epoch,
               cfg.replicaof() == want ? "" : (" (configured " + Configured(cfg) + ")").c_str());
      cfg.set_replicaof(want);
      return Status::Ok();
    }
    if (r.kind == sentinel::DiscoveryResult::Kind::kUnknownMaster) {
      Log(LogLevel::kNotice,
          "Primary discovery: the sentinels monitor no primary named '%s': starting %s",
          name.c_str(), Configured(cfg).c_str());
      return Status::Ok();
    }
    if (MonotonicUs() / 1000 >= deadline) {
      Log(LogLevel::kWarning,
          "Primary discovery: no sentinel answered within primary-discovery-timeout (%llds): "
          "starting %s",
          (long long)cfg.primary_discovery_timeout(), Configured(cfg).c_str());
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace basalt::server
