#include "common/cpu_affinity.h"

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <string>

#include "common/logging.h"
#include "common/numbers.h"

namespace basalt {
namespace {

std::optional<int> Cpu(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<std::vector<int>> ParseCpuList(std::string_view list) {
  std::vector<int> cpus;
  if (list.empty()) return cpus;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view item = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int stride = 1;
    size_t colon = item.find(':');
    if (colon != std::string_view::npos) {
      auto s = Cpu(item.substr(colon + 1));
      if (!s || *s == 0) return std::nullopt;
      stride = *s;
      item = item.substr(0, colon);
    }
    size_t dash = item.find('-');
    auto lo = Cpu(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : Cpu(item.substr(dash + 1));
    if (!lo || !hi || *hi < *lo || *hi >= CPU_SETSIZE) return std::nullopt;
    if (colon != std::string_view::npos && dash == std::string_view::npos) return std::nullopt;
    for (int c = *lo; c <= *hi; c += stride) cpus.push_back(c);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cpus;
}

bool PinCurrentThread(std::string_view list, const char* what) {
  if (list.empty()) return false;
  auto cpus = ParseCpuList(list);
  if (!cpus || cpus->empty()) {
    Log(LogLevel::kWarning, "Invalid %s '%.*s': thread not pinned", what, int(list.size()),
        list.data());
    return false;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : *cpus) CPU_SET(c, &set);
  int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) {
    Log(LogLevel::kWarning, "Failed to apply %s '%.*s': %s", what, int(list.size()), list.data(),
        strerror(rc));
    return false;
  }
  return true;
}

}  // namespace basalt
