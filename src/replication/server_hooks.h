// ServerHooks: what the replication subsystem (role.h, replica_session.h,
// ack_tracker.h) needs of the running server, declared here and implemented
// by the server (server/replication_hooks.cc), so that replication/ never
// includes persistence/, commands/ or server/. It is the configuration, the
// write log, the worker threads, making the link to our primary a client
// connection, and the persistence jobs a sync needs: a snapshot streamed to
// a replica (primary side), and loading the primary's snapshot (replica side).
//
// Thread-safety: every method may be called from any thread unless noted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace basalt::config {
class Config;
}

namespace basalt::replication {

class Connection;
class WriteLog;
class WorkerThread;

// Where a full sync's snapshot goes (a replica's socket, or a file first):
// the snapshot's bytes, in order, from the job thread.
class FullSyncSink {
 public:
  virtual ~FullSyncSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

// What loading the primary's snapshot leaves behind.
struct LoadedSnapshot {
  std::string eof_mark;   // in: the 40-byte mark ending a `$EOF:` transfer; "" for `$<len>`
  int stream_db = 0;      // the RDB aux field repl-stream-db
  std::string read_past;  // bytes the reader took from the socket past the snapshot
};

class ServerHooks {
 public:
  virtual ~ServerHooks() = default;

  virtual config::Config& config() = 0;
  virtual WriteLog& write_log() = 0;

  // --- Threads and connections ---
  virtual size_t worker_count() const = 0;
  virtual WorkerThread& worker(size_t index) = 0;
  // The TCP port this server listens on (REPLCONF listening-port).
  virtual int listening_port() const = 0;
  // Expiry on or off for what the server is now (a replica leaves it to
  // its primary).
  virtual void UpdateExpiryEnabled() = 0;
  // On worker `w`'s thread: makes socket `fd` a client connection of `w`,
  // the link to our primary of REPLICAOF generation `gen`, in database
  // `db`. Its input is the replication stream (it reads nothing yet:
  // Connection::StartStream).
  virtual Connection* AttachPrimaryClient(WorkerThread& w, int fd, uint64_t gen, int db,
                                          std::string addr, std::string laddr) = 0;

  // --- Persistence (primary side) ---
  // Whether a snapshot job runs now (a full sync waits for it).
  virtual bool snapshot_running() = 0;
  // A full sync's snapshot: `at_instant(offset)` runs at its start instant
  // (every shard locked), then the snapshot is written to `sink` on the job
  // thread, then `done(status)` runs there. Fails when another snapshot runs.
  virtual Status StartFullSyncSnapshot(std::function<void(int64_t offset)> at_instant,
                                       std::shared_ptr<FullSyncSink> sink,
                                       std::function<void(Status)> done) = 0;

  // --- Persistence (replica side, the link thread) ---
  // Empties the keyspace and loads the primary's snapshot from socket `fd`:
  // at most `limit` bytes, `total` when its size is known (0: streamed),
  // waiting up to `timeout_ms` for each read; `progress(bytes)` as it goes.
  // Clients get -LOADING meanwhile; on failure the keyspace is left empty.
  // repl-diskless-load decides whether the snapshot is parsed from the
  // socket or first stored in a file (then `loaded->eof_mark` is consumed
  // and handed back at the start of `read_past`).
  virtual Status LoadFromPrimary(int fd, uint64_t limit, uint64_t total, int timeout_ms,
                                 std::function<void(uint64_t)> progress,
                                 LoadedSnapshot* loaded) = 0;
  // BGREWRITEAOF (the AOF must hold the dataset just loaded).
  virtual StatusOr<std::string> BgRewriteAof() = 0;

  // --- FAILOVER (failover.h) ---
  // Pauses (or resumes) clients' writes as CLIENT PAUSE WRITE does, apart
  // from any CLIENT PAUSE: CLIENT UNPAUSE does not end it.
  virtual void SetFailoverPause(bool on) = 0;

  // --- Replica streams ---
  // A replica's stream has just started (full sync instant passed, or a
  // partial sync accepted): the server appends what every replica must be
  // told anew (acl-replicate-users: the ACL users).
  virtual void ReplicaStreamStarted() = 0;

  // --- Persistence ---
  // Returns once the AOF (when on) holds the log up to `offset`: written to
  // the file, fsynced under appendfsync always. A replica calls it before it
  // acknowledges an offset, so that an acknowledged write survives a kill of
  // the replica as it survives one of the primary.
  virtual void WaitPersisted(int64_t offset) = 0;
};

}  // namespace basalt::replication
