// Persistence: RDB snapshots (SAVE, BGSAVE, save rules), the append-only file
// (Redis 7.0 multi-part layout fed from the write log, fsync policies, group
// commit, rewrite) and loading at start-up.
//
// Snapshots are persistence::Snapshot (point-in-time, no fork); one runs at a
// time, on its own thread, for either an RDB save or an AOF rewrite base.
//
// The AOF taps the write log: every appended byte is copied into an in-memory
// buffer under the log's lock. A background thread writes the buffer to the
// current incremental file every few milliseconds and fsyncs it once per
// second (everysec) or never (no). Under `always`, a worker holds the replies
// of its clients' writes until their log offset is on disk: the first worker
// to need a sync writes and fsyncs everything buffered so far (covering every
// connection's writes of that round), the others wait for it (group commit).
//
// Thread-safety: public methods may be called from any thread unless noted.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "common/status.h"
#include "persistence/aof_manifest.h"
#include "persistence/rdb_value.h"
#include "persistence/snapshot.h"
#include "replication/write_log.h"

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;

class Server;

struct PersistenceInfo {
  bool loading = false;
  int64_t loading_start_time = 0;
  uint64_t loading_total_bytes = 0, loading_loaded_bytes = 0;
  double loading_loaded_perc = 0;
  int64_t loading_eta_seconds = 0;
  int64_t loading_elapsed_seconds = 0;
  bool rdb_bgsave_in_progress = false;
  int64_t rdb_last_save_time = 0;
  bool rdb_last_bgsave_ok = true;
  int64_t rdb_last_bgsave_time_sec = -1;
  int64_t rdb_current_bgsave_time_sec = -1;
  uint64_t rdb_saves = 0;
  uint64_t rdb_last_cow_size = 0;
  uint64_t current_cow_size = 0;
  uint64_t current_save_keys_processed = 0;
  bool aof_enabled = false;
  bool aof_rewrite_in_progress = false;
  bool aof_rewrite_scheduled = false;
  int64_t aof_last_rewrite_time_sec = -1;
  int64_t aof_current_rewrite_time_sec = -1;
  bool aof_last_bgrewrite_ok = true;
  uint64_t aof_rewrites = 0;
  bool aof_last_write_ok = true;
  uint64_t aof_last_cow_size = 0;
  uint64_t aof_current_size = 0, aof_base_size = 0;
  uint64_t aof_buffer_length = 0;
  uint64_t aof_pending_bio_fsync = 0;
  uint64_t aof_delayed_fsync = 0;
};

class Persistence final : public replication::WriteLogTap {
 public:
  explicit Persistence(Server& server);
  ~Persistence() override;
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // Loads the dataset at start-up (the AOF when appendonly is on, else the
  // RDB file) and opens the AOF. Clients get -LOADING meanwhile. An error
  // names the file, offset and reason; the caller exits.
  Status LoadAtStartup();
  bool loading() const { return loading_.load(std::memory_order_acquire); }

  // SAVE: a snapshot written before returning.
  Status Save();
  // BGSAVE [SCHEDULE]: the status reply text, or an error.
  StatusOr<std::string> Bgsave(bool schedule);
  // BGREWRITEAOF: the status reply text, or an error.
  StatusOr<std::string> BgRewriteAof();
  // A full sync to a replica: a snapshot whose start instant runs
  // `at_instant(offset)` (every shard locked), written to `sink` on a thread,
  // then `done(status)` on that thread. Fails when another snapshot runs.
  Status StartReplicaSync(std::function<void(int64_t offset)> at_instant,
                          std::shared_ptr<persistence::SnapshotSink> sink,
                          std::function<void(Status)> done);
  // Replication facts an RDB file records (aux fields).
  struct ReplAux {
    std::string replid;
    int64_t offset = -1;
    int stream_db = 0;
  };
  // A replica's full sync: empties the keyspace and loads the primary's
  // snapshot from `src` (clients get -LOADING meanwhile). `total` is its size
  // when known (0: streamed). On failure the keyspace is left empty.
  // REQUIRES: the caller holds no shard lock.
  Status LoadFromPrimary(persistence::RdbSource& src, uint64_t total, ReplAux* aux,
                         std::function<void(uint64_t)> progress);
  // Whether a snapshot job (save, rewrite or full sync) runs now.
  bool snapshot_running() const {
    std::lock_guard<std::mutex> lock(job_mu_);
    return job_ != Job::kNone;
  }
  // CONFIG SET appendonly.
  Status SetAppendOnly(bool on);
  // CONFIG SET appendfsync.
  void ApplyFsyncPolicy();

  // DEBUG RELOAD: save (unless !save), empty the keyspace (unless !flush),
  // load the file (replacing duplicates when merge). REQUIRES: no shard lock.
  Status DebugReload(bool save, bool flush, bool merge);
  // Synchronous work at shutdown: AOF flushed and fsynced, and an RDB saved
  // when `save` (SHUTDOWN SAVE, or save rules configured and not NOSAVE).
  Status OnShutdown(bool save);
  // FLUSHALL: Redis ends a running save and writes the (empty) dataset when
  // save rules are configured.
  void AfterFlushAll();

  // Called about hz times a second from worker 0: finishes background jobs,
  // applies save rules and auto-aof-rewrite, retries failed saves.
  void Cron();

  // Non-empty when write commands must be refused with this -MISCONF error.
  std::string WriteRefusal() const;

  // appendfsync always: whether replies must wait for durability, and the
  // wait itself (group commit). WaitDurable returns once every log byte up to
  // `offset` is on disk (or the AOF was turned off).
  bool sync_replies() const { return sync_replies_.load(std::memory_order_relaxed); }
  void WaitDurable(int64_t offset);
  bool IsDurable(int64_t offset) const { return durable_offset_.load() >= offset; }

  PersistenceInfo Info() const;
  int64_t lastsave() const { return lastsave_.load(std::memory_order_relaxed); }

  // replication::WriteLogTap
  void OnAppend(std::string_view bytes, int64_t end_offset) override;

 private:
  enum class Job { kNone, kRdb, kAofRewrite, kReplica };

  std::vector<std::pair<std::string, std::string>> AuxFields(bool aof_base, int64_t offset) const;
  // aof_commands: an AOF base without RDB preamble.
  persistence::SnapshotOptions SnapshotOpts(bool aof_commands = false) const;
  // Begins a snapshot of `job` kind. REQUIRES: `lock` holds job_mu_ and no
  // job runs; it is released around the start instant and held again after.
  void StartJobLocked(std::unique_lock<std::mutex>& lock, Job job);
  void FinishJob(Job job, Status result, int64_t started_ms, uint64_t cow, int64_t dirty_at_start);
  void JoinFinished();
  Status LoadRdbFile(const std::string& path, bool merge, bool aof_preamble, ReplAux* repl);
  void EmptyKeyspace();
  Status LoadDataset();
  Status LoadAofSet();
  Status ReplayAofCommands(const std::string& path, uint64_t limit_hint, bool is_last);
  Status CreateAofOnStart();
  Status OpenIncr(int64_t seq, bool create);
  Status WriteManifest(const persistence::AofManifest& m);
  std::string AofPath(const std::string& name) const;
  void AofThread();
  // Writes the buffered AOF bytes (and fsyncs when asked). io_mu_ held inside.
  bool FlushAof(bool fsync);
  void StopAof();
  void StartAofThread();
  // Starts appending to the manifest's last incremental file (opened).
  void AppendTo(const persistence::AofManifest& m);
  // At a rewrite's start instant: opens incremental file `seq` and directs
  // the log's bytes from `offset` on into it. REQUIRES: every shard locked.
  Status SwitchIncrAtInstant(int64_t seq, int64_t offset);
  // After the instant: finishes the old incremental file and lists the new
  // one in the manifest (unless the AOF is being enabled).
  Status CompleteSwitch(bool enabling);
  void BeginLoading(uint64_t total);
  // Records bytes loaded so far; logs the progress every 5 seconds.
  void NoteLoadProgress(uint64_t loaded);
  void EndLoading();

  Server& server_;

  // Loading.
  std::atomic<bool> loading_{false};
  std::atomic<int64_t> loading_start_ms_{0};
  std::atomic<uint64_t> loading_total_{0}, loading_loaded_{0};
  int64_t last_progress_log_ms_ = 0;  // loading thread only

  // Snapshot jobs.
  mutable std::mutex job_mu_;
  std::condition_variable job_cv_;
  Job job_ = Job::kNone;                        // Guarded by job_mu_.
  std::unique_ptr<persistence::Snapshot> snapshot_;  // Guarded by job_mu_.
  std::thread job_thread_;                      // Guarded by job_mu_.
  bool job_finished_ = false;                   // Guarded by job_mu_.
  int64_t job_start_ms_ = 0;                    // Guarded by job_mu_.
  bool bgsave_scheduled_ = false;               // Guarded by job_mu_.
  bool rewrite_scheduled_ = false;              // Guarded by job_mu_.
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

  // AOF.
  std::atomic<bool> aof_on_{false};
  // Whether the current incremental file may be written (it is in the
  // manifest, or the AOF is being enabled and has no manifest yet).
  std::atomic<bool> incr_ready_{true};
  bool enabling_ = false;                       // Guarded by job_mu_: rewrite turns the AOF on
  int old_fd_ = -1;                             // Guarded by io_mu_: incr file before a switch
  std::string old_unwritten_;                   // Guarded by io_mu_: its last bytes
  std::atomic<bool> sync_replies_{false};
  std::string aof_dir_;                         // absolute, set when opened
  persistence::AofManifest manifest_;           // Guarded by io_mu_.
  mutable std::mutex buf_mu_;
  std::string buf_;                             // Guarded by buf_mu_.
  int64_t buf_end_offset_ = 0;                  // Guarded by buf_mu_.
  std::mutex io_mu_;                            // serializes writes to the file
  int fd_ = -1;                                 // Guarded by io_mu_.
  std::string unwritten_;                       // Guarded by io_mu_: kept after a failed write
  int64_t unwritten_end_ = 0;                   // Guarded by io_mu_.
  std::atomic<uint64_t> incr_size_{0};
  std::atomic<uint64_t> base_size_{0};
  std::atomic<int64_t> written_offset_{0};
  std::atomic<int64_t> durable_offset_{0};
  std::atomic<bool> aof_write_ok_{true};
  std::string aof_write_error_;                 // Guarded by buf_mu_.
  std::atomic<int64_t> last_fsync_ms_{0};
  std::atomic<uint64_t> delayed_fsync_{0};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_leader_ = false;                    // Guarded by sync_mu_.
  std::mutex aof_thread_mu_;                    // guards aof_thread_ (started and joined
                                                // from different threads)
  std::thread aof_thread_;
  std::atomic<bool> aof_thread_stop_{false};
  std::mutex aof_wake_mu_;
  std::condition_variable aof_wake_cv_;
};

}  // namespace basalt::server
