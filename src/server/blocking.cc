#include "server/blocking.h"

#include <cstring>

#include "server/client.h"
#include "server/server.h"

namespace basalt::server {

std::string BlockingRegistry::Key(int db, std::string_view key) {
  std::string k(reinterpret_cast<const char*>(&db), sizeof(db));
  k.append(key);
  return k;
}

void BlockingRegistry::Block(Client* c, int db, const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : keys) {
    auto& q = queues_[Key(db, key)];
    bool present = false;
    for (const Waiter& w : q) present = present || w.client == c;
    if (!present) q.push_back(Waiter{c, c->id, c->worker(), c->blocked_on_stream()});
  }
  blocked_.fetch_add(1, std::memory_order_relaxed);
  queued_keys_.store(queues_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::Unblock(Client* c, int db, const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : keys) {
    auto it = queues_.find(Key(db, key));
    if (it == queues_.end()) continue;
    std::erase_if(it->second, [c](const Waiter& w) { return w.client == c; });
    if (it->second.empty()) queues_.erase(it);
  }
  blocked_.fetch_sub(1, std::memory_order_relaxed);
  queued_keys_.store(queues_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::Post(const Waiter& waiter) {
  Worker* w = waiter.worker;
  uint64_t id = waiter.id;
  w->loop().Post([w, id] {
    if (Client* c = w->FindClient(id)) c->RetryBlocked();
  });
}

void BlockingRegistry::Signal(int db, std::string_view key) {
  if (queued_keys_.load(std::memory_order_relaxed) == 0) return;
  Waiter head;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = queues_.find(Key(db, key));
    if (it == queues_.end() || it->second.empty()) return;
    head = it->second.front();
  }
  Post(head);
}

void BlockingRegistry::SignalAll(int db, std::string_view key) {
  if (queued_keys_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Waiter> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = queues_.find(Key(db, key));
    if (it == queues_.end() || it->second.empty()) return;
    all.assign(it->second.begin(), it->second.end());
  }
  for (const Waiter& w : all) Post(w);
}

void BlockingRegistry::SignalDb(int db) {
  if (queued_keys_.load(std::memory_order_relaxed) == 0) return;
  std::vector<Waiter> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, q] : queues_) {
      int d;
      std::memcpy(&d, k.data(), sizeof(d));
      if (d != db || q.empty()) continue;
      wake.push_back(q.front());
      for (size_t i = 1; i < q.size(); i++) {
        if (q[i].stream) wake.push_back(q[i]);
      }
    }
  }
  // A client waiting on several keys may be listed more than once; a wake-up
  // of a client no longer blocked is a no-op (RetryBlocked checks).
  for (const Waiter& w : wake) Post(w);
}

}  // namespace basalt::server
