// LatencyMonitor: the samples behind LATENCY LATEST / HISTORY / GRAPH /
// DOCTOR / RESET (Redis's latency monitor).
//
// Code paths that can stall a worker (a slow command, the expiry cycle,
// eviction, an AOF write or fsync) time themselves and call
// RecordLatency(event, ms, threshold) with latency-monitor-threshold; only a
// duration at or above a non-zero threshold reaches the monitor. Per event
// it keeps, as Redis 7.0 does:
//   - up to kMaxSamples samples of (unix time in seconds, ms), at most one per
//     second: a second sample in the same second keeps the larger duration;
//   - the largest duration ever recorded for the event.
// Event names are Redis's ("command", "fast-command", "expire-cycle", ...).
//
// The monitor is process-wide, like the log: the recording sites live in
// several layers (persistence's AOF writer, the server's cron and eviction,
// the command executor) that share no owner below `common/`.
//
// Thread-safety: every method may be called from any thread; one mutex
// guards the table. It is taken only when a threshold is exceeded (rare by
// construction) and by the LATENCY command.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basalt {

class LatencyMonitor {
 public:
  static constexpr size_t kMaxSamples = 160;

  struct Sample {
    int64_t time_s = 0;
    int64_t ms = 0;
  };
  struct Event {
    std::string name;
    std::vector<Sample> samples;  // oldest first
    int64_t max_ms = 0;           // all time
    const Sample& latest() const { return samples.back(); }
  };

  // The process's monitor.
  static LatencyMonitor& Process();

  // Records `ms` for `event` at `now_s` (unix seconds). Thread-safe.
  void Add(std::string_view event, int64_t ms, int64_t now_s);
  // Every event with its samples, by name.
  std::vector<Event> All() const;
  std::optional<Event> Get(std::string_view event) const;
  // Forgets the named events (all of them when `events` is empty); returns
  // how many existed.
  size_t Reset(std::span<const std::string_view> events);

 private:
  struct Series {
    Sample ring[kMaxSamples];
    size_t next = 0;   // where the next sample goes
    size_t count = 0;  // samples held, <= kMaxSamples
    int64_t max_ms = 0;
  };
  Event ToEvent(const std::string& name, const Series& s) const;

  mutable std::mutex mu_;
  std::map<std::string, Series, std::less<>> events_;  // Guarded by mu_
};

// Adds a sample to the process's monitor, stamped with the current second.
void RecordLatencySample(std::string_view event, int64_t ms);

// Records `ms` for `event` if latency monitoring is on (threshold_ms > 0)
// and the duration reaches the threshold. Any thread; costs a compare when
// nothing is recorded.
inline void RecordLatency(std::string_view event, int64_t ms, int64_t threshold_ms) {
  if (threshold_ms > 0 && ms >= threshold_ms) RecordLatencySample(event, ms);
}

}  // namespace basalt
