// CRC-64 as the RDB format uses it: the Jones polynomial (0xad93d23594c935a9),
// bit-reflected input and output, initial value 0 and no final xor. It guards
// RDB files (the 8 bytes after the EOF opcode) and DUMP payloads.
//
// Check value: Crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
//
// Thread-safety: pure function over constant tables; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace basalt::persistence {

// Extends `crc` (0 to start) with `len` bytes at `data`. Chaining calls over
// consecutive pieces gives the CRC of their concatenation.
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace basalt::persistence
