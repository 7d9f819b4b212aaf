// Failover: the primary's side of Redis's coordinated failover (FAILOVER
// [TO host port [FORCE]] [ABORT] [TIMEOUT ms]), and the target replica's
// side of the `PSYNC <replid> <offset> FAILOVER` request that ends it.
//
// The primary (state kNone -> kWaitForSync -> kInProgress -> kNone):
//   1. FAILOVER pauses clients' writes (as CLIENT PAUSE WRITE, through
//      ServerHooks::SetFailoverPause) and asks its replicas to acknowledge.
//   2. kWaitForSync: worker 0's cron waits until the target (TO host port),
//      or any online replica, has acknowledged this server's whole write log.
//      TIMEOUT without FORCE gives up there (writes resume, nothing changed);
//      with FORCE it goes on with the target as it is.
//   3. kInProgress: this server becomes a replica of the target (Role::
//      SetPrimary with the failover flag), whose link thread sends `PSYNC
//      <our replid> <our offset + 1> FAILOVER`. The target promotes itself
//      (REPLICAOF NO ONE: our replid becomes its replid2, so we and our other
//      replicas continue partially) and answers +CONTINUE. On that answer
//      the failover is over and writes resume (as READONLY errors, since this
//      server is a replica now); on an error or a failed connection this
//      server turns back into a primary (REPLICAOF NO ONE) and resumes.
//   FAILOVER ABORT cancels it in either state.
//
// The target: AcceptPsync checks the request (we must be a replica whose
// replid is the one sent) and promotes this server before the PSYNC itself
// is answered.
//
// Thread-safety: Start, Abort, AcceptPsync and the accessors may be called
// from any worker; Cron runs on worker 0. State is guarded by mu_; the
// state name is also kept in an atomic for INFO.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

namespace basalt::replication {

class AckTracker;
class ReplicaRegistry;
class Role;
class ServerHooks;

// The arguments of one FAILOVER command, parsed.
struct FailoverRequest {
  bool abort = false;
  bool has_target = false;
  std::string host;  // TO host port
  int64_t port = 0;
  bool force = false;
  int64_t timeout_ms = 0;  // 0: no TIMEOUT
};

class Failover {
 public:
  enum class State { kNone = 0, kWaitForSync = 1, kInProgress = 2 };

  Failover(ServerHooks& hooks, Role& role, ReplicaRegistry& replicas, AckTracker& acks);
  ~Failover();
  Failover(const Failover&) = delete;
  Failover& operator=(const Failover&) = delete;

  // FAILOVER (req.abort: FAILOVER ABORT). Ok to reply +OK, or the error
  // text Redis replies.
  Status Handle(const FailoverRequest& req);

  // PSYNC <replid> <offset> FAILOVER, before the PSYNC is served: Ok once
  // this server is a primary, or the error to reply. `client` describes the
  // requesting connection for the log.
  Status AcceptPsync(std::string_view replid, std::string_view client);

  State state() const { return State(state_.load(std::memory_order_acquire)); }
  bool active() const { return state() != State::kNone; }
  // INFO's master_failover_state: no-failover, waiting-for-sync,
  // failover-in-progress.
  const char* state_name() const;

  // Worker 0's cron: advances a failover in progress.
  void Cron();

 private:
  Status Start(const FailoverRequest& req);
  // Picks the replica to hand over to (kWaitForSync), or moves on after the
  // timeout. REQUIRES: mu_ held.
  void CheckSyncedLocked();
  void BeginHandoverLocked(const std::string& host, int port);
  // Ends the failover: writes resume. REQUIRES: mu_ held.
  void ClearLocked();
  // Cancels: a failover in progress turns this server back into a primary.
  // REQUIRES: mu_ held.
  void AbortLocked(const char* why);
  std::string TargetName() const;  // REQUIRES: mu_ held

  ServerHooks& hooks_;
  Role& role_;
  ReplicaRegistry& replicas_;
  AckTracker& acks_;

  mutable std::mutex mu_;
  std::atomic<int> state_{0};  // State; written under mu_
  std::string host_;           // Guarded by mu_. Empty: any replica.
  int port_ = 0;               // Guarded by mu_.
  bool force_ = false;         // Guarded by mu_.
  int64_t end_ms_ = 0;         // Guarded by mu_. 0: no timeout.
};

}  // namespace basalt::replication
