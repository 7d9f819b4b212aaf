// Random identifiers: run ids and replication ids (lowercase hex, as Redis
// writes them).
//
// Thread-safety: callable from any thread.
#pragma once

#include <cstddef>
#include <string>

namespace basalt {

// n random lowercase hex digits.
std::string RandomHex(size_t n);

}  // namespace basalt
