// AofWriter: the append-only file as it is written (Redis 7.0 multi-part
// layout: a base, incremental files, a manifest naming them).
//
// The writer taps the write log: every appended byte is copied into an
// in-memory buffer under the log's lock, so the AOF holds exactly the
// replication stream. A background thread (the AOF thread) writes the buffer
// to the current incremental file every few milliseconds and fsyncs it once
// per second (everysec) or never (no). A worker holds the replies of its
// clients' writes until their log offset is written to the file (everysec,
// no; as Redis, so that a killed process loses no acknowledged write) or on
// disk (always): the first worker to need it writes (and fsyncs) everything
// buffered so far, covering every connection's writes of that round, and the
// others wait for it (group commit; WaitDurable).
//
// A rewrite (run by SaveJobs) switches to a new incremental file at its
// snapshot's start instant (SwitchIncrAtInstant), lists it in the manifest
// once the old one is complete (CompleteSwitch), and when the base is written
// makes the manifest name the new base and only the new incremental file
// (InstallRewrittenBase). DatasetLoader opens the files at start-up (Start).
//
// Thread-safety: every public method may be called from any thread unless
// noted. OnAppend runs under the write log's lock. The file and the manifest
// are guarded by io_mu_; the buffer by buf_mu_ (taken inside io_mu_).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "persistence/aof_manifest.h"
#include "replication/write_log.h"

namespace basalt::persistence {

class ServerHooks;
struct InfoFields;

// Reads and parses the manifest at `path`; errors name the file.
StatusOr<AofManifest> ReadAofManifest(const std::string& path);

class AofWriter final : public replication::WriteLogTap {
 public:
  explicit AofWriter(ServerHooks& hooks);
  // Stops the AOF thread, writes and fsyncs what is buffered.
  ~AofWriter() override;
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // Whether the AOF is on (appendonly, or being turned on by a rewrite).
  bool enabled() const { return aof_on_.load(); }

  // --- Files ---
  // The directory the files live in (appenddirname, made absolute).
  // REQUIRES: no file open (start-up, or the AOF being enabled).
  void SetDirectory(const std::string& dirname);
  const std::string& directory() const { return aof_dir_; }
  // The path of file `name` in the directory.
  std::string Path(const std::string& name) const;
  // Start-up: opens the manifest's last incremental file (created empty when
  // `new_incr`, and then the manifest is written first), and from now on
  // appends every log byte to it.
  Status Start(const AofManifest& m, bool new_incr);
  // CONFIG SET appendonly yes, before the rewrite that creates the files:
  // the directory is created, and every file a previous run left becomes
  // history (deleted once the new base is in place).
  Status PrepareEnable();
  // CONFIG SET appendonly no: stops taking the log, writes and fsyncs what
  // is buffered, closes the file.
  void Stop();
  // SHUTDOWN: writes and fsyncs what is buffered (if the AOF is on).
  void SyncAtShutdown();

  // --- Rewrite (called by SaveJobs, whose job slot serializes them) ---
  int64_t next_incr_seq() const;
  int64_t next_base_seq() const;
  // At a rewrite's start instant: opens incremental file `seq` and directs
  // the log's bytes from `offset` on into it. REQUIRES: every shard locked.
  Status SwitchIncrAtInstant(int64_t seq, int64_t offset);
  // After the instant: finishes the old incremental file and lists the new
  // one in the manifest (unless the AOF is being enabled).
  Status CompleteSwitch(bool enabling);
  // The new base `base_name` (sequence `base_seq`) is written: the manifest
  // names it and the newest incremental file only; the old files are deleted.
  Status InstallRewrittenBase(const std::string& base_name, int64_t base_seq);
  // aof-disable-auto-gc turned off: deletes the history files a rewrite
  // kept while it was on, and drops them from the manifest.
  Status DeleteHistory();
  // Base plus incremental size (auto-aof-rewrite-percentage).
  uint64_t base_size() const { return base_size_.load(); }
  uint64_t current_size() const { return base_size_.load() + incr_size_.load(); }

  // --- Durability ---
  // no-appendfsync-on-rewrite: `probe` says whether a BGSAVE or rewrite is
  // running (then no fsync). Set once before the AOF thread starts; called
  // without this writer's locks held.
  void SetSnapshotProbe(std::function<bool()> probe) { snapshot_probe_ = std::move(probe); }
  // CONFIG SET appendfsync.
  void ApplyFsyncPolicy();
  // Whether replies to writes wait for the AOF (whenever it is on), and the
  // wait itself (group commit: the first waiter writes for everyone).
  // WaitDurable returns once every log byte up to `offset` is on disk under
  // appendfsync always, or written to the file (in the kernel) under
  // everysec and no, as Redis writes the AOF before it replies: a killed
  // process loses no acknowledged write. Also returns when the AOF is off.
  bool sync_replies() const { return sync_replies_.load(std::memory_order_relaxed); }
  void WaitDurable(int64_t offset);
  bool IsDurable(int64_t offset) const;

  // Non-empty when writes must be refused with this -MISCONF error (the last
  // write to the file failed).
  std::string WriteRefusal() const;
  // aof_enabled, the write status, the sizes, the buffer.
  void FillInfo(InfoFields* info) const;

  // replication::WriteLogTap
  void OnAppend(std::string_view bytes, int64_t end_offset) override;

 private:
  Status OpenIncr(int64_t seq, bool create);
  Status WriteManifest(const AofManifest& m);
  // Starts appending to the manifest's last incremental file (opened).
  void AppendTo(const AofManifest& m);
  void StartThread();
  void Run();  // the AOF thread
  // Writes the buffered bytes (and fsyncs when asked). Takes io_mu_.
  bool Flush(bool fsync);
  // no-appendfsync-on-rewrite is on and a snapshot job runs.
  bool FsyncSuspended() const;
  // Removes the history files of `m` and empties its list. REQUIRES: io_mu_.
  Status DropHistory(AofManifest& m);

  ServerHooks& hooks_;
  std::atomic<bool> aof_on_{false};
  // Whether the current incremental file may be written (it is in the
  // manifest, or the AOF is being enabled and has no manifest yet).
  std::atomic<bool> incr_ready_{true};
  int old_fd_ = -1;            // Guarded by io_mu_: incr file before a switch
  std::string old_unwritten_;  // Guarded by io_mu_: its last bytes
  std::atomic<bool> sync_replies_{false};
  std::atomic<bool> fsync_replies_{false};  // appendfsync always
  std::string aof_dir_;   // absolute, set before a file is opened
  AofManifest manifest_;  // Guarded by io_mu_.
  mutable std::mutex buf_mu_;
  std::string buf_;             // Guarded by buf_mu_.
  int64_t buf_end_offset_ = 0;  // Guarded by buf_mu_.
  int64_t last_ts_ = 0;         // Guarded by buf_mu_: last #TS annotation (aof-timestamp-enabled)
  std::function<bool()> snapshot_probe_;
  mutable std::mutex io_mu_;   // serializes writes to the file
  int fd_ = -1;                // Guarded by io_mu_.
  std::string unwritten_;      // Guarded by io_mu_: kept after a failed write
  int64_t unwritten_end_ = 0;  // Guarded by io_mu_.
  std::atomic<uint64_t> incr_size_{0};
  std::atomic<uint64_t> base_size_{0};
  std::atomic<int64_t> written_offset_{0};
  std::atomic<int64_t> durable_offset_{0};
  std::atomic<bool> write_ok_{true};
  std::string write_error_;  // Guarded by buf_mu_.
  std::atomic<int64_t> last_fsync_ms_{0};
  std::atomic<uint64_t> delayed_fsync_{0};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_leader_ = false;  // Guarded by sync_mu_.
  std::mutex thread_mu_;      // guards thread_ (started and joined
                              // from different threads)
  std::thread thread_;
  std::atomic<bool> thread_stop_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
};

}  // namespace basalt::persistence
