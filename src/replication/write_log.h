// WriteLog: the one ordered stream of state changes, as RESP commands.
//
// Every successful write is appended as the deterministic command(s) that
// reproduce it. The log assigns byte offsets (Redis's master_repl_offset); an
// append happens while the writing command still holds its shard locks, so two
// writes to the same key appear in the log in the order they were applied,
// while writes to unrelated shards only contend on the short append itself.
// A SELECT is inserted whenever an entry's database differs from the previous
// entry's, exactly as a replication stream does.
//
// The last `backlog_size` bytes are kept in a ring (the replication backlog):
// persistence (AOF) and replicas read from it by offset. Consumers will wait on
// the offset; nothing blocks writers.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::replication {

// Sees every byte appended to the log, in order, with the log's lock held
// (the AOF). Must be quick: it runs inside every write's append.
class WriteLogTap {
 public:
  virtual ~WriteLogTap() = default;
  virtual void OnAppend(std::string_view bytes, int64_t end_offset) = 0;
};

class WriteLog {
 public:
  explicit WriteLog(size_t backlog_size = 1 << 20);

  // Appends one command for database `db` (db < 0: no database context, e.g.
  // FLUSHALL). Returns the log offset just after it.
  // REQUIRES: the caller holds the shard locks of the keys it changed.
  int64_t Append(int db, std::span<const std::string_view> args);
  // Appends a command only replicas get (PUBLISH, PING, REPLCONF GETACK):
  // the tap (AOF) learns only the new offset. Dropped in replica mode.
  int64_t AppendStreamOnly(std::span<const std::string_view> args);
  // Appends a group that must stay contiguous (MULTI ... EXEC).
  int64_t AppendGroup(int db, std::span<const std::vector<std::string_view>> commands);
  // Appends the writes of one EXEC as MULTI, the commands (with a SELECT
  // wherever the database changes), EXEC. REQUIRES: !commands.empty().
  int64_t AppendTransaction(
      std::span<const std::pair<int, std::vector<std::string>>> commands);

  // Offset after the last appended byte (master_repl_offset).
  int64_t offset() const { return offset_.load(std::memory_order_acquire); }
  // First offset still in the backlog.
  int64_t backlog_first_offset() const;
  size_t backlog_size() const { return ring_.size(); }
  size_t backlog_histlen() const;
  // Copies log bytes [from, offset()) into out if they are still in the
  // backlog; returns false if `from` is older than the backlog keeps.
  bool ReadFrom(int64_t from, std::string* out) const;

  // Installs (or with nullptr removes) the tap. `at_switch` runs under the
  // log's lock at the switch, so nothing is appended between it and the tap
  // change; the next append re-selects its database, so a file the tap
  // starts with names its database first.
  void SetTap(WriteLogTap* tap, const std::function<void(int64_t offset)>& at_switch = {});
  // More consumers (replicas): `at_add` runs under the log's lock when the
  // tap is added, with the offset from which the tap sees every byte.
  void AddTap(WriteLogTap* tap, const std::function<void(int64_t offset)>& at_add = {});
  void RemoveTap(WriteLogTap* tap);
  // While suspended (loading a dataset), appends are dropped.
  void SetSuspended(bool on) { suspended_.store(on); }

  // --- Replica mode ---
  // A replica's log carries its primary's stream byte for byte (AppendRaw),
  // so its offsets are the primary's and its own replicas can continue from
  // them. The commands the replica executes (Append*) then reach only the
  // tap (the AOF), with the tap's own SELECTs, and count in no offset.
  // Leaving replica mode (promotion) makes the next append select its db.
  void SetReplicaMode(bool on);
  bool replica_mode() const { return replica_mode_.load(std::memory_order_relaxed); }
  // Appends bytes of the primary's stream. REQUIRES: replica mode.
  int64_t AppendRaw(std::string_view bytes);
  // Adds a tap that first gets the log bytes [from, offset()) from the
  // backlog (partial resync), all under the lock so nothing is missed.
  // Returns false, adding nothing, when the backlog no longer has `from`.
  bool AddTapFrom(WriteLogTap* tap, int64_t from);
  // Drops the backlog's history (repl-backlog-ttl); offsets go on.
  void ClearBacklog();
  // repl-backlog-size: keeps the newest bytes that fit.
  void ResizeBacklog(size_t size);
  // Sets the offset the log continues from (after loading a dataset that
  // recorded one). REQUIRES: nothing appended yet.
  void ResetOffset(int64_t offset);

  // Appends the RESP encoding of a command to out (shared with other writers
  // of RESP command streams, e.g. the AOF rewrite).
  static void EncodeCommand(std::span<const std::string_view> args, std::string* out);

 private:
  void AppendBytesLocked(std::string_view bytes);  // REQUIRES: mu_ held
  void SelectLocked(int db);                       // REQUIRES: mu_ held
  // Appends bytes to the stream (ring, extra taps) but not to the tap.
  int64_t AppendPastTapLocked(std::string_view bytes);  // REQUIRES: mu_ held
  // Appends ring bytes [from, end) to out. REQUIRES: mu_ held, in the backlog.
  void CopyLocked(int64_t from, int64_t end, std::string* out) const;
  // Replica mode: the encoded command(s) go to the tap only.
  void TapOnlyLocked(int db, std::string_view bytes);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::vector<char> ring_;        // Guarded by mu_.
  int64_t histlen_ = 0;           // Guarded by mu_. Valid bytes in ring_.
  int last_db_ = -1;              // Guarded by mu_.
  WriteLogTap* tap_ = nullptr;    // Guarded by mu_.
  std::vector<WriteLogTap*> extra_taps_;  // Guarded by mu_.
  int tap_db_ = -1;                       // Guarded by mu_. Replica mode: the tap's db.
  std::atomic<bool> suspended_{false};
  std::atomic<bool> replica_mode_{false};
  std::atomic<int64_t> offset_{0};
};

}  // namespace basalt::replication
