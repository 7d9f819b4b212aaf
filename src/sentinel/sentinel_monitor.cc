// Failure detection: the timer (TILT), link upkeep, the PING/INFO cadence, SDOWN and ODOWN.
#include <algorithm>

#include "common/clock.h"
#include "common/logging.h"
#include "protocol/reply_reader.h"
#include "sentinel/sentinel.h"
#include "sentinel/sentinel_instance.h"
#include "sentinel/sentinel_internal.h"

namespace basalt::sentinel {

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
      l.Send({"AUTH", pass}, LogIfRefused(ri, "AUTH"));
    } else {
      l.Send({"AUTH", user, pass}, LogIfRefused(ri, "AUTH"));
    }
  };
  if (ri->cmd.closed()) {
    ri->cmd.use_tls = options_.tls;
    if (ri->cmd.Connect(ri->ip, ri->port, global_.resolve_hostnames)) {
      ri->link_created = now;
      if (ri->act_ping_time == 0) ri->act_ping_time = now;
      ri->info_pending = false;
      auth(ri->cmd);
      if (data_node) {
        ri->cmd.Send({"CLIENT", "SETNAME", client_name + "-cmd"},
                     LogIfRefused(ri, "CLIENT SETNAME"));
      }
      // The first PING goes out at once: it is what clears act_ping_time.
      ri->pinged_on_link = false;
    }
  }
  if (data_node && ri->pubsub.closed()) {
    ri->pubsub.use_tls = options_.tls;
    if (ri->pubsub.Connect(ri->ip, ri->port, global_.resolve_hostnames)) {
      ri->pubsub_created = now;
      ri->pubsub_last_activity = now;
      auth(ri->pubsub);
      ri->pubsub.Send({"CLIENT", "SETNAME", client_name + "-pubsub"},
                      LogIfRefused(ri, "CLIENT SETNAME"));
      ri->pubsub.Send({"SUBSCRIBE", kHelloChannel}, LogIfRefused(ri, "SUBSCRIBE"));
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
  // During our failover, the replica being promoted and those being
  // re-pointed are read every 100 ms: the failover ends (and clients reading
  // SENTINEL MASTERS see the new primary) as soon as their links are up,
  // not up to a second later.
  if ((m->flags & kFlagFailoverInProgress) &&
      (ri->flags & (kFlagPromoted | kFlagReconfSent | kFlagReconfInprog))) {
    info_period = 100;
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

void Sentinel::RequestInfo(Instance* ri, bool force) {
  if (!ri->cmd.connected() || (ri->info_pending && !force)) return;
  ri->info_pending = true;
  int64_t asked = Now();
  ri->cmd.Send({"INFO"}, [this, ri, asked](const protocol::Reply& r) {
    ri->info_pending = false;
    ri->info_asked_at = std::max(ri->info_asked_at, asked);
    if (r.type == protocol::Reply::Type::kBulk) {
      OnInfoReply(ri, r.str);
    } else {
      LogRefusal(ri, "INFO", r);
    }
  });
}

void Sentinel::OnPingReply(Instance* ri, const protocol::Reply& r, int64_t now) {
  ri->last_pong_time = now;
  bool valid = (r.type == protocol::Reply::Type::kStatus && r.str == "PONG") ||
               (r.is_error() && (r.str.starts_with("LOADING") || r.str.starts_with("MASTERDOWN")));
  if (valid) {
    ri->last_avail_time = now;
    ri->act_ping_time = 0;
  } else if (r.is_error() && r.str.starts_with("BUSY") && (ri->flags & kFlagSDown) &&
             !(ri->flags & kFlagScriptKillSent)) {
    // A script that keeps a node busy past down-after: try to end it, as
    // redis-sentinel does (once per down period).
    ri->flags |= kFlagScriptKillSent;
    ri->cmd.Send({MappedCommand(ri->master, "SCRIPT"), "KILL"}, LogIfRefused(ri, "SCRIPT KILL"));
  } else {
    LogRefusal(ri, "PING", r);
  }
}

std::function<void(const protocol::Reply&)> Sentinel::LogIfRefused(Instance* ri,
                                                                   std::string command) {
  return [this, ri, command = std::move(command)](const protocol::Reply& r) {
    LogRefusal(ri, command, r);
  };
}

void Sentinel::LogRefusal(Instance* ri, const std::string& command, const protocol::Reply& r) {
  if (!r.is_error()) return;
  const std::string& e = r.str;
  bool refused = e.starts_with("NOPERM") || e.starts_with("WRONGPASS") || e.starts_with("NOAUTH") ||
                 e.starts_with("ERR unknown command") || e.starts_with("ERR AUTH");
  if (!refused) return;
  int64_t now = Now();
  if (ri->last_refusal_log != 0 && now - ri->last_refusal_log < 60000) return;
  ri->last_refusal_log = now;
  std::string addr = ri->ip + ":" + std::to_string(ri->port);
  if (ri->is_sentinel()) {
    Log(LogLevel::kWarning,
        "Sentinel %s refused %s from this sentinel: %s. Sentinels authenticate to each other "
        "with sentinel-user / sentinel-pass (docs/sentinel.md)",
        addr.c_str(), command.c_str(), e.c_str());
    return;
  }
  Log(LogLevel::kWarning,
      "%s refused %s from this sentinel: %s. Failovers need it: the data nodes' ACL user for "
      "sentinels (sentinel auth-user) needs at least: %s (docs/sentinel.md)",
      addr.c_str(), command.c_str(), e.c_str(), kSentinelAclRules);
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
    ri->flags &= ~(kFlagSDown | kFlagScriptKillSent);
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

}  // namespace basalt::sentinel
