// Wall and monotonic clocks in the units Redis uses (ms and us since the epoch).
// Thread-safe: stateless functions over clock_gettime (vDSO, no syscall).
#pragma once

#include <cstdint>
#include <ctime>

namespace basalt {

inline int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
inline int64_t NowMs() { return NowUs() / 1000; }
// While a script runs, expiry on its thread uses the time frozen at the
// script's start (Redis 7.0), so a key cannot expire half-way through; the
// times commands compute (SET PX, PTTL) stay real. 0 = not frozen.
inline thread_local int64_t t_frozen_now_ms = 0;
inline int64_t MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The test hooks' pause (rdb-key-save-delay, key-load-delay): microseconds
// when positive, nanoseconds when negative.
inline void TestDelay(int64_t v) {
  if (v == 0) return;
  timespec ts;
  int64_t ns = v > 0 ? v * 1000 : -v;
  ts.tv_sec = time_t(ns / 1000000000);
  ts.tv_nsec = long(ns % 1000000000);
  nanosleep(&ts, nullptr);
}

}  // namespace basalt
