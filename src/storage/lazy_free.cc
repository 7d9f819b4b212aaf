#include "storage/lazy_free.h"

namespace basalt::storage {

LazyFreer::LazyFreer() : thread_([this] { Run(); }) {}

LazyFreer::~LazyFreer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LazyFreer::SubmitEntry(Entry* e) {
  pending_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(e);
  }
  cv_.notify_one();
}

void LazyFreer::SubmitTable(std::unique_ptr<Table> t) {
  pending_.fetch_add(t->size(), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    tables_.push_back(std::move(t));
  }
  cv_.notify_one();
}

void LazyFreer::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return entries_.empty() && tables_.empty() && !busy_; });
}

void LazyFreer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !entries_.empty() || !tables_.empty(); });
    if (entries_.empty() && tables_.empty()) {
      if (stop_) return;
      continue;
    }
    std::deque<Entry*> entries;
    entries.swap(entries_);
    std::deque<std::unique_ptr<Table>> tables;
    tables.swap(tables_);
    busy_ = true;
    lock.unlock();
    for (Entry* e : entries) FreeEntry(e);
    size_t n = entries.size();
    for (auto& t : tables) {
      n += t->size();
      t->Clear([](Entry* e) { FreeEntry(e); });
    }
    tables.clear();
    pending_.fetch_sub(n, std::memory_order_relaxed);
    freed_.fetch_add(n, std::memory_order_relaxed);
    lock.lock();
    busy_ = false;
    idle_cv_.notify_all();
  }
}

}  // namespace basalt::storage
