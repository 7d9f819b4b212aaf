// EventLoop: one epoll loop per worker thread.
//
// Each worker thread owns one loop and every connection accepted onto it; a
// command is parsed and executed on that thread. Other threads reach a loop
// only through Post(), which queues a task and wakes the loop via an eventfd
// (used for CLIENT KILL, CLIENT UNPAUSE, shutdown).
//
// Thread-safety: Post() and Stop() from any thread; everything else only on
// the loop's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace basalt::server {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void OnEvent(uint32_t events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool Add(int fd, uint32_t events, EventHandler* h);
  bool Modify(int fd, uint32_t events, EventHandler* h);
  void Remove(int fd);

  // Runs `fn` on the loop thread soon. Thread-safe.
  void Post(std::function<void()> fn);
  // Calls `fn` every `period_ms` (re-read from `period` each time if set).
  void AddTimer(std::function<int64_t()> period_ms, std::function<void()> fn);
  // Runs `fn` at the end of every loop iteration, after events (flushes).
  void SetAfterEvents(std::function<void()> fn) { after_events_ = std::move(fn); }
  // Caps how long epoll_wait sleeps (e.g. 10 ms while clients are paused).
  void SetMaxWaitMs(int ms) { max_wait_ms_ = ms; }

  void Run();
  // One non-blocking round of socket events, from inside a handler (a script
  // past its busy threshold lets the worker's other connections get -BUSY):
  // `skip` (the script's own connection) and cross-thread wake-ups are left
  // for later, and no posted task or timer runs.
  void PollOnce(const EventHandler* skip);
  // How long the loop has been inside its handlers without going back to
  // epoll_wait (0 when waiting): a long script shows here. Any thread.
  int64_t handling_for_us() const {
    int64_t since = handling_since_us_.load(std::memory_order_relaxed);
    return since == 0 ? 0 : MonotonicUs() - since;
  }
  void Stop();  // Thread-safe.

 private:
  struct Timer {
    std::function<int64_t()> period;
    std::function<void()> fn;
    int64_t next_us;
  };
  class Waker : public EventHandler {
   public:
    explicit Waker(EventLoop* l) : loop_(l) {}
    void OnEvent(uint32_t) override;

   private:
    EventLoop* loop_;
  };
  void RunPosted();
  void RunTimers();

  int epfd_;
  std::atomic<int64_t> handling_since_us_{0};
  int wakefd_;
  Waker waker_{this};
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;  // Guarded by mu_.
  // Lets an iteration skip the mutex when nothing was posted.
  std::atomic<bool> has_posted_{false};
  std::atomic<bool> stop_{false};
  std::vector<Timer> timers_;
  std::function<void()> after_events_;
  int max_wait_ms_ = 1000;
};

}  // namespace basalt::server
