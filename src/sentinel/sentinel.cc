// The sentinel's life cycle and control loop, its events, the saving of its state and the
// bookkeeping of the instances it watches. The rest of the engine: sentinel_monitor.cc,
// sentinel_discovery.cc, sentinel_api.cc and failover.cc.
#include "sentinel/sentinel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "common/logging.h"
#include "sentinel/sentinel_instance.h"
#include "sentinel/sentinel_internal.h"

namespace basalt::sentinel {

namespace {

std::string Kind(const Instance* ri) {
  if (ri->is_master()) return "master";
  if (ri->is_replica()) return "slave";
  return "sentinel";
}

// "master mymaster 127.0.0.1 6379" or
// "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379".
std::string InstanceText(const Instance* ri) {
  std::string s = Kind(ri) + " " + ri->name + " " + ri->ip + " " + std::to_string(ri->port);
  if (!ri->is_master()) {
    const Master* m = ri->master;
    s += " @ " + m->name + " " + m->ip + " " + std::to_string(m->port);
  }
  return s;
}

}  // namespace

// ------------------------------------------------------------ life cycle

Sentinel::Sentinel(SentinelState state, Options options) : options_(std::move(options)) {
  global_.resolve_hostnames = state.resolve_hostnames;
  global_.announce_hostnames = state.announce_hostnames;
  for (MonitoredMaster& mm : state.masters) {
    auto m = std::make_unique<Master>();
    m->flags = kFlagMaster;
    m->name = mm.name;
    m->ip = HostForDisplay(mm.host);
    m->port = mm.port;
    m->leader_epoch = mm.leader_epoch;
    m->config = mm;
    m->master = m.get();
    m->role_known = true;
    int64_t now = Now();
    m->role_reported_time = now;
    m->last_avail_time = now;
    m->last_pong_time = now;
    for (const KnownReplica& kr : mm.known_replicas) {
      AddReplica(m.get(), HostForDisplay(kr.ip), kr.port, false);
    }
    for (const KnownSentinel& ks : mm.known_sentinels) {
      if (ks.runid.empty()) continue;
      auto si = std::make_unique<Instance>();
      si->flags = kFlagSentinel;
      si->name = ks.runid;
      si->runid = ks.runid;
      si->ip = ks.ip;
      si->port = ks.port;
      si->master = m.get();
      si->last_avail_time = si->last_pong_time = now;
      m->sentinels.push_back(std::move(si));
    }
    m->config.known_replicas.clear();
    m->config.known_sentinels.clear();
    masters_.push_back(std::move(m));
  }
  state.masters.clear();
  global_ = std::move(state);
}

Sentinel::~Sentinel() { Stop(); }

Status Sentinel::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : masters_) {
    if (!m->config.notification_script.empty() || !m->config.client_reconfig_script.empty()) {
      return Status::Error(
          "sentinel notification-script and client-reconfig-script are not supported by Basalt "
          "yet (master '" +
          m->name + "')");
    }
  }
  if (!options_.config_file.empty()) {
    Status st = RewriteSentinelConfigFile(options_.config_file, Snapshot());
    if (!st.ok()) return st;
  }
  Log(LogLevel::kWarning, "Sentinel ID is %s", global_.myid.c_str());
  for (const auto& m : masters_) {
    EventText(LogLevel::kWarning, "+monitor",
              InstanceText(m.get()) + " quorum " + std::to_string(m->config.quorum));
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Sentinel::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    // The loop also wakes every 100 ms.
  }
  thread_.join();
  close(wake_fd_);
  wake_fd_ = -1;
}

void Sentinel::Run() {
  std::vector<pollfd> fds;
  std::vector<Link*> links;
  int64_t next_tick = 0;
  while (!stop_.load()) {
    fds.clear();
    links.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto add = [&](Link* l) {
        short ev = l->events();
        if (ev == 0) return;
        fds.push_back({l->fd(), ev, 0});
        links.push_back(l);
      };
      for (auto& m : masters_) {
        add(&m->cmd);
        add(&m->pubsub);
        for (auto& r : m->replicas) {
          add(&r->cmd);
          add(&r->pubsub);
        }
        for (auto& s : m->sentinels) add(&s->cmd);
      }
    }
    fds.push_back({wake_fd_, POLLIN, 0});
    int64_t now = Now();
    int timeout = int(std::clamp<int64_t>(next_tick - now, 0, 100));
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    std::lock_guard<std::mutex> lock(mu_);
    if (fds.back().revents) {
      uint64_t v;
      if (read(wake_fd_, &v, sizeof(v)) < 0) {
        // Nothing to drain.
      }
    }
    // Links of instances removed meanwhile were closed (fd -1): skip them.
    for (size_t i = 0; i + 1 < fds.size(); i++) {
      if (fds[i].revents == 0) continue;
      bool alive = false;
      // The Link objects outlive this round (retired_ is cleared below), so
      // the pointer is valid; a closed or reopened link has another fd.
      if (links[i]->fd() == fds[i].fd) alive = true;
      if (alive) links[i]->OnEvents(fds[i].revents);
    }
    now = Now();
    if (now >= next_tick) {
      Tick(now);
      // Redis adds jitter to its timer so sentinels do not act in lockstep.
      static thread_local std::mt19937 rng(std::random_device{}());
      next_tick = now + 100 - int64_t(rng() % 10);
    }
    retired_.clear();
    retired_masters_.clear();
  }
}

// ------------------------------------------------------------ events

void Sentinel::EventText(LogLevel level, std::string_view type, const std::string& text) {
  // In logfmt: event=sentinel type=+switch-master detail="mymaster ...".
  LogEvent(level, "sentinel", {{"type", std::string(type)}, {"detail", text}}, "%.*s %s",
           int(type.size()), type.data(), text.c_str());
  if (level != LogLevel::kDebug && options_.publish) options_.publish(type, text);
}

void Sentinel::Event(LogLevel level, std::string_view type, const Instance* ri,
                     const std::string& tail) {
  std::string text = InstanceText(ri);
  if (!tail.empty()) text += " " + tail;
  EventText(level, type, text);
}

// ------------------------------------------------------------ config

SentinelState Sentinel::Snapshot() const {
  SentinelState s = global_;
  s.masters.clear();
  for (const auto& m : masters_) {
    MonitoredMaster mm = m->config;
    mm.name = m->name;
    mm.host = m->ip;
    mm.port = m->port;
    mm.leader_epoch = m->leader_epoch;
    mm.known_replicas.clear();
    mm.known_sentinels.clear();
    for (const auto& r : m->replicas) {
      if (r->ip == m->ip && r->port == m->port) continue;
      mm.known_replicas.push_back({r->ip, r->port});
    }
    for (const auto& si : m->sentinels) {
      if (!si->runid.empty()) mm.known_sentinels.push_back({si->ip, si->port, si->runid});
    }
    s.masters.push_back(std::move(mm));
  }
  return s;
}

void Sentinel::SaveConfig() {
  if (options_.config_file.empty()) return;
  Status st = RewriteSentinelConfigFile(options_.config_file, Snapshot());
  if (st.ok()) {
    Log(LogLevel::kVerbose, "Sentinel new configuration saved on disk");
  } else {
    Log(LogLevel::kWarning,
        "WARNING: Sentinel was not able to save the new configuration on disk!!!: %s",
        st.message().c_str());
  }
}

// ------------------------------------------------------------ instances

Instance* Sentinel::AddReplica(Master* m, const std::string& ip, int port, bool announce) {
  for (auto& r : m->replicas) {
    if (r->ip == ip && r->port == port) return r.get();
  }
  auto r = std::make_unique<Instance>();
  r->flags = kFlagReplica;
  r->ip = ip;
  r->port = port;
  r->name = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
  r->master = m;
  r->role_is_master = false;
  r->role_known = true;
  int64_t now = Now();
  r->role_reported_time = now;
  r->last_avail_time = r->last_pong_time = now;
  Instance* raw = r.get();
  m->replicas.push_back(std::move(r));
  if (announce) Event(LogLevel::kNotice, "+slave", raw, "");
  return raw;
}

void Sentinel::Retire(std::unique_ptr<Instance> ri) {
  ri->cmd.Close();
  ri->pubsub.Close();
  retired_.push_back(std::move(ri));
}

Master* Sentinel::FindMasterByAddr(std::string_view ip, int port) {
  for (auto& m : masters_) {
    if (m->ip == ip && m->port == port) return m.get();
  }
  return nullptr;
}

void Sentinel::ResetMaster(Master* m, bool keep_sentinels) {
  for (auto& r : m->replicas) Retire(std::move(r));
  m->replicas.clear();
  if (!keep_sentinels) {
    for (auto& s : m->sentinels) Retire(std::move(s));
    m->sentinels.clear();
  } else {
    for (auto& s : m->sentinels) {
      s->flags &= ~kFlagMasterDown;
      s->leader.clear();
      s->leader_epoch = 0;
    }
  }
  m->cmd.Close();
  m->pubsub.Close();
  m->flags &= kFlagMaster;
  m->leader.clear();
  m->failover_state = FailoverState::kNone;
  m->failover_state_change_time = 0;
  m->failover_start_time = 0;
  m->promoted = nullptr;
  m->runid.clear();
  m->info.clear();
  m->info_refresh = 0;
  m->info_pending = false;
  int64_t now = Now();
  m->role_is_master = true;
  m->role_reported_time = now;
  m->s_down_since = m->o_down_since = 0;
  m->act_ping_time = 0;
  m->last_avail_time = m->last_pong_time = now;
  m->reboot_since = 0;
}

void Sentinel::ChangeMasterAddress(Master* m, const std::string& host, int port) {
  const std::string ip = HostForDisplay(host);
  std::vector<std::pair<std::string, int>> replicas;
  for (auto& r : m->replicas) {
    if (r->ip == ip && r->port == port) continue;
    replicas.emplace_back(r->ip, r->port);
  }
  if (!(m->ip == ip && m->port == port)) replicas.emplace_back(m->ip, m->port);
  ResetMaster(m, /*keep_sentinels=*/true);
  m->ip = ip;
  m->port = port;
  m->config.host = ip;
  m->config.port = port;
  for (auto& [rip, rport] : replicas) AddReplica(m, rip, rport, true);
  SaveConfig();
}

std::string Sentinel::HostForDisplay(const std::string& host) const {
  if (!global_.resolve_hostnames || global_.announce_hostnames) return host;
  std::string ip = NumericAddress(host);
  return ip.empty() ? host : ip;
}

}  // namespace basalt::sentinel
