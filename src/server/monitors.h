// Monitors: the clients in MONITOR mode, and delivery of MONITOR lines to
// them (commands::MonitorFeed).
//
// A line is appended directly to a monitor owned by the calling worker and
// posted to the owning worker otherwise, so a Client is still only touched
// by its own thread. Posts to one worker run in the order they were made:
// lines fed by one thread reach each monitor in that order.
//
// Thread-safety: every method from any thread; the list is guarded by mu_.
// A client leaves the list (Remove) before it is destroyed (Client::Close).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "commands/monitor.h"

namespace basalt::server {

class Client;
class Worker;

class Monitors final : public commands::MonitorFeed {
 public:
  bool Add(commands::Session& s) override;
  void Remove(commands::Session& s) override;
  void Feed(std::string line) override;

 private:
  struct Target {
    Client* client;
    uint64_t id;
    Worker* worker;
  };
  std::mutex mu_;
  std::vector<Target> targets_;  // Guarded by mu_.
};

}  // namespace basalt::server
