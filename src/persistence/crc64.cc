#include "persistence/crc64.h"

#include <array>
#include <bit>
#include <cstring>

namespace basalt::persistence {
namespace {

// The Jones polynomial in its bit-reflected form.
constexpr uint64_t kPolyReflected = 0x95ac9329ac4bc9b5ULL;

// Slicing-by-8: table[k][b] is the CRC contribution of byte b followed by k
// zero bytes, so eight input bytes are folded per step with eight lookups
// instead of sixty-four shift/xor rounds. RDB snapshots are checksummed as
// they are written and read, so this runs over every byte of a snapshot.
struct Tables {
  std::array<std::array<uint64_t, 256>, 8> t;
  constexpr Tables() : t() {
    for (uint64_t b = 0; b < 256; b++) {
      uint64_t c = b;
      for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
      t[0][b] = c;
    }
    for (size_t b = 0; b < 256; b++) {
      for (size_t k = 1; k < 8; k++) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
};

constexpr Tables kTables;

}  // namespace

uint64_t Crc64(uint64_t crc, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  const auto& t = kTables.t;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    crc ^= w;
    crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^
          t[4][(crc >> 24) & 0xff] ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^
          t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace basalt::persistence
