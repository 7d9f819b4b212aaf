// MONITOR: the interface the executor feeds every executed command through,
// and the line format Redis sends to monitoring clients.
//
// The executor checks active() (one relaxed atomic load) before doing any
// work, so the command path costs nothing while nobody monitors. The server
// implements MonitorFeed (server/monitors.h): it keeps the monitoring clients
// and hands each line to the worker that owns the monitor.
//
// Thread-safety: every method may be called from any worker thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace basalt::commands {

class Session;
struct CommandSpec;

class MonitorFeed {
 public:
  virtual ~MonitorFeed() = default;
  // Whether any client monitors (cheap: read on every command).
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  // Makes the connection s a monitor. False if s cannot monitor (not a
  // connection) or already does.
  virtual bool Add(Session& s) = 0;
  // Ends monitor mode for s (RESET, close); nothing if s does not monitor.
  virtual void Remove(Session& s) = 0;
  // Sends `line` (a complete "+...\r\n" reply) to every monitor. Lines fed
  // from one thread reach each monitor in the order they were fed.
  virtual void Feed(std::string line) = 0;

 protected:
  std::atomic<int> count_{0};
};

// Appends s quoted as Redis quotes MONITOR arguments: in double quotes, with
// \" \\ \n \r \t \a \b escaped and other non-printable bytes as \xhh.
void AppendQuoted(std::string* out, std::string_view s);

// The MONITOR line for a command: "+<seconds>.<micros> [<db> <source>] "arg"
// ...\r\n". `source` is the client's address, "lua" or "unix:<path>".
// Credentials are shown as "(redacted)" as Redis shows them (AUTH's
// arguments, HELLO's AUTH pair, MIGRATE's AUTH/AUTH2 passwords).
std::string MonitorLine(int64_t unix_us, int db, std::string_view source, const CommandSpec& spec,
                        std::span<const std::string_view> args);

// The source a session's commands are shown with.
std::string MonitorSource(const Session& s);

}  // namespace basalt::commands
