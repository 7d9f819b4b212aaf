// CPU lists as Redis's *_cpulist directives write them ("0,2,4-7", "0-7:2":
// CPUs, ranges and ranges with a stride) and pinning the calling thread to one.
// Thread-safety: pure functions; PinCurrentThread affects only the caller.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace basalt {

// The CPUs of a list, or nullopt when it is malformed. "" gives {}.
std::optional<std::vector<int>> ParseCpuList(std::string_view list);

// Pins the calling thread to the CPUs of `list` (nothing for ""). `what`
// names the directive for the warning logged when the list is malformed or
// the kernel refuses it. Returns true when the thread was pinned.
bool PinCurrentThread(std::string_view list, const char* what);

}  // namespace basalt
