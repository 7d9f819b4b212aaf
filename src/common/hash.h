// Key hashing for the keyspace: XXH3 (libxxhash) with a per-process random seed,
// so an attacker who does not know the seed cannot aim many keys at one bucket.
// Thread-safe: the seed is set once at start-up, before any worker thread runs.
#pragma once

#include <cstdint>
#include <string_view>

namespace basalt {

// Sets the process-wide seed. REQUIRES: called before any thread hashes keys.
void SetHashSeed(uint64_t seed);
uint64_t HashKey(std::string_view key);

}  // namespace basalt
