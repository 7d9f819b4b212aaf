// CommandContext: what a command handler gets: the host (the server's data
// plane, and its admin side for the families that need it), the session it
// runs for, its arguments and the reply builder. Handlers run on the session's
// thread and lock the shards they touch themselves.
#pragma once

#include <span>
#include <string_view>

#include "commands/command_table.h"
#include "commands/host.h"
#include "commands/session.h"
#include "protocol/reply_builder.h"

namespace basalt::replication {
class WriteLog;
}
namespace basalt::storage {
class Database;
}

namespace basalt::commands {

// Keyspace notification classes: the letters of notify-keyspace-events.
enum NotifyClass : uint32_t {
  kNotifyGeneric = 1u << 0,  // g: DEL, EXPIRE, RENAME, ...
  kNotifyString = 1u << 1,   // $
  kNotifyList = 1u << 2,     // l
  kNotifySet = 1u << 3,      // s
  kNotifyHash = 1u << 4,     // h
  kNotifyZSet = 1u << 5,     // z
  kNotifyExpired = 1u << 6,  // x
  kNotifyEvicted = 1u << 7,  // e
  kNotifyStream = 1u << 8,   // t
  kNotifyKeyMiss = 1u << 9,  // m
  kNotifyNew = 1u << 10,     // n
};

struct CommandContext {
  Host& host;
  Session& session;
  std::span<const std::string_view> args;
  protocol::ReplyBuilder& reply;
  const CommandSpec& spec;
  // The host's configuration and write log, passed in by the executor so that
  // reaching them costs no virtual call.
  config::Config& cfg;
  replication::WriteLog& log;
  bool failed = false;

  // Replies with an error and counts it (failed_calls, errorstats).
  void Error(std::string_view message);
  // The session's selected database.
  storage::Database& db();
  // The configuration (read it on every call: CONFIG SET changes it).
  config::Config& config() { return cfg; }
  // The administration side, for CLIENT, REPLICAOF, SAVE, DEBUG, ...
  Admin& admin() { return host.admin(); }
  // Appends the command that reproduces a change to the write log and counts
  // it as a change. REQUIRES: the shard locks of the changed keys are held.
  void Propagate(std::span<const std::string_view> args);
  void Propagate(std::initializer_list<std::string_view> args) {
    Propagate(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // Propagates the command exactly as the client sent it.
  void PropagateAsIs() { Propagate(args); }
  // Call after every change to `key` in the client's database, while its
  // shard lock is still held: invalidates WATCHes on the key, publishes the
  // keyspace notification `event` (e.g. "hset", "del") of class `cls`, and
  // marks the key ready for clients blocked on it (BLPOP, BZPOPMIN, ...).
  void Changed(std::string_view key, std::string_view event, uint32_t cls);
};

}  // namespace basalt::commands
