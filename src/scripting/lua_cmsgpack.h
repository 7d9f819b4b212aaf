// The `cmsgpack` library that Redis 7.0 gives EVAL scripts (Redis bundles
// lua-cmsgpack 0.4.0; Debian does not package it): MessagePack encoding of
// Lua values and decoding back. Written from the MessagePack spec
// (https://github.com/msgpack/msgpack/blob/master/spec.md) and checked byte
// for byte against redis-server 7.0's replies, its quirks included:
//
//   cmsgpack.pack(v1, v2, ...)            the encodings of the arguments,
//                                         concatenated
//   cmsgpack.unpack(s)                    every value encoded in s
//   cmsgpack.unpack_one(s [, offset])     next offset (-1 at the end), value
//   cmsgpack.unpack_limit(s, n [, off])   next offset, up to n values
//
// Packing: a number that is an integer in int64 range is packed as the
// smallest integer type that holds it, any other as a float32 when that is
// lossless, else a float64; a table whose keys are exactly 1..n is an array,
// any other table a map (pairs order); a table nested 16 deep packs as nil,
// as do functions, userdata and threads. Strings use fixstr/str8/16/32.
// Unpacking knows the types Redis's copy knows (no bin or ext types: they
// are "Bad data format in input.").
//
// Thread-safety: the functions touch only the lua_State they are called on;
// a lua_State belongs to one thread at a time.
#pragma once

extern "C" {
#include <lua.h>
}

namespace basalt::scripting {

// Pushes a new table holding pack, unpack, unpack_one and unpack_limit and
// the _NAME, _VERSION, _COPYRIGHT and _DESCRIPTION strings Redis's copy
// shows, built in the same order so that pairs() visits it the same way.
// Returns 1, like a luaopen_ function; setting the global is the caller's.
int OpenCmsgpack(lua_State* L);

}  // namespace basalt::scripting
