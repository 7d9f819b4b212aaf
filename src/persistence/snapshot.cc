#include "persistence/snapshot.h"

#include <thread>

#include "common/clock.h"
#include "persistence/aof_commands.h"
#include "persistence/crc64.h"
#include "persistence/function_store.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_value.h"
#include "replication/write_log.h"

namespace basalt::persistence {
namespace {

// Sink writes happen in pieces of about this size.
constexpr size_t kFlushBytes = 1 << 20;
// A walker slice ends after this many entries or output bytes, so a writer
// waiting for the shard lock waits for one slice at most.
constexpr int kSliceEntries = 256;
constexpr size_t kSliceBytes = 256 << 10;

}  // namespace

Snapshot::Snapshot(storage::Keyspace& keyspace, SnapshotOptions options)
    : keyspace_(keyspace), options_(options) {}

namespace {
class NullSink final : public SnapshotSink {
 public:
  Status Write(std::string_view) override { return Status::Ok(); }
};
}  // namespace

Snapshot::~Snapshot() {
  // A begun snapshot must walk everything, or the entries' parity would be
  // mixed for the next one.
  if (begun_ && !ran_) {
    Cancel();
    NullSink sink;
    (void)Run(sink);
  }
}

void Snapshot::Cancel() {
  cancelled_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  drained_cv_.notify_all();
}

bool Snapshot::LockForWalk(storage::Shard& shard) {
  if (storage::HeldByTransaction(&shard)) return false;
  while (!shard.mu.try_lock()) {
    DrainCaptured();
    std::this_thread::yield();
  }
  return true;
}

void Snapshot::LockAll(storage::LockSet& locks) {
  for (int d = 0; d < keyspace_.db_count(); d++) locks.AddAll(keyspace_.db(d));
  locks.Acquire();
}

void Snapshot::Begin(
    const std::function<std::vector<std::pair<std::string, std::string>>()>& at_instant) {
  storage::LockSet locks;
  LockAll(locks);
  storage::SetSnapshotCapture(this);
  parity_ = storage::SnapshotParity();
  db_sizes_.clear();
  for (int d = 0; d < keyspace_.db_count(); d++) {
    storage::Database& db = keyspace_.db(d);
    uint64_t keys = 0, expires = 0;
    for (uint32_t s = 0; s < db.shard_count(); s++) {
      keys += db.shard(s).table().size();
      expires += db.shard(s).ttl_count();
    }
    db_sizes_.emplace_back(keys, expires);
  }
  db_announced_.assign(size_t(keyspace_.db_count()), false);
  if (at_instant) aux_ = at_instant();
  if (FunctionStore* store = GetFunctionStore()) functions_ = store->Codes();
  begun_ = true;
}

void Snapshot::Encode(const storage::Entry& e, RdbEncoder& enc) const {
  if (options_.commands) {
    AppendEntryCommands(e, enc.out());
    return;
  }
  switch (options_.access_info) {
    case SnapshotOptions::AccessInfo::kNone:
      EncodeKeyValue(e, enc);
      break;
    case SnapshotOptions::AccessInfo::kIdle:
      EncodeKeyValue(e, enc, int64_t(storage::IdleSeconds(e.lru())), -1);
      break;
    case SnapshotOptions::AccessInfo::kFreq:
      EncodeKeyValue(e, enc, -1, int(storage::LfuDecayedCounter(e.lru())));
      break;
  }
}

void Snapshot::Capture(int db, const storage::Entry& e) {
  if (discarding()) return;
  if (options_.visitor != nullptr) {
    options_.visitor->Visit(db, e);
    captured_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  thread_local std::string buf;
  buf.clear();
  RdbEncoder enc(&buf, options_.compress);
  Encode(e, enc);
  size_t n = buf.size();
  size_t now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (captured_queue_.empty() || captured_queue_.back().db != db) {
      captured_queue_.push_back(Pending{db, {}});
    }
    captured_queue_.back().bytes.append(buf);
    // Counted with the bytes, under mu_, so the walker never subtracts first.
    now = pending_bytes_.fetch_add(n, std::memory_order_relaxed) + n;
  }
  captured_.fetch_add(1, std::memory_order_relaxed);
  size_t peak = peak_pending_.load(std::memory_order_relaxed);
  while (now > peak && !peak_pending_.compare_exchange_weak(peak, now)) {
  }
  if (now > options_.max_pending_bytes) {
    // The disk is slower than the writers: wait (holding this key's shard)
    // until the walker has written half of the backlog out.
    std::unique_lock<std::mutex> lock(mu_);
    drained_cv_.wait(lock, [this] {
      return pending_bytes_.load() <= options_.max_pending_bytes / 2 || discarding() ||
             walk_done_;
    });
  }
  // Give back what a big value grew the thread's buffer to.
  if (buf.capacity() > (1 << 20)) std::string().swap(buf);
}

void Snapshot::RetireTable(int db, std::unique_ptr<storage::Table> table) {
  std::lock_guard<std::mutex> lock(mu_);
  retired_.emplace_back(db, std::move(table));
}

void Snapshot::Flush(bool force) {
  if (out_.empty() || (!force && out_.size() < kFlushBytes)) return;
  if (!discarding()) {
    if (options_.checksum) crc_ = Crc64(crc_, out_.data(), out_.size());
    Status s = sink_->Write(out_);
    if (!s.ok()) {
      error_ = s;
      failed_.store(true);
      std::lock_guard<std::mutex> lock(mu_);
      drained_cv_.notify_all();
    } else {
      bytes_.fetch_add(out_.size(), std::memory_order_relaxed);
    }
  }
  out_.clear();
}

void Snapshot::SelectDb(int db) {
  if (db == current_db_) return;
  current_db_ = db;
  if (options_.commands) {
    AppendSelectCommand(db, &out_);
    return;
  }
  RdbEncoder enc(&out_, options_.compress);
  if (!db_announced_[size_t(db)]) {
    db_announced_[size_t(db)] = true;
    WriteSelectDb(enc, db, db_sizes_[size_t(db)].first, db_sizes_[size_t(db)].second);
  } else {
    enc.Byte(kRdbOpSelectDb);
    enc.Length(uint64_t(db));
  }
}

void Snapshot::DrainCaptured() {
  std::vector<Pending> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(captured_queue_);
  }
  for (Pending& p : batch) {
    size_t n = p.bytes.size();
    if (!discarding()) {
      SelectDb(p.db);
      out_.append(p.bytes);
    }
    std::string().swap(p.bytes);
    Flush(false);
    pending_bytes_.fetch_sub(n, std::memory_order_relaxed);
  }
  if (!batch.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    drained_cv_.notify_all();
  }
}

void Snapshot::WalkShard(storage::Shard& shard) {
  const int slice_entries = options_.key_delay != 0 ? 1 : kSliceEntries;
  uint64_t cursor = 0;
  do {
    int entries = 0;
    {
      bool locked = LockForWalk(shard);
      size_t start = out_.size();
      RdbEncoder enc(&out_, options_.compress);
      do {
        cursor = shard.table().Scan(cursor, [&](storage::Entry* e) {
          if (e->snap_mark() == parity_) return;
          e->set_snap_mark(parity_);
          if (discarding()) return;
          if (options_.visitor != nullptr) {
            options_.visitor->Visit(shard.db(), *e);
          } else {
            SelectDb(shard.db());
            Encode(*e, enc);
          }
          keys_.fetch_add(1, std::memory_order_relaxed);
          entries++;
        });
      } while (cursor != 0 && entries < slice_entries && out_.size() - start < kSliceBytes);
      if (locked) shard.mu.unlock();
    }
    // The test hook pauses per key outside the lock, as a forked child would
    // not hold up writers.
    for (int i = 0; i < entries; i++) TestDelay(options_.key_delay);
    Flush(false);
    DrainCaptured();
  } while (cursor != 0);
}

void Snapshot::WalkRetired() {
  for (;;) {
    std::vector<std::pair<int, std::unique_ptr<storage::Table>>> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(retired_);
    }
    if (batch.empty()) return;
    for (auto& [db, table] : batch) {
      RdbEncoder enc(&out_, options_.compress);
      table->Clear([&](storage::Entry* e) {
        if (e->snap_mark() != parity_ && !discarding()) {
          if (options_.visitor != nullptr) {
            options_.visitor->Visit(db, *e);
          } else {
            SelectDb(db);
            Encode(*e, enc);
          }
          keys_.fetch_add(1, std::memory_order_relaxed);
          Flush(false);
        }
        storage::FreeEntry(e);
      });
      table.reset();
    }
  }
}

Status Snapshot::Run(SnapshotSink& sink) {
  ran_ = true;
  sink_ = &sink;
  if (options_.visitor != nullptr) {
    // Digest-only: no header, no functions, no bytes at all.
  } else if (!options_.commands) {
    RdbEncoder enc(&out_, options_.compress);
    WriteRdbHeader(enc, aux_);
    for (const std::string& code : functions_) {
      enc.Byte(kRdbOpFunction2);
      enc.String(code);
    }
  } else {
    if (options_.timestamp) out_ += "#TS:" + std::to_string(NowMs() / 1000) + "\r\n";
    // A command-form AOF base loads the libraries first.
    for (const std::string& code : functions_) {
      std::string_view load[] = {"FUNCTION", "LOAD", code};
      replication::WriteLog::EncodeCommand(load, &out_);
    }
  }
  for (int d = 0; d < keyspace_.db_count(); d++) {
    storage::Database& db = keyspace_.db(d);
    for (uint32_t s = 0; s < db.shard_count(); s++) {
      WalkShard(db.shard(s));
      WalkRetired();
    }
  }
  // The end: no writer may capture into us after this. Every shard is
  // locked in the global order, draining while a writer (maybe waiting for
  // the drain) holds one.
  {
    std::vector<storage::Shard*> held;
    for (int d = 0; d < keyspace_.db_count(); d++) {
      storage::Database& db = keyspace_.db(d);
      for (uint32_t s = 0; s < db.shard_count(); s++) {
        if (LockForWalk(db.shard(s))) held.push_back(&db.shard(s));
      }
    }
    storage::SetSnapshotCapture(nullptr);
    for (storage::Shard* sh : held) sh->mu.unlock();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    walk_done_ = true;
    drained_cv_.notify_all();
  }
  DrainCaptured();
  WalkRetired();
  if (options_.commands || options_.visitor != nullptr) {
    Flush(true);
  } else if (!discarding()) {
    WriteRdbEof(&out_);
    // The checksum covers every byte before it, so flush first.
    Flush(true);
    std::string tail;
    WriteRdbChecksum(&tail, options_.checksum ? crc_ : 0);
    out_ = tail;
    bool checksum = options_.checksum;
    options_.checksum = false;  // the checksum bytes are not part of the sum
    Flush(true);
    options_.checksum = checksum;
  }
  out_.clear();
  out_.shrink_to_fit();
  sink_ = nullptr;
  if (!error_.ok()) return error_;
  if (cancelled_.load()) return Status::Error("snapshot cancelled");
  return Status::Ok();
}

}  // namespace basalt::persistence
