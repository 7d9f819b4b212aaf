// Snapshot: a point-in-time RDB serialization of the keyspace, taken while
// writes go on, without fork.
//
// Begin() is the start instant: with every shard locked it flips the
// snapshot parity (see storage::SnapshotCapture) and lets the caller read
// anything that must match that instant (the write-log offset, the RDB aux
// fields). Run() then walks every shard slice by slice, each slice under its
// shard's lock, serializing the entries it has not dealt with; writers that
// change an entry first hand its old value to Capture(), which serializes it
// into a queue the walker drains between slices. Extra memory is that queue:
// the values written to since the start that the walker had not reached yet,
// serialized, until they reach the sink — not a copy of every touched page as
// with fork.
//
// Keys of one database may be interleaved with others' (the captured ones
// arrive in write order); the stream re-selects the database whenever it
// changes, which every RDB loader accepts.
//
// Thread-safety: Begin() on any thread holding no shard lock (or inside EXEC,
// whose locks it skips); Run() on one thread; Capture()/RetireTable() from
// any thread with the shard locked; stats are atomics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "persistence/rdb_format.h"
#include "storage/keyspace.h"

namespace basalt::persistence {

// Where the RDB bytes go (a file, a replica's socket).
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

// Receives every entry of a digest-only snapshot (SnapshotOptions::visitor)
// instead of RDB bytes: the consistency check digests the dataset of one
// instant this way. Visit runs on the walker thread and on writers' threads
// (an entry captured before its change), always with the entry's shard
// locked, so it must be thread-safe and quick.
class EntryVisitor {
 public:
  virtual ~EntryVisitor() = default;
  virtual void Visit(int db, const storage::Entry& e) = 0;
};

struct SnapshotOptions {
  bool compress = true;   // rdbcompression
  bool checksum = true;   // rdbchecksum
  int64_t key_delay = 0;  // rdb-key-save-delay (test hook; see TestDelay)
  // Captured bytes waiting for the sink above which a capturing writer waits
  // for the walker to drain them (backpressure on a slow disk): the bound on
  // the snapshot's extra memory.
  size_t max_pending_bytes = 64 << 20;
  // Per-key access data, as Redis saves it under an LRU or LFU
  // maxmemory-policy: IDLE (seconds) or FREQ (the LFU counter).
  enum class AccessInfo { kNone, kIdle, kFreq };
  AccessInfo access_info = AccessInfo::kNone;
  // Write RESP commands instead of RDB (an AOF base with
  // aof-use-rdb-preamble no): no header, no checksum.
  bool commands = false;
  // With `commands`: open with a `#TS:<unix time>` annotation
  // (aof-timestamp-enabled, as Redis starts an AOF-format base).
  bool timestamp = false;
  // Digest-only: entries go to this visitor, no bytes to the sink (which
  // gets nothing). Not owned; outlives the snapshot.
  EntryVisitor* visitor = nullptr;
};

class Snapshot final : public storage::SnapshotCapture {
 public:
  Snapshot(storage::Keyspace& keyspace, SnapshotOptions options);
  ~Snapshot() override;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The start instant. `at_instant` runs with every shard locked; the aux
  // fields it returns go into the header. Exactly one snapshot may be active
  // in the process at a time (the caller serializes them).
  void Begin(const std::function<std::vector<std::pair<std::string, std::string>>()>& at_instant);
  // Writes the whole snapshot to sink and ends it. On a sink error the walk
  // still completes (without serializing) so every entry's parity is right
  // for the next snapshot; returns the first error.
  Status Run(SnapshotSink& sink);
  // Makes Run() stop writing as soon as possible and return an error.
  void Cancel();

  // storage::SnapshotCapture
  void Capture(int db, const storage::Entry& e) override;
  void RetireTable(int db, std::unique_ptr<storage::Table> table) override;

  uint64_t keys_written() const { return keys_.load(std::memory_order_relaxed); }
  uint64_t bytes_written() const { return bytes_.load(std::memory_order_relaxed); }
  // Bytes of captured values waiting for the sink, now and at most so far:
  // the snapshot's extra memory (INFO's rdb_last_cow_size equivalent).
  size_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }
  size_t peak_pending_bytes() const { return peak_pending_.load(std::memory_order_relaxed); }
  uint64_t captured_keys() const { return captured_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    int db;
    std::string bytes;
  };
  void LockAll(storage::LockSet& locks);
  // Appends out_ to the sink (updating the checksum) once it is big enough
  // or when `force`.
  void Flush(bool force);
  void SelectDb(int db);
  void DrainCaptured();
  void WalkShard(storage::Shard& shard);
  void WalkRetired();
  void Encode(const storage::Entry& e, RdbEncoder& enc) const;
  // Locks a shard for the walker, draining captured values while a writer
  // holds it (that writer may be waiting for the drain). Returns whether it
  // locked (false: the calling thread's transaction already holds it).
  bool LockForWalk(storage::Shard& shard);
  bool discarding() const {
    return failed_.load(std::memory_order_relaxed) || cancelled_.load(std::memory_order_relaxed);
  }

  storage::Keyspace& keyspace_;
  SnapshotOptions options_;
  std::vector<std::pair<std::string, std::string>> aux_;
  std::vector<std::string> functions_;  // library codes at the instant
  std::vector<std::pair<uint64_t, uint64_t>> db_sizes_;  // keys, expires at the instant
  std::vector<bool> db_announced_;
  bool parity_ = false;
  bool begun_ = false;
  bool ran_ = false;

  SnapshotSink* sink_ = nullptr;  // during Run()
  std::string out_;               // Run()'s output buffer
  int current_db_ = -1;
  uint64_t crc_ = 0;
  Status error_ = Status::Ok();
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> failed_{false};  // error_ is set (readable from writers' threads)

  std::mutex mu_;
  std::condition_variable drained_cv_;  // pending_bytes_ went down, or the snapshot stops
  std::vector<Pending> captured_queue_;                                // Guarded by mu_.
  bool walk_done_ = false;                                             // Guarded by mu_.
  std::vector<std::pair<int, std::unique_ptr<storage::Table>>> retired_;  // Guarded by mu_.

  std::atomic<uint64_t> keys_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> captured_{0};
  std::atomic<size_t> pending_bytes_{0};
  std::atomic<size_t> peak_pending_{0};
};

}  // namespace basalt::persistence
