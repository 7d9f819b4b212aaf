#include "persistence/aof_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <vector>

#include "common/clock.h"
#include "common/cpu_affinity.h"
#include "common/latency_monitor.h"
#include "common/logging.h"
#include "config/config.h"
#include "persistence/info_fields.h"
#include "persistence/server_hooks.h"
#include "persistence/snapshot_file.h"

namespace basalt::persistence {

using config::Config;

namespace {
// How often the AOF thread writes buffered bytes to the file.
constexpr int kAofWriteIntervalMs = 5;
}  // namespace

StatusOr<AofManifest> ReadAofManifest(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open the AOF manifest " + path + ": " + ErrnoText());
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) text.append(buf, size_t(n));
  ::close(fd);
  auto parsed = AofManifest::Parse(text);
  if (!parsed.ok()) {
    return Status::Error("Invalid AOF manifest " + path + ": " + parsed.status().message());
  }
  return parsed;
}

AofWriter::AofWriter(ServerHooks& hooks) : hooks_(hooks) {}

AofWriter::~AofWriter() { Stop(); }

// ---------------------------------------------------------------- files

void AofWriter::SetDirectory(const std::string& dirname) {
  aof_dir_ = std::filesystem::absolute(dirname).string();
}

std::string AofWriter::Path(const std::string& name) const { return aof_dir_ + "/" + name; }

Status AofWriter::WriteManifest(const AofManifest& m) {
  std::string name = AofManifest::ManifestName(hooks_.config().appendfilename());
  std::string tmp = Path("temp-" + name);
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("Can't open the AOF manifest file " + tmp + ": " + ErrnoText());
  std::string text = m.Format();
  FileSink sink(fd, false);
  Status st = sink.Write(text);
  if (st.ok() && fsync(fd) != 0) st = Status::Error(ErrnoText());
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), Path(name).c_str()) != 0) {
    st = Status::Error(ErrnoText());
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return Status::Error("Can't persist the AOF manifest file " + name + ": " + st.message());
  }
  return FsyncDir(aof_dir_);
}

Status AofWriter::OpenIncr(int64_t seq, bool create) {
  std::string name = AofManifest::IncrName(hooks_.config().appendfilename(), seq);
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  int fd = ::open(Path(name).c_str(), flags, 0644);
  if (fd < 0) return Status::Error("Can't open the append-only file " + name + ": " + ErrnoText());
  std::lock_guard<std::mutex> io(io_mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  incr_size_.store(FileSize(Path(name)));
  return Status::Ok();
}

Status AofWriter::Start(const AofManifest& m, bool new_incr) {
  Status st = OpenIncr(m.incr.back().seq, new_incr);
  if (!st.ok()) return st;
  if (new_incr) {
    st = WriteManifest(m);
    if (!st.ok()) return st;
  }
  AppendTo(m);
  return Status::Ok();
}

void AofWriter::AppendTo(const AofManifest& m) {
  {
    std::lock_guard<std::mutex> io(io_mu_);
    manifest_ = m;
  }
  base_size_.store(m.base ? FileSize(Path(m.base->name)) : 0);
  // From here on every log byte goes to the buffer, in order.
  hooks_.write_log().SetTap(this, [this](int64_t off) {
    std::lock_guard<std::mutex> lock(buf_mu_);
    buf_end_offset_ = off;
    written_offset_.store(off);
    durable_offset_.store(off);
  });
  aof_on_.store(true);
  ApplyFsyncPolicy();
  StartThread();
}

Status AofWriter::PrepareEnable() {
  const Config& c = hooks_.config();
  SetDirectory(c.appenddirname());
  std::error_code ec;
  std::filesystem::create_directories(aof_dir_, ec);
  if (ec) return Status::Error("Can't create the AOF directory: " + ec.message());
  // Continue the numbering of files a previous run left.
  AofManifest m;
  std::string mpath = Path(AofManifest::ManifestName(c.appendfilename()));
  if (FileExists(mpath)) {
    auto parsed = ReadAofManifest(mpath);
    if (parsed.ok()) m = *parsed;
  }
  std::lock_guard<std::mutex> io(io_mu_);
  // Every file of the old set is replaced by the rewrite's base.
  if (m.base) {
    m.base->type = AofFileType::kHistory;
    m.history.push_back(*m.base);
    m.base.reset();
  }
  for (auto f : m.incr) {
    f.type = AofFileType::kHistory;
    m.history.push_back(f);
  }
  m.incr.clear();
  manifest_ = m;
  return Status::Ok();
}

void AofWriter::StartThread() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable()) return;
  thread_stop_.store(false);
  thread_ = std::thread([this] {
    PinCurrentThread(hooks_.config().bio_cpulist(), "bio_cpulist");
    Run();
  });
}

void AofWriter::Stop() {
  if (!aof_on_.exchange(false)) return;
  hooks_.write_log().SetTap(nullptr);
  thread_stop_.store(true);
  wake_cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    if (thread_.joinable()) thread_.join();
  }
  Flush(true);
  sync_cv_.notify_all();
  std::lock_guard<std::mutex> io(io_mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  sync_replies_.store(false);
}

void AofWriter::SyncAtShutdown() {
  if (!aof_on_.load()) return;
  Log(LogLevel::kNotice, "Calling fsync() on the AOF file.");
  Flush(true);
}

// ---------------------------------------------------------------- rewrite

int64_t AofWriter::next_incr_seq() const {
  std::lock_guard<std::mutex> io(io_mu_);
  return manifest_.cur_incr_seq + 1;
}

int64_t AofWriter::next_base_seq() const {
  std::lock_guard<std::mutex> io(io_mu_);
  return manifest_.cur_base_seq + 1;
}

Status AofWriter::SwitchIncrAtInstant(int64_t seq, int64_t offset) {
  std::string name = AofManifest::IncrName(hooks_.config().appendfilename(), seq);
  int fd = ::open(Path(name).c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("Can't open the append-only file " + name + ": " + ErrnoText());
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
  manifest_.incr.push_back(AofFileInfo{name, seq, AofFileType::kIncr});
  incr_ready_.store(false);
  // The new file starts with a SELECT, and (enabling) the log's bytes start
  // flowing into the buffer from here.
  hooks_.write_log().SetTap(this, [this, offset](int64_t) {
    if (!aof_on_.load()) {
      written_offset_.store(offset);
      durable_offset_.store(offset);
    }
  });
  if (!aof_on_.load()) {
    aof_on_.store(true);
    ApplyFsyncPolicy();
  }
  return Status::Ok();
}

Status AofWriter::CompleteSwitch(bool enabling) {
  std::lock_guard<std::mutex> io(io_mu_);
  Status st = Status::Ok();
  if (old_fd_ >= 0) {
    FileSink sink(old_fd_, false);
    st = sink.Write(old_unwritten_);
    if (st.ok() && fdatasync(old_fd_) != 0) st = Status::Error(ErrnoText());
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
  StartThread();
  return st;
}

Status AofWriter::InstallRewrittenBase(const std::string& base_name, int64_t base_seq) {
  std::lock_guard<std::mutex> io(io_mu_);
  AofManifest m = manifest_;
  if (m.base) {
    m.base->type = AofFileType::kHistory;
    m.history.push_back(*m.base);
  }
  // Every incremental file but the one opened at the instant is now
  // covered by the base.
  while (m.incr.size() > 1) {
    AofFileInfo f = m.incr.front();
    f.type = AofFileType::kHistory;
    m.history.push_back(f);
    m.incr.erase(m.incr.begin());
  }
  m.base = AofFileInfo{base_name, base_seq, AofFileType::kBase};
  m.cur_base_seq = base_seq;
  base_size_.store(FileSize(Path(base_name)));
  incr_size_.store(FileSize(Path(m.incr.back().name)));
  // aof-disable-auto-gc: the replaced files stay, listed as history (type h)
  // in the manifest, until it is turned off again.
  if (hooks_.config().aof_disable_auto_gc()) {
    Status st = WriteManifest(m);
    if (st.ok()) manifest_ = m;
    return st;
  }
  return DropHistory(m);
}

Status AofWriter::DropHistory(AofManifest& m) {
  std::vector<AofFileInfo> old = m.history;
  m.history.clear();
  Status st = WriteManifest(m);
  if (!st.ok()) return st;
  manifest_ = m;
  for (const auto& f : old) {
    ::unlink(Path(f.name).c_str());
    Log(LogLevel::kNotice, "Removing the history file %s in the background", f.name.c_str());
  }
  return Status::Ok();
}

Status AofWriter::DeleteHistory() {
  std::lock_guard<std::mutex> io(io_mu_);
  if (fd_ < 0 || manifest_.history.empty()) return Status::Ok();
  AofManifest m = manifest_;
  return DropHistory(m);
}

bool AofWriter::FsyncSuspended() const {
  return hooks_.config().no_appendfsync_on_rewrite() && snapshot_probe_ && snapshot_probe_();
}

// ---------------------------------------------------------------- writing

void AofWriter::ApplyFsyncPolicy() {
  bool always = hooks_.config().appendfsync() == Config::Appendfsync::kAlways;
  fsync_replies_.store(always);
  sync_replies_.store(aof_on_.load());
}

bool AofWriter::IsDurable(int64_t offset) const {
  if (fsync_replies_.load(std::memory_order_relaxed)) return durable_offset_.load() >= offset;
  // everysec and no: in the kernel is enough (a crash of the process loses
  // nothing; an fsync comes within a second, or when the kernel likes).
  // Replies do not wait after a failed write (later writes are refused), nor
  // while a rewrite switches files (from its instant until its thread lists
  // the new file, a few ms; a failed switch would otherwise hold them for
  // good): a kill in that window can lose those replies' writes.
  return written_offset_.load() >= offset || !write_ok_.load() || !incr_ready_.load();
}

void AofWriter::OnAppend(std::string_view bytes, int64_t end_offset) {
  std::lock_guard<std::mutex> lock(buf_mu_);
  // aof-timestamp-enabled: a `#TS:<unix time>` annotation before the first
  // command of each new second (Redis's point-in-time marks; loaders and
  // redis-check-aof skip `#` lines). Only in the file: the replication
  // stream is the log itself.
  if (hooks_.config().aof_timestamp_enabled()) {
    int64_t now = NowMs() / 1000;
    if (now > last_ts_) {
      last_ts_ = now;
      buf_ += "#TS:" + std::to_string(now) + "\r\n";
    }
  }
  buf_.append(bytes);
  buf_end_offset_ = end_offset;
}

bool AofWriter::Flush(bool do_fsync) {
  // For the latency monitor (read before io_mu_: the probe takes the save
  // jobs' lock, which is never taken inside io_mu_).
  const int64_t latency_threshold = hooks_.config().latency_monitor_threshold();
  const bool job_running = latency_threshold > 0 && snapshot_probe_ && snapshot_probe_();
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
  const int64_t write_start = latency_threshold > 0 && !unwritten_.empty() ? MonotonicUs() : 0;
  while (done < unwritten_.size()) {
    ssize_t n = ::write(fd_, unwritten_.data() + done, unwritten_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      err = ErrnoText();
      break;
    }
    done += size_t(n);
  }
  if (write_start != 0) {
    // Redis's events for a write(2) of the AOF: "aof-write" always, and
    // whether a snapshot or rewrite job ran meanwhile ("aof-write-active-child",
    // Redis's forked child) or not ("aof-write-alone").
    int64_t ms = (MonotonicUs() - write_start) / 1000;
    RecordLatency("aof-write", ms, latency_threshold);
    RecordLatency(job_running ? "aof-write-active-child" : "aof-write-alone", ms, latency_threshold);
  }
  incr_size_.fetch_add(done);
  unwritten_.erase(0, done);
  int64_t written = unwritten_end_ - int64_t(unwritten_.size());
  written_offset_.store(written);
  if (ok && do_fsync) {
    const int64_t sync_start = latency_threshold > 0 ? MonotonicUs() : 0;
    const bool sync_failed = fdatasync(fd_) != 0;
    if (latency_threshold > 0 &&
        hooks_.config().appendfsync() == Config::Appendfsync::kAlways) {
      RecordLatency("aof-fsync-always", (MonotonicUs() - sync_start) / 1000, latency_threshold);
    }
    if (sync_failed) {
      ok = false;
      err = ErrnoText();
    } else {
      durable_offset_.store(written);
      last_fsync_ms_.store(NowMs());
    }
  }
  if (!ok) {
    if (write_ok_.exchange(false)) {
      LogEvent(LogLevel::kWarning, "persistence_error", {{"kind", "aof_write"}, {"error", err}},
               "Error writing to the AOF file: %s", err.c_str());
    }
    std::lock_guard<std::mutex> lock(buf_mu_);
    write_error_ = err;
  } else if (!write_ok_.load() && unwritten_.empty()) {
    LogEvent(LogLevel::kWarning, "persistence_recovered", {{"kind", "aof_write"}},
             "AOF write error looks solved, Redis can write again.");
    write_ok_.store(true);
  }
  return ok;
}

void AofWriter::WaitDurable(int64_t offset) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (aof_on_.load() && !IsDurable(offset)) {
    const bool fsync_wanted = fsync_replies_.load();
    if (!incr_ready_.load()) {
      sync_cv_.wait_for(lock, std::chrono::milliseconds(1));
      continue;
    }
    if (!sync_leader_) {
      sync_leader_ = true;
      lock.unlock();
      // no-appendfsync-on-rewrite: while a snapshot job runs, written
      // counts as durable (Redis skips the fsync of `always` too).
      const bool skip_fsync = !fsync_wanted || FsyncSuspended();
      bool ok = Flush(!skip_fsync);
      if (ok && skip_fsync && fsync_wanted) durable_offset_.store(written_offset_.load());
      lock.lock();
      sync_leader_ = false;
      sync_cv_.notify_all();
      if (!ok && fsync_wanted) {
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

void AofWriter::Run() {
  while (!thread_stop_.load()) {
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(kAofWriteIntervalMs),
                        [this] { return thread_stop_.load(); });
    }
    Config::Appendfsync policy = hooks_.config().appendfsync();
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
      if (pending || !write_ok_.load()) {
        int64_t end;
        {
          std::lock_guard<std::mutex> lock(buf_mu_);
          end = buf_end_offset_;
        }
        WaitDurable(end);
      }
      continue;
    }
    if (pending || !write_ok_.load() || fsync_now) {
      bool need_sync = policy == Config::Appendfsync::kEverysec &&
                       NowMs() - last_fsync_ms_.load() >= 1000 && !FsyncSuspended();
      Flush(need_sync);
    }
  }
}

// ---------------------------------------------------------------- state

std::string AofWriter::WriteRefusal() const {
  if (aof_on_.load() && !write_ok_.load()) {
    std::lock_guard<std::mutex> lock(buf_mu_);
    return "MISCONF Errors writing to the AOF file: " + write_error_;
  }
  return "";
}

void AofWriter::FillInfo(InfoFields* i) const {
  i->aof_enabled = aof_on_.load();
  i->aof_last_write_ok = write_ok_.load();
  i->aof_current_size = base_size_.load() + incr_size_.load();
  i->aof_base_size = base_size_.load();
  {
    std::lock_guard<std::mutex> lock(buf_mu_);
    i->aof_buffer_length = buf_.size();
  }
  i->aof_delayed_fsync = delayed_fsync_.load();
}

}  // namespace basalt::persistence
