// Discovery: hello messages sent and heard; INFO replies (replicas found, roles, re-pointing).
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "common/logging.h"
#include "common/numbers.h"
#include "sentinel/sentinel.h"
#include "sentinel/sentinel_instance.h"
#include "sentinel/sentinel_internal.h"

namespace basalt::sentinel {

namespace {

bool ParseAtoiPort(std::string_view s, int* port) {
  auto v = ParseInt64(s);
  if (!v) return false;
  *port = int(*v);
  return true;
}

}  // namespace

// ------------------------------------------------------------ hello

std::string Sentinel::AnnounceIp(Instance* via) const {
  if (!global_.announce_ip.empty()) return global_.announce_ip;
  return via->cmd.LocalIp();
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
  ri->cmd.Send({"PUBLISH", kHelloChannel, payload}, LogIfRefused(ri, "PUBLISH"));
}

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

}  // namespace basalt::sentinel
