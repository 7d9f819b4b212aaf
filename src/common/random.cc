#include "common/random.h"

#include <cstdint>
#include <random>

#include "common/clock.h"

namespace basalt {

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t(rd()) << 32) ^ rd() ^ uint64_t(NowUs()));
  static const char kHex[] = "0123456789abcdef";
  std::string s(n, '0');
  for (char& c : s) c = kHex[gen() & 15];
  return s;
}

}  // namespace basalt
