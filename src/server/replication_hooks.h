// ReplicationHooks: the server's side of replication::ServerHooks
// (replication/server_hooks.h): the configuration, the write log, the worker
// threads, the primary-link client made on a worker, and the persistence
// jobs a sync needs (a full sync's snapshot from SaveJobs, the primary's
// snapshot loaded by DatasetLoader).
//
// Thread-safety: as replication::ServerHooks (any thread unless noted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "replication/server_hooks.h"

namespace basalt::server {

class Server;

class ReplicationHooks final : public replication::ServerHooks {
 public:
  explicit ReplicationHooks(Server& server) : server_(server) {}

  config::Config& config() override;
  replication::WriteLog& write_log() override;
  size_t worker_count() const override;
  replication::WorkerThread& worker(size_t index) override;
  int listening_port() const override;
  void UpdateExpiryEnabled() override;
  replication::Connection* AttachPrimaryClient(replication::WorkerThread& w, int fd, uint64_t gen,
                                               int db, std::string addr,
                                               std::string laddr) override;
  bool snapshot_running() override;
  Status StartFullSyncSnapshot(std::function<void(int64_t offset)> at_instant,
                               std::shared_ptr<replication::FullSyncSink> sink,
                               std::function<void(Status)> done) override;
  Status LoadFromPrimary(int fd, uint64_t limit, uint64_t total, int timeout_ms,
                         std::function<void(uint64_t)> progress,
                         replication::LoadedSnapshot* loaded) override;
  StatusOr<std::string> BgRewriteAof() override;
  void SetFailoverPause(bool on) override;
  void ReplicaStreamStarted() override;
  void WaitPersisted(int64_t offset) override;

 private:
  // repl-diskless-load disabled: the snapshot goes to a file (then named
  // `dbfilename`), which is then loaded.
  Status LoadFromPrimaryViaFile(int fd, uint64_t limit, int timeout_ms,
                                std::function<void(uint64_t)> progress,
                                replication::LoadedSnapshot* loaded);
  Server& server_;
};

}  // namespace basalt::server
