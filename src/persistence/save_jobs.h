// SaveJobs: the persistence job slot and the snapshots that run in it —
// SAVE, BGSAVE (and BGSAVE SCHEDULE), the `save` points, the AOF rewrite
// (BGREWRITEAOF, auto-aof-rewrite-*, turning appendonly on), a replica's full
// sync, and what SHUTDOWN and FLUSHALL mean for saving.
//
// Snapshots are persistence::Snapshot (point-in-time, no fork); one runs at a
// time (the job slot), on its own thread (the job thread), except SAVE, which
// runs on the caller's. An RDB file is written to a temp name, fsynced and
// renamed (snapshot_file.h). A rewrite switches the AofWriter to a new
// incremental file at the snapshot's start instant and installs the new base
// when it is written.
//
// Thread-safety: public methods may be called from any thread unless noted;
// Cron from worker 0. The slot is guarded by job_mu_, which is never held
// across a snapshot's start instant (that takes every shard lock, and a
// transaction holding shard locks may be waiting for job_mu_).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "persistence/snapshot.h"

namespace basalt::persistence {

class AofWriter;
class DatasetLoader;
class ServerHooks;
struct InfoFields;

class SaveJobs {
 public:
  // `loader`: no save point or scheduled job starts while a dataset loads.
  SaveJobs(ServerHooks& hooks, AofWriter& aof, const DatasetLoader& loader);
  // Cancels the running job and waits for its thread.
  ~SaveJobs();
  SaveJobs(const SaveJobs&) = delete;
  SaveJobs& operator=(const SaveJobs&) = delete;

  // SAVE: a snapshot written before returning.
  Status Save();
  // BGSAVE [SCHEDULE]: the status reply text, or an error. Inside EXEC
  // (`in_exec`) the save is scheduled for the cron, as Redis does.
  StatusOr<std::string> Bgsave(bool schedule, bool in_exec = false);
  // BGREWRITEAOF: the status reply text, or an error (scheduled in EXEC).
  StatusOr<std::string> BgRewriteAof(bool in_exec = false);
  // A full sync to a replica: a snapshot whose start instant runs
  // `at_instant(offset)` (every shard locked), written to `sink` on the job
  // thread, then `done(status)` on that thread. Fails when another snapshot
  // runs.
  Status StartReplicaSync(std::function<void(int64_t offset)> at_instant,
                          std::shared_ptr<SnapshotSink> sink, std::function<void(Status)> done);
  // A digest-only snapshot (the consistency check): entries of the instant
  // go to `visitor` (see EntryVisitor); `at_instant(offset)` runs with every
  // shard locked and the replication apply held, then the walk runs on the
  // job thread and `done(status)` on that thread. Fails when another
  // snapshot runs (a save point or BGSAVE waits for it instead).
  Status StartDigest(std::function<void(int64_t offset)> at_instant,
                     std::shared_ptr<EntryVisitor> visitor, std::function<void(Status)> done);
  // Whether a snapshot job (save, rewrite, full sync or digest) runs now.
  bool snapshot_running() const;
  // CONFIG SET appendonly: on starts the rewrite that creates the AOF (after
  // the running job, if any); off cancels a rewrite and stops the writer.
  Status SetAppendOnly(bool on);

  // Synchronous work at shutdown: the running job cancelled, the AOF flushed
  // and fsynced, and an RDB saved when `save` (SHUTDOWN SAVE, or save rules
  // configured and not NOSAVE).
  Status OnShutdown(bool save);
  // FLUSHALL: Redis ends a running save and writes the (empty) dataset when
  // save rules are configured.
  void AfterFlushAll();
  // Called about hz times a second from worker 0: reaps finished jobs,
  // starts scheduled ones, applies save points and auto-aof-rewrite.
  void Cron();

  // Non-empty when writes must be refused with this -MISCONF error (the last
  // background save failed and stop-writes-on-bgsave-error is on).
  std::string WriteRefusal() const;
  int64_t lastsave() const { return lastsave_.load(std::memory_order_relaxed); }
  // rdb_*, aof rewrite status and history, copy-on-write sizes.
  void FillInfo(InfoFields* info) const;

 private:
  enum class Job { kNone, kRdb, kAofRewrite, kReplica, kDigest };

  // Begins a snapshot of `job` kind. REQUIRES: `lock` holds job_mu_ and no
  // job runs; it is released around the start instant and held again after.
  void StartJobLocked(std::unique_lock<std::mutex>& lock, Job job);
  // Takes the job slot for `job` (joining a finished job's thread), or says
  // another snapshot runs. Takes job_mu_ itself.
  Status ClaimSlot(Job job);
  // The rewrite job thread's work after the start instant.
  Status WriteRewrittenBase(Snapshot& snap, bool enabling, bool preamble);
  void FinishJob(Job job, Status result, int64_t started_ms, uint64_t cow, int64_t dirty_at_start);
  void JoinFinished();

  ServerHooks& hooks_;
  AofWriter& aof_;
  const DatasetLoader& loader_;

  mutable std::mutex job_mu_;
  std::condition_variable job_cv_;
  Job job_ = Job::kNone;                // Guarded by job_mu_.
  std::unique_ptr<Snapshot> snapshot_;  // Guarded by job_mu_.
  std::thread job_thread_;              // Guarded by job_mu_.
  bool job_finished_ = false;           // Guarded by job_mu_.
  int64_t job_start_ms_ = 0;            // Guarded by job_mu_.
  bool bgsave_scheduled_ = false;       // Guarded by job_mu_.
  bool rewrite_scheduled_ = false;      // Guarded by job_mu_.
  bool enabling_ = false;               // Guarded by job_mu_: the rewrite turns the AOF on
  std::atomic<int64_t> lastsave_;
  std::atomic<bool> last_bgsave_ok_{true};
  std::atomic<int64_t> last_bgsave_try_ms_{0};
  std::atomic<int64_t> last_bgsave_time_sec_{-1};
  std::atomic<uint64_t> rdb_saves_{0};
  std::atomic<uint64_t> rdb_last_cow_{0};
  std::atomic<bool> last_rewrite_ok_{true};
  std::atomic<int64_t> last_rewrite_time_sec_{-1};
  std::atomic<uint64_t> aof_rewrites_{0};
  std::atomic<uint64_t> aof_last_cow_{0};
};

}  // namespace basalt::persistence
