// CommandContext: what a command handler gets: the server, the calling
// client, its arguments and the reply builder. Handlers run on the client's
// worker thread and lock the shards they touch themselves.
#pragma once

#include <span>
#include <string_view>

#include "commands/command_table.h"
#include "protocol/reply_builder.h"

namespace basalt::server {
class Server;
class Client;
}  // namespace basalt::server
namespace basalt::storage {
class Database;
}

namespace basalt::commands {

struct CommandContext {
  server::Server& server;
  server::Client& client;
  std::span<const std::string_view> args;
  protocol::ReplyBuilder& reply;
  const CommandSpec& spec;
  bool failed = false;

  // Replies with an error and counts it (failed_calls, errorstats).
  void Error(std::string_view message);
  // The client's selected database.
  storage::Database& db();
  // Appends the command that reproduces a change to the write log and counts
  // it as a change. REQUIRES: the shard locks of the changed keys are held.
  void Propagate(std::span<const std::string_view> args);
  void Propagate(std::initializer_list<std::string_view> args) {
    Propagate(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // Propagates the command exactly as the client sent it.
  void PropagateAsIs() { Propagate(args); }
};

}  // namespace basalt::commands
