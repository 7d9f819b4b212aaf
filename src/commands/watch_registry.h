// WatchRegistry: which sessions WATCH which (db, key), so that a write marks
// them dirty and their EXEC fails. Owned by the host; the executor adds and
// drops watches, every write path touches keys.
//
// Thread-safety: every method may be called from any thread (one mutex);
// Touch is a relaxed load when nothing is watched.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace basalt::commands {

class Session;

class WatchRegistry {
 public:
  void Add(Session* s, int db, std::string_view key);
  // Drops every watch of s and clears its watch state. Owner thread of s.
  void RemoveAll(Session* s);
  // Marks the watchers of (db, key) dirty.
  void Touch(int db, std::string_view key);
  // FLUSHDB/FLUSHALL/SWAPDB: marks watchers of keys of `db` for which
  // exists(key) is true. REQUIRES: the db's shards are locked by the caller.
  void TouchInDb(int db, const std::function<bool(std::string_view)>& exists);

 private:
  std::mutex mu_;
  // (db, key) -> sessions watching it. Guarded by mu_.
  std::unordered_map<std::string, std::vector<Session*>> watched_;
  std::atomic<size_t> keys_{0};
};

}  // namespace basalt::commands
