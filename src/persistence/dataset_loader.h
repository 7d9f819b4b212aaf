// DatasetLoader: puts a dataset into the keyspace. At start-up it loads the
// AOF (its manifest's base, RDB or commands, then the incremental files,
// whose commands are replayed through the server's executor) when
// appendonly is on, else the RDB file `dbfilename`, and then opens the AOF
// for appending (AofWriter::Start). It also loads a replica's full sync from
// its primary, and DEBUG RELOAD's file. While it loads, the server answers
// -LOADING (loading()) and the write log takes nothing.
//
// Thread-safety: loading() and FillInfo may be called from any thread. The
// loads run on the calling thread (start-up: the main thread; a full sync:
// the replica's link thread; DEBUG RELOAD: a worker), one at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace basalt::persistence {

class AofWriter;
class RdbSource;
class ServerHooks;
struct InfoFields;

// Replication facts an RDB file records (aux fields).
struct ReplicationAux {
  std::string replid;
  int64_t offset = -1;
  int stream_db = 0;
};

class DatasetLoader {
 public:
  // Loading until LoadAtStartup is done (a sentinel has nothing to load).
  DatasetLoader(ServerHooks& hooks, AofWriter& aof);
  DatasetLoader(const DatasetLoader&) = delete;
  DatasetLoader& operator=(const DatasetLoader&) = delete;

  // Loads the dataset at start-up (the AOF when appendonly is on, else the
  // RDB file) and opens the AOF. Clients get -LOADING meanwhile. An error
  // names the file, offset and reason; the caller exits.
  Status LoadAtStartup();
  bool loading() const { return loading_.load(std::memory_order_acquire); }

  // A replica's full sync: empties the keyspace (in the background with
  // replica-lazy-flush) and loads the primary's snapshot from `src` (the
  // socket, or the file it was stored in; clients get -LOADING meanwhile). `total` is its size
  // when known (0: streamed). On failure the keyspace is left empty.
  // REQUIRES: the caller holds no shard lock.
  Status LoadFromPrimary(RdbSource& src, uint64_t total, ReplicationAux* aux,
                         std::function<void(uint64_t)> progress);

  // repl-diskless-load swapdb: loads the snapshot from `src` into a second
  // dataset while clients keep reading the current one, then swaps it in;
  // on failure the current dataset is kept. REQUIRES: no shard lock.
  Status LoadFromPrimarySwapdb(RdbSource& src, ReplicationAux* aux,
                               std::function<void(uint64_t)> progress);

  // DEBUG RELOAD after its save: empties the keyspace (unless !flush) and
  // loads `dbfilename` (replacing duplicates when merge), every shard locked.
  // REQUIRES: no shard lock.
  Status Reload(bool flush, bool merge);

  // loading, and its progress while it lasts.
  void FillInfo(InfoFields* info) const;

 private:
  Status LoadDataset();
  Status LoadRdbFile(const std::string& path, bool merge, bool aof_preamble, ReplicationAux* repl);
  Status LoadAofSet();
  Status ReplayAofCommands(const std::string& path, bool is_last);
  // No manifest yet: an empty base, an incremental file, the manifest.
  Status CreateAofOnStart();
  void EmptyKeyspace(bool async);
  // Hands the libraries of the RDB just loaded to the FunctionStore
  // (replacing the current ones, or joining them); empties `codes`.
  Status InstallFunctions(std::vector<std::string>& codes, bool replace);
  void BeginLoading(uint64_t total);
  // Records bytes loaded so far; logs the progress every 5 seconds.
  void NoteLoadProgress(uint64_t loaded);
  void EndLoading();

  ServerHooks& hooks_;
  AofWriter& aof_;
  std::vector<std::string> loaded_functions_;  // FUNCTION2 records of the last LoadRdbFile
  std::atomic<bool> loading_{false};
  std::atomic<bool> async_loading_{false};  // LoadFromPrimarySwapdb runs (INFO async_loading)
  std::atomic<int64_t> loading_start_ms_{0};
  std::atomic<uint64_t> loading_total_{0}, loading_loaded_{0};
  int64_t last_progress_log_ms_ = 0;  // loading thread only
  uint64_t loaded_exact_ = 0;  // loading thread only: loading_loaded_ before rounding to steps
};

}  // namespace basalt::persistence
