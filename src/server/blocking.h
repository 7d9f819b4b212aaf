// BlockingRegistry: clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, ...).
//
// A blocked client stays on its own worker thread. When a key it waits on
// changes, the registry posts a wake-up to the worker of the *first* client
// waiting on that key; that client re-runs its command there. If it gets an
// element it unblocks and passes the wake-up to the next waiter, so clients
// are served in the order they blocked (FIFO per key); if another client got
// there first, it keeps its place in the queue.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace basalt::server {

class Client;
class Worker;

class BlockingRegistry {
 public:
  // Registers c as waiting on every key (in database db).
  void Block(Client* c, int db, const std::vector<std::string>& keys);
  // Removes c from every queue (served, timed out, unblocked, closed).
  void Unblock(Client* c, int db, const std::vector<std::string>& keys);
  // Wakes the first waiter of (db, key), if any. Cheap when nobody blocks.
  void Signal(int db, std::string_view key);
  // Wakes every waiter of (db, key): a stream write may serve all its
  // XREAD readers, and a deleted stream or group ends XREADGROUP waits.
  void SignalAll(int db, std::string_view key);
  // Wakes, for every key of database db, its first waiter and every stream
  // reader (SWAPDB brought other values in; FLUSHDB/FLUSHALL removed them,
  // which ends XREADGROUP waits whoever is ahead of them in the queue).
  void SignalDb(int db);
  size_t blocked_clients() const { return blocked_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    Client* client = nullptr;
    uint64_t id = 0;
    Worker* worker = nullptr;
    bool stream = false;  // XREAD / XREADGROUP: not served in FIFO order
  };
  static void Post(const Waiter& w);
  static std::string Key(int db, std::string_view key);
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Waiter>> queues_;  // Guarded by mu_.
  std::atomic<size_t> blocked_{0};
  std::atomic<size_t> queued_keys_{0};
};

}  // namespace basalt::server
