// The `struct` library that Redis 7.0 gives EVAL scripts (Roberto
// Ierusalimschy's struct 0.2 as Redis bundles it; Debian does not package
// it): conversion between Lua values and C-struct-like binary strings.
// Written from the library's documented format language and checked byte
// for byte against redis-server 7.0, quirks included:
//
//   struct.pack(fmt, v1, ...)      the packed string
//   struct.unpack(fmt, s [, pos])  the values, then the position after them
//   struct.size(fmt)               the packed size of a fixed-size format
//
// Format: '>' big endian, '<' little endian (the default, x86-64's), '!n'
// maximum alignment n (a power of 2; bare '!' is 8), ' ' ignored;
// b/B signed/unsigned char, h/H short, l/L long, T size_t, i/I int or
// iN/IN an N-byte integer (N <= 32), f float, d double, x a zero byte,
// s a zero-terminated string, cN a string of N bytes (c is c1; c0 packs the
// whole string, and unpacks as many bytes as the value before it says).
// Integers are packed through 64 bits, so bytes past the eighth of an iN
// are zero even for negative numbers, as in Redis.
//
// Thread-safety: the functions touch only the lua_State they are called on;
// a lua_State belongs to one thread at a time.
#pragma once

extern "C" {
#include <lua.h>
}

namespace basalt::scripting {

// Pushes a new table holding pack, unpack and size, built as Redis's
// luaL_register builds it so that pairs() visits it the same way. Returns 1,
// like a luaopen_ function; setting the global is the caller's.
int OpenStruct(lua_State* L);

}  // namespace basalt::scripting
