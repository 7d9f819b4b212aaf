// PersistenceHooks: the server's side of persistence::ServerHooks
// (persistence/server_hooks.h): what the save jobs, the dataset loader and
// the AOF writer need of the running server — its keyspace, configuration,
// write log, dirty counter and replication facts — and AOF replay through
// the command executor, as a detached session of origin kLoader.
//
// Thread-safety: as persistence::ServerHooks (any thread); each replayer it
// makes is used by the one loading thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "persistence/server_hooks.h"

namespace basalt::server {

class Server;

class PersistenceHooks final : public persistence::ServerHooks {
 public:
  explicit PersistenceHooks(Server& server) : server_(server) {}

  storage::Keyspace& keyspace() override;
  const config::Config& config() const override;
  replication::WriteLog& write_log() override;
  int64_t dirty() const override;
  void AddDirty(int64_t n) override;
  std::unique_lock<std::mutex> HoldReplicationApply() override;
  std::string replid() const override;
  int repl_stream_db() const override;
  void RestoreReplication(const std::string& replid, int64_t offset, int stream_db) override;
  std::unique_ptr<persistence::CommandReplayer> NewCommandReplayer() override;

 private:
  Server& server_;
};

}  // namespace basalt::server
