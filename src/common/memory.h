// Memory accounting: allocator statistics for INFO and MEMORY, and the
// used-memory figure the maxmemory limit is checked against.
// Thread-safe: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <string>

namespace basalt {

struct MemoryStats {
  size_t allocated = 0;  // bytes handed out to the program (used_memory)
  size_t active = 0;
  size_t resident = 0;
  size_t rss = 0;  // process RSS from /proc
};
// Fresh allocator statistics (a few microseconds: INFO, MEMORY).
MemoryStats ReadMemoryStats();
// Bytes allocated, refreshed from the allocator at most once per millisecond
// so that checking maxmemory on every write stays cheap.
size_t UsedMemory();
// Lowers the cached figure after an eviction, until the next refresh.
void NoteMemoryFreed(size_t bytes);
size_t PeakMemory();
std::string AllocatorName();
std::string MallocStatsText();
void PurgeAllocator();
// jemalloc's background purging threads on or off (jemalloc-bg-thread).
// False when the allocator is not jemalloc or refused.
bool SetAllocatorBackgroundThread(bool on);

}  // namespace basalt
