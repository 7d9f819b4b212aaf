#include "server/monitors.h"

#include <algorithm>
#include <memory>

#include "server/client.h"
#include "server/worker.h"

namespace basalt::server {

bool Monitors::Add(commands::Session& s) {
  if (!s.is_connection()) return false;
  auto& c = static_cast<Client&>(s);
  std::lock_guard<std::mutex> lock(mu_);
  for (const Target& t : targets_) {
    if (t.client == &c) return false;
  }
  targets_.push_back(Target{&c, c.id, c.worker()});
  c.monitor.store(true, std::memory_order_relaxed);
  count_.store(int(targets_.size()), std::memory_order_relaxed);
  return true;
}

void Monitors::Remove(commands::Session& s) {
  if (!s.monitor.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mu_);
  targets_.erase(std::remove_if(targets_.begin(), targets_.end(),
                                [&](const Target& t) { return t.client == &s; }),
                 targets_.end());
  s.monitor.store(false, std::memory_order_relaxed);
  count_.store(int(targets_.size()), std::memory_order_relaxed);
}

void Monitors::Feed(std::string line) {
  Worker* current = Worker::Current();
  std::vector<Target> local;
  std::vector<Worker*> remote;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Target& t : targets_) {
      if (t.worker == current) {
        local.push_back(t);
      } else if (std::find(remote.begin(), remote.end(), t.worker) == remote.end()) {
        remote.push_back(t.worker);
      }
    }
  }
  // Same thread: the client cannot be destroyed before this returns.
  for (const Target& t : local) t.client->DeliverMonitor(line);
  if (remote.empty()) return;
  auto shared = std::make_shared<const std::string>(std::move(line));
  for (Worker* w : remote) {
    // The worker re-reads the list: a monitor gone meanwhile is skipped.
    w->Post([this, w, shared] {
      std::vector<uint64_t> ids;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Target& t : targets_) {
          if (t.worker == w) ids.push_back(t.id);
        }
      }
      for (uint64_t id : ids) {
        if (Client* c = w->FindClient(id)) c->DeliverMonitor(*shared);
      }
    });
  }
}

}  // namespace basalt::server
