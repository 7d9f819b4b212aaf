#include "commands/watch_registry.h"

#include <cstring>

#include "commands/session.h"

namespace basalt::commands {
namespace {
std::string WatchKey(int db, std::string_view key) {
  std::string k(reinterpret_cast<const char*>(&db), sizeof(db));
  k.append(key);
  return k;
}
}  // namespace

void WatchRegistry::Add(Session* s, int db, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  watched_[WatchKey(db, key)].push_back(s);
  keys_.store(watched_.size(), std::memory_order_relaxed);
}

void WatchRegistry::RemoveAll(Session* s) {
  if (s->has_watches()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = watched_.begin(); it != watched_.end();) {
      std::erase(it->second, s);
      it = it->second.empty() ? watched_.erase(it) : std::next(it);
    }
    keys_.store(watched_.size(), std::memory_order_relaxed);
  }
  s->ClearWatches();
  s->watch_dirty_.store(false);
}

void WatchRegistry::Touch(int db, std::string_view key) {
  if (keys_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watched_.find(WatchKey(db, key));
  if (it == watched_.end()) return;
  for (Session* s : it->second) s->watch_dirty_.store(true);
}

void WatchRegistry::TouchInDb(int db, const std::function<bool(std::string_view)>& exists) {
  if (keys_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, sessions] : watched_) {
    int kdb;
    memcpy(&kdb, k.data(), sizeof(kdb));
    if (kdb != db) continue;
    if (!exists(std::string_view(k).substr(sizeof(kdb)))) continue;
    for (Session* s : sessions) s->watch_dirty_.store(true);
  }
}

}  // namespace basalt::commands
