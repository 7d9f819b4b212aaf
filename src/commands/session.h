// Session: whoever a command runs for. A client connection (server::Client)
// is one; so are the AOF loader's detached session and, later, a script's
// caller. The executor and the handlers see only this: the selected
// database, authentication, RESP version, CLIENT REPLY mode, the MULTI queue
// and WATCHed keys, subscriptions, and hooks a connection overrides (flush,
// close after reply, block on keys, hold a reply for replicas).
//
// Thread-safety: a Session is used by one thread at a time, its owner (a
// connection's worker). The fields marked "shared" are read by other threads
// (CLIENT LIST, WATCH invalidation, pub/sub counts): atomics, or `name`,
// guarded by the host's registry mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basalt::acl {
class User;
}

namespace basalt::commands {

struct ClientTracking;
struct CommandSpec;

enum class ReplyMode { kOn, kOff, kSkip, kSkipNext };
enum class SubKind { kChannel, kPattern, kShard };

// Where the commands of a session come from. The executor's admission checks
// depend on it: the AOF loader and the primary's stream are applied while
// loading, on a read-only replica and past maxmemory, as Redis applies them.
enum class Origin {
  kClient,   // a connection's own requests
  kLoader,   // AOF replay at start-up (DEBUG LOADAOF too)
  kPrimary,  // the replication stream from our primary
  kScript,   // a script's redis.call (scripting_family.cc)
};

// Writes of a transaction, collected while EXEC runs: (db, command) pairs that
// reach the write log as one MULTI ... EXEC group.
using ExecLog = std::vector<std::pair<int, std::vector<std::string>>>;

class Session {
 public:
  Session(uint64_t id, Origin origin, bool authenticated)
      : id(id), origin_(origin), authenticated_(authenticated) {}
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Origin origin() const { return origin_; }
  // A session whose requests are checked for admission (not the loader's,
  // not the primary's stream).
  bool admitted() const { return origin_ == Origin::kClient; }
  bool is_loader() const { return origin_ == Origin::kLoader; }
  bool is_primary_link() const { return origin_ == Origin::kPrimary; }
  bool is_script() const { return origin_ == Origin::kScript; }

  int db() const { return db_.load(std::memory_order_relaxed); }
  void set_db(int db) { db_.store(db, std::memory_order_relaxed); }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool v) { authenticated_ = v; }
  ReplyMode reply_mode() const { return reply_mode_; }
  void set_reply_mode(ReplyMode m) { reply_mode_ = m; }
  virtual int resp() const { return 2; }
  virtual void set_resp(int v) {}
  void set_no_evict(bool v) { no_evict_.store(v, std::memory_order_relaxed); }
  bool no_evict() const { return no_evict_.load(std::memory_order_relaxed); }

  // --- Hooks a connection overrides (a detached session has no socket). ---
  // Whether this is a client connection (server::Client).
  virtual bool is_connection() const { return false; }
  // Writes pending output now (PSYNC: replies before the snapshot).
  virtual void Flush() {}
  // Closes the connection once the current reply is written (QUIT, SHUTDOWN).
  virtual void CloseAfterReply() {}
  // Closes the connection at the end of this round without writing the
  // replies it still holds (an HTTP request sent to the data port).
  virtual void DropConnection() {}
  // Whether a blocking command may wait here; if not it answers at once as if
  // it timed out (inside EXEC, in the AOF, in a script).
  virtual bool can_block() const { return false; }
  // A blocking command found nothing: run it again when one of `keys`
  // changes, or time it out at deadline_ms (0 = never).
  virtual void BlockOn(const std::vector<std::string>& keys, int64_t deadline_ms) {}
  // With BlockOn: the arguments to run again on wake-up instead of the ones
  // sent (XREAD resolves `$` to the stream's last ID at block time).
  virtual void SetBlockedArgs(std::vector<std::string> args) {}
  // True while a blocked command runs again after one of its keys changed.
  // Redis serves a woken client only from keys of the type it waits for: a
  // key that now holds another type is passed over, not answered WRONGTYPE.
  virtual bool retrying_blocked() const { return false; }
  // The command just run (outside EXEC) added to the write log, which now
  // ends at `log_offset`: a connection may hold its reply until the write is
  // durable or replicated.
  virtual void OnWrite(int64_t log_offset) {}
  // While a script this session runs is past its busy threshold: serve the
  // other connections of this thread (they get -BUSY, SCRIPT KILL works).
  virtual void ServeOthersWhileBusy() {}
  // The command being dispatched waited for a shard while a script ran and
  // gave up before doing anything: the connection runs it again later and
  // returns true; false when it cannot (the command then waits).
  virtual bool RetryLater() { return false; }
  // True while a blocked command runs again after a wake-up (MONITOR showed
  // it when it first ran).
  virtual bool reprocessing() const { return false; }
  // After every executed command (a connection parks a blocked command here).
  virtual void OnExecuted(const CommandSpec& spec, std::span<const std::string_view> args) {}
  // The peer's and the local address (CLIENT LIST/KILL, the slow log, DEBUG's
  // local check), and whether it came through a unix socket.
  virtual std::string_view address() const { return ""; }
  virtual std::string_view local_address() const { return ""; }
  virtual bool unix_socket() const { return false; }
  // This session's CLIENT LIST line. Called with the registry mutex held.
  virtual std::string InfoLine() const { return ""; }
  // CLIENT KILL TYPE: normal, master, replica or pubsub.
  virtual std::string_view TypeName() const { return "normal"; }

  // --- Transactions (owner thread; the executor runs them) ---
  struct QueuedCommand {
    const CommandSpec* spec;
    std::vector<std::string> args;
  };
  struct WatchedKey {
    int db;
    std::string key;
    bool expired_at_watch;
  };
  bool in_multi() const { return in_multi_; }
  bool has_watches() const { return !watched_.empty(); }
  void ClearWatches() { watched_.clear(); }
  // While EXEC (or a script) runs, writes are collected here instead of the
  // write log.
  ExecLog* exec_log() { return exec_log_; }
  void set_exec_log(ExecLog* log) { exec_log_ = log; }
  // A command that is not itself a write (EVAL, FCALL) wrote: the reply waits
  // as a write's does (Session::OnWrite).
  void MarkWrote() { wrote_ = true; }
  // WAIT: the log offset after this session's last command that added to it.
  int64_t woff() const { return woff_; }

  // --- Pub/Sub (owner thread) ---
  std::set<std::string>& subscriptions(SubKind kind) {
    return kind == SubKind::kChannel   ? channels_
           : kind == SubKind::kPattern ? patterns_
                                       : shard_channels_;
  }
  // Channels + patterns: the count SUBSCRIBE/UNSUBSCRIBE replies carry.
  size_t sub_count() const { return channels_.size() + patterns_.size(); }
  bool subscribed() const { return sub_count() > 0 || !shard_channels_.empty(); }
  // Refreshes the shared counts after a change of subscriptions.
  void UpdateSubCounts() {
    nsub = channels_.size();
    npsub = patterns_.size();
    nssub = shard_channels_.size();
  }

  // --- Shared (read by other threads) ---
  const uint64_t id;
  std::atomic<const CommandSpec*> last_cmd{nullptr};
  std::atomic<bool> no_evict_{false};
  std::atomic<size_t> nsub{0}, npsub{0}, nssub{0};
  // CLIENT LIST's multi=: commands queued since MULTI, -1 outside MULTI.
  std::atomic<int> multi_shared{-1};
  std::atomic<size_t> multi_mem_shared{0};  // multi-mem=
  // In MONITOR mode (CLIENT LIST flag O); set on the owner thread.
  std::atomic<bool> monitor{false};
  // Set by any thread when a watched key changes.
  std::atomic<bool> watch_dirty_{false};
  // CLIENT SETNAME; guarded by the host's registry mutex.
  std::string name;
  // CLIENT TRACKING state (commands/tracking.h), created on first use. The
  // pointer is the owner thread's; the object is shared with the server's
  // tracking registry.
  std::shared_ptr<ClientTracking> tracking;
  // ACL: the name of the user this session is authenticated as (CLIENT
  // LIST user=, CLIENT KILL USER). Written by the owner thread under the
  // host's registry mutex; the owner reads it without the lock.
  std::string user_name = "default";
  // The owner thread's copy of that user, re-read from the ACL registry
  // when its generation moved (Executor::AclUser). A script's session
  // shares its caller's.
  std::shared_ptr<const acl::User> acl_user;
  uint64_t acl_gen = 0;
  // Failed AUTH / HELLO AUTH on this connection (max-auth-failures-per-connection).
  uint32_t auth_failures = 0;

 protected:
  // A connection that turns out to be our primary's link (REPLICAOF).
  void set_origin(Origin o) { origin_ = o; }
  std::atomic<int> db_{0};

 private:
  friend class Executor;
  Origin origin_;
  bool authenticated_;
  ReplyMode reply_mode_ = ReplyMode::kOn;
  bool in_multi_ = false;
  bool multi_error_ = false;
  std::vector<QueuedCommand> queued_;
  std::vector<WatchedKey> watched_;
  ExecLog* exec_log_ = nullptr;
  bool wrote_ = false;  // a write ran whose bytes may not be in the log yet (EXEC)
  int64_t woff_ = 0;
  std::set<std::string> channels_, patterns_, shard_channels_;
};

// A session with no connection: AOF replay, and the in-process command tests.
// Its replies go wherever the caller's reply builder writes.
class DetachedSession : public Session {
 public:
  DetachedSession(uint64_t id, Origin origin) : Session(id, origin, true) {}
  int resp() const override { return resp_; }
  void set_resp(int v) override { resp_ = v; }

 private:
  int resp_ = 2;
};

}  // namespace basalt::commands
