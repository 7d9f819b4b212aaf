#include "server/persistence_hooks.h"

#include <span>
#include <string>
#include <string_view>

#include "commands/command_table.h"
#include "commands/executor.h"
#include "commands/session.h"
#include "common/panic.h"
#include "config/config.h"
#include "protocol/reply_builder.h"
#include "replication/role.h"
#include "server/server.h"

namespace basalt::server {
namespace {

// Replays one AOF file's commands through the executor as a detached
// session of origin kLoader (admitted while loading, no statistics, no slow
// log, as Redis); replies are dropped.
class AofCommandReplayer final : public persistence::CommandReplayer {
 public:
  explicit AofCommandReplayer(Server& server) : server_(server) {}

  bool IsKnownCommand(std::string_view name) const override {
    return server_.commands().Find(name) != nullptr;
  }
  void Run(std::span<const std::string_view> args) override {
    server_.executor().Dispatch(session_, args, reply_);
    // propagation-error-behavior panic: a command of the AOF that fails
    // means the file does not reproduce the dataset it was written from.
    if (!dropped_.empty() && dropped_[0] == '-' &&
        server_.config().propagation_error_behavior() == config::Config::PropagationError::kPanic) {
      size_t end = dropped_.find('\r');
      Panic(
          "This AOF-loading-client panicked sending an error to its server after processing "
          "the command '" +
          std::string(args[0]) + "': " + dropped_.substr(1, end - 1));
    }
    dropped_.clear();
  }
  bool in_multi() const override { return session_.in_multi(); }
  void DiscardMulti() override { server_.executor().DiscardMulti(session_); }

 private:
  Server& server_;
  commands::DetachedSession session_{0, commands::Origin::kLoader};
  std::string dropped_;
  protocol::ReplyBuilder reply_{&dropped_, 2};
};

}  // namespace

storage::Keyspace& PersistenceHooks::keyspace() { return server_.keyspace(); }
const config::Config& PersistenceHooks::config() const { return server_.config(); }
replication::WriteLog& PersistenceHooks::write_log() { return server_.write_log(); }
int64_t PersistenceHooks::dirty() const { return server_.dirty(); }
void PersistenceHooks::AddDirty(int64_t n) { server_.AddDirty(n); }

std::unique_lock<std::mutex> PersistenceHooks::HoldReplicationApply() {
  return server_.replication_role().HoldApply();  // see Role::apply_mu
}

std::string PersistenceHooks::replid() const { return server_.replid(); }
int PersistenceHooks::repl_stream_db() const { return server_.replication_role().stream_db(); }

void PersistenceHooks::RestoreReplication(const std::string& replid, int64_t offset,
                                          int stream_db) {
  server_.replication_role().RestoreFromRdb(replid, offset, stream_db);
}

std::unique_ptr<persistence::CommandReplayer> PersistenceHooks::NewCommandReplayer() {
  return std::make_unique<AofCommandReplayer>(server_);
}

}  // namespace basalt::server
