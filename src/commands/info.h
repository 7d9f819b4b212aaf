// INFO: builds the text of Redis's INFO sections from the server's state.
// Runs on the calling client's worker thread; reads shared counters only.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace basalt::server {
class Server;
}

namespace basalt::commands {

// `sections` as given to INFO (empty = "default"). Unknown names add nothing.
std::string BuildInfo(server::Server& server, std::span<const std::string_view> sections);

// Allocator statistics (jemalloc when linked, else the glibc/ASan view).
struct MemoryStats {
  size_t allocated = 0;  // bytes handed out to the program (used_memory)
  size_t active = 0;
  size_t resident = 0;
  size_t rss = 0;        // process RSS from /proc
};
MemoryStats ReadMemoryStats();
std::string AllocatorName();
// Returns jemalloc's allocator stats text (MEMORY MALLOC-STATS).
std::string MallocStatsText();
// Returns unused dirty pages to the OS (MEMORY PURGE).
void PurgeAllocator();

}  // namespace basalt::commands
