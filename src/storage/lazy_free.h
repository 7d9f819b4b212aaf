// LazyFreer: a background thread that frees large values and whole flushed
// tables, so UNLINK, FLUSHALL ASYNC and lazyfree-* never stall an event loop.
// Thread-safety: Submit may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/entry.h"
#include "storage/table.h"

namespace basalt::storage {

class LazyFreer {
 public:
  LazyFreer();
  ~LazyFreer();
  void SubmitEntry(Entry* e);
  void SubmitTable(std::unique_ptr<Table> t);
  // Objects queued or being freed (INFO lazyfree_pending_objects).
  size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  size_t freed() const { return freed_.load(std::memory_order_relaxed); }
  // Blocks until the queue is empty (tests, shutdown).
  void Drain();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Entry*> entries_;                 // Guarded by mu_.
  std::deque<std::unique_ptr<Table>> tables_;  // Guarded by mu_.
  bool stop_ = false;                          // Guarded by mu_.
  bool busy_ = false;                          // Guarded by mu_.
  std::atomic<size_t> pending_{0};
  std::atomic<size_t> freed_{0};
  std::thread thread_;
};

}  // namespace basalt::storage
