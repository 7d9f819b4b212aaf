// Snapshot files: what every snapshot written to disk shares (an RDB save,
// an AOF base, the base written when the AOF is created at start-up): the
// options taken from the configuration, the RDB aux fields, and writing to a
// temp file that is fsynced, renamed over the final name, and whose
// directory is fsynced. Also the few file helpers the persistence jobs share.
//
// Thread-safety: functions of their arguments; FileSink is used by the one
// thread that runs the snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "persistence/snapshot.h"

namespace basalt::config {
class Config;
}

namespace basalt::persistence {

class ServerHooks;

// strerror(errno).
std::string ErrnoText();

// Writes a snapshot to a file descriptor, fsyncing every few MB when asked
// (rdb-save-incremental-fsync, aof-rewrite-incremental-fsync).
class FileSink final : public SnapshotSink {
 public:
  FileSink(int fd, bool incremental_fsync) : fd_(fd), incremental_(incremental_fsync) {}
  Status Write(std::string_view bytes) override;

 private:
  int fd_;
  bool incremental_;
  size_t since_sync_ = 0;
};

// The snapshot options the configuration asks for. `aof_commands`: an AOF
// base without RDB preamble (RESP commands).
SnapshotOptions SnapshotOptionsFor(const config::Config& config, bool aof_commands = false);

// The RDB aux fields of a snapshot whose instant is at log offset `offset`.
// REQUIRES: called at the start instant (every shard locked).
std::vector<std::pair<std::string, std::string>> RdbAuxFields(ServerHooks& hooks, bool aof_base,
                                                              int64_t offset);

// Runs a begun snapshot into `tmp`, then fsyncs it and renames it over
// `final_path` (and fsyncs the directory). A failure leaves the old file.
Status WriteSnapshotFile(Snapshot& snap, const std::string& tmp, const std::string& final_path,
                         bool incremental_fsync);

// Ends a begun snapshot without writing it anywhere (its walk still has to
// complete, see Snapshot::Run).
void DiscardSnapshot(Snapshot& snap);

Status FsyncDir(const std::string& dir);
bool FileExists(const std::string& path);
// 0 when the file does not exist.
uint64_t FileSize(const std::string& path);

}  // namespace basalt::persistence
