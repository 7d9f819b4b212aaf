// The failover: its start, the leader election, the choice of the replica to
// promote, the promotion, the re-pointing of the other replicas and the
// switch to the new primary. Each step is one state of Master::failover_state
// advanced from the sentinel's timer (Sentinel::FailoverStep) or, for the
// promotion and re-pointing progress, from the replicas' INFO replies.
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "protocol/reply_reader.h"
#include "sentinel/sentinel.h"
#include "sentinel/sentinel_instance.h"

namespace basalt::sentinel {

namespace {

int64_t Now() { return MonotonicUs() / 1000; }

// Up to a second of random delay so that sentinels which see the same ODOWN
// do not all ask for votes at the same instant (split votes).
int64_t Desync() {
  static thread_local std::mt19937 rng(std::random_device{}());
  return int64_t(rng() % 1000);
}

std::string Mapped(const Master* m, const std::string& command) {
  return MappedCommand(m, command);
}

}  // namespace

std::string MappedCommand(const Master* m, const std::string& command) {
  for (const RenamedCommand& r : m->config.renamed_commands) {
    if (strcasecmp(r.from.c_str(), command.c_str()) == 0) return r.to;
  }
  return command;
}

bool Sentinel::SendReplicaOf(Instance* ri, const std::string& host, int port) {
  if (!ri->cmd.connected()) return false;
  const Master* m = ri->master;
  std::vector<std::string> replicaof = {Mapped(m, "SLAVEOF")};
  if (host.empty()) {
    replicaof.insert(replicaof.end(), {"NO", "ONE"});
  } else {
    replicaof.insert(replicaof.end(), {host, std::to_string(port)});
  }
  // In one transaction, as redis-sentinel sends it: the role change, its
  // persistence, and the disconnection of clients that may still be talking
  // to the node in its old role.
  ri->cmd.Send({Mapped(m, "MULTI")}, LogIfRefused(ri, "MULTI"));
  ri->cmd.Send(replicaof, LogIfRefused(ri, "SLAVEOF"));
  ri->cmd.Send({Mapped(m, "CONFIG"), "REWRITE"}, LogIfRefused(ri, "CONFIG REWRITE"));
  ri->cmd.Send({Mapped(m, "CLIENT"), "KILL", "TYPE", "normal"}, LogIfRefused(ri, "CLIENT KILL"));
  ri->cmd.Send({Mapped(m, "CLIENT"), "KILL", "TYPE", "pubsub"}, LogIfRefused(ri, "CLIENT KILL"));
  ri->cmd.Send({Mapped(m, "EXEC")}, LogIfRefused(ri, "EXEC"));
  // Read the new role right away instead of at the next INFO period: this is
  // what lets the promotion be noticed within a round trip.
  RequestInfo(ri);
  return true;
}

// ------------------------------------------------------------ election

std::string Sentinel::VoteLeader(Master* m, uint64_t req_epoch, const std::string& req_runid,
                                 uint64_t* leader_epoch) {
  if (req_epoch > global_.current_epoch) {
    global_.current_epoch = req_epoch;
    SaveConfig();
    EventText(LogLevel::kWarning, "+new-epoch", std::to_string(global_.current_epoch));
  }
  if (m->leader_epoch < req_epoch && global_.current_epoch <= req_epoch) {
    m->leader = req_runid;
    m->leader_epoch = global_.current_epoch;
    SaveConfig();
    EventText(LogLevel::kWarning, "+vote-for-leader",
              m->leader + " " + std::to_string(m->leader_epoch));
    // Having voted for another sentinel, give it time before trying ourselves.
    if (m->leader != global_.myid) m->failover_start_time = Now() + Desync();
  }
  *leader_epoch = m->leader_epoch;
  return m->leader;
}

std::string Sentinel::GetLeader(Master* m, uint64_t epoch) {
  std::map<std::string, int> votes;
  for (auto& s : m->sentinels) {
    if (!s->leader.empty() && s->leader_epoch == global_.current_epoch) votes[s->leader]++;
  }
  auto best = [&]() {
    std::string winner;
    int max = 0;
    for (auto& [runid, n] : votes) {
      if (n > max) {
        max = n;
        winner = runid;
      }
    }
    return std::make_pair(winner, max);
  };
  auto [winner, max] = best();
  // Our own vote goes to the sentinel most others voted for, or to ourselves.
  uint64_t leader_epoch = 0;
  std::string mine = VoteLeader(m, epoch, winner.empty() ? global_.myid : winner, &leader_epoch);
  if (!mine.empty() && leader_epoch == epoch) votes[mine]++;
  std::tie(winner, max) = best();
  int voters = int(m->sentinels.size()) + 1;
  if (winner.empty() || max < voters / 2 + 1 || max < m->config.quorum) return "";
  return winner;
}

// ------------------------------------------------------------ the steps

void Sentinel::StartFailoverIfNeeded(Master* m, int64_t now) {
  if (!(m->flags & kFlagODown) || (m->flags & kFlagFailoverInProgress)) return;
  if (now - m->failover_start_time < m->config.failover_timeout_ms * 2) {
    if (m->failover_delay_logged != m->failover_start_time) {
      m->failover_delay_logged = m->failover_start_time;
      int64_t wall = NowMs() + (m->failover_start_time + m->config.failover_timeout_ms * 2 - now);
      time_t secs = time_t(wall / 1000);
      char buf[64];
      struct tm tm;
      localtime_r(&secs, &tm);
      strftime(buf, sizeof(buf), "%c", &tm);
      Log(LogLevel::kWarning, "Next failover delay: I will not start a failover before %s", buf);
    }
    return;
  }
  m->failover_state = FailoverState::kWaitStart;
  m->failover_state_change_time = now;
  m->flags |= kFlagFailoverInProgress;
  global_.current_epoch++;
  m->failover_epoch = global_.current_epoch;
  EventText(LogLevel::kWarning, "+new-epoch", std::to_string(global_.current_epoch));
  Event(LogLevel::kWarning, "+try-failover", m, "");
  m->failover_start_time = now + Desync();
}

bool Sentinel::PromotionInProgress() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = Now();
  for (auto& m : masters_) {
    if (!(m->flags & kFlagFailoverInProgress)) continue;
    // Promoted: the switch must be announced.
    if (m->failover_state >= FailoverState::kReconfReplicas) return true;
    // REPLICAOF NO ONE sent or about to be: the promotion shows in the
    // replica's INFO within a few hundred ms (it is read every 100 ms during
    // a failover); one that does not come within 1 s (the replica refused,
    // say) is not worth holding the shutdown for.
    if (m->failover_state >= FailoverState::kSendReplicaOfNoOne &&
        now - m->failover_state_change_time < 1000) {
      return true;
    }
  }
  return false;
}

Status Sentinel::Failover(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  Master* m = nullptr;
  for (auto& mm : masters_) {
    if (mm->name == name) m = mm.get();
  }
  if (m == nullptr) return Status::Error("ERR No such master with that name");
  if (m->flags & kFlagFailoverInProgress)
    return Status::Error("INPROG Failover already in progress");
  int64_t now = Now();
  if (SelectReplica(m, now, false) == nullptr) {
    return Status::Error("NOGOODSLAVE No suitable replica to promote");
  }
  Log(LogLevel::kWarning, "Executing user requested FAILOVER of '%s'", m->name.c_str());
  m->failover_state = FailoverState::kWaitStart;
  m->failover_state_change_time = now;
  m->flags |= kFlagFailoverInProgress | kFlagForceFailover;
  global_.current_epoch++;
  m->failover_epoch = global_.current_epoch;
  EventText(LogLevel::kWarning, "+new-epoch", std::to_string(global_.current_epoch));
  Event(LogLevel::kWarning, "+try-failover", m, "");
  m->failover_start_time = now;
  SaveConfig();
  uint64_t wake = 1;
  if (write(wake_fd_, &wake, sizeof(wake)) < 0) {
    // The loop runs its timer within 100 ms anyway.
  }
  return Status::Ok();
}

void Sentinel::SendFence(Instance* ri, int64_t ms) {
  if (!ri->cmd.connected()) return;
  // Not LogIfRefused: a redis-server replica has no FENCE, which is no
  // misconfiguration, and its once-a-minute slot belongs to SLAVEOF & co.
  ri->cmd.Send({Mapped(ri->master, "FENCE"), std::to_string(ms)},
               [this, ri, ms](const protocol::Reply& r) {
                 if (!r.is_error() || ms == 0) return;
                 Log(LogLevel::kNotice,
                     "Replica %s:%d was not fenced: %s (a redis-server replica, or a sentinel "
                     "user without +fence: docs/failover.md)",
                     ri->ip.c_str(), ri->port, r.str.c_str());
               });
}

void Sentinel::AbortFailover(Master* m) {
  // Lift the fences of an election we won: the replicas go back to the
  // primary (which may be fine after all) rather than wait for them to expire.
  if (m->failover_state >= FailoverState::kSelectReplica) {
    for (auto& r : m->replicas) {
      if (r.get() != m->promoted) SendFence(r.get(), 0);
    }
  }
  m->flags &= ~(kFlagFailoverInProgress | kFlagForceFailover);
  m->failover_state = FailoverState::kNone;
  m->failover_state_change_time = Now();
  if (m->promoted) {
    m->promoted->flags &= ~kFlagPromoted;
    m->promoted = nullptr;
  }
  for (auto& r : m->replicas) r->flags &= ~(kFlagReconfSent | kFlagReconfInprog | kFlagReconfDone);
}

void Sentinel::FailoverStep(Master* m, int64_t now) {
  if (!(m->flags & kFlagFailoverInProgress)) return;
  switch (m->failover_state) {
    case FailoverState::kWaitStart:
      FailoverWaitStart(m, now);
      break;
    case FailoverState::kSelectReplica:
      FailoverSelectReplica(m, now);
      break;
    case FailoverState::kSendReplicaOfNoOne:
      FailoverSendReplicaOfNoOne(m, now);
      break;
    case FailoverState::kWaitPromotion:
      FailoverWaitPromotion(m, now);
      break;
    case FailoverState::kReconfReplicas:
      FailoverReconfNextReplica(m, now);
      break;
    default:
      break;
  }
}

void Sentinel::FailoverWaitStart(Master* m, int64_t now) {
  std::string leader = GetLeader(m, m->failover_epoch);
  bool elected = leader == global_.myid;
  if (!elected && !(m->flags & kFlagForceFailover)) {
    int64_t election_timeout = std::min(election_timeout_, m->config.failover_timeout_ms);
    if (now - m->failover_start_time > election_timeout) {
      Event(LogLevel::kWarning, "-failover-abort-not-elected", m, "");
      AbortFailover(m);
    }
    return;
  }
  Event(LogLevel::kWarning, "+elected-leader", m, "");
  if (simulate_failure_.load() & kCrashAfterElection) {
    Log(LogLevel::kWarning, "Simulated failure: crash after election");
    _exit(99);
  }
  m->failover_state = FailoverState::kSelectReplica;
  m->failover_state_change_time = now;
  Event(LogLevel::kWarning, "+failover-state-select-slave", m, "");
  // The fence: every replica stops applying the old primary's stream (a
  // primary cut off from us may still be streaming to them), so the offsets
  // read next are final and the most advanced replica holds every write a
  // replica acknowledged. Then fresh offsets for the choice, asked on the same
  // link after the fence.
  for (auto& r : m->replicas) SendFence(r.get(), m->config.failover_timeout_ms);
  for (auto& r : m->replicas) RequestInfo(r.get(), true);
}

Instance* Sentinel::SelectReplica(Master* m, int64_t now, bool require_fresh_info) {
  int64_t max_master_down = (m->flags & kFlagSDown) ? now - m->s_down_since : 0;
  max_master_down += m->config.down_after_ms * 10;
  int64_t info_validity = (m->flags & kFlagSDown) ? ping_period_ * 5 : info_period_ * 3;
  std::vector<Instance*> candidates;
  for (auto& rp : m->replicas) {
    Instance* r = rp.get();
    if (r->flags & (kFlagSDown | kFlagODown)) continue;
    if (!r->cmd.connected()) continue;
    if (now - r->last_avail_time > ping_period_ * 5) continue;
    if (r->replica_priority == 0) continue;
    if (r->info_refresh == 0 || now - r->info_refresh > info_validity) continue;
    if (r->master_link_down_time > max_master_down) continue;
    if (require_fresh_info && r->info_refresh < m->failover_state_change_time) continue;
    candidates.push_back(r);
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end(), [](const Instance* a, const Instance* b) {
    if (a->replica_priority != b->replica_priority)
      return a->replica_priority < b->replica_priority;
    if (a->replica_repl_offset != b->replica_repl_offset) {
      return a->replica_repl_offset > b->replica_repl_offset;
    }
    if (a->runid.empty() != b->runid.empty()) return b->runid.empty();
    return strcasecmp(a->runid.c_str(), b->runid.c_str()) < 0;
  });
  return candidates.front();
}

void Sentinel::FailoverSelectReplica(Master* m, int64_t now) {
  // The replica must be chosen by offsets read after the primary was lost,
  // or a replica that received more (acknowledged) writes since its last
  // INFO could be passed over. Wait for the INFO replies asked for on
  // election, bounded, then fall back to what is known.
  bool waiting = false;
  for (auto& r : m->replicas) {
    if (r->cmd.connected() && !(r->flags & kFlagSDown) &&
        r->info_asked_at < m->failover_state_change_time) {
      waiting = true;
    }
  }
  bool waited_enough = now - m->failover_state_change_time > std::max<int64_t>(ping_period_, 1000);
  if (waiting && !waited_enough) return;
  Instance* r = SelectReplica(m, now, false);
  if (r == nullptr) {
    Event(LogLevel::kWarning, "-failover-abort-no-good-slave", m, "");
    AbortFailover(m);
    return;
  }
  Event(LogLevel::kWarning, "+selected-slave", r, "");
  r->flags |= kFlagPromoted;
  m->promoted = r;
  m->failover_state = FailoverState::kSendReplicaOfNoOne;
  m->failover_state_change_time = now;
  Event(LogLevel::kNotice, "+failover-state-send-slaveof-noone", r, "");
  FailoverSendReplicaOfNoOne(m, now);
}

void Sentinel::FailoverSendReplicaOfNoOne(Master* m, int64_t now) {
  Instance* r = m->promoted;
  if (!r->cmd.connected()) {
    if (now - m->failover_state_change_time > m->config.failover_timeout_ms) {
      Event(LogLevel::kWarning, "-failover-abort-slave-timeout", r, "");
      AbortFailover(m);
    }
    return;
  }
  if (!SendReplicaOf(r, "", 0)) return;
  Event(LogLevel::kNotice, "+failover-state-wait-promotion", r, "");
  m->failover_state = FailoverState::kWaitPromotion;
  m->failover_state_change_time = now;
}

void Sentinel::FailoverWaitPromotion(Master* m, int64_t now) {
  // The promotion itself is seen in the replica's INFO (OnInfoReply).
  if (now - m->failover_state_change_time > m->config.failover_timeout_ms) {
    Event(LogLevel::kWarning, "-failover-abort-slave-timeout", m->promoted, "");
    AbortFailover(m);
  }
}

void Sentinel::FailoverReconfNextReplica(Master* m, int64_t now) {
  int in_progress = 0;
  for (auto& r : m->replicas) {
    if (r->flags & (kFlagReconfSent | kFlagReconfInprog)) in_progress++;
  }
  for (auto& rp : m->replicas) {
    Instance* r = rp.get();
    if (r->flags & (kFlagPromoted | kFlagReconfDone)) continue;
    if ((r->flags & kFlagReconfSent) && now - r->reconf_sent_time > slave_reconf_timeout_) {
      Event(LogLevel::kNotice, "-slave-reconf-sent-timeout", r, "");
      r->flags = (r->flags & ~kFlagReconfSent) | kFlagReconfDone;
      continue;
    }
    if (r->flags & (kFlagReconfSent | kFlagReconfInprog)) continue;
    if (!r->cmd.connected()) continue;
    if (in_progress >= m->config.parallel_syncs) break;
    if (SendReplicaOf(r, m->promoted->ip, m->promoted->port)) {
      r->flags |= kFlagReconfSent;
      r->reconf_sent_time = now;
      Event(LogLevel::kNotice, "+slave-reconf-sent", r, "");
      in_progress++;
    }
  }
  FailoverDetectEnd(m, now);
}

void Sentinel::FailoverDetectEnd(Master* m, int64_t now) {
  Instance* promoted = m->promoted;
  if (promoted == nullptr || (promoted->flags & kFlagSDown)) return;
  int not_reconfigured = 0;
  for (auto& r : m->replicas) {
    if (r->flags & (kFlagPromoted | kFlagReconfDone)) continue;
    if (r->flags & kFlagSDown) continue;
    not_reconfigured++;
  }
  bool timeout = now - m->failover_state_change_time > m->config.failover_timeout_ms;
  if (not_reconfigured > 0 && !timeout) return;
  if (timeout) Event(LogLevel::kWarning, "+failover-end-for-timeout", m, "");
  Event(LogLevel::kWarning, "+failover-end", m, "");
  m->failover_state = FailoverState::kUpdateConfig;
  m->failover_state_change_time = now;
  if (timeout) {
    // Point the stragglers at the new primary without waiting for them.
    for (auto& rp : m->replicas) {
      Instance* r = rp.get();
      if (r->flags & (kFlagPromoted | kFlagReconfDone | kFlagReconfSent)) continue;
      if (SendReplicaOf(r, promoted->ip, promoted->port)) {
        Event(LogLevel::kNotice, "+slave-reconf-sent-be", r, "");
        r->flags |= kFlagReconfSent;
      }
    }
  }
}

void Sentinel::SwitchToPromoted(Master* m) {
  const Instance* ref = m->promoted ? m->promoted : m;
  std::string ip = ref->ip;
  int port = ref->port;
  EventText(LogLevel::kWarning, "+switch-master",
            m->name + " " + m->ip + " " + std::to_string(m->port) + " " + ip + " " +
                std::to_string(port));
  ChangeMasterAddress(m, ip, port);
}

}  // namespace basalt::sentinel
