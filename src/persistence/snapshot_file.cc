#include "persistence/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/memory.h"
#include "common/version.h"
#include "config/config.h"
#include "persistence/server_hooks.h"
#include "replication/write_log.h"

namespace basalt::persistence {

using config::MaxmemoryPolicy;

namespace {

// Incremental fsync of big files (rdb-save-incremental-fsync and
// aof-rewrite-incremental-fsync): every this many bytes.
constexpr size_t kIncrementalFsyncBytes = 4 << 20;

std::string DirOf(const std::string& path) {
  auto pos = path.rfind('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

}  // namespace

std::string ErrnoText() { return std::strerror(errno); }

Status FileSink::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(ErrnoText());
    }
    bytes.remove_prefix(size_t(n));
    since_sync_ += size_t(n);
  }
  if (incremental_ && since_sync_ >= kIncrementalFsyncBytes) {
    since_sync_ = 0;
    if (fdatasync(fd_) != 0) return Status::Error(ErrnoText());
  }
  return Status::Ok();
}

SnapshotOptions SnapshotOptionsFor(const config::Config& config, bool aof_commands) {
  SnapshotOptions o;
  o.commands = aof_commands;
  o.timestamp = aof_commands && config.aof_timestamp_enabled();
  o.compress = config.rdbcompression();
  o.checksum = config.rdbchecksum();
  o.key_delay = config.rdb_key_save_delay();
  switch (config.maxmemory_policy()) {
    case MaxmemoryPolicy::kVolatileLru:
    case MaxmemoryPolicy::kAllkeysLru:
      o.access_info = SnapshotOptions::AccessInfo::kIdle;
      break;
    case MaxmemoryPolicy::kVolatileLfu:
    case MaxmemoryPolicy::kAllkeysLfu:
      o.access_info = SnapshotOptions::AccessInfo::kFreq;
      break;
    default:
      break;
  }
  return o;
}

std::vector<std::pair<std::string, std::string>> RdbAuxFields(ServerHooks& hooks, bool aof_base,
                                                              int64_t offset) {
  return {
      {"redis-ver", kRedisCompatVersion},
      {"redis-bits", "64"},
      {"ctime", std::to_string(NowMs() / 1000)},
      {"used-mem", std::to_string(UsedMemory())},
      {"repl-stream-db", std::to_string(hooks.repl_stream_db())},
      {"repl-id", hooks.replid()},
      {"repl-offset", std::to_string(offset)},
      {"aof-base", aof_base ? "1" : "0"},
  };
}

void DiscardSnapshot(Snapshot& snap) {
  snap.Cancel();
  FileSink none(-1, false);
  (void)snap.Run(none);
}

Status WriteSnapshotFile(Snapshot& snap, const std::string& tmp, const std::string& final_path,
                         bool incremental_fsync) {
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::string err = ErrnoText();
    DiscardSnapshot(snap);
    char cwd[4096];
    const char* where = getcwd(cwd, sizeof(cwd)) ? cwd : "unknown";
    return Status::Error("Failed opening the temp RDB file " + tmp + " (in server root dir " +
                         where + ") for saving: " + err);
  }
  FileSink sink(fd, incremental_fsync);
  Status st = snap.Run(sink);
  if (st.ok() && fsync(fd) != 0) st = Status::Error(ErrnoText());
  if (::close(fd) != 0 && st.ok()) st = Status::Error(ErrnoText());
  if (st.ok() && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    st = Status::Error("Error moving temp DB file " + tmp + " on the final destination " +
                       final_path + ": " + ErrnoText());
  } else if (!st.ok()) {
    st = Status::Error("Write error saving DB on disk: " + st.message());
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(DirOf(final_path));
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error(ErrnoText());
  int rc = fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Error(std::strerror(err));
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return uint64_t(st.st_size);
}

}  // namespace basalt::persistence
