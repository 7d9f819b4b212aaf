// Client-side caching (CLIENT TRACKING): what the command layer knows of it.
//
// A session that turned tracking on owns a ClientTracking (Session::tracking):
// its modes, read by any thread that invalidates a key. The table of tracked
// keys, the prefixes of BCAST mode and the delivery live in the server
// (server/tracking.h), which implements TrackingHub.
//
// The executor remembers the keys a tracking client reads (RememberReads)
// and marks which session is running a command on this thread
// (CallerScope), so a key changed by that session's own command is known as
// its own write (NOLOOP).
//
// Thread-safety: ClientTracking's atomics may be read from any thread;
// `caching` and `prefixes` are the owner thread's. TrackingHub
// methods say where they may be called from.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::commands {

class Session;
struct CommandSpec;

struct ClientTracking {
  explicit ClientTracking(uint64_t id) : id(id) {}
  const uint64_t id;
  // Modes, written by the owner thread (CLIENT TRACKING), read by any thread.
  std::atomic<bool> on{false};
  std::atomic<bool> bcast{false};
  std::atomic<bool> optin{false};
  std::atomic<bool> optout{false};
  std::atomic<bool> noloop{false};
  std::atomic<uint64_t> redirect{0};
  std::atomic<bool> broken_redirect{false};
  // Owner thread: CLIENT CACHING yes|no given for the next command (or
  // transaction).
  bool caching = false;
  // Owner thread: the BCAST prefixes, in the order they were added.
  std::vector<std::string> prefixes;
};

struct TrackingOptions {
  bool bcast = false, optin = false, optout = false, noloop = false;
  uint64_t redirect = 0;
  std::vector<std::string> prefixes;
};

class TrackingHub {
 public:
  virtual ~TrackingHub() = default;
  // CLIENT TRACKING ON: checks the options against each other and against
  // the session's current mode; returns the error text, or "" once enabled.
  // Owner thread of s.
  virtual std::string Enable(Session& s, const TrackingOptions& o) = 0;
  // CLIENT TRACKING OFF. Owner thread of s.
  virtual void Disable(Session& s) = 0;
  // Remembers the keys (at `args`' key positions) of a read command for
  // `reader`. Any worker thread.
  virtual void Remember(Session& reader, const CommandSpec& spec,
                        std::span<const std::string_view> args) = 0;
  // FLUSHDB / FLUSHALL: every tracking client is told to forget everything
  // and the table is emptied. Any thread.
  virtual void Flushed() = 0;
};

class CommandTable;
// Adds CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (from
// RegisterConnectionFamily).
void RegisterClientTracking(CommandTable& t);

// Whether a command run for `reader` now must have its keys remembered
// (default mode, a read-only command, OPTIN/OPTOUT and CLIENT CACHING).
bool ShouldRemember(const ClientTracking& t, const CommandSpec& spec);

// The connection whose command is running on this thread (null if none):
// EXEC's and a script's commands run for it.
Session* CurrentCaller();
class CallerScope {
 public:
  explicit CallerScope(Session* s);
  ~CallerScope();
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;

 private:
  Session* prev_;
};

}  // namespace basalt::commands
