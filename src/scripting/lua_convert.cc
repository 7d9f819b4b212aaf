// Conversions between Lua values and RESP, as Redis 7.0 defines them for
// scripts (see the header of lua_engine.h).
//
// Lua -> reply: a string is a bulk string; a number is truncated to an
// integer; true is :1 (or #t once the script set RESP3), false and nil are a
// null; a table is, by the first field that matches, an error {err=},
// a status {ok=}, a double {double=}, a big number {big_number=}, a map
// {map=}, a set {set=}, a verbatim string {verbatim_string={format=,string=}},
// else an array of t[1], t[2], ... up to the first nil.
//
// Reply -> Lua: integer -> number, bulk -> string, null bulk/array -> false
// (RESP2) or nil (RESP3 null), status -> {ok=}, error -> {err=}, array ->
// table, and under RESP3 map -> {map=}, set -> {set={m=true}}, double ->
// {double=}, boolean -> boolean, big number -> {big_number=}, verbatim ->
// {verbatim_string=}.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/reply_builder.h"
#include "scripting/lua_engine.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace basalt::scripting {
namespace {

// Nesting is bounded by the Lua stack (lua_checkstack fails near 8,000
// levels, where Redis stops too); this is only a backstop.
constexpr int kMaxDepth = 100000;

// (long long) of a Lua number as the x86-64 conversion Redis relies on does
// it: NaN and out-of-range values become INT64_MIN.
int64_t TruncateNumber(lua_Number n) {
  if (std::isnan(n) || n >= 9223372036854775808.0 || n < -9223372036854775808.0) return INT64_MIN;
  return int64_t(n);
}

std::string NoNewlines(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Pushes t[field] (raw); returns its type.
int RawField(lua_State* L, int t, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, t);
  return lua_type(L, -1);
}

void ToReply(lua_State* L, int index, int script_resp, protocol::ReplyBuilder& rb, int depth) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  if (depth > kMaxDepth || !lua_checkstack(L, 4)) {
    rb.Error("ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, index)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, index, &len);
      rb.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, index)) {
          rb.Integer(1);
        } else {
          rb.Null();
        }
      } else {
        rb.Bool(lua_toboolean(L, index));
      }
      return;
    case LUA_TNUMBER:
      rb.Integer(TruncateNumber(lua_tonumber(L, index)));
      return;
    case LUA_TTABLE:
      break;
    default:
      rb.Null();
      return;
  }
  // A table: error, status, double, big number, map, set, verbatim, array.
  if (RawField(L, index, "err") == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    rb.Error(std::string_view(s, len));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "ok") == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    rb.SimpleString(NoNewlines(std::string_view(s, len)));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "double") == LUA_TNUMBER) {
    rb.Double(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "big_number") == LUA_TSTRING) {
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    std::string n = NoNewlines(std::string_view(s, len));
    if (rb.resp() >= 3) {
      rb.out()->append("(").append(n).append("\r\n");
    } else {
      rb.Bulk(n);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "map") == LUA_TTABLE) {
    int map = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {
      n++;
      lua_pop(L, 1);
    }
    rb.MapHeader(n);
    lua_pushnil(L);
    while (lua_next(L, map) != 0) {
      // Convert a copy of the key: converting may change it into a string,
      // which would confuse lua_next.
      lua_pushvalue(L, -2);
      ToReply(L, -1, script_resp, rb, depth + 1);
      lua_pop(L, 1);
      ToReply(L, -1, script_resp, rb, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "set") == LUA_TTABLE) {
    int set = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {
      n++;
      lua_pop(L, 1);
    }
    rb.SetHeader(n);
    lua_pushnil(L);
    while (lua_next(L, set) != 0) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      ToReply(L, -1, script_resp, rb, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (RawField(L, index, "verbatim_string") == LUA_TTABLE) {
    int v = lua_gettop(L);
    int ft = RawField(L, v, "format");
    int st = RawField(L, v, "string");
    if (ft == LUA_TSTRING && st == LUA_TSTRING) {
      size_t flen, slen;
      const char* f = lua_tolstring(L, -2, &flen);
      const char* s = lua_tolstring(L, -1, &slen);
      if (rb.resp() >= 3) {
        std::string* out = rb.out();
        out->append("=").append(std::to_string(slen + 4)).append("\r\n");
        // Exactly three format bytes, as the length above counts: Redis's
        // addReplyVerbatim reads the format as a C string and pads a short
        // one with spaces.
        std::string_view fmt(f, flen < 3 ? flen : 3);
        fmt = fmt.substr(0, fmt.find('\0'));
        out->append(fmt).append(3 - fmt.size(), ' ');
        out->append(":").append(s, slen).append("\r\n");
      } else {
        rb.Bulk(std::string_view(s, slen));
      }
      lua_pop(L, 3);
      return;
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  // An array: t[1], t[2], ... up to the first nil.
  size_t n = 0;
  while (true) {
    lua_rawgeti(L, index, int(n + 1));
    bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    n++;
  }
  rb.ArrayHeader(n);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, index, int(i));
    ToReply(L, -1, script_resp, rb, depth + 1);
    lua_pop(L, 1);
  }
}

// --- RESP -> Lua ---

struct Cursor {
  const char* p;
  const char* end;
};

bool ReadLine(Cursor& c, std::string_view* line) {
  const char* start = c.p;
  while (c.p + 1 < c.end) {
    if (c.p[0] == '\r' && c.p[1] == '\n') {
      *line = std::string_view(start, size_t(c.p - start));
      c.p += 2;
      return true;
    }
    c.p++;
  }
  return false;
}

bool ParseLong(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  char* endp = nullptr;
  std::string tmp(s);
  long long v = std::strtoll(tmp.c_str(), &endp, 10);
  if (endp == nullptr || *endp != '\0') return false;
  *out = v;
  return true;
}

void SetField(lua_State* L, const char* name) {
  // value on top, table below it
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, -3);
}

bool Push(lua_State* L, Cursor& c, int depth) {
  if (c.p >= c.end || depth > kMaxDepth || !lua_checkstack(L, 8)) return false;
  char type = *c.p++;
  std::string_view line;
  if (!ReadLine(c, &line)) return false;
  switch (type) {
    case '+':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      SetField(L, "ok");
      return true;
    case '-':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      SetField(L, "err");
      return true;
    case ':': {
      int64_t v;
      if (!ParseLong(line, &v)) return false;
      lua_pushnumber(L, lua_Number(v));
      return true;
    }
    case '$':
    case '=': {
      int64_t len;
      if (!ParseLong(line, &len)) return false;
      if (len < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      // (Compared this way round so that a huge length cannot overflow.)
      if (c.end - c.p < 2 || len > c.end - c.p - 2) return false;
      std::string_view body(c.p, size_t(len));
      c.p += len + 2;
      if (type == '$') {
        lua_pushlstring(L, body.data(), body.size());
        return true;
      }
      // Verbatim: "fmt:text".
      lua_newtable(L);
      lua_newtable(L);
      std::string_view fmt = body.substr(0, body.size() < 3 ? body.size() : 3);
      std::string_view text = body.size() >= 4 ? body.substr(4) : std::string_view();
      lua_pushlstring(L, fmt.data(), fmt.size());
      SetField(L, "format");
      lua_pushlstring(L, text.data(), text.size());
      SetField(L, "string");
      SetField(L, "verbatim_string");
      return true;
    }
    case '*':
    case '>': {
      int64_t n;
      if (!ParseLong(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      lua_newtable(L);
      for (int64_t i = 1; i <= n; i++) {
        if (!Push(L, c, depth + 1)) return false;
        lua_rawseti(L, -2, int(i));
      }
      return true;
    }
    case '%':
    case '~': {
      int64_t n;
      if (!ParseLong(line, &n) || n < 0) return false;
      lua_newtable(L);
      lua_newtable(L);
      for (int64_t i = 0; i < n; i++) {
        if (!Push(L, c, depth + 1)) return false;
        if (type == '%') {
          if (!Push(L, c, depth + 1)) return false;
        } else {
          lua_pushboolean(L, 1);
        }
        if (lua_isnil(L, -2)) {
          lua_pop(L, 2);  // a nil key cannot be stored
          continue;
        }
        lua_rawset(L, -3);
      }
      SetField(L, type == '%' ? "map" : "set");
      return true;
    }
    case '_':
      lua_pushnil(L);
      return true;
    case '#':
      lua_pushboolean(L, line == "t");
      return true;
    case ',': {
      std::string tmp(line);
      lua_newtable(L);
      lua_pushnumber(L, lua_Number(std::strtod(tmp.c_str(), nullptr)));
      SetField(L, "double");
      return true;
    }
    case '(':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      SetField(L, "big_number");
      return true;
    case '|': {
      // An attribute map precedes the value it describes; scripts get the value.
      int64_t n;
      if (!ParseLong(line, &n) || n < 0) return false;
      int top = lua_gettop(L);
      // (n pairs; no 2 * n: a huge n from the wire must not overflow.)
      for (int64_t i = 0; i < n; i++) {
        if (!Push(L, c, depth + 1) || !Push(L, c, depth + 1)) return false;
      }
      lua_settop(L, top);
      return Push(L, c, depth);
    }
    default:
      return false;
  }
}

}  // namespace

void LuaToReply(lua_State* L, int index, int script_resp, protocol::ReplyBuilder& rb) {
  ToReply(L, index, script_resp, rb, 0);
}

bool PushReply(lua_State* L, std::string_view reply) {
  int top = lua_gettop(L);
  Cursor c{reply.data(), reply.data() + reply.size()};
  if (!Push(L, c, 0)) {
    lua_settop(L, top);
    return false;
  }
  return true;
}

}  // namespace basalt::scripting
