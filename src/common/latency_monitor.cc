#include "common/latency_monitor.h"

#include "common/clock.h"

namespace basalt {

LatencyMonitor& LatencyMonitor::Process() {
  static LatencyMonitor* monitor = new LatencyMonitor();  // never destroyed: threads may
                                                          // record during exit
  return *monitor;
}

void LatencyMonitor::Add(std::string_view event, int64_t ms, int64_t now_s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  if (ms > s.max_ms) s.max_ms = ms;
  if (s.count > 0) {
    Sample& last = s.ring[(s.next + kMaxSamples - 1) % kMaxSamples];
    if (last.time_s == now_s) {
      // One sample per second: the worst of that second.
      if (ms > last.ms) last.ms = ms;
      return;
    }
  }
  s.ring[s.next] = Sample{now_s, ms};
  s.next = (s.next + 1) % kMaxSamples;
  if (s.count < kMaxSamples) s.count++;
}

LatencyMonitor::Event LatencyMonitor::ToEvent(const std::string& name, const Series& s) const {
  Event e;
  e.name = name;
  e.max_ms = s.max_ms;
  e.samples.reserve(s.count);
  size_t first = (s.next + kMaxSamples - s.count) % kMaxSamples;
  for (size_t i = 0; i < s.count; i++) e.samples.push_back(s.ring[(first + i) % kMaxSamples]);
  return e;
}

std::vector<LatencyMonitor::Event> LatencyMonitor::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Event> out;
  out.reserve(events_.size());
  for (const auto& [name, s] : events_) out.push_back(ToEvent(name, s));
  return out;
}

std::optional<LatencyMonitor::Event> LatencyMonitor::Get(std::string_view event) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) return std::nullopt;
  return ToEvent(it->first, it->second);
}

size_t LatencyMonitor::Reset(std::span<const std::string_view> events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (events.empty()) {
    size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (std::string_view name : events) {
    auto it = events_.find(name);
    if (it == events_.end()) continue;
    events_.erase(it);
    n++;
  }
  return n;
}

void RecordLatencySample(std::string_view event, int64_t ms) {
  LatencyMonitor::Process().Add(event, ms, NowMs() / 1000);
}

}  // namespace basalt
