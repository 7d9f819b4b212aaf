#include "persistence/save_jobs.h"

#include <unistd.h>

#include <algorithm>

#include "common/clock.h"
#include "common/cpu_affinity.h"
#include "common/logging.h"
#include "config/config.h"
#include "persistence/aof_manifest.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/info_fields.h"
#include "persistence/server_hooks.h"
#include "persistence/snapshot_file.h"
#include "replication/write_log.h"

namespace basalt::persistence {

using config::SaveParam;

namespace {
// A failed background save is retried after this long (Redis's delay).
constexpr int64_t kBgsaveRetryDelayMs = 5000;
}  // namespace

SaveJobs::SaveJobs(ServerHooks& hooks, AofWriter& aof, const DatasetLoader& loader)
    : hooks_(hooks), aof_(aof), loader_(loader), lastsave_(NowMs() / 1000) {
  aof_.SetSnapshotProbe([this] { return snapshot_running(); });
}

SaveJobs::~SaveJobs() {
  {
    std::unique_lock<std::mutex> lock(job_mu_);
    if (snapshot_ != nullptr) snapshot_->Cancel();
    job_cv_.wait(lock, [this] { return job_ == Job::kNone; });
  }
  JoinFinished();
}

bool SaveJobs::snapshot_running() const {
  std::lock_guard<std::mutex> lock(job_mu_);
  return job_ != Job::kNone;
}

// ---------------------------------------------------------------- SAVE, BGSAVE

Status SaveJobs::Save() {
  std::unique_lock<std::mutex> lock(job_mu_);
  // One snapshot at a time. Waiting for the running one is not an option: the
  // caller may hold shard locks (FLUSHALL inside EXEC) the walker needs.
  if (job_ == Job::kRdb) return Status::Error("ERR Background save already in progress");
  if (job_ != Job::kNone) {
    return Status::Error(
        "ERR Background append only file rewriting in progress, can't SAVE "
        "right now");
  }
  // Reserved before the start instant, which takes every shard lock: never
  // while holding job_mu_ (a transaction holding shard locks may want it).
  job_ = Job::kRdb;
  lock.unlock();
  const config::Config& cfg = hooks_.config();
  Snapshot snap(hooks_.keyspace(), SnapshotOptionsFor(cfg));
  int64_t dirty_at_start = 0;
  auto hold = hooks_.HoldReplicationApply();
  snap.Begin([&] {
    dirty_at_start = hooks_.dirty();
    return RdbAuxFields(hooks_, false, hooks_.write_log().offset());
  });
  if (hold.owns_lock()) hold.unlock();

  std::string final_path = cfg.dbfilename();
  std::string tmp = "temp-" + std::to_string(getpid()) + ".rdb";
  Status st = WriteSnapshotFile(snap, tmp, final_path, cfg.rdb_save_incremental_fsync());
  lock.lock();
  job_ = Job::kNone;
  job_cv_.notify_all();
  if (!st.ok()) {
    LogEvent(LogLevel::kWarning, "persistence_error",
             {{"kind", "save"}, {"error", st.message()}}, "%s", st.message().c_str());
    // As Redis's rdbSave: a failed foreground save (SAVE, the save at
    // shutdown) leaves rdb_last_bgsave_status alone, so it brings no MISCONF.
    return Status::Error("ERR " + st.message());
  }
  Log(LogLevel::kNotice, "DB saved on disk");
  hooks_.AddDirty(-dirty_at_start);
  lastsave_.store(NowMs() / 1000);
  last_bgsave_ok_.store(true);
  rdb_saves_.fetch_add(1);
  return Status::Ok();
}

StatusOr<std::string> SaveJobs::Bgsave(bool schedule, bool in_exec) {
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ == Job::kRdb) return Status::Error("ERR Background save already in progress");
  if (job_ != Job::kNone || in_exec) {
    if (schedule || in_exec) {
      bgsave_scheduled_ = true;
      return std::string("Background saving scheduled");
    }
    return Status::Error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
        "SCHEDULE in order to schedule a BGSAVE whenever possible.");
  }
  StartJobLocked(lock, Job::kRdb);
  return std::string("Background saving started");
}

// ---------------------------------------------------------------- the job slot

void SaveJobs::JoinFinished() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    if (!job_finished_) return;
    job_finished_ = false;
    t = std::move(job_thread_);
  }
  if (t.joinable()) t.join();
}

void SaveJobs::StartJobLocked(std::unique_lock<std::mutex>& lock, Job job) {
  // The previous job's thread has finished its work; reap it.
  if (job_thread_.joinable()) {
    job_thread_.join();
    job_finished_ = false;
  }
  // Reserve, then take the start instant (every shard lock) without job_mu_.
  job_ = job;
  snapshot_.reset();
  bool enabling = enabling_;
  lock.unlock();
  const config::Config& cfg = hooks_.config();
  bool aof_base = job == Job::kAofRewrite;
  // The slot is ours: nothing else switches the AOF's files meanwhile.
  int64_t new_incr_seq = aof_base ? aof_.next_incr_seq() : 0;
  bool preamble = cfg.aof_use_rdb_preamble();
  auto snap =
      std::make_unique<Snapshot>(hooks_.keyspace(), SnapshotOptionsFor(cfg, aof_base && !preamble));
  int64_t dirty_at_start = 0;
  int64_t switch_offset = 0;
  Status switched = Status::Ok();
  auto hold = hooks_.HoldReplicationApply();
  snap->Begin([&] {
    dirty_at_start = hooks_.dirty();
    switch_offset = hooks_.write_log().offset();
    if (aof_base) switched = aof_.SwitchIncrAtInstant(new_incr_seq, switch_offset);
    return RdbAuxFields(hooks_, aof_base, switch_offset);
  });
  if (hold.owns_lock()) hold.unlock();

  if (!switched.ok()) {
    Log(LogLevel::kWarning, "Can't rewrite the append only file: %s", switched.message().c_str());
    last_rewrite_ok_.store(false);
    snap.reset();  // walks to the end without writing
    lock.lock();
    job_ = Job::kNone;
    job_cv_.notify_all();
    return;
  }
  lock.lock();
  job_start_ms_ = NowMs();
  last_bgsave_try_ms_.store(job_start_ms_);
  Snapshot* raw = snap.get();
  snapshot_ = std::move(snap);
  if (job == Job::kRdb) {
    Log(LogLevel::kNotice, "Background saving started");
    job_thread_ = std::thread([this, raw, dirty_at_start, started = job_start_ms_] {
      const config::Config& cfg = hooks_.config();
      PinCurrentThread(cfg.bgsave_cpulist(), "bgsave_cpulist");
      std::string tmp = "temp-" + std::to_string(getpid()) + "-bg.rdb";
      Status st = WriteSnapshotFile(*raw, tmp, cfg.dbfilename(), cfg.rdb_save_incremental_fsync());
      FinishJob(Job::kRdb, st, started, raw->peak_pending_bytes(), dirty_at_start);
    });
  } else {
    Log(LogLevel::kNotice, "Background append only file rewriting started");
    job_thread_ = std::thread([this, raw, enabling, preamble, started = job_start_ms_] {
      PinCurrentThread(hooks_.config().aof_rewrite_cpulist(), "aof_rewrite_cpulist");
      Status st = WriteRewrittenBase(*raw, enabling, preamble);
      FinishJob(Job::kAofRewrite, st, started, raw->peak_pending_bytes(), 0);
    });
  }
}

Status SaveJobs::WriteRewrittenBase(Snapshot& snap, bool enabling, bool preamble) {
  const config::Config& cfg = hooks_.config();
  Status st = aof_.CompleteSwitch(enabling);
  // The base: a snapshot of the instant the new incremental file starts.
  std::string tmp = aof_.Path("temp-rewriteaof-bg-" + std::to_string(getpid()) + ".aof");
  int64_t base_seq = aof_.next_base_seq();
  std::string base_name = AofManifest::BaseName(cfg.appendfilename(), base_seq, preamble);
  if (st.ok()) {
    st = WriteSnapshotFile(snap, tmp, aof_.Path(base_name), cfg.aof_rewrite_incremental_fsync());
  } else {
    DiscardSnapshot(snap);
  }
  if (st.ok()) st = aof_.InstallRewrittenBase(base_name, base_seq);
  return st;
}

Status SaveJobs::ClaimSlot(Job job) {
  std::lock_guard<std::mutex> lock(job_mu_);
  if (job_ != Job::kNone) return Status::Error("another snapshot is in progress");
  if (job_thread_.joinable()) {
    job_thread_.join();
    job_finished_ = false;
  }
  job_ = job;
  return Status::Ok();
}

Status SaveJobs::StartReplicaSync(std::function<void(int64_t)> at_instant,
                                  std::shared_ptr<SnapshotSink> sink,
                                  std::function<void(Status)> done) {
  Status claimed = ClaimSlot(Job::kReplica);
  if (!claimed.ok()) return claimed;
  std::unique_lock<std::mutex> lock(job_mu_, std::defer_lock);
  auto snap = std::make_unique<Snapshot>(hooks_.keyspace(), SnapshotOptionsFor(hooks_.config()));
  auto hold = hooks_.HoldReplicationApply();
  snap->Begin([&] {
    int64_t offset = hooks_.write_log().offset();
    at_instant(offset);
    return RdbAuxFields(hooks_, false, offset);
  });
  if (hold.owns_lock()) hold.unlock();

  lock.lock();
  job_start_ms_ = NowMs();
  Snapshot* raw = snap.get();
  snapshot_ = std::move(snap);
  job_thread_ = std::thread([this, raw, sink, done, started = job_start_ms_] {
    PinCurrentThread(hooks_.config().bgsave_cpulist(), "bgsave_cpulist");
    Status st = raw->Run(*sink);
    done(st);
    FinishJob(Job::kReplica, st, started, raw->peak_pending_bytes(), 0);
  });
  return Status::Ok();
}

Status SaveJobs::StartDigest(std::function<void(int64_t)> at_instant,
                             std::shared_ptr<EntryVisitor> visitor,
                             std::function<void(Status)> done) {
  Status claimed = ClaimSlot(Job::kDigest);
  if (!claimed.ok()) return claimed;
  std::unique_lock<std::mutex> lock(job_mu_, std::defer_lock);
  SnapshotOptions options;
  options.visitor = visitor.get();
  auto snap = std::make_unique<Snapshot>(hooks_.keyspace(), options);
  auto hold = hooks_.HoldReplicationApply();
  snap->Begin([&] {
    at_instant(hooks_.write_log().offset());
    return std::vector<std::pair<std::string, std::string>>{};
  });
  if (hold.owns_lock()) hold.unlock();

  lock.lock();
  job_start_ms_ = NowMs();
  Snapshot* raw = snap.get();
  snapshot_ = std::move(snap);
  job_thread_ = std::thread([this, raw, visitor, done, started = job_start_ms_] {
    PinCurrentThread(hooks_.config().bgsave_cpulist(), "bgsave_cpulist");
    class Discard final : public SnapshotSink {
     public:
      Status Write(std::string_view) override { return Status::Ok(); }
    } sink;
    Status st = raw->Run(sink);
    done(st);
    FinishJob(Job::kDigest, st, started, raw->peak_pending_bytes(), 0);
  });
  return Status::Ok();
}

void SaveJobs::FinishJob(Job job, Status result, int64_t started_ms, uint64_t cow,
                         int64_t dirty_at_start) {
  int64_t took = (NowMs() - started_ms) / 1000;
  if (job == Job::kDigest) {
    if (!result.ok()) {
      Log(LogLevel::kWarning, "Consistency digest failed: %s", result.message().c_str());
    }
  } else if (job == Job::kReplica) {
    if (!result.ok()) {
      Log(LogLevel::kWarning, "Full sync to a replica failed: %s", result.message().c_str());
    }
  } else if (job == Job::kRdb) {
    if (result.ok()) {
      Log(LogLevel::kNotice, "Background saving terminated with success");
      hooks_.AddDirty(-dirty_at_start);
      lastsave_.store(NowMs() / 1000);
      rdb_saves_.fetch_add(1);
    } else {
      Log(LogLevel::kWarning, "%s", result.message().c_str());
      LogEvent(LogLevel::kWarning, "persistence_error",
               {{"kind", "bgsave"}, {"error", result.message()}}, "Background saving error");
    }
    last_bgsave_ok_.store(result.ok());
    last_bgsave_time_sec_.store(took);
    rdb_last_cow_.store(cow);
  } else {
    if (result.ok()) {
      Log(LogLevel::kNotice, "Background AOF rewrite terminated with success");
      Log(LogLevel::kNotice, "Background AOF rewrite finished successfully");
      aof_rewrites_.fetch_add(1);
    } else {
      LogEvent(LogLevel::kWarning, "persistence_error",
               {{"kind", "aof_rewrite"}, {"error", result.message()}},
               "Background AOF rewrite failed: %s", result.message().c_str());
    }
    last_rewrite_ok_.store(result.ok());
    last_rewrite_time_sec_.store(took);
    aof_last_cow_.store(cow);
  }
  std::lock_guard<std::mutex> lock(job_mu_);
  if (job == Job::kAofRewrite) {
    if (result.ok()) {
      enabling_ = false;
    } else if (enabling_) {
      rewrite_scheduled_ = true;  // the AOF is not usable until a rewrite succeeds
    }
  }
  snapshot_.reset();
  job_ = Job::kNone;
  job_finished_ = true;
  job_cv_.notify_all();
}

void SaveJobs::Cron() {
  JoinFinished();
  if (loader_.loading()) return;
  int64_t now = NowMs();
  const config::Config& cfg = hooks_.config();
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ != Job::kNone) return;
  if (rewrite_scheduled_) {
    rewrite_scheduled_ = false;
    if (aof_.enabled()) {
      StartJobLocked(lock, Job::kAofRewrite);
      return;
    }
  }
  if (bgsave_scheduled_) {
    bgsave_scheduled_ = false;
    StartJobLocked(lock, Job::kRdb);
    return;
  }
  int64_t dirty = hooks_.dirty();
  for (const SaveParam& p : cfg.save()) {
    if (dirty >= p.changes && now / 1000 - lastsave_.load() > p.seconds &&
        (now - last_bgsave_try_ms_.load() > kBgsaveRetryDelayMs || last_bgsave_ok_.load())) {
      Log(LogLevel::kNotice, "%d changes in %d seconds. Saving...", int(p.changes), int(p.seconds));
      StartJobLocked(lock, Job::kRdb);
      return;
    }
  }
  if (aof_.enabled() && cfg.auto_aof_rewrite_percentage() > 0) {
    uint64_t cur = aof_.current_size();
    uint64_t base = std::max<uint64_t>(1, aof_.base_size());
    if (cur > uint64_t(cfg.auto_aof_rewrite_min_size())) {
      uint64_t growth = (cur - base) * 100 / base;
      if (growth >= uint64_t(cfg.auto_aof_rewrite_percentage())) {
        Log(LogLevel::kNotice, "Starting automatic rewriting of AOF on %llu%% growth",
            (unsigned long long)growth);
        StartJobLocked(lock, Job::kAofRewrite);
      }
    }
  }
}

// ---------------------------------------------------------------- AOF on/off, rewrite

StatusOr<std::string> SaveJobs::BgRewriteAof(bool in_exec) {
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ == Job::kAofRewrite) {
    return Status::Error("ERR Background append only file rewriting already in progress");
  }
  // Redis also rewrites with appendonly off; Basalt refuses it rather than
  // scheduling a rewrite that would never run (docs/compatibility.md).
  if (!aof_.enabled()) {
    return Status::Error("ERR Background AOF rewrite is only possible while appendonly is on");
  }
  // Inside EXEC the job only starts after the transaction, as Redis does.
  if (job_ != Job::kNone || in_exec) {
    rewrite_scheduled_ = true;
    return std::string("Background append only file rewriting scheduled");
  }
  StartJobLocked(lock, Job::kAofRewrite);
  if (job_ != Job::kAofRewrite) {
    return Status::Error(
        "ERR Can't execute an AOF background rewriting. Please check the server "
        "logs for more information.");
  }
  return std::string("Background append only file rewriting started");
}

Status SaveJobs::SetAppendOnly(bool on) {
  if (!on) {
    {
      std::unique_lock<std::mutex> lock(job_mu_);
      if (job_ == Job::kAofRewrite && snapshot_ != nullptr) {
        Log(LogLevel::kNotice, "Killing running AOF rewrite child");
        snapshot_->Cancel();
      }
      rewrite_scheduled_ = false;
      job_cv_.wait(lock, [this] { return job_ != Job::kAofRewrite; });
    }
    JoinFinished();
    aof_.Stop();
    return Status::Ok();
  }
  if (aof_.enabled()) return Status::Ok();
  Status st = aof_.PrepareEnable();
  if (!st.ok()) return st;
  Log(LogLevel::kNotice, "Background append only file rewriting started by enabling appendonly");
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ != Job::kNone) {
    // The running job ends first; the enabling rewrite follows in Cron.
    enabling_ = true;
    rewrite_scheduled_ = true;
    return Status::Ok();
  }
  enabling_ = true;
  StartJobLocked(lock, Job::kAofRewrite);
  return Status::Ok();
}

// ---------------------------------------------------------------- shutdown, FLUSHALL

Status SaveJobs::OnShutdown(bool save) {
  {
    std::unique_lock<std::mutex> lock(job_mu_);
    if (snapshot_ != nullptr) {
      if (job_ == Job::kRdb) {
        Log(LogLevel::kWarning, "There is a child saving an .rdb. Killing it!");
      } else {
        Log(LogLevel::kWarning, "There is a child rewriting the AOF. Killing it!");
      }
      snapshot_->Cancel();
    }
    job_cv_.wait(lock, [this] { return job_ == Job::kNone; });
  }
  JoinFinished();
  Status st = Status::Ok();
  aof_.SyncAtShutdown();
  if (save) {
    Log(LogLevel::kNotice, "Saving the final RDB snapshot before exiting.");
    st = Save();
    if (!st.ok()) {
      Log(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
    }
  }
  return st;
}

void SaveJobs::AfterFlushAll() {
  if (hooks_.config().save().empty()) return;
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    if (job_ != Job::kNone) {
      // The running save is moot; save the empty dataset once it has ended.
      if (job_ == Job::kRdb && snapshot_ != nullptr) snapshot_->Cancel();
      bgsave_scheduled_ = true;
      return;
    }
  }
  Status st = Save();
  if (!st.ok()) Log(LogLevel::kWarning, "%s", st.message().c_str());
}

// ---------------------------------------------------------------- state

std::string SaveJobs::WriteRefusal() const {
  const config::Config& cfg = hooks_.config();
  if (cfg.stop_writes_on_bgsave_error() && !last_bgsave_ok_.load() && !cfg.save().empty()) {
    return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           "the RDB error.";
  }
  return "";
}

void SaveJobs::FillInfo(InfoFields* i) const {
  int64_t now = NowMs();
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    i->rdb_bgsave_in_progress = job_ == Job::kRdb;
    i->aof_rewrite_in_progress = job_ == Job::kAofRewrite;
    i->aof_rewrite_scheduled = rewrite_scheduled_;
    if (job_ == Job::kRdb) i->rdb_current_bgsave_time_sec = (now - job_start_ms_) / 1000;
    if (job_ == Job::kAofRewrite) i->aof_current_rewrite_time_sec = (now - job_start_ms_) / 1000;
    if (snapshot_ != nullptr) {
      i->current_cow_size = snapshot_->peak_pending_bytes();
      i->current_save_keys_processed = snapshot_->keys_written();
    }
  }
  i->rdb_last_save_time = lastsave_.load();
  i->rdb_last_bgsave_ok = last_bgsave_ok_.load();
  i->rdb_last_bgsave_time_sec = last_bgsave_time_sec_.load();
  i->rdb_saves = rdb_saves_.load();
  i->rdb_last_cow_size = rdb_last_cow_.load();
  i->aof_last_rewrite_time_sec = last_rewrite_time_sec_.load();
  i->aof_last_bgrewrite_ok = last_rewrite_ok_.load();
  i->aof_rewrites = aof_rewrites_.load();
  i->aof_last_cow_size = aof_last_cow_.load();
}

}  // namespace basalt::persistence
