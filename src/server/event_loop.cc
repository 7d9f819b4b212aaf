#include "server/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "common/clock.h"
#include "common/logging.h"

namespace basalt::server {

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  Add(wakefd_, EPOLLIN, &waker_);
}

EventLoop::~EventLoop() {
  close(wakefd_);
  close(epfd_);
}

bool EventLoop::Add(int fd, uint32_t events, EventHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::Modify(int fd, uint32_t events, EventHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
    has_posted_.store(true, std::memory_order_release);
  }
  uint64_t one = 1;
  ssize_t ignored = write(wakefd_, &one, sizeof(one));
  (void)ignored;
}

void EventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t ignored = write(wakefd_, &one, sizeof(one));
  (void)ignored;
}

void EventLoop::Waker::OnEvent(uint32_t) {
  uint64_t v;
  ssize_t ignored = read(loop_->wakefd_, &v, sizeof(v));
  (void)ignored;
}

void EventLoop::AddTimer(std::function<int64_t()> period_ms, std::function<void()> fn) {
  int64_t first = MonotonicUs() + period_ms() * 1000;
  timers_.push_back(Timer{std::move(period_ms), std::move(fn), first});
}

void EventLoop::RunPosted() {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& t : tasks) t();
}

void EventLoop::RunTimers() {
  int64_t now = MonotonicUs();
  for (auto& t : timers_) {
    if (now >= t.next_us) {
      t.fn();
      t.next_us = now + std::max<int64_t>(1, t.period()) * 1000;
    }
  }
}

void EventLoop::PollOnce(const EventHandler* skip) {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd_, events, kMaxEvents, 0);
  for (int i = 0; i < n; i++) {
    auto* h = static_cast<EventHandler*>(events[i].data.ptr);
    if (h == skip || h == &waker_) continue;
    h->OnEvent(events[i].events);
  }
}

void EventLoop::Run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return;
    int64_t now = MonotonicUs();
    int64_t wait_ms = max_wait_ms_;
    for (auto& t : timers_) wait_ms = std::min<int64_t>(wait_ms, (t.next_us - now + 999) / 1000);
    if (wait_ms < 0) wait_ms = 0;
    handling_since_us_.store(0, std::memory_order_relaxed);
    int n = epoll_wait(epfd_, events, kMaxEvents, int(wait_ms));
    handling_since_us_.store(MonotonicUs(), std::memory_order_relaxed);
    for (int i = 0; i < n; i++) {
      static_cast<EventHandler*>(events[i].data.ptr)->OnEvent(events[i].events);
    }
    RunPosted();
    RunTimers();
    if (after_events_) after_events_();
  }
}

}  // namespace basalt::server
