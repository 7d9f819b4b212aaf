#include "scripting/lua_engine.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/strings.h"
#include "common/version.h"
#include "protocol/reply_builder.h"
#include "scripting/lua_modules.h"

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

namespace basalt::scripting {
namespace {

// Registry keys.
constexpr char kEngineKey[] = "basalt.engine";
constexpr char kReadonlyKey[] = "basalt.readonly";  // set of protected proxies
constexpr char kReadonlyMsg[] = "Attempt to modify a readonly table";
constexpr int kHookInstructions = 10000;

LuaEngine* EngineOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kEngineKey);
  auto* e = static_cast<LuaEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return e;
}

// Raises a Lua error whose object is the table {err=msg} (what redis.call
// raises: the message handler adds where it happened).
[[noreturn]] void RaiseErrorTable(lua_State* L, std::string_view msg) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, msg.data(), msg.size());
  lua_rawset(L, -3);
  lua_error(L);
  __builtin_unreachable();
}

// (int) of a Lua number as Redis's C cast gives it on x86-64, without the
// undefined behaviour: NaN and values outside int's range become INT_MIN, which
// every caller then rejects as out of range, as Redis does.
int NumberToInt(lua_Number n) {
  if (!(n > -2147483649.0 && n < 2147483648.0)) return INT32_MIN;
  return int(n);
}

// The redis table's own argument errors: "ERR <msg>", no position.
[[noreturn]] void RaiseApiError(lua_State* L, const char* msg) {
  RaiseErrorTable(L, std::string("ERR ") + msg);
}

void PushErrorTable(lua_State* L, std::string_view msg) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, msg.data(), msg.size());
  lua_rawset(L, -3);
}

// An error a command already counted (errorstats, failed calls): the script's
// reply carrying it on is not counted again.
void MarkCounted(lua_State* L) {
  lua_pushstring(L, "ignore_error_stats_update");
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
}

// An error text as a script sees it: "-CODE msg" keeps its code, "-msg"
// without a space and a bare "msg" get ERR; a trailing CRLF goes.
std::string ScriptErrorText(std::string_view raw) {
  std::string code = "ERR";
  std::string_view msg = raw;
  if (!raw.empty() && raw[0] == '-') {
    std::string_view rest = raw.substr(1);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) {
      msg = rest;
    } else {
      code = std::string(rest.substr(0, sp));
      msg = rest.substr(sp + 1);
    }
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  return code + " " + std::string(msg);
}

// --- math.random: rand48, one process-wide sequence as Redis has ---
uint64_t g_rand48 = 0x1234ABCD330Eull;

int32_t Lrand48() {
  g_rand48 = (0x5DEECE66Dull * g_rand48 + 0xB) & ((1ull << 48) - 1);
  return int32_t(g_rand48 >> 17);
}

int MathRandom(lua_State* L) {
  constexpr int32_t kMax = 2147483647;
  lua_Number r = lua_Number(Lrand48() % kMax) / lua_Number(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomseed(lua_State* L) {
  uint32_t seed = uint32_t(luaL_checkint(L, 1));
  g_rand48 = (uint64_t(seed) << 16) | 0x330E;
  return 0;
}

// --- The sandbox ---

bool IsReadonly(lua_State* L, int index) {
  if (!lua_istable(L, index)) return false;
  lua_pushvalue(L, index);
  lua_getfield(L, LUA_REGISTRYINDEX, kReadonlyKey);
  lua_insert(L, -2);
  lua_rawget(L, -2);
  bool ro = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return ro;
}

[[noreturn]] void RaiseReadonly(lua_State* L) {
  lua_pushstring(L, kReadonlyMsg);
  lua_error(L);
  __builtin_unreachable();
}

int ReadonlyNewindex(lua_State* L) { return luaL_error(L, kReadonlyMsg); }

int MissingGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
}

// Pushes a read-only proxy of the table at `real` (reads go through, writes
// fail) and records it as read-only.
void PushReadonlyProxy(lua_State* L, int real) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, "__index");
  lua_pushvalue(L, real);
  lua_rawset(L, -3);
  lua_pushstring(L, "__newindex");
  lua_pushcfunction(L, ReadonlyNewindex);
  lua_rawset(L, -3);
  lua_setmetatable(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, kReadonlyKey);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Reading a missing key of the table at `index` fails as a missing global.
void SetMissingIsError(lua_State* L, int index) {
  lua_newtable(L);
  lua_pushstring(L, "__index");
  lua_pushcfunction(L, MissingGlobal);
  lua_rawset(L, -3);
  lua_setmetatable(L, index);
}

int SafeRawset(lua_State* L) {
  if (IsReadonly(L, 1)) RaiseReadonly(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int SafeSetmetatable(lua_State* L) {
  if (IsReadonly(L, 1)) RaiseReadonly(L);
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
  if (luaL_getmetafield(L, 1, "__metatable")) luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

int SafeGetmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (IsReadonly(L, 1)) {
    // A proxy answers for the table behind it.
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_replace(L, 1);
    lua_settop(L, 1);
  }
  if (!lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  luaL_getmetafield(L, 1, "__metatable");
  return 1;
}

// loadstring/load: text only (precompiled chunks can break the sandbox), and
// the chunk runs with the sandboxed globals.
int SafeLoadstring(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, s);
  if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
    lua_pushnil(L);
    lua_pushstring(L, "attempt to load a binary chunk");
    return 2;
  }
  if (luaL_loadbuffer(L, s, len, name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

// next/pairs see through a read-only proxy to the table behind it.
void ToRealTable(lua_State* L, int index) {
  if (IsReadonly(L, index)) {
    lua_getmetatable(L, index);
    lua_getfield(L, -1, "__index");
    lua_replace(L, index);
    lua_pop(L, 1);
  }
}

int SafeNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  ToRealTable(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int SafePairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  ToRealTable(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));  // next
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// pcall: an error raised as {err=...} (redis.call's) is caught as its text.
int SafePcall(lua_State* L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (status != 0) {
    if (lua_istable(L, -1)) {
      lua_pushstring(L, "err");
      lua_rawget(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  return lua_gettop(L);
}

// --- The redis table ---

// Builds the argument vector of redis.call/pcall; on a bad argument returns
// the error text.
// The strings keep their capacity from call to call (storage is reused).
const char* CollectArgs(lua_State* L, std::vector<std::string>* storage) {
  int argc = lua_gettop(L);
  if (argc == 0) return "Please specify at least one argument for this redis lib call";
  if (storage->size() < size_t(argc)) storage->resize(size_t(argc));
  for (int i = 1; i <= argc; i++) {
    std::string& out = (*storage)[size_t(i - 1)];
    int t = lua_type(L, i);
    if (t == LUA_TNUMBER) {
      char buf[64];
      int n = std::snprintf(buf, sizeof(buf), "%.17g", double(lua_tonumber(L, i)));
      out.assign(buf, size_t(n));
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, i, &len);
      out.assign(s, len);
    } else {
      return "Lua redis lib command arguments must be strings or integers";
    }
  }
  return nullptr;
}

int GenericCall(lua_State* L, bool raise) {
  LuaEngine* e = EngineOf(L);
  ScriptHost* host = e->host();
  std::string& reply = e->call_reply_;
  reply.clear();
  {
    std::vector<std::string>& storage = e->call_args_;
    const char* bad = CollectArgs(L, &storage);
    if (bad != nullptr) {
      std::string msg = std::string("ERR ") + bad;
      if (raise) RaiseErrorTable(L, msg);
      PushErrorTable(L, msg);
      return 1;
    }
    if (host == nullptr) {
      RaiseErrorTable(L, "ERR redis.call is not available here");
    }
    std::vector<std::string_view>& args = e->call_views_;
    args.assign(storage.begin(), storage.begin() + lua_gettop(L));
    host->Call(args, e->resp(), &reply);
  }
  if (!reply.empty() && reply[0] == '-') {
    size_t end = reply.find("\r\n");
    std::string msg = ScriptErrorText(std::string_view(reply).substr(0, end));
    reply.clear();
    PushErrorTable(L, msg);
    MarkCounted(L);
    if (raise) lua_error(L);
    return 1;
  }
  if (!PushReply(L, reply)) {
    std::string msg = "ERR the command's reply could not be converted";
    reply.clear();
    RaiseErrorTable(L, msg);
  }
  // The buffers are reused; a huge reply or argument does not stay resident.
  if (reply.capacity() > (64u << 10)) std::string().swap(reply);
  for (std::string& a : e->call_args_) {
    if (a.capacity() > (64u << 10)) std::string().swap(a);
  }
  return 1;
}

int RedisCall(lua_State* L) { return GenericCall(L, true); }
int RedisPcall(lua_State* L) { return GenericCall(L, false); }

int RedisSha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseApiError(L, "wrong number of arguments");
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(std::string_view(s ? s : "", s ? len : 0));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string raw(s, len);
  if (raw.empty() || raw[0] != '-') raw.insert(0, "-");
  PushErrorTable(L, ScriptErrorText(raw));
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, 1);
  lua_rawset(L, -3);
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseApiError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseApiError(L, "First argument must be a number (log level).");
  int level = NumberToInt(lua_tonumber(L, 1));
  if (level < 0 || level > 3) RaiseApiError(L, "Invalid debug level.");
  std::string msg;
  for (int i = 2; i <= argc; i++) {
    size_t len;
    const char* s = lua_tolstring(L, i, &len);
    if (s == nullptr) continue;
    if (i > 2) msg.push_back(' ');
    msg.append(s, len);
  }
  LuaEngine* e = EngineOf(L);
  if (e->host() != nullptr) e->host()->Log(level, msg);
  return 0;
}

int RedisSetresp(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseApiError(L, "redis.setresp() requires one argument.");
  int v = NumberToInt(lua_tonumber(L, 1));
  if (v != 2 && v != 3) RaiseApiError(L, "RESP version must be 2 or 3.");
  EngineOf(L)->set_resp(v);
  return 0;
}

int RedisSetRepl(lua_State* L) {
  // (Redis's text says "two" for its one argument.)
  if (lua_gettop(L) != 1) RaiseApiError(L, "redis.set_repl() requires two arguments.");
  int flags = NumberToInt(lua_tonumber(L, 1));
  if (flags < kReplNone || flags > kReplAll) {
    RaiseApiError(L,
                  "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                  "REPL_NONE.");
  }
  LuaEngine* e = EngineOf(L);
  if (e->host() != nullptr) {
    if (const char* err = e->host()->SetReplication(flags)) RaiseErrorTable(L, err);
  }
  return 0;
}

// redis.acl_check_cmd(command, ...): whether the script's user may run it.
int RedisAclCheckCmd(lua_State* L) {
  LuaEngine* e = EngineOf(L);
  std::vector<std::string> storage;
  const char* bad = CollectArgs(L, &storage);
  if (bad != nullptr) RaiseApiError(L, bad);
  std::vector<std::string_view> args(storage.begin(), storage.end());
  int allowed = e->host() != nullptr ? e->host()->AclCheck(args) : -1;
  if (allowed < 0) RaiseApiError(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, allowed);
  return 1;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int RedisDebug(lua_State* L) { return 0; }

// The pcall message handler: turns the error into {err=, source=, line=}.
int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool have = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
  if (have && std::strcmp(ar.what, "C") == 0) {
    have = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
  }
  if (!lua_istable(L, 1)) {
    std::string msg = "ERR ";
    if (lua_isstring(L, 1)) {
      size_t len;
      const char* s = lua_tolstring(L, 1, &len);
      msg.append(s, len);
    } else if (lua_isnil(L, 1)) {
      msg += "nil";
    } else if (lua_isboolean(L, 1)) {
      msg += lua_toboolean(L, 1) ? "true" : "false";
    } else {
      msg += luaL_typename(L, 1);
    }
    lua_settop(L, 0);
    PushErrorTable(L, msg);
  } else {
    lua_settop(L, 1);
  }
  if (have) {
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_rawset(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, ar.currentline);
    lua_rawset(L, 1);
  }
  return 1;
}

void Hook(lua_State* L, lua_Debug* ar) {
  LuaEngine* e = EngineOf(L);
  if (e->host() == nullptr) return;
  const char* stop = e->host()->Poll();
  if (stop == nullptr) return;
  // Raise again at every line, so a pcall in the script cannot swallow it.
  lua_sethook(L, Hook, LUA_MASKLINE, 0);
  RaiseErrorTable(L, stop);
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushstring(L, name);
  lua_pushcfunction(L, f);
  lua_rawset(L, -3);
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushstring(L, name);
  lua_pushnumber(L, v);
  lua_rawset(L, -3);
}

// Pushes the real globals table (behind the read-only _G proxy).
void PushRealGlobals(lua_State* L) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_getmetatable(L, -1);
  lua_getfield(L, -1, "__index");
  lua_replace(L, -3);
  lua_pop(L, 1);
}

void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

}  // namespace

std::string Sha1Hex(std::string_view data) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char kHex[] = "0123456789abcdef";
  std::string out(40, '0');
  for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
    out[size_t(2 * i)] = kHex[md[i] >> 4];
    out[size_t(2 * i + 1)] = kHex[md[i] & 15];
  }
  return out;
}

StatusOr<ScriptFlags> FlagsFromNames(std::span<const std::string_view> names) {
  ScriptFlags f;
  f.shebang = true;
  for (std::string_view n : names) {
    if (n == "no-writes") {
      f.no_writes = true;
    } else if (n == "allow-oom") {
      f.allow_oom = true;
    } else if (n == "allow-stale") {
      f.allow_stale = true;
    } else if (n == "no-cluster") {
      f.no_cluster = true;
    } else if (n == "allow-cross-slot-keys") {
      f.allow_cross_slot_keys = true;
    } else {
      return Status::Error("ERR Unexpected flag in script shebang: " + std::string(n));
    }
  }
  return f;
}

StatusOr<ScriptFlags> ParseEvalShebang(std::string_view body) {
  ScriptFlags none;
  if (body.substr(0, 2) != "#!") return none;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos) return Status::Error("ERR Invalid script shebang");
  std::string_view line = body.substr(0, eol);
  std::vector<std::string_view> parts = SplitWords(line);
  if (parts.empty() || parts[0] != "#!lua") {
    std::string engine(parts.empty() ? line : parts[0]);
    return Status::Error("ERR Unexpected engine in script shebang: " + engine);
  }
  std::vector<std::string_view> flags;
  for (size_t i = 1; i < parts.size(); i++) {
    std::string_view p = parts[i];
    if (p.substr(0, 6) == "flags=") {
      std::string_view list = p.substr(6);
      // "flags=" alone is no flags; "a,,b" and "a," name an empty flag.
      while (!list.empty()) {
        size_t comma = list.find(',');
        flags.push_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
        if (list.empty()) flags.push_back(list);
      }
    } else {
      return Status::Error("ERR Unknown lua shebang option: " + std::string(p));
    }
  }
  return FlagsFromNames(flags);
}

LuaEngine::LuaEngine(Kind kind) : kind_(kind) {
  L_ = luaL_newstate();
  Setup();
}

LuaEngine::~LuaEngine() {
  if (L_ != nullptr) lua_close(L_);
}

void LuaEngine::Setup() {
  lua_State* L = L_;
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kEngineKey);

  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 1);
  lua_setglobal(L, "bit");
  lua_pushcfunction(L, OpenStruct);
  lua_call(L, 0, 1);
  lua_setglobal(L, "struct");
  lua_pushcfunction(L, OpenCmsgpack);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cmsgpack");

  // What scripts may not reach.
  for (const char* name : {"loadfile", "dofile", "print", "setfenv", "getfenv", "require",
                           "module", "newproxy", "os", "io", "package", "debug"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_register(L, "rawset", SafeRawset);
  lua_register(L, "setmetatable", SafeSetmetatable);
  lua_register(L, "getmetatable", SafeGetmetatable);
  lua_register(L, "loadstring", SafeLoadstring);
  lua_register(L, "load", SafeLoadstring);
  lua_register(L, "pcall", SafePcall);
  lua_pushcfunction(L, SafeNext);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "next");
  lua_pushcclosure(L, SafePairs, 1);
  lua_setglobal(L, "pairs");
  lua_getglobal(L, "math");
  SetFunction(L, "random", MathRandom);
  SetFunction(L, "randomseed", MathRandomseed);
  lua_pop(L, 1);

  // The redis table.
  lua_newtable(L);
  SetFunction(L, "call", RedisCall);
  SetFunction(L, "pcall", RedisPcall);
  SetFunction(L, "sha1hex", RedisSha1hex);
  SetFunction(L, "error_reply", RedisErrorReply);
  SetFunction(L, "status_reply", RedisStatusReply);
  SetFunction(L, "log", RedisLog);
  SetFunction(L, "setresp", RedisSetresp);
  SetFunction(L, "set_repl", RedisSetRepl);
  SetFunction(L, "replicate_commands", RedisReplicateCommands);
  SetFunction(L, "acl_check_cmd", RedisAclCheckCmd);
  SetFunction(L, "breakpoint", RedisBreakpoint);
  SetFunction(L, "debug", RedisDebug);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetNumber(L, "REPL_NONE", kReplNone);
  SetNumber(L, "REPL_AOF", kReplAof);
  SetNumber(L, "REPL_SLAVE", kReplReplica);
  SetNumber(L, "REPL_REPLICA", kReplReplica);
  SetNumber(L, "REPL_ALL", kReplAll);
  lua_pushstring(L, "REDIS_VERSION");
  lua_pushstring(L, kRedisCompatVersion);
  lua_rawset(L, -3);
  {
    int major = 0, minor = 0, patch = 0;
    std::sscanf(kRedisCompatVersion, "%d.%d.%d", &major, &minor, &patch);
    SetNumber(L, "REDIS_VERSION_NUM", (major << 16) | (minor << 8) | patch);
  }
  lua_setglobal(L, "redis");

  lua_pushcfunction(L, ErrorHandler);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "basalt.errh");
  // Redis keeps its error handler as a global of this name; scripts that
  // list the globals see it.
  lua_setglobal(L, "__redis__err__handler");

  Protect();
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
}

// Every library table and the globals become read-only: each is replaced by
// an empty proxy whose reads go to the real table and whose writes fail. A
// read of a missing global fails too.
void LuaEngine::Protect() {
  lua_State* L = L_;
  lua_newtable(L);  // the set of proxies
  lua_setfield(L, LUA_REGISTRYINDEX, kReadonlyKey);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  int globals = lua_gettop(L);
  for (const char* lib : {"string", "table", "math", "coroutine", "redis", "cjson", "bit", "struct",
                          "cmsgpack"}) {
    lua_getfield(L, globals, lib);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    PushReadonlyProxy(L, lua_gettop(L));
    lua_setfield(L, globals, lib);
    lua_pop(L, 1);
  }
  // Reads of missing globals fail.
  SetMissingIsError(L, globals);
  // Methods on strings ("x"):len() find the same (protected) string table.
  lua_pushstring(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushstring(L, "__index");
    lua_getfield(L, globals, "string");
    lua_rawset(L, -3);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  PushReadonlyProxy(L, globals);
  // _G is the proxy, and so is the environment of everything compiled from
  // now on.
  lua_pushstring(L, "_G");
  lua_pushvalue(L, -2);
  lua_rawset(L, globals);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);
}

StatusOr<const LuaEngine::Script*> LuaEngine::LoadScript(std::string_view body, std::string* sha) {
  *sha = Sha1Hex(body);
  auto it = scripts_.find(std::string_view(*sha));
  if (it != scripts_.end()) return &it->second;
  StatusOr<ScriptFlags> flags = ParseEvalShebang(body);
  if (!flags.ok()) return flags.status();
  std::string code(body);
  if (flags->shebang) {
    // Keep the line numbers: the shebang line becomes a comment.
    code[0] = '-';
    code[1] = '-';
  }
  if (luaL_loadbuffer(L_, code.data(), code.size(), "@user_script") != 0) {
    std::string err = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "?";
    lua_pop(L_, 1);
    return Status::Error("ERR Error compiling script (new function): " + err);
  }
  Script s;
  s.sha = *sha;
  s.body = std::string(body);
  s.flags = *flags;
  s.ref = luaL_ref(L_, LUA_REGISTRYINDEX);
  scripts_bytes_ += s.body.size() + 40;
  auto [pos, inserted] = scripts_.emplace(*sha, std::move(s));
  return &pos->second;
}

const LuaEngine::Script* LuaEngine::FindScript(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  char lower[40];
  for (size_t i = 0; i < 40; i++) lower[i] = char(std::tolower(static_cast<unsigned char>(sha[i])));
  auto it = scripts_.find(std::string_view(lower, 40));
  return it == scripts_.end() ? nullptr : &it->second;
}

void LuaEngine::FlushScripts() {
  for (auto& [sha, s] : scripts_) luaL_unref(L_, LUA_REGISTRYINDEX, s.ref);
  scripts_.clear();
  scripts_bytes_ = 0;
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

void LuaEngine::SetLoadApi(int (*register_function)(lua_State*)) {
  lua_State* L = L_;
  lua_newtable(L);
  int t = lua_gettop(L);
  SetFunction(L, "register_function", register_function);
  SetFunction(L, "log", RedisLog);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushstring(L, "REDIS_VERSION");
  lua_pushstring(L, kRedisCompatVersion);
  lua_rawset(L, t);
  PushRealGlobals(L);
  lua_getfield(L, -1, "redis");
  lua_getfield(L, -1, "REDIS_VERSION_NUM");
  lua_setfield(L, t, "REDIS_VERSION_NUM");
  lua_pop(L, 2);
  // Anything else is missing, with the message a missing global gets; and
  // the table is read-only, like every other library table.
  SetMissingIsError(L, t);
  PushReadonlyProxy(L, t);
  // Library code sees nothing but that table while it loads: the globals'
  // reads go to this environment instead of the real globals.
  lua_newtable(L);
  lua_pushstring(L, "redis");
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  SetMissingIsError(L, lua_gettop(L));
  lua_setfield(L, LUA_REGISTRYINDEX, "basalt.loadenv");
  lua_pop(L, 2);
}

bool LuaEngine::RunLoader(ScriptHost& host, std::string* err) {
  lua_State* L = L_;
  int fn = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "basalt.errh");
  lua_insert(L, fn);  // errh at fn, the chunk above it
  // While it loads, global reads see only the load-time API: the globals
  // proxy reads from the load environment instead of the real globals.
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  int mt = lua_gettop(L);
  lua_pushstring(L, "__index");
  lua_rawget(L, mt);
  int saved = lua_gettop(L);
  lua_pushstring(L, "__index");
  lua_getfield(L, LUA_REGISTRYINDEX, "basalt.loadenv");
  lua_rawset(L, mt);
  lua_pushvalue(L, fn + 1);
  host_ = &host;
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  int rc = lua_pcall(L, 0, 0, fn);
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  host_ = nullptr;
  bool ok = rc == 0;
  if (!ok) {
    if (lua_istable(L, -1)) {
      lua_pushstring(L, "err");
      lua_rawget(L, -2);
      *err = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "ERR unknown error";
      lua_pop(L, 1);
    } else {
      const char* m = lua_tostring(L, -1);
      *err = m ? m : "unknown error";
    }
  }
  lua_pushstring(L, "__index");
  lua_pushvalue(L, saved);
  lua_rawset(L, mt);
  lua_settop(L, fn - 1);
  return ok;
}

size_t LuaEngine::memory() const {
  return size_t(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 + size_t(lua_gc(L_, LUA_GCCOUNTB, 0));
}

namespace {
void PushStringArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, int(items.size()), 0);
  for (size_t i = 0; i < items.size(); i++) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, int(i + 1));
  }
}

// Sets a global without going through the read-only proxy.
void SetRealGlobal(lua_State* L, const char* name) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);  // the proxy
  lua_getmetatable(L, -1);
  lua_getfield(L, -1, "__index");  // the real globals
  lua_pushstring(L, name);
  lua_pushvalue(L, -5);
  lua_rawset(L, -3);
  lua_pop(L, 4);
}
}  // namespace

void LuaEngine::Run(int ref, std::string_view name, bool fcall,
                    std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, ScriptHost& host,
                    protocol::ReplyBuilder& rb) {
  lua_State* L = L_;
  int base = lua_gettop(L);
  host_ = &host;
  resp_ = 2;
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  lua_getfield(L, LUA_REGISTRYINDEX, "basalt.errh");
  int errh = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  int nargs = 0;
  if (fcall) {
    PushStringArray(L, keys);
    PushStringArray(L, args);
    nargs = 2;
  } else {
    PushStringArray(L, keys);
    SetRealGlobal(L, "KEYS");
    PushStringArray(L, args);
    SetRealGlobal(L, "ARGV");
  }
  int rc = lua_pcall(L, nargs, 1, errh);
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  error_counted_ = false;
  if (lua_istable(L, -1)) {
    // Raw reads: an error object's metamethods must not run unprotected.
    lua_pushstring(L, "ignore_error_stats_update");
    lua_rawget(L, -2);
    error_counted_ = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  if (rc == 0) {
    LuaToReply(L, -1, resp_, rb);
  } else if (lua_istable(L, -1)) {
    int t = lua_gettop(L);
    lua_pushstring(L, "err");
    lua_rawget(L, t);
    std::string msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "ERR unknown error";
    lua_pushstring(L, "source");
    lua_rawget(L, t);
    lua_pushstring(L, "line");
    lua_rawget(L, t);
    if (lua_isstring(L, -2) && lua_isnumber(L, -1)) {
      msg += " script: " + std::string(name) + ", on " + lua_tostring(L, -2) + ":" +
             std::to_string(lua_tointeger(L, -1)) + ".";
    }
    rb.Error(msg);
  } else {
    const char* m = lua_tostring(L, -1);
    rb.Error("ERR Error running script " + std::string(name) + ", " +
             std::string(m ? m : "execution failure"));
  }
  lua_settop(L, base);
  host_ = nullptr;
}

}  // namespace basalt::scripting
