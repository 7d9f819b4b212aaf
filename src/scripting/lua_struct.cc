#include "scripting/lua_struct.h"

extern "C" {
#include <lauxlib.h>
}

#include <climits>
#include <cstdint>
#include <cstring>

namespace basalt::scripting {
namespace {

// Largest N of iN/IN.
constexpr int kMaxIntSize = 32;
// What a bare '!' sets: the alignment of double on x86-64.
constexpr int kDefaultMaxAlign = 8;

enum class Endian { kBig, kLittle };

// The state a format string changes as it goes ('<', '>', '!').
struct Layout {
  Endian endian = Endian::kLittle;  // the machine's
  int align = 1;                    // no padding until a '!'
};

// ASCII classes: Redis runs with the C locale's ctype, where bytes >= 0x80
// are neither digits nor letters.
bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsAlnum(int c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLower(int c) { return c >= 'a' && c <= 'z'; }

// Out-of-range double-to-integer casts are undefined in C++; Redis's copy
// does them anyway, and scripts see what x86-64 code built by gcc gives:
// cvttsd2si's 0x8000000000000000 for NaN and anything outside int64, and
// for unsigned targets gcc's split at 2^63 (so 2^64 and above become 0).
int64_t CastToInt64(double d) {
  if (d >= -0x1p63 && d < 0x1p63) return static_cast<int64_t>(d);
  return INT64_MIN;
}
uint64_t CastToUint64(double d) {
  if (!(d >= 0x1p63)) return static_cast<uint64_t>(CastToInt64(d));
  return static_cast<uint64_t>(CastToInt64(d - 0x1p63)) ^ (uint64_t{1} << 63);
}

// The decimal number at *fmt (advancing past it), or `fallback` if there is
// none.
int ReadCount(lua_State* L, const char** fmt, int fallback) {
  if (!IsDigit(**fmt)) return fallback;
  int n = 0;
  do {
    const int digit = **fmt - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
    ++*fmt;
  } while (IsDigit(**fmt));
  return n;
}

// The size of one item of option `opt`, reading a count after it where the
// option takes one; 0 for options that are not items ('s' included).
size_t ItemSize(lua_State* L, int opt, const char** fmt) {
  switch (opt) {
    case 'b':
    case 'B':
      return sizeof(char);
    case 'h':
    case 'H':
      return sizeof(short);
    case 'l':
    case 'L':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(ReadCount(L, fmt, 1));
    case 'i':
    case 'I': {
      const int n = ReadCount(L, fmt, sizeof(int));
      if (n > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", n, kMaxIntSize);
      }
      return static_cast<size_t>(n);
    }
    default:
      return 0;
  }
}

// Padding bytes before an item of `size` at offset `at`: items align to
// their own size, capped at the layout's maximum; strings do not align.
// (For sizes that are not powers of 2, like i3, this is the library's
// formula as it stands, not a true alignment; Redis pads the same.)
int PaddingBefore(size_t at, const Layout& layout, int opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  const size_t align = size > static_cast<size_t>(layout.align) ? layout.align : size;
  return static_cast<int>((align - (at & (align - 1))) & (align - 1));
}

// Applies a layout option; anything else is an invalid option.
void ApplyLayoutOption(lua_State* L, int opt, const char** fmt, Layout& layout) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      layout.endian = Endian::kBig;
      return;
    case '<':
      layout.endian = Endian::kLittle;
      return;
    case '!': {
      const int align = ReadCount(L, fmt, kDefaultMaxAlign);
      if (align <= 0 || (align & (align - 1)) != 0) {
        luaL_error(L, "alignment %d is not a power of 2", align);
      }
      layout.align = align;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// Writes the `size` low-order bytes of `v` into `out` in `endian` order;
// bytes beyond the eighth are zero.
void StoreBytes(uint64_t v, int size, Endian endian, char* out) {
  for (int i = 0; i < size; ++i) {
    out[endian == Endian::kLittle ? i : size - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// The `size`-byte number at `in`; only the low 64 bits survive.
uint64_t LoadBytes(const char* in, int size, Endian endian) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<unsigned char>(in[endian == Endian::kBig ? i : size - 1 - i]);
  }
  return v;
}

// Negative numbers go through int64 (two's complement), others through
// uint64, then the low `size` bytes are stored.
void PackInteger(lua_State* L, luaL_Buffer* b, int arg, Endian endian, int size) {
  const lua_Number n = luaL_checknumber(L, arg);
  const uint64_t v = n < 0 ? static_cast<uint64_t>(CastToInt64(n)) : CastToUint64(n);
  char bytes[kMaxIntSize];
  StoreBytes(v, size, endian, bytes);
  luaL_addlstring(b, bytes, size);
}

lua_Number UnpackInteger(const char* in, Endian endian, bool is_signed, int size) {
  uint64_t v = LoadBytes(in, size, endian);
  if (!is_signed) return static_cast<lua_Number>(v);
  // Sign extension from bit size*8-1. The library shifts a 64-bit mask by
  // that count even when it is 64 or more; x86-64 takes the count modulo
  // 64, and that is what Redis's results show (i12 extends from bit 31).
  const uint64_t mask = ~uint64_t{0} << ((size * 8 - 1) & 63);
  if ((v & mask) != 0) v |= mask;
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

// struct.pack(fmt, v1, v2, ...)
int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Layout layout;
  int arg = 2;
  size_t total = 0;
  // The library keeps a nil between the arguments and the buffer's stack
  // space. Scripts can tell: a missing argument is "got nil", not "got no
  // value", and past it the buffer's own pieces may be read as arguments.
  lua_pushnil(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const int opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    int padding = PaddingBefore(total, layout, opt, size);
    total += padding;
    while (padding-- > 0) luaL_addchar(&b, '\0');
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        PackInteger(L, &b, arg++, layout.endian, static_cast<int>(size));
        break;
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'f': {
        const auto f = static_cast<float>(luaL_checknumber(L, arg++));
        uint32_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        char bytes[sizeof bits];
        StoreBytes(bits, sizeof bits, layout.endian, bytes);
        luaL_addlstring(&b, bytes, sizeof bytes);
        break;
      }
      case 'd': {
        const double d = luaL_checknumber(L, arg++);
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        char bytes[sizeof bits];
        StoreBytes(bits, sizeof bits, layout.endian, bytes);
        luaL_addlstring(&b, bytes, sizeof bytes);
        break;
      }
      case 'c':
      case 's': {
        size_t len;
        const char* s = luaL_checklstring(L, arg++, &len);
        if (size == 0) size = len;
        // The library names the argument after the string's (arg was
        // already advanced); Redis's message says the same.
        luaL_argcheck(L, len >= size, arg, "string too short");
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          ++size;
        }
        break;
      }
      default:
        ApplyLayoutOption(L, opt, &fmt, layout);
        break;
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// struct.unpack(fmt, s [, pos]): pos is 1-based; a negative one wraps to a
// huge offset (then any item is "data string too short"), as in Redis.
int Unpack(lua_State* L) {
  Layout layout;
  const char* fmt = luaL_checkstring(L, 1);
  size_t data_len;
  const char* data = luaL_checklstring(L, 2, &data_len);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  int results = 0;
  while (*fmt != '\0') {
    const int opt = *fmt++;
    size_t size = ItemSize(L, opt, &fmt);
    pos += PaddingBefore(pos, layout, opt, size);
    luaL_argcheck(L, size <= data_len && pos <= data_len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua_pushnumber(
            L, UnpackInteger(data + pos, layout.endian, IsLower(opt), static_cast<int>(size)));
        ++results;
        break;
      case 'x':
        break;
      case 'f': {
        const auto bits = static_cast<uint32_t>(LoadBytes(data + pos, 4, layout.endian));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L, f);
        ++results;
        break;
      }
      case 'd': {
        const uint64_t bits = LoadBytes(data + pos, 8, layout.endian);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
        ++results;
        break;
      }
      case 'c':
        if (size == 0) {
          // c0 takes its length from the result just before it, which it
          // replaces.
          if (results == 0 || !lua_isnumber(L, -1)) {
            luaL_error(L, "format 'c0' needs a previous size");
          }
          size = CastToUint64(lua_tonumber(L, -1));
          lua_pop(L, 1);
          --results;
          luaL_argcheck(L, size <= data_len && pos <= data_len - size, 2, "data string too short");
        }
        lua_pushlstring(L, data + pos, size);
        ++results;
        break;
      case 's': {
        const void* end = std::memchr(data + pos, '\0', data_len - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        ++results;
        break;
      }
      default:
        ApplyLayoutOption(L, opt, &fmt, layout);
        break;
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return results + 1;
}

// struct.size(fmt): letters that are no option count as size 0, as in the
// library; other characters must be layout options.
int Size(lua_State* L) {
  Layout layout;
  const char* fmt = luaL_checkstring(L, 1);
  size_t pos = 0;
  while (*fmt != '\0') {
    const int opt = *fmt++;
    const size_t size = ItemSize(L, opt, &fmt);
    pos += PaddingBefore(pos, layout, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (!IsAlnum(opt)) ApplyLayoutOption(L, opt, &fmt, layout);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static constexpr luaL_Reg kFunctions[] = {
      {"pack", Pack},
      {"unpack", Unpack},
      {"size", Size},
  };
  constexpr int kCount = sizeof kFunctions / sizeof kFunctions[0];
  lua_createtable(L, 0, kCount);  // sized as luaL_register sizes a new library
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  return 1;
}

}  // namespace basalt::scripting
