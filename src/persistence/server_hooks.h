// ServerHooks: what the persistence jobs (save_jobs.h, dataset_loader.h,
// aof_writer.h) need of the running server, declared here and implemented by
// the server (server/persistence_hooks.cc), so that persistence/ never
// includes commands/ or server/. It is the keyspace, the configuration, the
// write log, the dirty counter, the replication facts an RDB file records
// (and the replica's apply mutex, which a snapshot's start instant takes),
// and a way to replay AOF commands through the server's command executor.
//
// Thread-safety: every method may be called from any thread; each says what
// it requires beyond that. A CommandReplayer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace basalt::config {
class Config;
}
namespace basalt::replication {
class WriteLog;
}
namespace basalt::storage {
class Keyspace;
}

namespace basalt::persistence {

// Runs the commands of one AOF file, in order, as the server runs a client's
// (admission as for the loader, no statistics, no slow log); replies are
// dropped. One per file replayed.
class CommandReplayer {
 public:
  virtual ~CommandReplayer() = default;
  // Whether this server has a command named `name` (any case).
  virtual bool IsKnownCommand(std::string_view name) const = 0;
  // Runs one command; inside MULTI it is queued until EXEC.
  virtual void Run(std::span<const std::string_view> args) = 0;
  // Whether a MULTI is open (its EXEC not read yet).
  virtual bool in_multi() const = 0;
  // Drops the open MULTI and its queued commands.
  virtual void DiscardMulti() = 0;
};

class ServerHooks {
 public:
  virtual ~ServerHooks() = default;

  // --- The data a snapshot or a load works on ---
  virtual storage::Keyspace& keyspace() = 0;
  virtual const config::Config& config() const = 0;
  // The log the AOF taps and whose offset a snapshot records.
  virtual replication::WriteLog& write_log() = 0;

  // --- The dirty counter (rdb_changes_since_last_save, save points) ---
  virtual int64_t dirty() const = 0;
  virtual void AddDirty(int64_t n) = 0;

  // --- Replication facts ---
  // Held across a snapshot's start instant: the replica's apply mutex, so
  // that a command of the primary's stream and its bytes in the log are both
  // in the snapshot or neither. Empty (not owning) on the thread that is
  // applying such a command (a FLUSHALL from the primary that saves).
  // REQUIRES: the caller holds no shard lock.
  virtual std::unique_lock<std::mutex> HoldReplicationApply() = 0;
  // The RDB aux fields repl-id and repl-stream-db.
  virtual std::string replid() const = 0;
  virtual int repl_stream_db() const = 0;
  // A dataset loaded at start-up recorded these aux fields: the server's
  // replication history continues from there.
  virtual void RestoreReplication(const std::string& replid, int64_t offset, int stream_db) = 0;

  // --- AOF replay ---
  // A fresh replayer (its own session: database 0, no MULTI).
  virtual std::unique_ptr<CommandReplayer> NewCommandReplayer() = 0;
};

}  // namespace basalt::persistence
