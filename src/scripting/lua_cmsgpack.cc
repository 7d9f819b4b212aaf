#include "scripting/lua_cmsgpack.h"

extern "C" {
#include <lauxlib.h>
}

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

namespace basalt::scripting {
namespace {

// Tables nested deeper than this pack as nil (Redis's LUACMSGPACK_MAX_NESTING):
// levels 0..15 are encoded, a table at level 16 is not.
constexpr int kMaxNesting = 16;

// The stack-overflow texts below are the ones Redis's copy raises through
// luaL_checkstack ("stack overflow (<text>)"); scripts can see them, so they
// keep Redis's wording, internal function names included. The checks also
// sit where Redis has them, so that the same inputs overflow the 8000-slot
// C stack limit (LUAI_MAXCSTACK) at the same point.
constexpr char kPackArgCheck[] = "in function mp_check";
constexpr char kIsArrayCheck[] = "in function table_is_an_array";
constexpr char kArrayCheck[] = "in function mp_encode_lua_table_as_array";
constexpr char kMapCheck[] = "in function mp_encode_lua_table_as_map";
constexpr char kValueCheck[] =
    "too many return values at once; use unpack_one or unpack_limit instead.";
constexpr char kDecodeArrayCheck[] = "in function mp_decode_to_lua_array";
constexpr char kUnpackCheck[] = "in function mp_unpack_full";

// ---- Packing ---------------------------------------------------------------

void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// A type byte followed by a big-endian length or value.
void PutTagged(std::string& out, uint8_t tag, uint64_t v, int bytes) {
  out.push_back(static_cast<char>(tag));
  PutBigEndian(out, v, bytes);
}

// The smallest MessagePack integer that holds v: positive or negative
// fixint, then uint8..uint64 for v >= 0 and int8..int64 below zero.
void PutInteger(std::string& out, int64_t v) {
  if (v >= 0) {
    const auto u = static_cast<uint64_t>(v);
    if (u <= 0x7f) {
      out.push_back(static_cast<char>(u));
    } else if (u <= 0xff) {
      PutTagged(out, 0xcc, u, 1);
    } else if (u <= 0xffff) {
      PutTagged(out, 0xcd, u, 2);
    } else if (u <= 0xffffffffULL) {
      PutTagged(out, 0xce, u, 4);
    } else {
      PutTagged(out, 0xcf, u, 8);
    }
    return;
  }
  const auto bits = static_cast<uint64_t>(v);
  if (v >= -32) {
    out.push_back(static_cast<char>(bits & 0xff));
  } else if (v >= INT8_MIN) {
    PutTagged(out, 0xd0, bits, 1);
  } else if (v >= INT16_MIN) {
    PutTagged(out, 0xd1, bits, 2);
  } else if (v >= INT32_MIN) {
    PutTagged(out, 0xd2, bits, 4);
  } else {
    PutTagged(out, 0xd3, bits, 8);
  }
}

// float32 when converting to float and back gives d again (infinities
// included, NaN never), float64 otherwise. The narrowing is IEEE-754
// rounding (g++ on x86-64), so a finite double beyond float range becomes
// an infinity and fails the comparison.
void PutDouble(std::string& out, double d) {
  const float f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    PutTagged(out, 0xca, bits, 4);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    PutTagged(out, 0xcb, bits, 8);
  }
}

// Redis packs a number as an integer when casting it to int64 and back gives
// it again; that is an integral value in [-2^63, 2^63) (NaN and the
// infinities are not).
bool IsInt64Valued(double d) {
  return d >= -0x1p63 && d < 0x1p63 && static_cast<double>(static_cast<int64_t>(d)) == d;
}

void PutString(std::string& out, const char* s, size_t len) {
  if (len < 32) {
    out.push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    PutTagged(out, 0xd9, len, 1);
  } else if (len <= 0xffff) {
    PutTagged(out, 0xda, len, 2);
  } else {
    PutTagged(out, 0xdb, len, 4);
  }
  out.append(s, len);
}

void PutArrayHeader(std::string& out, size_t len) {
  if (len <= 15) {
    out.push_back(static_cast<char>(0x90 | len));
  } else if (len <= 0xffff) {
    PutTagged(out, 0xdc, len, 2);
  } else {
    PutTagged(out, 0xdd, len, 4);
  }
}

void PutMapHeader(std::string& out, size_t len) {
  if (len <= 15) {
    out.push_back(static_cast<char>(0x80 | len));
  } else if (len <= 0xffff) {
    PutTagged(out, 0xde, len, 2);
  } else {
    PutTagged(out, 0xdf, len, 4);
  }
}

void PackTop(lua_State* L, std::string& out, int level);

// Whether the table on top of the stack has exactly the keys 1..n: every key
// a number that is a positive integer of C int range, as many keys as the
// largest one. An empty table counts (it packs as an empty array).
bool IsArray(lua_State* L) {
  luaL_checkstack(L, 2, kIsArrayCheck);
  int count = 0;
  int max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);  // the value; the key stays for lua_next
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_pop(L, 1);
      return false;
    }
    const lua_Number n = lua_tonumber(L, -1);
    if (!(n > 0 && n <= INT_MAX && static_cast<lua_Number>(static_cast<int>(n)) == n)) {
      lua_pop(L, 1);
      return false;
    }
    if (n > max) max = static_cast<int>(n);
    ++count;
  }
  return max == count;
}

// Elements 1..#t, read with lua_gettable (so __index applies, as in Redis).
void PackArray(lua_State* L, std::string& out, int level) {
  const size_t len = lua_objlen(L, -1);
  PutArrayHeader(out, len);
  luaL_checkstack(L, 1, kArrayCheck);
  for (size_t i = 1; i <= len; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    lua_gettable(L, -2);
    PackTop(L, out, level + 1);
  }
}

// Key/value pairs in lua_next order; the count needs a first pass.
void PackMap(lua_State* L, std::string& out, int level) {
  luaL_checkstack(L, 3, kMapCheck);
  size_t len = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++len;
  }
  PutMapHeader(out, len);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);        // pack a copy: lua_next needs the key untouched
    PackTop(L, out, level + 1);  // the key
    PackTop(L, out, level + 1);  // the value
  }
}

// Appends the encoding of the value on top of the stack and pops it.
void PackTop(lua_State* L, std::string& out, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TBOOLEAN:
      out.push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER: {
      const lua_Number n = lua_tonumber(L, -1);
      if (IsInt64Valued(n)) {
        PutInteger(out, static_cast<int64_t>(n));
      } else {
        PutDouble(out, n);
      }
      break;
    }
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      PutString(out, s, len);
      break;
    }
    case LUA_TTABLE:
      if (IsArray(L)) {
        PackArray(L, out, level);
      } else {
        PackMap(L, out, level);
      }
      break;
    default:  // nil, and what MessagePack cannot carry: functions, userdata, threads
      out.push_back(static_cast<char>(0xc0));
      break;
  }
  lua_pop(L, 1);
}

// cmsgpack.pack(v1, v2, ...): like Redis, each argument's encoding is pushed
// as a string and the strings are concatenated at the end, so the stack
// grows the same way (it decides where a deep table overflows).
int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs)) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  std::string out;
  for (int i = 1; i <= nargs; ++i) {
    luaL_checkstack(L, 1, kPackArgCheck);
    lua_pushvalue(L, i);
    PackTop(L, out, 0);
    lua_pushlstring(L, out.data(), out.size());
    out.clear();
  }
  lua_concat(L, nargs);
  return 1;
}

// ---- Unpacking -------------------------------------------------------------

enum class DecodeError { kNone, kMissingBytes, kBadFormat };

// The unread part of the input. Every read is preceded by Need(), which
// records kMissingBytes instead of reading past the end.
struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError error = DecodeError::kNone;

  bool Need(size_t n) {
    if (left >= n) return true;
    error = DecodeError::kMissingBytes;
    return false;
  }
  void Skip(size_t n) {
    p += n;
    left -= n;
  }
  // The n-byte big-endian number after the type byte.
  uint64_t Arg(int n) const {
    uint64_t v = 0;
    for (int i = 1; i <= n; ++i) v = (v << 8) | p[i];
    return v;
  }
};

void DecodeValue(lua_State* L, Cursor& c);

// Fixed-size numbers: uint8..64 (0xcc..0xcf), int8..64 (0xd0..0xd3), float32
// (0xca), float64 (0xcb). In each family the low two bits of the type byte
// give the payload size as a power of 2.
void DecodeNumber(lua_State* L, Cursor& c, uint8_t tag) {
  const int bytes = 1 << (tag & 0x03);
  if (!c.Need(1 + bytes)) return;
  const uint64_t v = c.Arg(bytes);
  lua_Number n;
  switch (tag) {
    case 0xd0:
      n = static_cast<int8_t>(v);
      break;
    case 0xd1:
      n = static_cast<int16_t>(v);
      break;
    case 0xd2:
      n = static_cast<int32_t>(v);
      break;
    // Redis's copy pushes uint64 through lua_Integer too, so values from
    // 2^63 up come out negative; scripts see that, so we do the same.
    case 0xcf:
    case 0xd3:
      n = static_cast<lua_Number>(static_cast<int64_t>(v));
      break;
    case 0xca: {
      const auto bits = static_cast<uint32_t>(v);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      n = f;
      break;
    }
    case 0xcb:
      std::memcpy(&n, &v, sizeof n);
      break;
    default:  // uint8, uint16, uint32
      n = static_cast<lua_Number>(v);
      break;
  }
  lua_pushnumber(L, n);
  c.Skip(1 + bytes);
}

// A string of `len` bytes after a header of `header` bytes.
void DecodeString(lua_State* L, Cursor& c, size_t header, size_t len) {
  c.Skip(header);
  if (!c.Need(len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c.p), len);
  c.Skip(len);
}

// Array elements go to keys 1..len of a fresh table; the input is trusted
// for nothing: a length larger than the data runs into kMissingBytes.
void DecodeArray(lua_State* L, Cursor& c, size_t len) {
  lua_newtable(L);
  luaL_checkstack(L, 1, kDecodeArrayCheck);
  for (size_t i = 1; i <= len; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    DecodeValue(L, c);
    if (c.error != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// A nil or NaN key raises Lua's own "table index is nil/NaN", as in Redis.
void DecodeMap(lua_State* L, Cursor& c, size_t len) {
  lua_newtable(L);
  for (size_t i = 0; i < len; ++i) {
    DecodeValue(L, c);  // key
    if (c.error != DecodeError::kNone) return;
    DecodeValue(L, c);  // value
    if (c.error != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// Pushes the next value, or records an error and stops (possibly leaving
// partial results on the stack, which the caller's error discards).
void DecodeValue(lua_State* L, Cursor& c) {
  if (!c.Need(1)) return;
  // One slot per value; an input with too many values (or nested too deep)
  // raises this rather than growing the stack without bound.
  luaL_checkstack(L, 1, kValueCheck);
  const uint8_t tag = c.p[0];
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      c.Skip(1);
      return;
    case 0xc2:
      lua_pushboolean(L, 0);
      c.Skip(1);
      return;
    case 0xc3:
      lua_pushboolean(L, 1);
      c.Skip(1);
      return;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xca:
    case 0xcb:
      DecodeNumber(L, c, tag);
      return;
    case 0xd9:
    case 0xda:
    case 0xdb: {  // str8, str16, str32
      const int len_bytes = tag == 0xd9 ? 1 : tag == 0xda ? 2 : 4;
      if (!c.Need(1 + len_bytes)) return;
      DecodeString(L, c, 1 + len_bytes, c.Arg(len_bytes));
      return;
    }
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {  // array16/32, map16/32
      const int len_bytes = (tag == 0xdc || tag == 0xde) ? 2 : 4;
      if (!c.Need(1 + len_bytes)) return;
      const size_t len = c.Arg(len_bytes);
      c.Skip(1 + len_bytes);
      if (tag <= 0xdd) {
        DecodeArray(L, c, len);
      } else {
        DecodeMap(L, c, len);
      }
      return;
    }
    default:
      break;
  }
  if (tag <= 0x7f) {  // positive fixint
    lua_pushnumber(L, tag);
    c.Skip(1);
  } else if (tag >= 0xe0) {  // negative fixint
    lua_pushnumber(L, static_cast<int8_t>(tag));
    c.Skip(1);
  } else if ((tag & 0xe0) == 0xa0) {  // fixstr
    DecodeString(L, c, 1, tag & 0x1f);
  } else if ((tag & 0xf0) == 0x90) {  // fixarray
    c.Skip(1);
    DecodeArray(L, c, tag & 0x0f);
  } else if ((tag & 0xf0) == 0x80) {  // fixmap
    c.Skip(1);
    DecodeMap(L, c, tag & 0x0f);
  } else {  // 0xc1 and the bin and ext families, which Redis's copy rejects
    c.error = DecodeError::kBadFormat;
  }
}

// lua_pushfstring's %d takes an int; Redis passes it 64-bit values, of which
// x86-64 reads the low 32 bits. Scripts see that, so we print the same.
int Low32(uint64_t v) { return static_cast<int>(static_cast<uint32_t>(v)); }

// Decodes from byte `offset` of argument 1: every value when limit and
// offset are both 0 (then no offset is returned, as Redis does even for
// unpack_limit(s, 0)), else at most `limit` values preceded by the offset of
// the next one, or -1 when the input is used up.
// REQUIRES: for a limited decode, the string is the only argument left.
int UnpackFrom(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // Redis prints the input length where the limit should be.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      Low32(offset), Low32(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", Low32(offset),
                      Low32(len));
  }
  if (decode_all) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - offset};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    DecodeValue(L, c);
    if (c.error == DecodeError::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (c.error == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    luaL_checkstack(L, 1, kUnpackCheck);
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

// Leaves the string argument alone on the stack (nothing when there is no
// argument at all, so that the error still says "got no value").
void DropExtraArguments(lua_State* L) {
  if (lua_gettop(L) > 1) lua_settop(L, 1);
}

// cmsgpack.unpack(s)
int Unpack(lua_State* L) { return UnpackFrom(L, 0, 0); }

// cmsgpack.unpack_one(s [, offset])
int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  DropExtraArguments(L);
  return UnpackFrom(L, 1, offset);
}

// cmsgpack.unpack_limit(s, limit [, offset])
int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  DropExtraArguments(L);
  return UnpackFrom(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  static constexpr luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"unpack_one", UnpackOne},
      {"unpack_limit", UnpackLimit},
  };
  // The strings Redis's copy carries, in the order it sets them.
  static constexpr const char* kInfo[][2] = {
      {"_NAME", "cmsgpack"},
      {"_VERSION", "lua-cmsgpack 0.4.0"},
      {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
      {"_DESCRIPTION", "MessagePack C implementation for Lua"},
  };
  lua_newtable(L);
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  for (const auto& field : kInfo) {
    lua_pushstring(L, field[1]);
    lua_setfield(L, -2, field[0]);
  }
  return 1;
}

}  // namespace basalt::scripting
