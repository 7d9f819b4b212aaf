// The sentinel's control loop, monitoring and the SENTINEL command API.
// The failover state machine and the election are in failover.cc.
#include "sentinel/sentinel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>

#include "common/clock.h"
#include "common/glob.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "protocol/reply_reader.h"
#include "sentinel/sentinel_instance.h"

namespace basalt::sentinel {

namespace {

constexpr const char* kHelloChannel = "__sentinel__:hello";
constexpr size_t kMaxPendingCommands = 100;

int64_t Now() { return MonotonicUs() / 1000; }

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

std::string FlagsText(const Instance* ri) {
  static const std::pair<uint32_t, const char*> kNames[] = {{kFlagSDown, "s_down"},
                                                            {kFlagODown, "o_down"},
                                                            {kFlagMaster, "master"},
                                                            {kFlagReplica, "slave"},
                                                            {kFlagSentinel, "sentinel"}};
  std::string s;
  for (auto [bit, name] : kNames) {
    if (ri->flags & bit) s += std::string(name) + ",";
  }
  if (ri->cmd.closed() || !ri->cmd.connected()) s += "disconnected,";
  static const std::pair<uint32_t, const char*> kMore[] = {
      {kFlagMasterDown, "master_down"},      {kFlagFailoverInProgress, "failover_in_progress"},
      {kFlagPromoted, "promoted"},           {kFlagReconfSent, "reconf_sent"},
      {kFlagReconfInprog, "reconf_inprog"},  {kFlagReconfDone, "reconf_done"},
      {kFlagForceFailover, "force_failover"}};
  for (auto [bit, name] : kMore) {
    if (ri->flags & bit) s += std::string(name) + ",";
  }
  if (!s.empty()) s.pop_back();
  return s;
}

bool ParseAtoiPort(std::string_view s, int* port) {
  auto v = ParseInt64(s);
  if (!v) return false;
  *port = int(*v);
  return true;
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
  Log(level, "%.*s %s", int(type.size()), type.data(), text.c_str());
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

// ------------------------------------------------------------ the timer

void Sentinel::Tick(int64_t now) {
  int64_t wall = NowMs();
  if (previous_tick_ != 0 && (now - previous_tick_ > tilt_trigger_ || wall < previous_wall_)) {
    tilt_ = true;
    tilt_start_ = now;
    EventText(LogLevel::kWarning, "+tilt", "#tilt mode entered");
  }
  previous_tick_ = now;
  previous_wall_ = wall;
  if (tilt_ && now - tilt_start_ >= tilt_period_) {
    tilt_ = false;
    EventText(LogLevel::kWarning, "-tilt", "#tilt mode exited");
  }
  for (size_t i = 0; i < masters_.size(); i++) HandleMaster(masters_[i].get(), now);
}

void Sentinel::HandleMaster(Master* m, int64_t now) {
  HandleInstance(m, now);
  for (size_t i = 0; i < m->replicas.size(); i++) HandleInstance(m->replicas[i].get(), now);
  for (size_t i = 0; i < m->sentinels.size(); i++) HandleInstance(m->sentinels[i].get(), now);
  if (tilt_) return;
  CheckSubjectivelyDown(m, now);
  for (auto& r : m->replicas) CheckSubjectivelyDown(r.get(), now);
  for (auto& s : m->sentinels) CheckSubjectivelyDown(s.get(), now);
  CheckObjectivelyDown(m, now);
  if (m->failover_state == FailoverState::kNone) {
    StartFailoverIfNeeded(m, now);
    if (m->failover_state != FailoverState::kNone) AskMasterStateToOtherSentinels(m, now, true);
  }
  if (m->failover_state != FailoverState::kNone) FailoverStep(m, now);
  AskMasterStateToOtherSentinels(m, now, false);
  if (m->failover_state == FailoverState::kUpdateConfig) SwitchToPromoted(m);
}

void Sentinel::HandleInstance(Instance* ri, int64_t now) {
  ReconnectIfNeeded(ri, now);
  SendPeriodic(ri, now);
}

void Sentinel::ReconnectIfNeeded(Instance* ri, int64_t now) {
  const Master* m = ri->master;
  int64_t down_after = m->config.down_after_ms;
  // Links that stopped answering are dropped and made again: a stalled TCP
  // connection can look alive for minutes.
  if (!ri->cmd.closed()) {
    bool stale = now - ri->link_created > min_link_reconnect_ && ri->act_ping_time != 0 &&
                 now - ri->act_ping_time > down_after / 2 &&
                 now - ri->last_pong_time > down_after / 2;
    bool stuck_connecting =
        !ri->cmd.connected() && now - ri->link_created > std::max<int64_t>(down_after, 1000);
    if (stale || stuck_connecting) ri->cmd.Close();
  }
  if (!ri->pubsub.closed()) {
    bool stale = now - ri->pubsub_created > min_link_reconnect_ &&
                 now - ri->pubsub_last_activity > publish_period_ * 3;
    bool stuck_connecting =
        !ri->pubsub.connected() && now - ri->pubsub_created > std::max<int64_t>(down_after, 1000);
    if (stale || stuck_connecting) ri->pubsub.Close();
  }
  bool data_node = !ri->is_sentinel();
  std::string user = data_node ? m->config.auth_user : global_.sentinel_user;
  std::string pass = data_node ? m->config.auth_pass : global_.sentinel_pass;
  std::string client_name = "sentinel-" + global_.myid.substr(0, 8);
  auto auth = [&](Link& l) {
    if (pass.empty()) return;
    if (user.empty()) {
      l.Send({"AUTH", pass});
    } else {
      l.Send({"AUTH", user, pass});
    }
  };
  if (ri->cmd.closed()) {
    if (ri->cmd.Connect(ri->ip, ri->port, global_.resolve_hostnames)) {
      ri->link_created = now;
      if (ri->act_ping_time == 0) ri->act_ping_time = now;
      ri->info_pending = false;
      auth(ri->cmd);
      if (data_node) ri->cmd.Send({"CLIENT", "SETNAME", client_name + "-cmd"});
      // The first PING goes out at once: it is what clears act_ping_time.
      ri->pinged_on_link = false;
    }
  }
  if (data_node && ri->pubsub.closed()) {
    if (ri->pubsub.Connect(ri->ip, ri->port, global_.resolve_hostnames)) {
      ri->pubsub_created = now;
      ri->pubsub_last_activity = now;
      auth(ri->pubsub);
      ri->pubsub.Send({"CLIENT", "SETNAME", client_name + "-pubsub"});
      ri->pubsub.Send({"SUBSCRIBE", kHelloChannel});
      ri->pubsub.on_message = [this, ri](const protocol::Reply& r) {
        ri->pubsub_last_activity = Now();
        if (r.type != protocol::Reply::Type::kArray || r.elements.size() != 3) return;
        if (r.elements[0].str != "message" || r.elements[1].str != kHelloChannel) return;
        OnHello(r.elements[2].str);
      };
    }
  }
}

void Sentinel::SendPeriodic(Instance* ri, int64_t now) {
  if (!ri->cmd.connected() || ri->cmd.pending() >= kMaxPendingCommands) return;
  Master* m = ri->master;
  int64_t info_period = info_period_;
  if (ri->is_replica() && ((m->flags & (kFlagODown | kFlagSDown | kFlagFailoverInProgress)) ||
                           ri->master_link_down_time > 0)) {
    info_period = 1000;
  }
  int64_t ping_period = std::min(ping_period_, m->config.down_after_ms);
  if (!ri->is_sentinel() && (ri->info_refresh == 0 || now - ri->info_refresh > info_period)) {
    RequestInfo(ri);
  }
  if (!ri->pinged_on_link ||
      (now - ri->last_pong_time > ping_period && now - ri->last_ping_time > ping_period / 2)) {
    ri->pinged_on_link = true;
    ri->last_ping_time = now;
    if (ri->act_ping_time == 0) ri->act_ping_time = now;
    ri->cmd.Send({"PING"}, [this, ri](const protocol::Reply& r) { OnPingReply(ri, r, Now()); });
  }
  if (now - ri->last_pub_time > publish_period_) SendHello(ri);
}

void Sentinel::RequestInfo(Instance* ri) {
  if (!ri->cmd.connected() || ri->info_pending) return;
  ri->info_pending = true;
  ri->cmd.Send({"INFO"}, [this, ri](const protocol::Reply& r) {
    ri->info_pending = false;
    if (r.type == protocol::Reply::Type::kBulk) OnInfoReply(ri, r.str);
  });
}

void Sentinel::OnPingReply(Instance* ri, const protocol::Reply& r, int64_t now) {
  ri->last_pong_time = now;
  bool valid = (r.type == protocol::Reply::Type::kStatus && r.str == "PONG") ||
               (r.is_error() && (r.str.starts_with("LOADING") || r.str.starts_with("MASTERDOWN")));
  if (valid) {
    ri->last_avail_time = now;
    ri->act_ping_time = 0;
  }
}

std::string Sentinel::AnnounceIp(Instance* via) const {
  if (!global_.announce_ip.empty()) return global_.announce_ip;
  return via->cmd.LocalIp();
}

std::string Sentinel::HostForDisplay(const std::string& host) const {
  if (!global_.resolve_hostnames || global_.announce_hostnames) return host;
  std::string ip = NumericAddress(host);
  return ip.empty() ? host : ip;
}

int Sentinel::AnnouncePort() const {
  return global_.announce_port != 0 ? global_.announce_port : options_.port;
}

void Sentinel::SendHello(Instance* ri) {
  Master* m = ri->master;
  std::string ip = AnnounceIp(ri);
  if (ip.empty()) return;
  const Instance* addr = m;
  if (m->promoted && m->failover_state >= FailoverState::kReconfReplicas) addr = m->promoted;
  std::string payload = ip + "," + std::to_string(AnnouncePort()) + "," + global_.myid + "," +
                        std::to_string(global_.current_epoch) + "," + m->name + "," + addr->ip +
                        "," + std::to_string(addr->port) + "," +
                        std::to_string(m->config.config_epoch);
  ri->last_pub_time = Now();
  ri->cmd.Send({"PUBLISH", kHelloChannel, payload});
}

// ------------------------------------------------------------ INFO

// Whether the sentinels' view of m can be imposed on its replicas: m reports
// being a primary, is not down, and its INFO is recent.
bool Sentinel::MasterLooksSane(const Master* m, int64_t now) const {
  return m->role_is_master && !(m->flags & (kFlagSDown | kFlagODown)) && m->info_refresh != 0 &&
         now - m->info_refresh < info_period_ * 2;
}

// Whether ri has not been (subjectively or objectively) down for `ms`.
bool Sentinel::NoDownFor(const Instance* ri, int64_t ms, int64_t now) {
  int64_t most_recent_down = std::max(ri->s_down_since, ri->o_down_since);
  return most_recent_down == 0 || now - most_recent_down > ms;
}

void Sentinel::OnInfoReply(Instance* ri, const std::string& info) {
  int64_t now = Now();
  Master* m = ri->master;
  ri->info = info;
  ri->info_refresh = now;
  std::string runid;
  bool role_master = ri->role_is_master;
  bool saw_role = false;
  std::string master_host;
  int master_port = 0;
  bool link_up = false;
  int64_t link_down_ms = 0;
  std::vector<std::pair<std::string, int>> found_replicas;
  size_t pos = 0;
  while (pos < info.size()) {
    size_t eol = info.find('\n', pos);
    if (eol == std::string::npos) eol = info.size();
    std::string_view line(info.data() + pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), val = line.substr(colon + 1);
    if (key == "run_id") {
      runid = val;
    } else if (key == "role") {
      saw_role = true;
      role_master = val == "master";
    } else if (key == "master_host") {
      master_host = val;
    } else if (key == "master_port") {
      ParseAtoiPort(val, &master_port);
    } else if (key == "master_link_status") {
      link_up = val == "up";
    } else if (key == "master_link_down_since_seconds") {
      auto v = ParseInt64(val);
      link_down_ms = v ? *v * 1000 : 0;
    } else if (key == "slave_priority" || key == "replica_priority") {
      if (auto v = ParseInt64(val)) ri->replica_priority = *v;
    } else if (key == "slave_repl_offset") {
      if (auto v = ParseInt64(val)) ri->replica_repl_offset = *v;
    } else if (key == "replica_announced") {
      ri->replica_announced = val != "0";
    } else if (ri->is_master() && key.starts_with("slave") && key.size() > 5 &&
               isdigit(static_cast<unsigned char>(key[5]))) {
      // slave0:ip=127.0.0.1,port=6380,state=online,offset=..,lag=..
      std::string ip;
      int port = 0;
      size_t p = 0;
      while (p < val.size()) {
        size_t comma = val.find(',', p);
        if (comma == std::string_view::npos) comma = val.size();
        std::string_view kv = val.substr(p, comma - p);
        p = comma + 1;
        if (kv.starts_with("ip=")) ip = kv.substr(3);
        if (kv.starts_with("port=")) ParseAtoiPort(kv.substr(5), &port);
      }
      if (!ip.empty() && port > 0) found_replicas.emplace_back(ip, port);
    }
  }
  if (!runid.empty() && runid != ri->runid) {
    if (!ri->runid.empty()) {
      Event(LogLevel::kNotice, "+reboot", ri, "");
      if (ri->is_master()) m->reboot_since = now;
    }
    ri->runid = runid;
  }
  if (ri->is_master()) {
    for (auto& [ip, port] : found_replicas) {
      bool known = false;
      for (auto& r : m->replicas) known |= r->ip == ip && r->port == port;
      if (!known) {
        AddReplica(m, ip, port, true);
        SaveConfig();
      }
    }
  }
  if (!saw_role) return;
  ri->master_link_down_time = role_master ? 0 : link_down_ms;
  if (!role_master) {
    if (master_host != ri->replica_master_host || master_port != ri->replica_master_port) {
      ri->replica_conf_change_time = now;
    }
    ri->replica_master_host = master_host;
    ri->replica_master_port = master_port;
    ri->replica_master_link_up = link_up;
  }
  if (role_master != ri->role_is_master) {
    ri->role_is_master = role_master;
    ri->role_reported_time = now;
    if (!role_master) ri->replica_conf_change_time = now;
    bool as_expected = role_master ? ri->is_master() : ri->is_replica();
    Event(LogLevel::kVerbose, as_expected ? "+role-change" : "-role-change", ri,
          std::string("new reported role is ") + (role_master ? "master" : "slave"));
  }
  if (tilt_ || !ri->is_replica()) return;

  int64_t wait_time = publish_period_ * 4;
  if (role_master) {
    if ((ri->flags & kFlagPromoted) && (m->flags & kFlagFailoverInProgress) &&
        m->failover_state == FailoverState::kWaitPromotion) {
      // Our failover's replica now reports being a primary: it is promoted.
      m->config.config_epoch = m->failover_epoch;
      m->failover_state = FailoverState::kReconfReplicas;
      m->failover_state_change_time = now;
      SaveConfig();
      Event(LogLevel::kWarning, "+promoted-slave", ri, "");
      if (simulate_failure_.load() & kCrashAfterPromotion) {
        Log(LogLevel::kWarning, "Simulated failure: crash after promotion");
        _exit(99);
      }
      Event(LogLevel::kWarning, "+failover-state-reconf-slaves", m, "");
      // Tell the other sentinels at once (hello carries the new config epoch).
      m->last_pub_time = 0;
      for (auto& r : m->replicas) r->last_pub_time = 0;
      for (auto& s : m->sentinels) s->last_pub_time = 0;
    } else if (!(ri->flags & kFlagPromoted) && !(m->flags & kFlagFailoverInProgress)) {
      // A replica turned primary without us: after a while, if our primary
      // looks fine, make it a replica again (a returning old primary, too).
      if (MasterLooksSane(m, now) && NoDownFor(ri, wait_time, now) &&
          now - ri->role_reported_time > wait_time) {
        if (SendReplicaOf(ri, m->ip, m->port)) {
          Event(LogLevel::kNotice, "+convert-to-slave", ri, "");
        }
      }
    }
    return;
  }
  // A replica of the wrong primary (outside a failover of ours): fix it.
  bool wrong_master = ri->replica_master_port != m->port || ri->replica_master_host != m->ip;
  if (wrong_master && !(m->flags & kFlagFailoverInProgress) &&
      !(ri->flags & (kFlagReconfSent | kFlagReconfInprog))) {
    if (MasterLooksSane(m, now) && NoDownFor(ri, wait_time, now) &&
        now - ri->replica_conf_change_time > wait_time) {
      if (SendReplicaOf(ri, m->ip, m->port)) {
        Event(LogLevel::kNotice, "+fix-slave-config", ri, "");
      }
    }
  }
  // Re-pointing progress during our failover.
  if (m->promoted && (m->flags & kFlagFailoverInProgress) &&
      (ri->flags & (kFlagReconfSent | kFlagReconfInprog))) {
    if ((ri->flags & kFlagReconfSent) && ri->replica_master_host == m->promoted->ip &&
        ri->replica_master_port == m->promoted->port) {
      ri->flags = (ri->flags & ~kFlagReconfSent) | kFlagReconfInprog;
      Event(LogLevel::kNotice, "+slave-reconf-inprog", ri, "");
    }
    if ((ri->flags & kFlagReconfInprog) && link_up) {
      ri->flags = (ri->flags & ~kFlagReconfInprog) | kFlagReconfDone;
      Event(LogLevel::kNotice, "+slave-reconf-done", ri, "");
    }
  }
}

// ------------------------------------------------------------ hello

void Sentinel::ProcessHello(std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  OnHello(message);
}

void Sentinel::OnHello(std::string_view message) {
  std::vector<std::string> tok;
  size_t p = 0;
  while (tok.size() < 8) {
    size_t comma = message.find(',', p);
    if (comma == std::string_view::npos) {
      tok.emplace_back(message.substr(p));
      break;
    }
    tok.emplace_back(message.substr(p, comma - p));
    p = comma + 1;
  }
  if (tok.size() != 8) return;
  auto port = ParseInt64(tok[1]);
  auto epoch = ParseInt64(tok[3]);
  auto mport = ParseInt64(tok[6]);
  auto mepoch = ParseInt64(tok[7]);
  if (!port || !epoch || !mport || !mepoch) return;
  const std::string& ip = tok[0];
  const std::string& runid = tok[2];
  if (runid == global_.myid) return;
  Master* m = nullptr;
  for (auto& mm : masters_) {
    if (mm->name == tok[4]) m = mm.get();
  }
  if (m == nullptr) return;
  int64_t now = Now();
  Instance* si = nullptr;
  for (auto& s : m->sentinels) {
    if (s->runid == runid) si = s.get();
  }
  bool save = false;
  if (si == nullptr) {
    // Another entry at this address is a previous incarnation (restarted
    // with a new id): forget it.
    for (size_t i = 0; i < m->sentinels.size();) {
      Instance* old = m->sentinels[i].get();
      if (old->ip == ip && old->port == int(*port)) {
        Event(LogLevel::kNotice, "+sentinel-invalid-addr", old, "");
        Retire(std::move(m->sentinels[i]));
        m->sentinels.erase(m->sentinels.begin() + long(i));
      } else {
        i++;
      }
    }
    auto s = std::make_unique<Instance>();
    s->flags = kFlagSentinel;
    s->name = runid;
    s->runid = runid;
    s->ip = ip;
    s->port = int(*port);
    s->master = m;
    s->last_avail_time = s->last_pong_time = now;
    si = s.get();
    m->sentinels.push_back(std::move(s));
    Event(LogLevel::kNotice, "+sentinel", si, "");
    save = true;
  } else if (si->ip != ip || si->port != int(*port)) {
    si->cmd.Close();
    si->ip = ip;
    si->port = int(*port);
    Event(LogLevel::kNotice, "+sentinel-address-switch", si, "");
    save = true;
  }
  if (uint64_t(*epoch) > global_.current_epoch) {
    global_.current_epoch = uint64_t(*epoch);
    EventText(LogLevel::kWarning, "+new-epoch", std::to_string(global_.current_epoch));
    save = true;
  }
  if (uint64_t(*mepoch) > m->config.config_epoch) {
    m->config.config_epoch = uint64_t(*mepoch);
    save = true;
    if (tok[5] != m->ip || int(*mport) != m->port) {
      Event(LogLevel::kWarning, "+config-update-from", si, "");
      EventText(LogLevel::kWarning, "+switch-master",
                m->name + " " + m->ip + " " + std::to_string(m->port) + " " + tok[5] + " " +
                    std::to_string(*mport));
      ChangeMasterAddress(m, tok[5], int(*mport));
      // ChangeMasterAddress retired replicas; `si` is a sentinel and stays.
    }
  }
  si->last_hello_time = now;
  if (save) SaveConfig();
}

// ------------------------------------------------------------ down states

void Sentinel::CheckSubjectivelyDown(Instance* ri, int64_t now) {
  Master* m = ri->master;
  int64_t down_after = m->config.down_after_ms;
  int64_t elapsed = 0;
  if (ri->act_ping_time != 0) {
    elapsed = now - ri->act_ping_time;
  } else if (!ri->cmd.connected()) {
    elapsed = now - ri->last_avail_time;
  }
  bool down = elapsed > down_after;
  // A primary that says it is a replica for too long is as good as down.
  if (ri->is_master() && !ri->role_is_master &&
      now - ri->role_reported_time > down_after + info_period_ * 2) {
    down = true;
  }
  if (ri->is_master() && m->config.master_reboot_down_after_period_ms > 0 && m->reboot_since &&
      now - m->reboot_since < m->config.master_reboot_down_after_period_ms) {
    down = true;
  }
  if (down) {
    if (!(ri->flags & kFlagSDown)) {
      Event(LogLevel::kWarning, "+sdown", ri, "");
      ri->s_down_since = now;
      ri->flags |= kFlagSDown;
    }
  } else if (ri->flags & kFlagSDown) {
    Event(LogLevel::kWarning, "-sdown", ri, "");
    ri->flags &= ~kFlagSDown;
  }
}

void Sentinel::CheckObjectivelyDown(Master* m, int64_t now) {
  int votes = 0;
  bool odown = false;
  if (m->flags & kFlagSDown) {
    votes = 1;
    for (auto& s : m->sentinels) {
      if (s->flags & kFlagMasterDown) votes++;
    }
    odown = votes >= m->config.quorum;
  }
  if (odown) {
    if (!(m->flags & kFlagODown)) {
      Event(LogLevel::kWarning, "+odown", m,
            "#quorum " + std::to_string(votes) + "/" + std::to_string(m->config.quorum));
      m->flags |= kFlagODown;
      m->o_down_since = now;
    }
  } else if (m->flags & kFlagODown) {
    Event(LogLevel::kWarning, "-odown", m, "");
    m->flags &= ~kFlagODown;
  }
}

void Sentinel::AskMasterStateToOtherSentinels(Master* m, int64_t now, bool force) {
  for (auto& sp : m->sentinels) {
    Instance* si = sp.get();
    int64_t elapsed = now - si->last_master_down_reply_time;
    // An old answer no longer counts.
    if (elapsed > ask_period_ * 5) {
      si->flags &= ~kFlagMasterDown;
      si->leader.clear();
    }
    if (!(m->flags & kFlagSDown)) continue;
    if (!si->cmd.connected()) continue;
    if (!force && elapsed < ask_period_) continue;
    if (si->cmd.pending() >= kMaxPendingCommands) continue;
    std::string runid = m->failover_state > FailoverState::kNone ? global_.myid : "*";
    si->cmd.Send({"SENTINEL", "is-master-down-by-addr", m->ip, std::to_string(m->port),
                  std::to_string(global_.current_epoch), runid},
                 [si](const protocol::Reply& r) {
                   si->last_master_down_reply_time = Now();
                   if (r.type != protocol::Reply::Type::kArray || r.elements.size() != 3) return;
                   const auto& e = r.elements;
                   if (e[0].type != protocol::Reply::Type::kInteger || !e[1].is_string() ||
                       e[2].type != protocol::Reply::Type::kInteger) {
                     return;
                   }
                   if (e[0].integer == 1) {
                     si->flags |= kFlagMasterDown;
                   } else {
                     si->flags &= ~kFlagMasterDown;
                   }
                   if (e[1].str != "*") {
                     si->leader = e[1].str;
                     si->leader_epoch = uint64_t(e[2].integer);
                   }
                 });
  }
}

// ------------------------------------------------------------ replies

Fields Sentinel::Describe(const Instance* ri, int64_t now) {
  Fields f;
  auto add = [&](const char* k, std::string v) { f.emplace_back(k, std::move(v)); };
  auto num = [&](const char* k, int64_t v) { f.emplace_back(k, std::to_string(v)); };
  add("name", ri->name);
  add("ip", ri->ip);
  num("port", ri->port);
  add("runid", ri->runid);
  add("flags", FlagsText(ri));
  num("link-pending-commands", int64_t(ri->cmd.pending()));
  num("link-refcount", 1);
  num("last-ping-sent", ri->act_ping_time ? now - ri->act_ping_time : 0);
  num("last-ok-ping-reply", now - ri->last_avail_time);
  num("last-ping-reply", now - ri->last_pong_time);
  if (ri->flags & kFlagSDown) num("s-down-time", now - ri->s_down_since);
  if (ri->flags & kFlagODown) num("o-down-time", now - ri->o_down_since);
  num("down-after-milliseconds", ri->master->config.down_after_ms);
  if (ri->is_master() || ri->is_replica()) {
    num("info-refresh", ri->info_refresh ? now - ri->info_refresh : 0);
    add("role-reported", ri->role_is_master ? "master" : "slave");
    num("role-reported-time", now - ri->role_reported_time);
  }
  if (ri->is_master()) {
    const Master* m = static_cast<const Master*>(ri);
    num("config-epoch", int64_t(m->config.config_epoch));
    num("num-slaves", int64_t(m->replicas.size()));
    num("num-other-sentinels", int64_t(m->sentinels.size()));
    num("quorum", m->config.quorum);
    num("failover-timeout", m->config.failover_timeout_ms);
    num("parallel-syncs", m->config.parallel_syncs);
    if (!m->config.notification_script.empty()) {
      add("notification-script", m->config.notification_script);
    }
    if (!m->config.client_reconfig_script.empty()) {
      add("client-reconfig-script", m->config.client_reconfig_script);
    }
  }
  if (ri->is_replica()) {
    num("master-link-down-time", ri->master_link_down_time);
    add("master-link-status", ri->replica_master_link_up ? "ok" : "err");
    add("master-host", ri->replica_master_host.empty() ? "?" : ri->replica_master_host);
    num("master-port", ri->replica_master_port);
    num("slave-priority", ri->replica_priority);
    num("slave-repl-offset", ri->replica_repl_offset);
    num("replica-announced", ri->replica_announced ? 1 : 0);
  }
  if (ri->is_sentinel()) {
    num("last-hello-message", ri->last_hello_time ? now - ri->last_hello_time : 0);
    add("voted-leader", ri->leader.empty() ? "?" : ri->leader);
    num("voted-leader-epoch", int64_t(ri->leader_epoch));
  }
  return f;
}

std::string Sentinel::MyId() {
  std::lock_guard<std::mutex> lock(mu_);
  return global_.myid;
}

std::vector<std::string> Sentinel::MasterNames() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  for (auto& m : masters_) names.push_back(m->name);
  return names;
}

std::vector<Fields> Sentinel::Masters() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Fields> out;
  int64_t now = Now();
  for (auto& m : masters_) out.push_back(Describe(m.get(), now));
  return out;
}

namespace {
Status NoSuchMaster() { return Status::Error("ERR No such master with that name"); }
}  // namespace

StatusOr<Fields> Sentinel::MasterInfo(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : masters_) {
    if (m->name == name) return Describe(m.get(), Now());
  }
  return NoSuchMaster();
}

StatusOr<std::vector<Fields>> Sentinel::Replicas(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : masters_) {
    if (m->name != name) continue;
    std::vector<Fields> out;
    int64_t now = Now();
    for (auto& r : m->replicas) {
      // replica-announced no: the replica asked not to be listed to clients.
      if (r->replica_announced) out.push_back(Describe(r.get(), now));
    }
    return out;
  }
  return NoSuchMaster();
}

StatusOr<std::vector<Fields>> Sentinel::Sentinels(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : masters_) {
    if (m->name != name) continue;
    std::vector<Fields> out;
    int64_t now = Now();
    for (auto& s : m->sentinels) out.push_back(Describe(s.get(), now));
    return out;
  }
  return NoSuchMaster();
}

std::optional<std::pair<std::string, int>> Sentinel::MasterAddr(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : masters_) {
    if (m->name != name) continue;
    const Instance* a = m.get();
    if ((m->flags & kFlagFailoverInProgress) && m->promoted &&
        m->failover_state >= FailoverState::kReconfReplicas) {
      a = m->promoted;
    }
    return std::make_pair(a->ip, a->port);
  }
  return std::nullopt;
}

IsMasterDownReply Sentinel::IsMasterDownByAddr(std::string_view ip, int port, uint64_t req_epoch,
                                               std::string_view req_runid) {
  std::lock_guard<std::mutex> lock(mu_);
  IsMasterDownReply out;
  Master* m = FindMasterByAddr(ip, port);
  if (m && !tilt_ && (m->flags & kFlagSDown)) out.down = true;
  if (m && req_runid != "*") {
    uint64_t leader_epoch = 0;
    std::string leader = VoteLeader(m, req_epoch, std::string(req_runid), &leader_epoch);
    out.leader = leader.empty() ? "*" : leader;
    out.leader_epoch = leader_epoch;
  }
  return out;
}

int64_t Sentinel::Reset(std::string_view pattern) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (auto& m : masters_) {
    if (!GlobMatch(pattern, m->name)) continue;
    ResetMaster(m.get(), /*keep_sentinels=*/false);
    Event(LogLevel::kWarning, "+reset-master", m.get(), "");
    n++;
  }
  if (n) SaveConfig();
  return n;
}

StatusOr<std::string> Sentinel::CkQuorum(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : masters_) {
    if (m->name != name) continue;
    int usable = 1;
    for (auto& s : m->sentinels) {
      if (!(s->flags & (kFlagSDown | kFlagODown))) usable++;
    }
    int voters = int(m->sentinels.size()) + 1;
    std::string head = std::to_string(usable) + " usable Sentinels. ";
    std::string err;
    if (usable < m->config.quorum) {
      err = "Not enough available Sentinels to reach the specified quorum for this master";
    }
    if (usable < voters / 2 + 1) {
      if (!err.empty()) err += ". ";
      err += "Not enough available Sentinels to reach the majority and authorize a failover";
    }
    if (!err.empty()) return Status::Error("NOQUORUM " + head + err);
    return "OK " + head + "Quorum and failover authorization can be reached";
  }
  return NoSuchMaster();
}

Status Sentinel::FlushConfig() {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.config_file.empty()) return Status::Ok();
  return RewriteSentinelConfigFile(options_.config_file, Snapshot());
}

Status Sentinel::Monitor(std::string_view name, std::string_view host, std::string_view port_s,
                         std::string_view quorum_s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto quorum = ParseInt64(quorum_s);
  auto port = ParseInt64(port_s);
  if (!quorum) return Status::Error("ERR value is not an integer or out of range");
  if (*quorum <= 0) return Status::Error("ERR Quorum must be 1 or greater.");
  if (!port) return Status::Error("ERR Invalid port");
  if (*port <= 0 || *port > 65535) return Status::Error("ERR Invalid port number.");
  // Through the config parser, so the same checks apply as to sentinel.conf.
  SentinelState probe;
  probe.resolve_hostnames = global_.resolve_hostnames;
  Status st = ApplySentinelDirective(&probe, {"monitor", std::string(name), std::string(host),
                                              std::string(port_s), std::string(quorum_s)});
  if (!st.ok()) {
    if (st.message().find("address") != std::string::npos ||
        st.message().find("hostname") != std::string::npos ||
        st.message().find("resolve") != std::string::npos) {
      return Status::Error("ERR Invalid IP address or hostname specified");
    }
    return Status::Error("ERR " + st.message());
  }
  for (auto& m : masters_) {
    if (m->name == name) return Status::Error("ERR Duplicate master name.");
  }
  auto m = std::make_unique<Master>();
  m->flags = kFlagMaster;
  m->name = std::string(name);
  m->ip = HostForDisplay(std::string(host));
  m->port = int(*port);
  m->config = probe.masters[0];
  m->config.down_after_ms = default_down_after_;  // SENTINEL DEBUG DEFAULT-DOWN-AFTER
  m->master = m.get();
  m->role_known = true;
  int64_t now = Now();
  m->role_reported_time = m->last_avail_time = m->last_pong_time = now;
  Master* raw = m.get();
  masters_.push_back(std::move(m));
  SaveConfig();
  Event(LogLevel::kWarning, "+monitor", raw, "quorum " + std::to_string(*quorum));
  return Status::Ok();
}

Status Sentinel::Remove(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < masters_.size(); i++) {
    if (masters_[i]->name != name) continue;
    Master* m = masters_[i].get();
    Event(LogLevel::kWarning, "-monitor", m, "");
    ResetMaster(m, /*keep_sentinels=*/false);
    retired_masters_.push_back(std::move(masters_[i]));
    masters_.erase(masters_.begin() + long(i));
    SaveConfig();
    return Status::Ok();
  }
  return NoSuchMaster();
}

Status Sentinel::Set(std::string_view name, const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> lock(mu_);
  Master* m = nullptr;
  for (auto& mm : masters_) {
    if (mm->name == name) m = mm.get();
  }
  if (m == nullptr) return NoSuchMaster();
  bool changed = false;
  Status result = Status::Ok();
  for (size_t i = 0; i < args.size(); i += 2) {
    std::string opt = args[i];
    for (char& ch : opt) ch = char(tolower(static_cast<unsigned char>(ch)));
    bool has_value = i + 1 < args.size();
    auto bad_value = [&]() {
      return Status::Error("ERR Invalid argument '" + args[i + 1] + "' for SENTINEL SET '" +
                           args[i] + "'");
    };
    if (opt == "rename-command" && i + 2 < args.size()) {
      std::string from = args[i + 1], to = args[i + 2];
      auto& rc = m->config.renamed_commands;
      rc.erase(std::remove_if(rc.begin(), rc.end(),
                              [&](const RenamedCommand& r) {
                                return strcasecmp(r.from.c_str(), from.c_str()) == 0;
                              }),
               rc.end());
      if (strcasecmp(from.c_str(), to.c_str()) != 0) rc.push_back({from, to});
      Event(LogLevel::kWarning, "+set", m, "rename-command " + from + " " + to);
      changed = true;
      i++;
      continue;
    }
    if (!has_value) {
      result = Status::Error("ERR Unknown option or number of arguments for SENTINEL SET '" +
                             args[i] + "'");
      break;
    }
    const std::string& value = args[i + 1];
    auto v = ParseInt64(value);
    if (opt == "down-after-milliseconds" || opt == "failover-timeout" ||
        opt == "master-reboot-down-after-period") {
      bool zero_ok = opt == "master-reboot-down-after-period";
      if (!v || *v < 0 || (*v == 0 && !zero_ok)) {
        result = bad_value();
        break;
      }
      if (opt == "down-after-milliseconds") m->config.down_after_ms = *v;
      if (opt == "failover-timeout") m->config.failover_timeout_ms = *v;
      if (opt == "master-reboot-down-after-period") {
        m->config.master_reboot_down_after_period_ms = *v;
      }
    } else if (opt == "parallel-syncs" || opt == "quorum") {
      if (!v || *v <= 0 || *v > INT32_MAX) {
        result = bad_value();
        break;
      }
      if (opt == "quorum") m->config.quorum = int(*v);
      if (opt == "parallel-syncs") m->config.parallel_syncs = int(*v);
    } else if (opt == "auth-pass" || opt == "auth-user") {
      (opt == "auth-pass" ? m->config.auth_pass : m->config.auth_user) = value;
      // Reconnect with the new credentials.
      m->cmd.Close();
      m->pubsub.Close();
      for (auto& r : m->replicas) {
        r->cmd.Close();
        r->pubsub.Close();
      }
    } else if (opt == "notification-script" || opt == "client-reconfig-script") {
      if (global_.deny_scripts_reconfig) {
        result = Status::Error(
            "ERR Reconfiguration of scripts path is denied for security reasons. Check the "
            "deny-scripts-reconfig configuration directive in your Sentinel configuration");
      } else {
        result = Status::Error("ERR Basalt's sentinel does not run scripts yet");
      }
      break;
    } else {
      result = Status::Error("ERR Unknown option or number of arguments for SENTINEL SET '" +
                             args[i] + "'");
      break;
    }
    bool secret = opt == "auth-pass";
    Event(LogLevel::kWarning, "+set", m, args[i] + " " + (secret ? "******" : value));
    changed = true;
  }
  if (changed) SaveConfig();
  return result;
}

namespace {
const char* const kConfigOptions[] = {"resolve-hostnames", "announce-hostnames", "announce-ip",
                                      "announce-port",     "sentinel-user",      "sentinel-pass"};
}  // namespace

StatusOr<Fields> Sentinel::ConfigGet(std::string_view pattern) {
  std::lock_guard<std::mutex> lock(mu_);
  Fields f;
  for (const char* opt : kConfigOptions) {
    if (!GlobMatch(pattern, opt, /*nocase=*/true)) continue;
    std::string o = opt;
    std::string v;
    if (o == "resolve-hostnames") v = global_.resolve_hostnames ? "yes" : "no";
    if (o == "announce-hostnames") v = global_.announce_hostnames ? "yes" : "no";
    if (o == "announce-ip") v = global_.announce_ip;
    if (o == "announce-port") v = std::to_string(global_.announce_port);
    if (o == "sentinel-user") v = global_.sentinel_user;
    if (o == "sentinel-pass") v = global_.sentinel_pass;
    f.emplace_back(o, v);
  }
  return f;
}

Status Sentinel::ConfigSet(std::string_view option, std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string o(option);
  for (char& ch : o) ch = char(tolower(static_cast<unsigned char>(ch)));
  auto bad = [&]() {
    return Status::Error("ERR Invalid value '" + std::string(value) + "' to SENTINEL CONFIG SET '" +
                         std::string(option) + "'");
  };
  auto yesno = [&](bool* out) {
    if (strcasecmp(std::string(value).c_str(), "yes") == 0) {
      *out = true;
    } else if (strcasecmp(std::string(value).c_str(), "no") == 0) {
      *out = false;
    } else {
      return false;
    }
    return true;
  };
  if (o == "resolve-hostnames") {
    if (!yesno(&global_.resolve_hostnames)) return bad();
  } else if (o == "announce-hostnames") {
    if (!yesno(&global_.announce_hostnames)) return bad();
  } else if (o == "announce-ip") {
    global_.announce_ip = std::string(value);
  } else if (o == "announce-port") {
    auto v = ParseInt64(value);
    if (!v || *v < 0 || *v > 65535) return bad();
    global_.announce_port = int(*v);
  } else if (o == "sentinel-user") {
    global_.sentinel_user = std::string(value);
  } else if (o == "sentinel-pass") {
    global_.sentinel_pass = std::string(value);
  } else {
    return Status::Error("ERR Invalid argument '" + std::string(option) +
                         "' to SENTINEL CONFIG SET");
  }
  SaveConfig();
  return Status::Ok();
}

std::vector<std::pair<std::string, std::vector<std::pair<int64_t, std::string>>>>
Sentinel::InfoCache(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::vector<std::pair<int64_t, std::string>>>> out;
  int64_t now = Now();
  for (auto& m : masters_) {
    if (!names.empty() && std::find(names.begin(), names.end(), m->name) == names.end()) {
      continue;
    }
    std::vector<std::pair<int64_t, std::string>> items;
    auto add = [&](const Instance* ri) {
      items.emplace_back(ri->info_refresh ? now - ri->info_refresh : 0, ri->info);
    };
    add(m.get());
    for (auto& r : m->replicas) add(r.get());
    out.emplace_back(m->name, std::move(items));
  }
  return out;
}

namespace {
struct DebugParam {
  const char* name;
  int64_t Sentinel::*field;
};
}  // namespace

Fields Sentinel::DebugPeriods() {
  std::lock_guard<std::mutex> lock(mu_);
  Fields f = {{"INFO-PERIOD", std::to_string(info_period_)},
              {"PING-PERIOD", std::to_string(ping_period_)},
              {"ASK-PERIOD", std::to_string(ask_period_)},
              {"PUBLISH-PERIOD", std::to_string(publish_period_)},
              {"DEFAULT-DOWN-AFTER", std::to_string(default_down_after_)},
              {"TILT-TRIGGER", std::to_string(tilt_trigger_)},
              {"TILT-PERIOD", std::to_string(tilt_period_)},
              {"SLAVE-RECONF-TIMEOUT", std::to_string(slave_reconf_timeout_)},
              {"MIN-LINK-RECONNECT-PERIOD", std::to_string(min_link_reconnect_)},
              {"ELECTION-TIMEOUT", std::to_string(election_timeout_)}};
  return f;
}

Status Sentinel::SetDebugPeriod(std::string_view name, std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string n(name);
  for (char& ch : n) ch = char(toupper(static_cast<unsigned char>(ch)));
  int64_t* field = nullptr;
  if (n == "INFO-PERIOD") field = &info_period_;
  if (n == "PING-PERIOD") field = &ping_period_;
  if (n == "ASK-PERIOD") field = &ask_period_;
  if (n == "PUBLISH-PERIOD") field = &publish_period_;
  if (n == "DEFAULT-DOWN-AFTER") field = &default_down_after_;
  if (n == "TILT-TRIGGER") field = &tilt_trigger_;
  if (n == "TILT-PERIOD") field = &tilt_period_;
  if (n == "SLAVE-RECONF-TIMEOUT") field = &slave_reconf_timeout_;
  if (n == "MIN-LINK-RECONNECT-PERIOD") field = &min_link_reconnect_;
  if (n == "ELECTION-TIMEOUT") field = &election_timeout_;
  auto v = ParseInt64(value);
  if (field == nullptr) {
    return Status::Error("ERR Unknown option or number of arguments for SENTINEL DEBUG '" +
                         std::string(name) + "'");
  }
  if (!v || *v <= 0) {
    return Status::Error("ERR Invalid argument '" + std::string(value) + "' for SENTINEL DEBUG '" +
                         std::string(name) + "'");
  }
  *field = *v;
  return Status::Ok();
}

std::string Sentinel::InfoSection() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = Now();
  std::string s;
  s += "sentinel_masters:" + std::to_string(masters_.size()) + "\r\n";
  s += std::string("sentinel_tilt:") + (tilt_ ? "1" : "0") + "\r\n";
  s += "sentinel_tilt_since_seconds:" + std::to_string(tilt_ ? (now - tilt_start_) / 1000 : -1) +
       "\r\n";
  s += "sentinel_running_scripts:0\r\n";
  s += "sentinel_scripts_queue_length:0\r\n";
  s += "sentinel_simulate_failure_flags:" + std::to_string(simulate_failure_.load()) + "\r\n";
  for (size_t i = 0; i < masters_.size(); i++) {
    const Master* m = masters_[i].get();
    const char* status = (m->flags & kFlagODown)   ? "odown"
                         : (m->flags & kFlagSDown) ? "sdown"
                                                   : "ok";
    s += "master" + std::to_string(i) + ":name=" + m->name + ",status=" + status +
         ",address=" + m->ip + ":" + std::to_string(m->port) +
         ",slaves=" + std::to_string(m->replicas.size()) +
         ",sentinels=" + std::to_string(m->sentinels.size() + 1) + "\r\n";
  }
  return s;
}

}  // namespace basalt::sentinel
