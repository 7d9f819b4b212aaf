// What the SENTINEL sub-commands call: listings, MONITOR/REMOVE/SET, CONFIG, DEBUG and INFO.
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "common/glob.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "sentinel/sentinel.h"
#include "sentinel/sentinel_instance.h"
#include "sentinel/sentinel_internal.h"

namespace basalt::sentinel {

namespace {

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

}  // namespace

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
