#include "config/config.h"
#include "server/persistence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "common/clock.h"
#include "common/hash.h"
#include "common/logging.h"
#include "persistence/aof_reader.h"
#include "persistence/rdb_loader.h"
#include "server/client.h"
#include "common/memory.h"
#include "server/replication.h"
#include "server/server.h"
#include "common/version.h"

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;
namespace {

// Incremental fsync of big files (rdb-save-incremental-fsync and
// aof-rewrite-incremental-fsync): every this many bytes.
constexpr size_t kIncrementalFsyncBytes = 4 << 20;
// A failed background save is retried after this long (Redis's delay).
constexpr int64_t kBgsaveRetryDelayMs = 5000;
// How often the AOF thread writes buffered bytes to the file.
constexpr int kAofWriteIntervalMs = 5;

std::string Errno() { return std::strerror(errno); }

// Writes a snapshot to a file descriptor, fsyncing every few MB when asked.
class FileSink final : public persistence::SnapshotSink {
 public:
  FileSink(int fd, bool incremental_fsync) : fd_(fd), incremental_(incremental_fsync) {}
  Status Write(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::Error(Errno());
      }
      bytes.remove_prefix(size_t(n));
      since_sync_ += size_t(n);
    }
    if (incremental_ && since_sync_ >= kIncrementalFsyncBytes) {
      since_sync_ = 0;
      if (fdatasync(fd_) != 0) return Status::Error(Errno());
    }
    return Status::Ok();
  }

 private:
  int fd_;
  bool incremental_;
  size_t since_sync_ = 0;
};

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno());
  int rc = fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Error(std::strerror(err));
  return Status::Ok();
}

std::string DirOf(const std::string& path) {
  auto pos = path.rfind('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

// Runs a begun snapshot into `tmp`, then fsyncs it and renames it over
// `final_path` (and fsyncs the directory). A failure leaves the old file.
Status WriteSnapshotFile(persistence::Snapshot& snap, const std::string& tmp,
                         const std::string& final_path, bool incremental_fsync) {
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::string err = Errno();
    snap.Cancel();
    FileSink none(-1, false);
    (void)snap.Run(none);
    char cwd[4096];
    const char* where = getcwd(cwd, sizeof(cwd)) ? cwd : "unknown";
    return Status::Error("Failed opening the temp RDB file " + tmp + " (in server root dir " +
                         where + ") for saving: " + err);
  }
  FileSink sink(fd, incremental_fsync);
  Status st = snap.Run(sink);
  if (st.ok() && fsync(fd) != 0) st = Status::Error(Errno());
  if (::close(fd) != 0 && st.ok()) st = Status::Error(Errno());
  if (st.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    st = Status::Error("Error moving temp DB file " + tmp + " on the final destination " +
                       final_path + ": " + Errno());
  } else if (!st.ok()) {
    st = Status::Error("Write error saving DB on disk: " + st.message());
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(DirOf(final_path));
}

// Inserts loaded entries into the keyspace.
class KeyspaceLoader final : public persistence::RdbLoadHandler {
 public:
  KeyspaceLoader(storage::Keyspace& ks, bool merge, bool skip_expired,
                 std::function<void(uint64_t)> progress, uint64_t progress_base,
                 int64_t key_delay)
      : ks_(ks), merge_(merge), skip_expired_(skip_expired), progress_(std::move(progress)),
        base_(progress_base), now_(NowMs()), key_delay_(key_delay) {}

  Status OnAux(std::string_view key, std::string_view value) override {
    if (key == "repl-id") repl_id_ = value;
    if (key == "repl-offset") repl_offset_ = std::string(value);
    if (key == "repl-stream-db") repl_stream_db_ = std::atoi(std::string(value).c_str());
    if (key == "redis-ver") {
      Log(LogLevel::kNotice, "Loading RDB produced by version %.*s", int(value.size()),
          value.data());
    }
    if (key == "ctime") {
      Log(LogLevel::kNotice, "RDB age %lld seconds",
          (long long)(NowMs() / 1000 - std::atoll(std::string(value).c_str())));
    }
    return Status::Ok();
  }

  Status OnEntry(int db, storage::Entry* e, int64_t lru_idle_s, int lfu_freq) override {
    TestDelay(key_delay_);
    if (skip_expired_ && e->has_expire() && e->expire_ms() < now_) {
      storage::FreeEntry(e);
      expired_++;
      return Status::Ok();
    }
    uint64_t h = HashKey(e->key());
    storage::Shard& sh = ks_.db(db).ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry** link = sh.table().FindLink(e->key(), h);
    if (link != nullptr) {
      if (!merge_) {
        std::string key(e->key());
        storage::FreeEntry(e);
        return Status::Error("Duplicate key '" + key + "' found in RDB file (database " +
                             std::to_string(db) + ")");
      }
      sh.Overwrite(link, e);
    } else {
      sh.Add(e, h);
    }
    // Access data saved under an LRU/LFU policy carries over when this
    // server tracks the same kind.
    if (lfu_freq >= 0 && storage::LfuMode()) {
      e->set_lru((e->lru() & 0xFFFF00) | uint32_t(lfu_freq & 0xFF));
    } else if (lru_idle_s >= 0 && !storage::LfuMode()) {
      e->set_lru((storage::LruClock() - uint32_t(lru_idle_s)) & 0xFFFFFF);
    }
    keys_++;
    return Status::Ok();
  }

  void OnProgress(uint64_t bytes) override {
    if (progress_ != nullptr) progress_(base_ + bytes);
  }

  uint64_t keys() const { return keys_; }
  uint64_t expired() const { return expired_; }
  const std::string& repl_id() const { return repl_id_; }
  const std::string& repl_offset() const { return repl_offset_; }
  int repl_stream_db() const { return repl_stream_db_; }

 private:
  storage::Keyspace& ks_;
  bool merge_;
  bool skip_expired_;
  std::function<void(uint64_t)> progress_;
  uint64_t base_;
  int64_t now_;
  int64_t key_delay_;
  uint64_t keys_ = 0, expired_ = 0;
  std::string repl_id_, repl_offset_;
  int repl_stream_db_ = 0;
};

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

StatusOr<persistence::AofManifest> ReadManifest(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open the AOF manifest " + path + ": " + Errno());
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) text.append(buf, size_t(n));
  ::close(fd);
  auto parsed = persistence::AofManifest::Parse(text);
  if (!parsed.ok()) {
    return Status::Error("Invalid AOF manifest " + path + ": " + parsed.status().message());
  }
  return parsed;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return uint64_t(st.st_size);
}

}  // namespace


// Loading until LoadAtStartup is done: clients that connect first must not
// see an empty dataset.
Persistence::Persistence(Server& server) : server_(server), lastsave_(NowMs() / 1000) {
  // A sentinel has no dataset to load.
  loading_.store(!server.config().sentinel_mode());
}

Persistence::~Persistence() {
  {
    std::unique_lock<std::mutex> lock(job_mu_);
    if (snapshot_ != nullptr) snapshot_->Cancel();
    job_cv_.wait(lock, [this] { return job_ == Job::kNone; });
  }
  JoinFinished();
  StopAof();
}

// ---------------------------------------------------------------- snapshots

std::vector<std::pair<std::string, std::string>> Persistence::AuxFields(bool aof_base,
                                                                         int64_t offset) const {
  return {
      {"redis-ver", kRedisCompatVersion},
      {"redis-bits", "64"},
      {"ctime", std::to_string(NowMs() / 1000)},
      {"used-mem", std::to_string(UsedMemory())},
      {"repl-stream-db", std::to_string(server_.replication().stream_db())},
      {"repl-id", server_.replid()},
      {"repl-offset", std::to_string(offset)},
      {"aof-base", aof_base ? "1" : "0"},
  };
}

persistence::SnapshotOptions Persistence::SnapshotOpts(bool aof_commands) const {
  persistence::SnapshotOptions o;
  o.commands = aof_commands;
  o.compress = server_.config().rdbcompression();
  o.checksum = server_.config().rdbchecksum();
  o.key_delay = server_.config().rdb_key_save_delay();
  switch (server_.config().maxmemory_policy()) {
    case MaxmemoryPolicy::kVolatileLru:
    case MaxmemoryPolicy::kAllkeysLru:
      o.access_info = persistence::SnapshotOptions::AccessInfo::kIdle;
      break;
    case MaxmemoryPolicy::kVolatileLfu:
    case MaxmemoryPolicy::kAllkeysLfu:
      o.access_info = persistence::SnapshotOptions::AccessInfo::kFreq;
      break;
    default:
      break;
  }
  return o;
}

Status Persistence::Save() {
  std::unique_lock<std::mutex> lock(job_mu_);
  // One snapshot at a time. Waiting for the running one is not an option: the
  // caller may hold shard locks (FLUSHALL inside EXEC) the walker needs.
  if (job_ == Job::kRdb) return Status::Error("ERR Background save already in progress");
  if (job_ != Job::kNone) {
    return Status::Error("ERR Background append only file rewriting in progress, can't SAVE "
                         "right now");
  }
  // Reserved before the start instant, which takes every shard lock: never
  // while holding job_mu_ (a transaction holding shard locks may want it).
  job_ = Job::kRdb;
  lock.unlock();
  persistence::Snapshot snap(server_.keyspace(), SnapshotOpts());
  int64_t dirty_at_start = 0;
  auto hold = server_.replication().HoldApply();  // see Replication::apply_mu
  snap.Begin([&] {
    dirty_at_start = server_.dirty();
    return AuxFields(false, server_.write_log().offset());
  });
  if (hold.owns_lock()) hold.unlock();

  std::string final_path = server_.config().dbfilename();
  std::string tmp = "temp-" + std::to_string(getpid()) + ".rdb";
  Status st = WriteSnapshotFile(snap, tmp, final_path, server_.config().rdb_save_incremental_fsync());
  lock.lock();
  job_ = Job::kNone;
  job_cv_.notify_all();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    last_bgsave_ok_.store(false);
    return Status::Error("ERR " + st.message());
  }
  Log(LogLevel::kNotice, "DB saved on disk");
  server_.AddDirty(-dirty_at_start);
  lastsave_.store(NowMs() / 1000);
  last_bgsave_ok_.store(true);
  rdb_saves_.fetch_add(1);
  return Status::Ok();
}

StatusOr<std::string> Persistence::Bgsave(bool schedule) {
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ == Job::kRdb) return Status::Error("ERR Background save already in progress");
  if (job_ != Job::kNone) {
    if (schedule) {
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

void Persistence::JoinFinished() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    if (!job_finished_) return;
    job_finished_ = false;
    t = std::move(job_thread_);
  }
  if (t.joinable()) t.join();
}

void Persistence::StartJobLocked(std::unique_lock<std::mutex>& lock, Job job) {
  // The previous job's thread has finished its work; reap it.
  if (job_thread_.joinable()) {
    job_thread_.join();
    job_finished_ = false;
  }
  // Reserve, then take the start instant (every shard lock) without job_mu_.
  job_ = job;
  snapshot_.reset();
  bool enabling = enabling_;
  int64_t new_incr_seq = manifest_.cur_incr_seq + 1;
  lock.unlock();
  bool preamble = server_.config().aof_use_rdb_preamble();
  auto snap = std::make_unique<persistence::Snapshot>(
      server_.keyspace(), SnapshotOpts(job == Job::kAofRewrite && !preamble));
  int64_t dirty_at_start = 0;
  int64_t switch_offset = 0;
  bool aof_base = job == Job::kAofRewrite;
  Status switched = Status::Ok();
  auto hold = server_.replication().HoldApply();  // see Replication::apply_mu
  snap->Begin([&] {
    dirty_at_start = server_.dirty();
    switch_offset = server_.write_log().offset();
    if (aof_base) switched = SwitchIncrAtInstant(new_incr_seq, switch_offset);
    return AuxFields(aof_base, switch_offset);
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
  persistence::Snapshot* raw = snap.get();
  snapshot_ = std::move(snap);
  if (job == Job::kRdb) {
    Log(LogLevel::kNotice, "Background saving started");
    job_thread_ = std::thread([this, raw, dirty_at_start, started = job_start_ms_] {
      std::string tmp = "temp-" + std::to_string(getpid()) + "-bg.rdb";
      Status st = WriteSnapshotFile(*raw, tmp, server_.config().dbfilename(),
                                    server_.config().rdb_save_incremental_fsync());
      FinishJob(Job::kRdb, st, started, raw->peak_pending_bytes(), dirty_at_start);
    });
  } else {
    Log(LogLevel::kNotice, "Background append only file rewriting started");
    job_thread_ = std::thread([this, raw, enabling, preamble, started = job_start_ms_] {
      Status st = CompleteSwitch(enabling);
      // The base: a snapshot of the instant the new incremental file starts.
      std::string tmp = AofPath("temp-rewriteaof-bg-" + std::to_string(getpid()) + ".aof");
      int64_t base_seq = manifest_.cur_base_seq + 1;
      std::string base_name = persistence::AofManifest::BaseName(
          server_.config().appendfilename(), base_seq, preamble);
      if (st.ok()) {
        st = WriteSnapshotFile(*raw, tmp, AofPath(base_name),
                               server_.config().aof_rewrite_incremental_fsync());
      } else {
        raw->Cancel();
        FileSink none(-1, false);
        (void)raw->Run(none);
      }
      if (st.ok()) {
        std::lock_guard<std::mutex> io(io_mu_);
        persistence::AofManifest m = manifest_;
        if (m.base) {
          m.base->type = persistence::AofFileType::kHistory;
          m.history.push_back(*m.base);
        }
        // Every incremental file but the one opened at the instant is now
        // covered by the base.
        while (m.incr.size() > 1) {
          persistence::AofFileInfo f = m.incr.front();
          f.type = persistence::AofFileType::kHistory;
          m.history.push_back(f);
          m.incr.erase(m.incr.begin());
        }
        m.base = persistence::AofFileInfo{base_name, base_seq, persistence::AofFileType::kBase};
        m.cur_base_seq = base_seq;
        std::vector<persistence::AofFileInfo> old = m.history;
        m.history.clear();
        st = WriteManifest(m);
        if (st.ok()) {
          manifest_ = m;
          base_size_.store(FileSize(AofPath(base_name)));
          incr_size_.store(FileSize(AofPath(m.incr.back().name)));
          for (const auto& f : old) {
            ::unlink(AofPath(f.name).c_str());
            Log(LogLevel::kNotice, "Removing the history file %s in the background",
                f.name.c_str());
          }
        }
      }
      FinishJob(Job::kAofRewrite, st, started, raw->peak_pending_bytes(), 0);
    });
  }
}

Status Persistence::StartReplicaSync(std::function<void(int64_t)> at_instant,
                                     std::shared_ptr<persistence::SnapshotSink> sink,
                                     std::function<void(Status)> done) {
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ != Job::kNone) return Status::Error("another snapshot is in progress");
  if (job_thread_.joinable()) {
    job_thread_.join();
    job_finished_ = false;
  }
  job_ = Job::kReplica;
  lock.unlock();
  auto snap = std::make_unique<persistence::Snapshot>(server_.keyspace(), SnapshotOpts());
  auto hold = server_.replication().HoldApply();  // see Replication::apply_mu
  snap->Begin([&] {
    int64_t offset = server_.write_log().offset();
    at_instant(offset);
    return AuxFields(false, offset);
  });
  if (hold.owns_lock()) hold.unlock();

  lock.lock();
  job_start_ms_ = NowMs();
  persistence::Snapshot* raw = snap.get();
  snapshot_ = std::move(snap);
  job_thread_ = std::thread([this, raw, sink, done, started = job_start_ms_] {
    Status st = raw->Run(*sink);
    done(st);
    FinishJob(Job::kReplica, st, started, raw->peak_pending_bytes(), 0);
  });
  return Status::Ok();
}

void Persistence::FinishJob(Job job, Status result, int64_t started_ms, uint64_t cow,
                            int64_t dirty_at_start) {
  int64_t took = (NowMs() - started_ms) / 1000;
  if (job == Job::kReplica) {
    if (!result.ok()) {
      Log(LogLevel::kWarning, "Full sync to a replica failed: %s", result.message().c_str());
    }
  } else if (job == Job::kRdb) {
    if (result.ok()) {
      Log(LogLevel::kNotice, "Background saving terminated with success");
      server_.AddDirty(-dirty_at_start);
      lastsave_.store(NowMs() / 1000);
      rdb_saves_.fetch_add(1);
    } else {
      Log(LogLevel::kWarning, "%s", result.message().c_str());
      Log(LogLevel::kWarning, "Background saving error");
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
      Log(LogLevel::kWarning, "Background AOF rewrite failed: %s", result.message().c_str());
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

void Persistence::Cron() {
  JoinFinished();
  if (loading()) return;
  int64_t now = NowMs();
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ != Job::kNone) return;
  if (rewrite_scheduled_) {
    rewrite_scheduled_ = false;
    if (aof_on_.load()) {
      StartJobLocked(lock, Job::kAofRewrite);
      return;
    }
  }
  if (bgsave_scheduled_) {
    bgsave_scheduled_ = false;
    StartJobLocked(lock, Job::kRdb);
    return;
  }
  int64_t dirty = server_.dirty();
  for (const SaveParam& p : server_.config().save()) {
    if (dirty >= p.changes && now / 1000 - lastsave_.load() > p.seconds &&
        (now - last_bgsave_try_ms_.load() > kBgsaveRetryDelayMs || last_bgsave_ok_.load())) {
      Log(LogLevel::kNotice, "%d changes in %d seconds. Saving...", int(p.changes),
          int(p.seconds));
      StartJobLocked(lock, Job::kRdb);
      return;
    }
  }
  if (aof_on_.load() && server_.config().auto_aof_rewrite_percentage() > 0) {
    uint64_t cur = base_size_.load() + incr_size_.load();
    uint64_t base = std::max<uint64_t>(1, base_size_.load());
    if (cur > uint64_t(server_.config().auto_aof_rewrite_min_size())) {
      uint64_t growth = (cur - base) * 100 / base;
      if (growth >= uint64_t(server_.config().auto_aof_rewrite_percentage())) {
        Log(LogLevel::kNotice, "Starting automatic rewriting of AOF on %llu%% growth",
            (unsigned long long)growth);
        StartJobLocked(lock, Job::kAofRewrite);
      }
    }
  }
}

std::string Persistence::WriteRefusal() const {
  if (server_.config().stop_writes_on_bgsave_error() && !last_bgsave_ok_.load() &&
      !server_.config().save().empty()) {
    return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           "the RDB error.";
  }
  if (aof_on_.load() && !aof_write_ok_.load()) {
    std::lock_guard<std::mutex> lock(buf_mu_);
    return "MISCONF Errors writing to the AOF file: " + aof_write_error_;
  }
  return "";
}

void Persistence::AfterFlushAll() {
  if (server_.config().save().empty()) return;
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

Status Persistence::OnShutdown(bool save) {
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
  if (aof_on_.load()) {
    Log(LogLevel::kNotice, "Calling fsync() on the AOF file.");
    FlushAof(true);
  }
  if (save) {
    Log(LogLevel::kNotice, "Saving the final RDB snapshot before exiting.");
    st = Save();
    if (!st.ok()) {
      Log(LogLevel::kWarning, "Error trying to save the DB, can't exit.");
    }
  }
  return st;
}

// ---------------------------------------------------------------- loading

void Persistence::BeginLoading(uint64_t total) {
  last_progress_log_ms_ = NowMs();
  loading_total_.store(total);
  loading_loaded_.store(0);
  loading_start_ms_.store(NowMs());  // last: INFO shows loading once this is set
  loading_.store(true);
  server_.write_log().SetSuspended(true);
}

void Persistence::NoteLoadProgress(uint64_t loaded) {
  loading_loaded_.store(loaded, std::memory_order_relaxed);
  int64_t now = NowMs();
  if (now - last_progress_log_ms_ < 5000) return;
  last_progress_log_ms_ = now;
  uint64_t total = loading_total_.load();
  Log(LogLevel::kNotice, "Loading the dataset: %.0f%% (%llu of %llu MB)",
      total ? 100.0 * double(loaded) / double(total) : 0.0,
      (unsigned long long)(loaded >> 20), (unsigned long long)(total >> 20));
}

void Persistence::EndLoading() {
  server_.write_log().SetSuspended(false);
}

Status Persistence::LoadRdbFile(const std::string& path, bool merge, bool aof_preamble,
                                ReplAux* repl) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open " + path + ": " + Errno());
  persistence::FdSource src(fd);
  KeyspaceLoader loader(server_.keyspace(), merge, !aof_preamble,
                        [this](uint64_t n) { NoteLoadProgress(n); }, loading_loaded_.load(),
                        server_.config().key_load_delay());
  Status st = persistence::LoadRdb(src, server_.keyspace().db_count(), persistence::RdbLimitsOf(server_.config()),
                                   loader);
  ::close(fd);
  if (!st.ok()) return Status::Error("Error loading " + path + ": " + st.message());
  if (loader.expired() > 0) {
    Log(LogLevel::kNotice, "Done loading RDB, keys loaded: %llu, keys expired: %llu.",
        (unsigned long long)loader.keys(), (unsigned long long)loader.expired());
  }
  if (repl != nullptr && !loader.repl_id().empty() && !loader.repl_offset().empty()) {
    repl->replid = loader.repl_id();
    repl->offset = std::atoll(loader.repl_offset().c_str());
    repl->stream_db = loader.repl_stream_db();
  }
  return Status::Ok();
}

void Persistence::EmptyKeyspace() {
  storage::Keyspace& ks = server_.keyspace();
  for (int d = 0; d < ks.db_count(); d++) {
    for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) {
      storage::ShardLock lock(ks.db(d).shard(s));
      ks.db(d).shard(s).Clear(true);
    }
  }
}

Status Persistence::LoadFromPrimary(persistence::RdbSource& src, uint64_t total, ReplAux* aux,
                                    std::function<void(uint64_t)> progress) {
  BeginLoading(total);
  EmptyKeyspace();
  KeyspaceLoader loader(
      server_.keyspace(), false, false,
      [this, &progress](uint64_t n) {
        NoteLoadProgress(n);
        if (progress) progress(n);
      },
      0, server_.config().key_load_delay());
  Status st = persistence::LoadRdb(src, server_.keyspace().db_count(),
                                   persistence::RdbLimitsOf(server_.config()), loader);
  if (!st.ok()) EmptyKeyspace();
  EndLoading();
  loading_.store(false, std::memory_order_release);
  if (!st.ok()) return st;
  aux->replid = loader.repl_id();
  aux->offset = loader.repl_offset().empty() ? -1 : std::atoll(loader.repl_offset().c_str());
  aux->stream_db = loader.repl_stream_db();
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: %llu keys loaded",
      (unsigned long long)loader.keys());
  return Status::Ok();
}

Status Persistence::LoadAtStartup() {
  // Nothing but the loading-safe commands runs until the dataset is in.
  loading_.store(true);
  Status st = LoadDataset();
  // On failure the process exits: stay "loading" so nobody sees a partial dataset.
  if (st.ok()) loading_.store(false, std::memory_order_release);
  return st;
}

Status Persistence::LoadDataset() {
  const Config& c = server_.config();
  if (c.appendonly()) {
    std::string dir = c.appenddirname();
    std::string manifest = dir + "/" + persistence::AofManifest::ManifestName(c.appendfilename());
    aof_dir_ = std::filesystem::absolute(dir).string();
    if (!FileExists(manifest)) return CreateAofOnStart();
    int64_t start = NowMs();
    Status st = LoadAofSet();
    if (!st.ok()) return st;
    Log(LogLevel::kNotice, "DB loaded from append only file: %.3f seconds",
        double(NowMs() - start) / 1000);
    return Status::Ok();
  }
  std::string path = c.dbfilename();
  if (!FileExists(path)) return Status::Ok();
  int64_t start = NowMs();
  BeginLoading(FileSize(path));
  ReplAux repl;
  Status st = LoadRdbFile(path, false, false, &repl);
  EndLoading();
  server_.AddDirty(-server_.dirty());
  if (!st.ok()) return st;
  // Replicas (ours, or our primary) may continue partially from here.
  if (repl.offset >= 0)
    server_.replication().RestoreFromRdb(repl.replid, repl.offset, repl.stream_db);
  Log(LogLevel::kNotice, "DB loaded from disk: %.3f seconds", double(NowMs() - start) / 1000);
  return Status::Ok();
}

std::string Persistence::AofPath(const std::string& name) const { return aof_dir_ + "/" + name; }

Status Persistence::WriteManifest(const persistence::AofManifest& m) {
  std::string name = persistence::AofManifest::ManifestName(server_.config().appendfilename());
  std::string tmp = AofPath("temp-" + name);
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("Can't open the AOF manifest file " + tmp + ": " + Errno());
  std::string text = m.Format();
  FileSink sink(fd, false);
  Status st = sink.Write(text);
  if (st.ok() && fsync(fd) != 0) st = Status::Error(Errno());
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), AofPath(name).c_str()) != 0) {
    st = Status::Error(Errno());
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return Status::Error("Can't persist the AOF manifest file " + name + ": " + st.message());
  }
  return FsyncDir(aof_dir_);
}

Status Persistence::OpenIncr(int64_t seq, bool create) {
  std::string name = persistence::AofManifest::IncrName(server_.config().appendfilename(), seq);
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  int fd = ::open(AofPath(name).c_str(), flags, 0644);
  if (fd < 0) return Status::Error("Can't open the append-only file " + name + ": " + Errno());
  std::lock_guard<std::mutex> io(io_mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  incr_size_.store(FileSize(AofPath(name)));
  return Status::Ok();
}

Status Persistence::CreateAofOnStart() {
  std::error_code ec;
  std::filesystem::create_directories(aof_dir_, ec);
  if (ec) return Status::Error("Can't create the AOF directory " + aof_dir_ + ": " + ec.message());
  const std::string& prefix = server_.config().appendfilename();
  persistence::AofManifest m;
  m.cur_base_seq = 1;
  m.cur_incr_seq = 1;
  bool preamble = server_.config().aof_use_rdb_preamble();
  std::string base = persistence::AofManifest::BaseName(prefix, 1, preamble);
  Log(LogLevel::kNotice, "Creating AOF base file %s on server start", base.c_str());
  {
    persistence::Snapshot snap(server_.keyspace(), SnapshotOpts(!preamble));
    snap.Begin([&] { return AuxFields(true, server_.write_log().offset()); });
    Status st = WriteSnapshotFile(snap, AofPath("temp-" + base), AofPath(base), true);
    if (!st.ok()) return st;
  }
  m.base = persistence::AofFileInfo{base, 1, persistence::AofFileType::kBase};
  std::string incr = persistence::AofManifest::IncrName(prefix, 1);
  Log(LogLevel::kNotice, "Creating AOF incr file %s on server start", incr.c_str());
  m.incr.push_back(persistence::AofFileInfo{incr, 1, persistence::AofFileType::kIncr});
  Status st = OpenIncr(1, true);
  if (!st.ok()) return st;
  st = WriteManifest(m);
  if (!st.ok()) return st;
  AppendTo(m);
  return Status::Ok();
}

Status Persistence::ReplayAofCommands(const std::string& path, uint64_t, bool is_last) {
  int fd = ::open(path.c_str(), is_last ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open the append-only file " + path + ": " + Errno());
  persistence::AofReader reader(fd);
  // The commands run through the executor as a detached session of origin
  // kLoader (admitted while loading, no statistics); replies are dropped.
  commands::DetachedSession loader(0, commands::Origin::kLoader);
  std::string dropped;
  protocol::ReplyBuilder rb(&dropped, 2);
  std::vector<std::string> argv;
  std::vector<std::string_view> views;
  uint64_t base = loading_loaded_.load();
  uint64_t multi_offset = 0;
  Status result = Status::Ok();
  for (;;) {
    auto r = reader.Next(&argv);
    if (r == persistence::AofReader::Result::kEnd) break;
    if (r == persistence::AofReader::Result::kTruncated) {
      if (is_last && server_.config().aof_load_truncated()) {
        Log(LogLevel::kWarning, "!!! Warning: short read while loading the AOF file %s!!!",
            path.c_str());
        Log(LogLevel::kWarning, "!!! Truncating the AOF %s at offset %llu !!!", path.c_str(),
            (unsigned long long)reader.valid_up_to());
        if (ftruncate(fd, off_t(reader.valid_up_to())) != 0) {
          result = Status::Error("Error truncating the AOF file " + path + ": " + Errno());
        } else {
          Log(LogLevel::kWarning,
              "AOF %s loaded anyway because aof-load-truncated is enabled", path.c_str());
        }
      } else {
        result = Status::Error(
            "Unexpected end of file reading the append only file " + path + " at offset " +
            std::to_string(reader.error_offset()) +
            (is_last ? ". You can: 1) Make a backup of your AOF file, then use ./redis-check-aof "
                       "--fix <filename.manifest>. 2) Alternatively you can set the "
                       "'aof-load-truncated' configuration option to yes and restart the server."
                     : " (not the last file of the AOF, so it can't be truncated)"));
      }
      break;
    }
    if (r == persistence::AofReader::Result::kCorrupt) {
      std::string why = reader.error();
      // The reader's reason starts with the generic phrase; keep only the detail.
      std::string_view generic = "Bad file format reading the append only file: ";
      if (std::string_view(why).starts_with(generic)) why.erase(0, generic.size());
      result = Status::Error("Bad file format reading the append only file " + path +
                             " at offset " + std::to_string(reader.error_offset()) + ": " + why);
      break;
    }
    if (server_.commands().Find(argv[0]) == nullptr) {
      result = Status::Error("Unknown command '" + argv[0] + "' reading the append only file " +
                             path + " at offset " + std::to_string(reader.valid_up_to()));
      break;
    }
    if (argv.size() == 1 && !loader.in_multi() && (argv[0] == "MULTI" || argv[0] == "multi")) {
      multi_offset = reader.command_offset();
    }
    views.assign(argv.begin(), argv.end());
    server_.executor().Dispatch(loader, views, rb);
    dropped.clear();
    NoteLoadProgress(base + reader.bytes_read());
  }
  if (result.ok() && loader.in_multi()) {
    // A MULTI without its EXEC at the end: the transaction never committed.
    // Cut it off, or commands appended later would land inside it.
    server_.executor().DiscardMulti(loader);
    if (is_last && server_.config().aof_load_truncated()) {
      Log(LogLevel::kWarning, "Revert incomplete MULTI/EXEC transaction in AOF file %s",
          path.c_str());
      if (ftruncate(fd, off_t(multi_offset)) != 0) {
        result = Status::Error("Error truncating the AOF file " + path + ": " + Errno());
      }
    } else {
      result = Status::Error("Revert incomplete MULTI/EXEC transaction in AOF file " + path +
                             " is not possible (aof-load-truncated is off, or it is not the "
                             "last file)");
    }
  }
  ::close(fd);
  return result;
}

Status Persistence::LoadAofSet() {
  const Config& c = server_.config();
  std::string manifest_path = AofPath(persistence::AofManifest::ManifestName(c.appendfilename()));
  auto parsed = ReadManifest(manifest_path);
  if (!parsed.ok()) return parsed.status();
  persistence::AofManifest m = *parsed;
  if (!m.base && m.incr.empty()) return CreateAofOnStart();
  uint64_t total = 0;
  if (m.base) total += FileSize(AofPath(m.base->name));
  for (const auto& f : m.incr) total += FileSize(AofPath(f.name));
  BeginLoading(total);
  Status st = Status::Ok();
  if (m.base) {
    std::string path = AofPath(m.base->name);
    char magic[5] = {};
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      st = Status::Error("Can't open the AOF base file " + path + ": " + Errno());
    } else {
      ssize_t n = ::read(fd, magic, 5);
      ::close(fd);
      if (n == 5 && memcmp(magic, "REDIS", 5) == 0) {
        Log(LogLevel::kNotice, "Reading RDB base file on AOF loading...");
        st = LoadRdbFile(path, false, true, nullptr);
      } else {
        st = ReplayAofCommands(path, 0, m.incr.empty());
      }
      if (st.ok()) {
        Log(LogLevel::kNotice, "DB loaded from base file %s", m.base->name.c_str());
      }
    }
  }
  for (size_t i = 0; st.ok() && i < m.incr.size(); i++) {
    std::string path = AofPath(m.incr[i].name);
    if (!FileExists(path)) {
      st = Status::Error("The AOF file " + m.incr[i].name + " doesn't exist");
      break;
    }
    st = ReplayAofCommands(path, 0, i + 1 == m.incr.size());
    if (st.ok()) Log(LogLevel::kNotice, "DB loaded from incr file %s", m.incr[i].name.c_str());
  }
  EndLoading();
  server_.AddDirty(-server_.dirty());
  if (!st.ok()) return st;
  // Continue in the last incremental file, or start one.
  bool need_new = m.incr.empty();
  if (need_new) {
    m.cur_incr_seq++;
    m.incr.push_back(persistence::AofFileInfo{
        persistence::AofManifest::IncrName(c.appendfilename(), m.cur_incr_seq), m.cur_incr_seq,
        persistence::AofFileType::kIncr});
  }
  st = OpenIncr(m.incr.back().seq, need_new);
  if (!st.ok()) return st;
  if (need_new) {
    st = WriteManifest(m);
    if (!st.ok()) return st;
  }
  AppendTo(m);
  return Status::Ok();
}

Status Persistence::DebugReload(bool save, bool flush, bool merge) {
  if (save) {
    Status st = Save();
    if (!st.ok()) return st;
  }
  storage::Keyspace& ks = server_.keyspace();
  storage::LockSet locks;
  for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  locks.Acquire();
  if (flush) {
    for (int d = 0; d < ks.db_count(); d++) {
      for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) ks.db(d).shard(s).Clear(false);
    }
  }
  // The locks are held by this thread; let the loader's ShardLocks skip them.
  storage::SetTransactionLocks(&locks.shards(), true);
  Status st = LoadRdbFile(server_.config().dbfilename(), merge, false, nullptr);
  storage::SetTransactionLocks(nullptr, false);
  if (!st.ok()) return Status::Error("ERR Error trying to load the RDB dump: " + st.message());
  return Status::Ok();
}

// ---------------------------------------------------------------- AOF

void Persistence::ApplyFsyncPolicy() {
  bool always = server_.config().appendfsync() == Config::Appendfsync::kAlways;
  sync_replies_.store(aof_on_.load() && always);
}

void Persistence::AppendTo(const persistence::AofManifest& m) {
  {
    std::lock_guard<std::mutex> io(io_mu_);
    manifest_ = m;
  }
  base_size_.store(m.base ? FileSize(AofPath(m.base->name)) : 0);
  // From here on every log byte goes to the buffer, in order.
  server_.write_log().SetTap(this, [this](int64_t off) {
    std::lock_guard<std::mutex> lock(buf_mu_);
    buf_end_offset_ = off;
    written_offset_.store(off);
    durable_offset_.store(off);
  });
  aof_on_.store(true);
  ApplyFsyncPolicy();
  StartAofThread();
}

void Persistence::StartAofThread() {
  std::lock_guard<std::mutex> lock(aof_thread_mu_);
  if (aof_thread_.joinable()) return;
  aof_thread_stop_.store(false);
  aof_thread_ = std::thread([this] { AofThread(); });
}

Status Persistence::SwitchIncrAtInstant(int64_t seq, int64_t offset) {
  std::string name = persistence::AofManifest::IncrName(server_.config().appendfilename(), seq);
  int fd = ::open(AofPath(name).c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND | O_CLOEXEC,
                  0644);
  if (fd < 0) return Status::Error("Can't open the append-only file " + name + ": " + Errno());
  std::lock_guard<std::mutex> io(io_mu_);
  {
    std::lock_guard<std::mutex> lock(buf_mu_);
    // Everything before the instant belongs to the old file.
    old_unwritten_ = unwritten_ + buf_;
    unwritten_.clear();
    buf_.clear();
    buf_end_offset_ = offset;
    unwritten_end_ = offset;
  }
  old_fd_ = fd_;
  fd_ = fd;
  incr_size_.store(0);
  manifest_.cur_incr_seq = seq;
  manifest_.incr.push_back(persistence::AofFileInfo{name, seq, persistence::AofFileType::kIncr});
  incr_ready_.store(false);
  // The new file starts with a SELECT, and (enabling) the log's bytes start
  // flowing into the buffer from here.
  server_.write_log().SetTap(this, [this, offset](int64_t) {
    if (!aof_on_.load()) {
      written_offset_.store(offset);
      durable_offset_.store(offset);
    }
  });
  if (!aof_on_.load()) {
    aof_on_.store(true);
    sync_replies_.store(server_.config().appendfsync() == Config::Appendfsync::kAlways);
  }
  return Status::Ok();
}

Status Persistence::CompleteSwitch(bool enabling) {
  std::lock_guard<std::mutex> io(io_mu_);
  Status st = Status::Ok();
  if (old_fd_ >= 0) {
    FileSink sink(old_fd_, false);
    st = sink.Write(old_unwritten_);
    if (st.ok() && fdatasync(old_fd_) != 0) st = Status::Error(Errno());
    ::close(old_fd_);
    old_fd_ = -1;
    if (st.ok()) {
      old_unwritten_.clear();
      int64_t w = unwritten_end_;
      if (written_offset_.load() < w) written_offset_.store(w);
      if (durable_offset_.load() < w) durable_offset_.store(w);
    }
  }
  if (st.ok() && !enabling) st = WriteManifest(manifest_);
  if (st.ok()) incr_ready_.store(true);
  sync_cv_.notify_all();
  StartAofThread();
  return st;
}

void Persistence::OnAppend(std::string_view bytes, int64_t end_offset) {
  std::lock_guard<std::mutex> lock(buf_mu_);
  buf_.append(bytes);
  buf_end_offset_ = end_offset;
}

bool Persistence::FlushAof(bool do_fsync) {
  std::lock_guard<std::mutex> io(io_mu_);
  // Before a new incremental file is listed in the manifest, nothing may go
  // into it (a restart would not read it); the bytes wait in the buffer.
  if (fd_ < 0 || !incr_ready_) return true;
  {
    std::lock_guard<std::mutex> lock(buf_mu_);
    if (!buf_.empty()) {
      unwritten_.append(buf_);
      buf_.clear();
      if (buf_.capacity() > (4 << 20)) std::string().swap(buf_);
    }
    unwritten_end_ = buf_end_offset_;
  }
  bool ok = true;
  std::string err;
  size_t done = 0;
  while (done < unwritten_.size()) {
    ssize_t n = ::write(fd_, unwritten_.data() + done, unwritten_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      err = Errno();
      break;
    }
    done += size_t(n);
  }
  incr_size_.fetch_add(done);
  unwritten_.erase(0, done);
  int64_t written = unwritten_end_ - int64_t(unwritten_.size());
  written_offset_.store(written);
  if (ok && do_fsync) {
    if (fdatasync(fd_) != 0) {
      ok = false;
      err = Errno();
    } else {
      durable_offset_.store(written);
      last_fsync_ms_.store(NowMs());
    }
  }
  if (!ok) {
    if (aof_write_ok_.exchange(false)) {
      Log(LogLevel::kWarning, "Error writing to the AOF file: %s", err.c_str());
    }
    std::lock_guard<std::mutex> lock(buf_mu_);
    aof_write_error_ = err;
  } else if (!aof_write_ok_.load() && unwritten_.empty()) {
    Log(LogLevel::kWarning, "AOF write error looks solved, Redis can write again.");
    aof_write_ok_.store(true);
  }
  return ok;
}

void Persistence::WaitDurable(int64_t offset) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (aof_on_.load() && durable_offset_.load() < offset) {
    if (!incr_ready_.load()) {
      sync_cv_.wait_for(lock, std::chrono::milliseconds(1));
      continue;
    }
    if (!sync_leader_) {
      sync_leader_ = true;
      lock.unlock();
      bool ok = FlushAof(true);
      lock.lock();
      sync_leader_ = false;
      sync_cv_.notify_all();
      if (!ok) {
        Log(LogLevel::kWarning,
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
            "Exiting...");
        _exit(1);
      }
    } else {
      sync_cv_.wait(lock);
    }
  }
}

void Persistence::AofThread() {
  while (!aof_thread_stop_.load()) {
    {
      std::unique_lock<std::mutex> lock(aof_wake_mu_);
      aof_wake_cv_.wait_for(lock, std::chrono::milliseconds(kAofWriteIntervalMs),
                            [this] { return aof_thread_stop_.load(); });
    }
    Config::Appendfsync policy = server_.config().appendfsync();
    bool fsync_now = policy == Config::Appendfsync::kEverysec &&
                     NowMs() - last_fsync_ms_.load() >= 1000 &&
                     durable_offset_.load() < written_offset_.load();
    bool pending;
    {
      std::lock_guard<std::mutex> lock(buf_mu_);
      pending = !buf_.empty();
    }
    if (policy == Config::Appendfsync::kAlways) {
      // Workers drive the syncs; this thread only catches writes no client
      // waits for (expiry, eviction) and retries after errors.
      if (pending || !aof_write_ok_.load()) {
        int64_t end;
        {
          std::lock_guard<std::mutex> lock(buf_mu_);
          end = buf_end_offset_;
        }
        WaitDurable(end);
      }
      continue;
    }
    if (pending || !aof_write_ok_.load() || fsync_now) {
      bool need_sync = policy == Config::Appendfsync::kEverysec &&
                       NowMs() - last_fsync_ms_.load() >= 1000;
      FlushAof(need_sync);
    }
  }
}

void Persistence::StopAof() {
  if (!aof_on_.exchange(false)) return;
  server_.write_log().SetTap(nullptr);
  aof_thread_stop_.store(true);
  aof_wake_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(aof_thread_mu_);
    if (aof_thread_.joinable()) aof_thread_.join();
  }
  FlushAof(true);
  sync_cv_.notify_all();
  std::lock_guard<std::mutex> io(io_mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  sync_replies_.store(false);
}

StatusOr<std::string> Persistence::BgRewriteAof() {
  std::unique_lock<std::mutex> lock(job_mu_);
  if (job_ == Job::kAofRewrite) {
    return Status::Error("ERR Background append only file rewriting already in progress");
  }
  if (job_ != Job::kNone) {
    rewrite_scheduled_ = true;
    return std::string("Background append only file rewriting scheduled");
  }
  if (!aof_on_.load()) {
    return Status::Error("ERR Background AOF rewrite is only possible while appendonly is on");
  }
  StartJobLocked(lock, Job::kAofRewrite);
  if (job_ != Job::kAofRewrite) {
    return Status::Error("ERR Can't execute an AOF background rewriting. Please check the server "
                         "logs for more information.");
  }
  return std::string("Background append only file rewriting started");
}

Status Persistence::SetAppendOnly(bool on) {
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
    StopAof();
    return Status::Ok();
  }
  if (aof_on_.load()) return Status::Ok();
  const Config& c = server_.config();
  aof_dir_ = std::filesystem::absolute(c.appenddirname()).string();
  std::error_code ec;
  std::filesystem::create_directories(aof_dir_, ec);
  if (ec) return Status::Error("Can't create the AOF directory: " + ec.message());
  // Continue the numbering of files a previous run left.
  persistence::AofManifest m;
  std::string mpath = AofPath(persistence::AofManifest::ManifestName(c.appendfilename()));
  if (FileExists(mpath)) {
    auto parsed = ReadManifest(mpath);
    if (parsed.ok()) m = *parsed;
  }
  {
    std::lock_guard<std::mutex> io(io_mu_);
    // Every file of the old set is replaced by the rewrite's base.
    if (m.base) {
      m.base->type = persistence::AofFileType::kHistory;
      m.history.push_back(*m.base);
      m.base.reset();
    }
    for (auto f : m.incr) {
      f.type = persistence::AofFileType::kHistory;
      m.history.push_back(f);
    }
    m.incr.clear();
    manifest_ = m;
  }
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

PersistenceInfo Persistence::Info() const {
  PersistenceInfo i;
  // From the start of process until a file is opened there is nothing to
  // report; commands are refused all the same (loading()).
  i.loading = loading() && loading_start_ms_.load() != 0;
  int64_t now = NowMs();
  if (i.loading) {
    i.loading_start_time = loading_start_ms_.load() / 1000;
    i.loading_total_bytes = loading_total_.load();
    i.loading_loaded_bytes = loading_loaded_.load();
    i.loading_loaded_perc = i.loading_total_bytes
                                ? 100.0 * double(i.loading_loaded_bytes) /
                                      double(i.loading_total_bytes)
                                : 0;
    i.loading_elapsed_seconds = (now - loading_start_ms_.load()) / 1000;
    double rate = i.loading_elapsed_seconds > 0
                      ? double(i.loading_loaded_bytes) / double(i.loading_elapsed_seconds)
                      : 0;
    i.loading_eta_seconds =
        rate > 0 ? int64_t(double(i.loading_total_bytes - i.loading_loaded_bytes) / rate) : 1;
  }
  {
    std::lock_guard<std::mutex> lock(job_mu_);
    i.rdb_bgsave_in_progress = job_ == Job::kRdb;
    i.aof_rewrite_in_progress = job_ == Job::kAofRewrite;
    i.aof_rewrite_scheduled = rewrite_scheduled_;
    if (job_ == Job::kRdb) i.rdb_current_bgsave_time_sec = (now - job_start_ms_) / 1000;
    if (job_ == Job::kAofRewrite) i.aof_current_rewrite_time_sec = (now - job_start_ms_) / 1000;
    if (snapshot_ != nullptr) {
      i.current_cow_size = snapshot_->peak_pending_bytes();
      i.current_save_keys_processed = snapshot_->keys_written();
    }
  }
  i.rdb_last_save_time = lastsave_.load();
  i.rdb_last_bgsave_ok = last_bgsave_ok_.load();
  i.rdb_last_bgsave_time_sec = last_bgsave_time_sec_.load();
  i.rdb_saves = rdb_saves_.load();
  i.rdb_last_cow_size = rdb_last_cow_.load();
  i.aof_enabled = aof_on_.load();
  i.aof_last_rewrite_time_sec = last_rewrite_time_sec_.load();
  i.aof_last_bgrewrite_ok = last_rewrite_ok_.load();
  i.aof_rewrites = aof_rewrites_.load();
  i.aof_last_write_ok = aof_write_ok_.load();
  i.aof_last_cow_size = aof_last_cow_.load();
  i.aof_current_size = base_size_.load() + incr_size_.load();
  i.aof_base_size = base_size_.load();
  {
    std::lock_guard<std::mutex> lock(buf_mu_);
    i.aof_buffer_length = buf_.size();
  }
  i.aof_delayed_fsync = delayed_fsync_.load();
  return i;
}

}  // namespace basalt::server
