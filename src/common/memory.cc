#include "common/memory.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "common/clock.h"

#ifdef BASALT_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Provided by the ASan/TSan runtimes (gcc ships no header for it).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

namespace basalt {
namespace {

std::atomic<size_t> g_peak{0};
std::atomic<size_t> g_cached_used{0};
std::atomic<int64_t> g_cached_at_us{0};

size_t ReadRss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  fclose(f);
  return size_t(resident) * size_t(sysconf(_SC_PAGESIZE));
}

size_t ReadAllocated() {
#ifdef BASALT_HAVE_JEMALLOC
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(size_t);
  mallctl("stats.allocated", &allocated, &sz, nullptr, 0);
  return allocated;
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizer replaces malloc; its allocator keeps the count.
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

}  // namespace

size_t PeakMemory() { return g_peak.load(std::memory_order_relaxed); }

size_t UsedMemory() {
  int64_t now = MonotonicUs();
  if (now - g_cached_at_us.load(std::memory_order_relaxed) >= 1000) {
    size_t used = ReadAllocated();
    g_cached_used.store(used, std::memory_order_relaxed);
    g_cached_at_us.store(now, std::memory_order_relaxed);
    size_t peak = g_peak.load();
    while (used > peak && !g_peak.compare_exchange_weak(peak, used)) {
    }
  }
  return g_cached_used.load(std::memory_order_relaxed);
}

void NoteMemoryFreed(size_t bytes) {
  size_t cur = g_cached_used.load(std::memory_order_relaxed);
  g_cached_used.store(cur > bytes ? cur - bytes : 0, std::memory_order_relaxed);
}

MemoryStats ReadMemoryStats() {
  MemoryStats m;
#ifdef BASALT_HAVE_JEMALLOC
  m.allocated = ReadAllocated();
  size_t sz = sizeof(size_t);
  mallctl("stats.active", &m.active, &sz, nullptr, 0);
  mallctl("stats.resident", &m.resident, &sz, nullptr, 0);
#else
  m.allocated = ReadAllocated();
  m.active = m.allocated;
  m.resident = m.allocated;
#endif
  m.rss = ReadRss();
  size_t peak = g_peak.load();
  while (m.allocated > peak && !g_peak.compare_exchange_weak(peak, m.allocated)) {
  }
  return m;
}

std::string AllocatorName() {
#ifdef BASALT_HAVE_JEMALLOC
  const char* v = nullptr;
  size_t sz = sizeof(v);
  if (mallctl("version", &v, &sz, nullptr, 0) == 0 && v != nullptr) {
    std::string s(v);
    return "jemalloc-" + s.substr(0, s.find('-'));
  }
  return "jemalloc";
#else
  return "libc";
#endif
}

std::string MallocStatsText() {
#ifdef BASALT_HAVE_JEMALLOC
  std::string out;
  malloc_stats_print([](void* arg, const char* s) { static_cast<std::string*>(arg)->append(s); },
                     &out, nullptr);
  return out;
#else
  return "Stats not supported for the current allocator";
#endif
}

bool SetAllocatorBackgroundThread(bool on) {
#ifdef BASALT_HAVE_JEMALLOC
  return mallctl("background_thread", nullptr, nullptr, &on, sizeof(on)) == 0;
#else
  (void)on;
  return false;
#endif
}

void PurgeAllocator() {
#ifdef BASALT_HAVE_JEMALLOC
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "arena.%d.purge", MALLCTL_ARENAS_ALL);
  mallctl(cmd, nullptr, nullptr, nullptr, 0);
#endif
}

}  // namespace basalt
