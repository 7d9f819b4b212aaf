#include "replication/failover.h"

#include <cstdint>

#include "common/clock.h"
#include "common/logging.h"
#include "replication/ack_tracker.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "replication/server_hooks.h"
#include "replication/write_log.h"

namespace basalt::replication {

Failover::Failover(ServerHooks& hooks, Role& role, ReplicaRegistry& replicas, AckTracker& acks)
    : hooks_(hooks), role_(role), replicas_(replicas), acks_(acks) {}

Failover::~Failover() = default;

const char* Failover::state_name() const {
  switch (state()) {
    case State::kWaitForSync:
      return "waiting-for-sync";
    case State::kInProgress:
      return "failover-in-progress";
    case State::kNone:
      break;
  }
  return "no-failover";
}

std::string Failover::TargetName() const {
  if (host_.empty()) return "any replica";
  return host_ + ":" + std::to_string(port_);
}

Status Failover::Handle(const FailoverRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (req.abort) {
    if (state() == State::kNone) return Status::Error("ERR No failover in progress.");
    AbortLocked("Failover manually aborted");
    return Status::Ok();
  }
  return Start(req);
}

Status Failover::Start(const FailoverRequest& req) {
  // The checks in Redis's order (their texts are what redis-server replies).
  if (state() != State::kNone) return Status::Error("ERR FAILOVER already in progress.");
  if (role_.is_replica()) {
    return Status::Error("ERR FAILOVER is not valid when server is a replica.");
  }
  auto replicas = replicas_.List();
  if (replicas.empty()) return Status::Error("ERR FAILOVER requires connected replicas.");
  if (req.force && (req.timeout_ms == 0 || !req.has_target)) {
    return Status::Error(
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
  }
  if (req.has_target) {
    const ReplicaSession* target = nullptr;
    for (const auto& r : replicas) {
      if (r->ip() == req.host && r->listening_port() == req.port) target = r.get();
    }
    if (target == nullptr)
      return Status::Error("ERR FAILOVER target HOST and PORT is not a replica.");
    if (target->state() != ReplicaSession::State::kOnline) {
      return Status::Error("ERR FAILOVER target replica is not online.");
    }
  }
  host_ = req.has_target ? req.host : "";
  port_ = req.has_target ? int(req.port) : 0;
  force_ = req.force;
  int64_t now = NowMs();
  end_ms_ = 0;
  if (req.timeout_ms > 0) {
    // A huge TIMEOUT means no deadline in practice (never an overflow).
    end_ms_ = req.timeout_ms > INT64_MAX - now ? INT64_MAX : now + req.timeout_ms;
  }
  LogEvent(LogLevel::kNotice, "failover", {{"step", "requested"}, {"target", TargetName()}},
           "FAILOVER requested to %s.", TargetName().c_str());
  // As CLIENT PAUSE WRITE: the log stops growing, so a replica can catch up.
  hooks_.SetFailoverPause(true);
  state_.store(int(State::kWaitForSync), std::memory_order_release);
  // Ask for acknowledgements now rather than at the replicas' next second.
  acks_.RequestAck(hooks_.write_log().offset(), true);
  return Status::Ok();
}

Status Failover::AcceptPsync(std::string_view replid, std::string_view client) {
  Log(LogLevel::kNotice, "Failover request received for replid %.*s.", int(replid.size()),
      replid.data());
  if (!role_.is_replica()) return Status::Error("ERR PSYNC FAILOVER can't be sent to a master.");
  if (replid != role_.replid()) {
    return Status::Error("ERR PSYNC FAILOVER replid must match my replid.");
  }
  // REPLICAOF NO ONE: our replid moves to replid2, valid up to our offset,
  // so the requester (whose replid it is) continues from there.
  role_.Promote();
  LogEvent(LogLevel::kNotice, "role_change",
           {{"from", "replica"}, {"to", "master"}, {"cause", "failover"},
            {"requester", std::string(client)}},
           "MASTER MODE enabled (failover request from '%.*s')", int(client.size()),
           client.data());
  return Status::Ok();
}

void Failover::Cron() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state()) {
    case State::kNone:
      return;
    case State::kWaitForSync:
      CheckSyncedLocked();
      return;
    case State::kInProgress:
      break;
  }
  switch (role_.failover_psync()) {
    case Role::FailoverPsync::kAccepted:
      LogEvent(LogLevel::kNotice, "failover", {{"step", "complete"}, {"target", TargetName()}},
               "Failover target %s accepted the handover; failover complete.",
               TargetName().c_str());
      ClearLocked();
      return;
    case Role::FailoverPsync::kRejected:
      AbortLocked("Failover target rejected psync request");
      return;
    case Role::FailoverPsync::kNone:
      // Someone else changed the role meanwhile: nothing left to hand over.
      AbortLocked("Replication role changed during the failover");
      return;
    case Role::FailoverPsync::kPending:
      return;
  }
}

void Failover::CheckSyncedLocked() {
  int64_t offset = hooks_.write_log().offset();
  std::string host;
  int port = 0;
  for (const auto& r : replicas_.List()) {
    if (r->state() != ReplicaSession::State::kOnline) continue;
    if (!host_.empty() && (r->ip() != host_ || r->listening_port() != port_)) continue;
    if (r->ack_offset() != offset) continue;
    host = r->ip();
    port = r->listening_port();
    break;
  }
  if (!host.empty()) {
    LogEvent(LogLevel::kNotice, "failover",
             {{"step", "handover"}, {"target", host + ":" + std::to_string(port)}},
             "Failover target %s:%d is synced, failing over.", host.c_str(), port);
    BeginHandoverLocked(host, port);
    return;
  }
  if (end_ms_ != 0 && NowMs() >= end_ms_) {
    if (force_) {
      LogEvent(LogLevel::kNotice, "failover", {{"step", "forced"}, {"target", TargetName()}},
               "FAILOVER to %s: timeout reached, forcing the failover.", TargetName().c_str());
      BeginHandoverLocked(host_, port_);
    } else {
      AbortLocked("Replica never caught up before timeout");
    }
  }
}

void Failover::BeginHandoverLocked(const std::string& host, int port) {
  host_ = host;
  port_ = port;
  state_.store(int(State::kInProgress), std::memory_order_release);
  // Demoted first, so there is never a second primary; the link thread's
  // PSYNC carries FAILOVER.
  role_.SetPrimary(host, port, true);
}

void Failover::ClearLocked() {
  state_.store(int(State::kNone), std::memory_order_release);
  host_.clear();
  port_ = 0;
  force_ = false;
  end_ms_ = 0;
  hooks_.SetFailoverPause(false);
}

void Failover::AbortLocked(const char* why) {
  if (state() == State::kNone) return;
  LogEvent(LogLevel::kNotice, "failover",
           {{"step", "aborted"}, {"target", TargetName()}, {"reason", why}},
           "FAILOVER to %s aborted: %s", TargetName().c_str(), why);
  // Handing over had begun: take the primary role back (our data is intact).
  if (state() == State::kInProgress && role_.is_replica()) role_.Promote();
  ClearLocked();
}

}  // namespace basalt::replication
