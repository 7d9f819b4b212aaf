#include "persistence/dataset_loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/hash.h"
#include "common/logging.h"
#include "config/config.h"
#include "persistence/aof_manifest.h"
#include "persistence/aof_reader.h"
#include "persistence/aof_writer.h"
#include "persistence/info_fields.h"
#include "persistence/function_store.h"
#include "persistence/rdb_loader.h"
#include "persistence/server_hooks.h"
#include "persistence/snapshot_file.h"
#include "replication/write_log.h"
#include "storage/keyspace.h"

namespace basalt::persistence {

using config::Config;

namespace {

// Inserts loaded entries into the keyspace.
class KeyspaceLoader final : public RdbLoadHandler {
 public:
  KeyspaceLoader(storage::Keyspace& ks, bool merge, bool skip_expired,
                 std::function<void(uint64_t)> progress, uint64_t progress_base, int64_t key_delay)
      : ks_(ks),
        merge_(merge),
        skip_expired_(skip_expired),
        progress_(std::move(progress)),
        base_(progress_base),
        now_(NowMs()),
        key_delay_(key_delay) {}

  Status OnAux(std::string_view key, std::string_view value) override {
    if (key == "repl-id") repl_id_ = value;
    if (key == "repl-offset") repl_offset_ = std::string(value);
    if (key == "repl-stream-db") repl_stream_db_ = std::atoi(std::string(value).c_str());
    if (key == "redis-ver") {
      Log(LogLevel::kNotice, "Loading RDB produced by version %.*s", int(value.size()),
          value.data());
    }
    if (key == "ctime") {
      Log(LogLevel::kNotice, "RDB age %lld seconds",
          (long long)(NowMs() / 1000 - std::atoll(std::string(value).c_str())));
    }
    return Status::Ok();
  }

  Status OnEntry(int db, storage::Entry* e, int64_t lru_idle_s, int lfu_freq) override {
    TestDelay(key_delay_);
    if (skip_expired_ && e->has_expire() && e->expire_ms() < now_) {
      storage::FreeEntry(e);
      expired_++;
      return Status::Ok();
    }
    uint64_t h = HashKey(e->key());
    storage::Shard& sh = ks_.db(db).ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry** link = sh.table().FindLink(e->key(), h);
    if (link != nullptr) {
      if (!merge_) {
        std::string key(e->key());
        storage::FreeEntry(e);
        return Status::Error("Duplicate key '" + key + "' found in RDB file (database " +
                             std::to_string(db) + ")");
      }
      sh.Overwrite(link, e);
    } else {
      sh.Add(e, h);
    }
    // Access data saved under an LRU/LFU policy carries over when this
    // server tracks the same kind.
    if (lfu_freq >= 0 && storage::LfuMode()) {
      e->set_lru((e->lru() & 0xFFFF00) | uint32_t(lfu_freq & 0xFF));
    } else if (lru_idle_s >= 0 && !storage::LfuMode()) {
      e->set_lru((storage::LruClock() - uint32_t(lru_idle_s)) & 0xFFFFFF);
    }
    keys_++;
    return Status::Ok();
  }

  void OnProgress(uint64_t bytes) override {
    if (progress_ != nullptr) progress_(base_ + bytes);
  }

  // FUNCTION2 records: installed by the caller once the load is done and no
  // shard lock is held.
  Status OnFunction(std::string_view code) override {
    if (GetFunctionStore() == nullptr) {
      return Status::Error("RDB contains function libraries and nothing can load them");
    }
    functions_.emplace_back(code);
    return Status::Ok();
  }
  std::vector<std::string>& functions() { return functions_; }

  uint64_t keys() const { return keys_; }
  uint64_t expired() const { return expired_; }
  const std::string& repl_id() const { return repl_id_; }
  const std::string& repl_offset() const { return repl_offset_; }
  int repl_stream_db() const { return repl_stream_db_; }

 private:
  storage::Keyspace& ks_;
  std::vector<std::string> functions_;
  bool merge_;
  bool skip_expired_;
  std::function<void(uint64_t)> progress_;
  uint64_t base_;
  int64_t now_;
  int64_t key_delay_;
  uint64_t keys_ = 0, expired_ = 0;
  std::string repl_id_, repl_offset_;
  int repl_stream_db_ = 0;
};

}  // namespace

DatasetLoader::DatasetLoader(ServerHooks& hooks, AofWriter& aof) : hooks_(hooks), aof_(aof) {
  // Clients that connect before LoadAtStartup is done must not see an empty
  // dataset. A sentinel has no dataset to load.
  loading_.store(!hooks.config().sentinel_mode());
}

// ---------------------------------------------------------------- progress

void DatasetLoader::BeginLoading(uint64_t total) {
  last_progress_log_ms_ = NowMs();
  loading_total_.store(total);
  loading_loaded_.store(0);
  loaded_exact_ = 0;
  loading_start_ms_.store(NowMs());  // last: INFO shows loading once this is set
  loading_.store(true);
  hooks_.write_log().SetSuspended(true);
}

void DatasetLoader::NoteLoadProgress(uint64_t loaded) {
  // loading-process-events-interval-bytes: Redis stops loading every that
  // many bytes to serve clients and publish its progress. Basalt's workers
  // serve clients (-LOADING) all along; the progress INFO shows
  // (loading_loaded_bytes) moves in steps of that size, as in Redis.
  loaded_exact_ = loaded;
  uint64_t step = uint64_t(hooks_.config().loading_process_events_interval_bytes());
  uint64_t shown = loading_loaded_.load(std::memory_order_relaxed);
  if (loaded >= shown && loaded - shown < step) return;
  loading_loaded_.store(loaded, std::memory_order_relaxed);
  int64_t now = NowMs();
  if (now - last_progress_log_ms_ < 5000) return;
  last_progress_log_ms_ = now;
  uint64_t total = loading_total_.load();
  Log(LogLevel::kNotice, "Loading the dataset: %.0f%% (%llu of %llu MB)",
      total ? 100.0 * double(loaded) / double(total) : 0.0, (unsigned long long)(loaded >> 20),
      (unsigned long long)(total >> 20));
}

void DatasetLoader::EndLoading() { hooks_.write_log().SetSuspended(false); }

void DatasetLoader::FillInfo(InfoFields* i) const {
  // From the start of process until a file is opened there is nothing to
  // report; commands are refused all the same (loading()).
  i->async_loading = async_loading_.load();
  i->loading = loading() && loading_start_ms_.load() != 0;
  if (!i->loading) return;
  int64_t now = NowMs();
  i->loading_start_time = loading_start_ms_.load() / 1000;
  i->loading_total_bytes = loading_total_.load();
  i->loading_loaded_bytes = loading_loaded_.load();
  i->loading_loaded_perc = i->loading_total_bytes ? 100.0 * double(i->loading_loaded_bytes) /
                                                        double(i->loading_total_bytes)
                                                  : 0;
  i->loading_elapsed_seconds = (now - loading_start_ms_.load()) / 1000;
  double rate = i->loading_elapsed_seconds > 0
                    ? double(i->loading_loaded_bytes) / double(i->loading_elapsed_seconds)
                    : 0;
  i->loading_eta_seconds =
      rate > 0 ? int64_t(double(i->loading_total_bytes - i->loading_loaded_bytes) / rate) : 1;
}

// ---------------------------------------------------------------- RDB

Status DatasetLoader::LoadRdbFile(const std::string& path, bool merge, bool aof_preamble,
                                  ReplicationAux* repl) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open " + path + ": " + ErrnoText());
  FdSource src(fd);
  KeyspaceLoader loader(
      hooks_.keyspace(), merge, !aof_preamble, [this](uint64_t n) { NoteLoadProgress(n); },
      loaded_exact_, hooks_.config().key_load_delay());
  Status st = LoadRdb(src, hooks_.keyspace().db_count(), RdbLimitsOf(hooks_.config()), loader);
  ::close(fd);
  if (!st.ok()) return Status::Error("Error loading " + path + ": " + st.message());
  loaded_functions_ = std::move(loader.functions());
  if (loader.expired() > 0) {
    Log(LogLevel::kNotice, "Done loading RDB, keys loaded: %llu, keys expired: %llu.",
        (unsigned long long)loader.keys(), (unsigned long long)loader.expired());
  }
  if (repl != nullptr && !loader.repl_id().empty() && !loader.repl_offset().empty()) {
    repl->replid = loader.repl_id();
    repl->offset = std::atoll(loader.repl_offset().c_str());
    repl->stream_db = loader.repl_stream_db();
  }
  return Status::Ok();
}

void DatasetLoader::EmptyKeyspace(bool async) {
  storage::Keyspace& ks = hooks_.keyspace();
  for (int d = 0; d < ks.db_count(); d++) {
    for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) {
      storage::ShardLock lock(ks.db(d).shard(s));
      ks.db(d).shard(s).Clear(async);
    }
  }
}

Status DatasetLoader::LoadFromPrimary(RdbSource& src, uint64_t total, ReplicationAux* aux,
                                      std::function<void(uint64_t)> progress) {
  BeginLoading(total);
  // replica-lazy-flush: the old dataset is freed in the background.
  const bool lazy = hooks_.config().replica_lazy_flush();
  EmptyKeyspace(lazy);
  KeyspaceLoader loader(
      hooks_.keyspace(), false, false,
      [this, &progress](uint64_t n) {
        NoteLoadProgress(n);
        if (progress) progress(n);
      },
      0, hooks_.config().key_load_delay());
  Status st = LoadRdb(src, hooks_.keyspace().db_count(), RdbLimitsOf(hooks_.config()), loader);
  if (!st.ok()) EmptyKeyspace(lazy);
  if (st.ok()) st = InstallFunctions(loader.functions(), true);
  EndLoading();
  loading_.store(false, std::memory_order_release);
  if (!st.ok()) return st;
  aux->replid = loader.repl_id();
  aux->offset = loader.repl_offset().empty() ? -1 : std::atoll(loader.repl_offset().c_str());
  aux->stream_db = loader.repl_stream_db();
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: %llu keys loaded",
      (unsigned long long)loader.keys());
  return Status::Ok();
}

Status DatasetLoader::LoadFromPrimarySwapdb(RdbSource& src, ReplicationAux* aux,
                                            std::function<void(uint64_t)> progress) {
  // repl-diskless-load swapdb: the snapshot is parsed into a second dataset
  // of the same shape while the current one keeps serving (no -LOADING);
  // once it is complete, every shard's contents are swapped under all the
  // shard locks. A failed transfer leaves the current dataset as it was.
  storage::Keyspace& ks = hooks_.keyspace();
  auto shadow = std::make_unique<storage::Keyspace>(ks.db_count(), ks.shards_per_db());
  async_loading_.store(true);
  KeyspaceLoader loader(*shadow, false, false, std::move(progress), 0,
                        hooks_.config().key_load_delay());
  Status st = LoadRdb(src, ks.db_count(), RdbLimitsOf(hooks_.config()), loader);
  async_loading_.store(false);
  const bool lazy = hooks_.config().replica_lazy_flush();
  if (st.ok()) {
    storage::LockSet locks;
    for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
    locks.Acquire();
    for (int d = 0; d < ks.db_count(); d++) {
      for (uint32_t i = 0; i < ks.db(d).shard_count(); i++) {
        storage::Shard& loaded = shadow->db(d).shard(i);
        std::lock_guard<std::mutex> guard(loaded.mu);  // private to this thread; for REQUIRES
        ks.db(d).shard(i).SwapContents(loaded);
      }
    }
    locks.Release();
    st = InstallFunctions(loader.functions(), true);
  } else {
    Log(LogLevel::kWarning,
        "Failed trying to load the MASTER synchronization DB from socket, "
        "the current dataset is kept (repl-diskless-load swapdb)");
  }
  // The shadow now holds the old dataset (or the partial new one).
  for (int d = 0; d < shadow->db_count(); d++) {
    for (uint32_t i = 0; i < shadow->db(d).shard_count(); i++) {
      std::lock_guard<std::mutex> guard(shadow->db(d).shard(i).mu);
      shadow->db(d).shard(i).Clear(lazy);
    }
  }
  if (!st.ok()) return st;
  aux->replid = loader.repl_id();
  aux->offset = loader.repl_offset().empty() ? -1 : std::atoll(loader.repl_offset().c_str());
  aux->stream_db = loader.repl_stream_db();
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: %llu keys loaded, swapped in",
      (unsigned long long)loader.keys());
  return Status::Ok();
}

Status DatasetLoader::InstallFunctions(std::vector<std::string>& codes, bool replace) {
  FunctionStore* store = GetFunctionStore();
  std::vector<std::string> taken;
  taken.swap(codes);
  if (store == nullptr || (taken.empty() && !replace)) return Status::Ok();
  return store->Install(taken, replace);
}

Status DatasetLoader::Reload(bool flush, bool merge) {
  storage::Keyspace& ks = hooks_.keyspace();
  storage::LockSet locks;
  for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  locks.Acquire();
  if (flush) {
    for (int d = 0; d < ks.db_count(); d++) {
      for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) ks.db(d).shard(s).Clear(false);
    }
  }
  // The locks are held by this thread; let the loader's ShardLocks skip them.
  storage::SetTransactionLocks(&locks.shards(), true);
  Status st = LoadRdbFile(hooks_.config().dbfilename(), merge, false, nullptr);
  storage::SetTransactionLocks(nullptr, false);
  locks.Release();
  if (st.ok()) st = InstallFunctions(loaded_functions_, flush || !merge);
  if (!st.ok()) return Status::Error("ERR Error trying to load the RDB dump: " + st.message());
  return Status::Ok();
}

// ---------------------------------------------------------------- start-up

Status DatasetLoader::LoadAtStartup() {
  // Nothing but the loading-safe commands runs until the dataset is in.
  loading_.store(true);
  Status st = LoadDataset();
  // On failure the process exits: stay "loading" so nobody sees a partial dataset.
  if (st.ok()) loading_.store(false, std::memory_order_release);
  return st;
}

Status DatasetLoader::LoadDataset() {
  const Config& c = hooks_.config();
  if (c.appendonly()) {
    std::string manifest = c.appenddirname() + "/" + AofManifest::ManifestName(c.appendfilename());
    aof_.SetDirectory(c.appenddirname());
    if (!FileExists(manifest)) return CreateAofOnStart();
    int64_t start = NowMs();
    Status st = LoadAofSet();
    if (!st.ok()) return st;
    Log(LogLevel::kNotice, "DB loaded from append only file: %.3f seconds",
        double(NowMs() - start) / 1000);
    return Status::Ok();
  }
  std::string path = c.dbfilename();
  if (!FileExists(path)) return Status::Ok();
  int64_t start = NowMs();
  BeginLoading(FileSize(path));
  ReplicationAux repl;
  Status st = LoadRdbFile(path, false, false, &repl);
  if (st.ok()) st = InstallFunctions(loaded_functions_, true);
  EndLoading();
  hooks_.AddDirty(-hooks_.dirty());
  if (!st.ok()) return st;
  // Replicas (ours, or our primary) may continue partially from here.
  if (repl.offset >= 0) hooks_.RestoreReplication(repl.replid, repl.offset, repl.stream_db);
  Log(LogLevel::kNotice, "DB loaded from disk: %.3f seconds", double(NowMs() - start) / 1000);
  return Status::Ok();
}

Status DatasetLoader::CreateAofOnStart() {
  std::error_code ec;
  std::filesystem::create_directories(aof_.directory(), ec);
  if (ec) {
    return Status::Error("Can't create the AOF directory " + aof_.directory() + ": " +
                         ec.message());
  }
  const std::string& prefix = hooks_.config().appendfilename();
  AofManifest m;
  m.cur_base_seq = 1;
  m.cur_incr_seq = 1;
  bool preamble = hooks_.config().aof_use_rdb_preamble();
  std::string base = AofManifest::BaseName(prefix, 1, preamble);
  Log(LogLevel::kNotice, "Creating AOF base file %s on server start", base.c_str());
  {
    Snapshot snap(hooks_.keyspace(), SnapshotOptionsFor(hooks_.config(), !preamble));
    snap.Begin([&] { return RdbAuxFields(hooks_, true, hooks_.write_log().offset()); });
    Status st = WriteSnapshotFile(snap, aof_.Path("temp-" + base), aof_.Path(base), true);
    if (!st.ok()) return st;
  }
  m.base = AofFileInfo{base, 1, AofFileType::kBase};
  std::string incr = AofManifest::IncrName(prefix, 1);
  Log(LogLevel::kNotice, "Creating AOF incr file %s on server start", incr.c_str());
  m.incr.push_back(AofFileInfo{incr, 1, AofFileType::kIncr});
  return aof_.Start(m, true);
}

Status DatasetLoader::ReplayAofCommands(const std::string& path, bool is_last) {
  int fd = ::open(path.c_str(), is_last ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error("Can't open the append-only file " + path + ": " + ErrnoText());
  AofReader reader(fd);
  // The commands run through the server's executor (a detached session of
  // origin kLoader: admitted while loading, no statistics); replies are
  // dropped.
  std::unique_ptr<CommandReplayer> replayer = hooks_.NewCommandReplayer();
  std::vector<std::string> argv;
  std::vector<std::string_view> views;
  uint64_t base = loaded_exact_;
  uint64_t multi_offset = 0;
  Status result = Status::Ok();
  for (;;) {
    auto r = reader.Next(&argv);
    if (r == AofReader::Result::kEnd) break;
    if (r == AofReader::Result::kTruncated) {
      if (is_last && hooks_.config().aof_load_truncated()) {
        Log(LogLevel::kWarning, "!!! Warning: short read while loading the AOF file %s!!!",
            path.c_str());
        Log(LogLevel::kWarning, "!!! Truncating the AOF %s at offset %llu !!!", path.c_str(),
            (unsigned long long)reader.valid_up_to());
        if (ftruncate(fd, off_t(reader.valid_up_to())) != 0) {
          result = Status::Error("Error truncating the AOF file " + path + ": " + ErrnoText());
        } else {
          Log(LogLevel::kWarning, "AOF %s loaded anyway because aof-load-truncated is enabled",
              path.c_str());
        }
      } else {
        result = Status::Error(
            "Unexpected end of file reading the append only file " + path + " at offset " +
            std::to_string(reader.error_offset()) +
            (is_last ? ". You can: 1) Make a backup of your AOF file, then use ./redis-check-aof "
                       "--fix <filename.manifest>. 2) Alternatively you can set the "
                       "'aof-load-truncated' configuration option to yes and restart the server."
                     : " (not the last file of the AOF, so it can't be truncated)"));
      }
      break;
    }
    if (r == AofReader::Result::kCorrupt) {
      std::string why = reader.error();
      // The reader's reason starts with the generic phrase; keep only the detail.
      std::string_view generic = "Bad file format reading the append only file: ";
      if (std::string_view(why).starts_with(generic)) why.erase(0, generic.size());
      result = Status::Error("Bad file format reading the append only file " + path +
                             " at offset " + std::to_string(reader.error_offset()) + ": " + why);
      break;
    }
    if (!replayer->IsKnownCommand(argv[0])) {
      result = Status::Error("Unknown command '" + argv[0] + "' reading the append only file " +
                             path + " at offset " + std::to_string(reader.valid_up_to()));
      break;
    }
    if (argv.size() == 1 && !replayer->in_multi() && (argv[0] == "MULTI" || argv[0] == "multi")) {
      multi_offset = reader.command_offset();
    }
    views.assign(argv.begin(), argv.end());
    replayer->Run(views);
    NoteLoadProgress(base + reader.bytes_read());
  }
  if (result.ok() && replayer->in_multi()) {
    // A MULTI without its EXEC at the end: the transaction never committed.
    // Cut it off, or commands appended later would land inside it.
    replayer->DiscardMulti();
    if (is_last && hooks_.config().aof_load_truncated()) {
      Log(LogLevel::kWarning, "Revert incomplete MULTI/EXEC transaction in AOF file %s",
          path.c_str());
      if (ftruncate(fd, off_t(multi_offset)) != 0) {
        result = Status::Error("Error truncating the AOF file " + path + ": " + ErrnoText());
      }
    } else {
      result = Status::Error("Revert incomplete MULTI/EXEC transaction in AOF file " + path +
                             " is not possible (aof-load-truncated is off, or it is not the "
                             "last file)");
    }
  }
  ::close(fd);
  return result;
}

Status DatasetLoader::LoadAofSet() {
  const Config& c = hooks_.config();
  std::string manifest_path = aof_.Path(AofManifest::ManifestName(c.appendfilename()));
  auto parsed = ReadAofManifest(manifest_path);
  if (!parsed.ok()) return parsed.status();
  AofManifest m = *parsed;
  if (!m.base && m.incr.empty()) return CreateAofOnStart();
  uint64_t total = 0;
  if (m.base) total += FileSize(aof_.Path(m.base->name));
  for (const auto& f : m.incr) total += FileSize(aof_.Path(f.name));
  BeginLoading(total);
  Status st = Status::Ok();
  if (m.base) {
    std::string path = aof_.Path(m.base->name);
    char magic[5] = {};
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      st = Status::Error("Can't open the AOF base file " + path + ": " + ErrnoText());
    } else {
      ssize_t n = ::read(fd, magic, 5);
      ::close(fd);
      if (n == 5 && memcmp(magic, "REDIS", 5) == 0) {
        Log(LogLevel::kNotice, "Reading RDB base file on AOF loading...");
        st = LoadRdbFile(path, false, true, nullptr);
        if (st.ok()) st = InstallFunctions(loaded_functions_, true);
      } else {
        st = ReplayAofCommands(path, m.incr.empty());
      }
      if (st.ok()) {
        Log(LogLevel::kNotice, "DB loaded from base file %s", m.base->name.c_str());
      }
    }
  }
  for (size_t i = 0; st.ok() && i < m.incr.size(); i++) {
    std::string path = aof_.Path(m.incr[i].name);
    if (!FileExists(path)) {
      st = Status::Error("The AOF file " + m.incr[i].name + " doesn't exist");
      break;
    }
    st = ReplayAofCommands(path, i + 1 == m.incr.size());
    if (st.ok()) Log(LogLevel::kNotice, "DB loaded from incr file %s", m.incr[i].name.c_str());
  }
  EndLoading();
  hooks_.AddDirty(-hooks_.dirty());
  if (!st.ok()) return st;
  // Continue in the last incremental file, or start one.
  bool need_new = m.incr.empty();
  if (need_new) {
    m.cur_incr_seq++;
    m.incr.push_back(AofFileInfo{AofManifest::IncrName(c.appendfilename(), m.cur_incr_seq),
                                 m.cur_incr_seq, AofFileType::kIncr});
  }
  return aof_.Start(m, need_new);
}

}  // namespace basalt::persistence
