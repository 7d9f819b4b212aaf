#include "common/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace basalt {
namespace {
uint64_t g_seed = 0x9E3779B97F4A7C15ull;
}  // namespace

void SetHashSeed(uint64_t seed) { g_seed = seed; }

uint64_t HashKey(std::string_view key) {
  return XXH3_64bits_withSeed(key.data(), key.size(), g_seed);
}

}  // namespace basalt
