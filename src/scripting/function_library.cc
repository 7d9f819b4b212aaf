#include "scripting/function_library.h"

#include <cctype>
#include <chrono>
#include <set>

#include "common/clock.h"
#include "common/strings.h"
#include "persistence/crc64.h"
#include "persistence/rdb_format.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

namespace basalt::scripting {
namespace {

constexpr char kPendingKey[] = "basalt.pending";
constexpr char kNameRule[] =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least "
    "one character long";
constexpr int64_t kLoadTimeoutMs = 500;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Metadata words are separated by spaces, tabs and CRs (a CRLF line ending).
std::vector<std::string_view> MetadataWords(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') i++;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool ValidName(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

[[noreturn]] void Raise(lua_State* L, const std::string& msg) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, msg.data(), msg.size());
  lua_rawset(L, -3);
  lua_error(L);
  __builtin_unreachable();
}

using Pending = std::vector<FunctionLibraries::Function>;

Pending* PendingOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kPendingKey);
  auto* p = static_cast<Pending*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return p;
}

void ReadFlags(lua_State* L, int index, FunctionLibraries::Function* f) {
  std::vector<std::string_view> names;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -1) != LUA_TSTRING) Raise(L, "ERR unknown flag given");
    size_t len;
    const char* s = lua_tolstring(L, -1, &len);
    f->flag_names.emplace_back(s, len);
    lua_pop(L, 1);
  }
  for (const auto& n : f->flag_names) names.push_back(n);
  StatusOr<ScriptFlags> flags = FlagsFromNames(names);
  if (!flags.ok()) Raise(L, "ERR unknown flag given");
  f->flags = *flags;
}

// redis.register_function(name, callback) or
// redis.register_function{function_name=, callback=, flags=, description=}.
int RegisterFunction(lua_State* L) {
  Pending* pending = PendingOf(L);
  if (pending == nullptr) {
    Raise(L, "ERR redis.register_function can only be called on FUNCTION LOAD command");
  }
  FunctionLibraries::Function f;
  f.flags.shebang = true;
  int argc = lua_gettop(L);
  bool have_name = false, have_callback = false;
  if (argc == 1 && lua_istable(L, 1)) {
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        Raise(L, "ERR named argument key given to redis.register_function is not a string");
      }
      std::string key = lua_tostring(L, -2);
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) {
          Raise(L, "ERR function_name argument given to redis.register_function must be a string");
        }
        f.name = lua_tostring(L, -1);
        have_name = true;
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) {
          Raise(L, "ERR description argument given to redis.register_function must be a string");
        }
        f.description = lua_tostring(L, -1);
        f.has_description = true;
      } else if (key == "callback") {
        if (lua_type(L, -1) != LUA_TFUNCTION) {
          Raise(L, "ERR callback argument given to redis.register_function must be a function");
        }
        if (have_callback) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
        lua_pushvalue(L, -1);
        f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
        have_callback = true;
      } else if (key == "flags") {
        if (lua_type(L, -1) != LUA_TTABLE) {
          Raise(L,
                "ERR flags argument to redis.register_function must be a table representing "
                "function flags");
        }
        f.flag_names.clear();
        ReadFlags(L, lua_gettop(L), &f);
      } else {
        Raise(L, "ERR unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
  } else if (argc == 1) {
    Raise(L,
          "ERR calling redis.register_function with a single argument is only applicable to "
          "Lua table (representing named arguments).");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) {
      Raise(L, "ERR first argument to redis.register_function must be a string");
    }
    if (lua_type(L, 2) != LUA_TFUNCTION) {
      Raise(L, "ERR second argument to redis.register_function must be a function");
    }
    f.name = lua_tostring(L, 1);
    have_name = true;
    lua_pushvalue(L, 2);
    f.ref = luaL_ref(L, LUA_REGISTRYINDEX);
    have_callback = true;
  } else {
    Raise(L, "ERR wrong number of arguments to redis.register_function");
  }
  auto fail = [&](const char* msg) {
    if (have_callback) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
    Raise(L, msg);
  };
  if (!have_name) fail("ERR redis.register_function must get a function name argument");
  if (!have_callback) fail("ERR redis.register_function must get a callback argument");
  if (!ValidName(f.name)) fail((std::string("ERR ") + kNameRule).c_str());
  for (const auto& p : *pending) {
    if (Lower(p.name) == Lower(f.name)) fail("ERR Function already exists in the library");
  }
  pending->push_back(std::move(f));
  return 0;
}

// Stops a library whose loading code runs too long.
class LoadHost final : public ScriptHost {
 public:
  LoadHost() : deadline_(MonotonicUs() / 1000 + kLoadTimeoutMs) {}
  void Call(std::span<const std::string_view>, int, std::string* reply) override {
    reply->append("-ERR redis.call is not available while loading a library\r\n");
  }
  const char* SetReplication(int) override { return nullptr; }
  void Log(int, std::string_view) override {}
  int AclCheck(std::span<const std::string_view>) override { return -1; }
  const char* Poll() override {
    return MonotonicUs() / 1000 > deadline_ ? "ERR FUNCTION LOAD timeout" : nullptr;
  }

 private:
  int64_t deadline_;
};

}  // namespace

FunctionLibraries::FunctionLibraries(LuaEngine& engine) : engine_(engine) {
  engine_.SetLoadApi(RegisterFunction);
  PublishCodes();
}

Status FunctionLibraries::Compile(std::string_view code, bool replace, Library* lib,
                                  std::vector<Function>* fns) {
  if (code.substr(0, 2) != "#!") return Status::Error("ERR Missing library metadata");
  size_t eol = code.find('\n');
  if (eol == std::string_view::npos) return Status::Error("ERR Invalid library metadata");
  // The first word is "#!<engine>"; the rest are name=<library>.
  std::vector<std::string_view> parts = MetadataWords(code.substr(0, eol));
  if (parts.empty()) return Status::Error("ERR Invalid library metadata");
  std::string_view engine = parts[0].substr(2);
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); i++) {
    if (Lower(parts[i].substr(0, 5)) == "name=") {
      if (have_name) {
        return Status::Error(
            "ERR Invalid metadata value, name argument was given multiple times");
      }
      lib->name = std::string(parts[i].substr(5));
      have_name = true;
    } else {
      return Status::Error("ERR Invalid metadata value given: " + std::string(parts[i]));
    }
  }
  if (!have_name) return Status::Error("ERR Library name was not given");
  if (Lower(engine) != "lua") {
    return Status::Error("ERR Engine '" + std::string(engine) + "' not found");
  }
  if (!ValidName(lib->name)) return Status::Error(std::string("ERR ") + kNameRule);
  if (!replace && libraries_.count(lib->name) != 0) {
    return Status::Error("ERR Library '" + lib->name + "' already exists");
  }
  lib->code = std::string(code);

  lua_State* L = engine_.state();
  int base = lua_gettop(L);
  std::string body(code);
  body[0] = '-';
  body[1] = '-';
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_function") != 0) {
    std::string err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "?";
    lua_settop(L, base);
    return Status::Error("ERR Error compiling function: " + err);
  }
  Pending pending;
  lua_pushlightuserdata(L, &pending);
  lua_setfield(L, LUA_REGISTRYINDEX, kPendingKey);
  LoadHost host;
  std::string err;
  bool ok = engine_.RunLoader(host, &err);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kPendingKey);
  lua_settop(L, base);
  if (!ok) {
    for (auto& f : pending) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
    return Status::Error("ERR Error registering functions: " + err);
  }
  if (pending.empty()) return Status::Error("ERR No functions registered");
  for (auto& f : pending) {
    f.library = lib->name;
    lib->functions.push_back(f.name);
  }
  *fns = std::move(pending);
  return Status::Ok();
}

StatusOr<std::string> FunctionLibraries::Load(std::string_view code, bool replace) {
  Library lib;
  std::vector<Function> fns;
  Status st = Compile(code, replace, &lib, &fns);
  auto drop = [&] {
    for (auto& f : fns) luaL_unref(engine_.state(), LUA_REGISTRYINDEX, f.ref);
  };
  if (!st.ok()) return st;
  auto existing = libraries_.find(lib.name);
  if (existing != libraries_.end() && !replace) {
    drop();
    return Status::Error("ERR Library '" + lib.name + "' already exists");
  }
  for (const auto& f : fns) {
    auto it = functions_.find(Lower(f.name));
    if (it != functions_.end() && it->second.library != lib.name) {
      drop();
      return Status::Error("ERR Function " + f.name + " already exists");
    }
  }
  std::string name = lib.name;
  Install(std::move(lib), std::move(fns));
  PublishCodes();
  return name;
}

void FunctionLibraries::Unref(const Library& lib) {
  for (const auto& fname : lib.functions) {
    auto it = functions_.find(Lower(fname));
    if (it == functions_.end()) continue;
    luaL_unref(engine_.state(), LUA_REGISTRYINDEX, it->second.ref);
    functions_.erase(it);
  }
}

void FunctionLibraries::Install(Library lib, std::vector<Function> fns) {
  auto existing = libraries_.find(lib.name);
  if (existing != libraries_.end()) {
    Unref(existing->second);
    libraries_.erase(existing);
  }
  // Function names are case-insensitive (FCALL ECHO runs echo).
  for (auto& f : fns) functions_.emplace(Lower(f.name), std::move(f));
  std::string name = lib.name;
  libraries_.emplace(std::move(name), std::move(lib));
}

Status FunctionLibraries::Delete(std::string_view name) {
  auto it = libraries_.find(std::string(name));
  if (it == libraries_.end()) return Status::Error("ERR Library not found");
  Unref(it->second);
  libraries_.erase(it);
  PublishCodes();
  return Status::Ok();
}

void FunctionLibraries::Flush() {
  for (const auto& [name, lib] : libraries_) Unref(lib);
  libraries_.clear();
  functions_.clear();
  lua_gc(engine_.state(), LUA_GCCOLLECT, 0);
  PublishCodes();
}

const FunctionLibraries::Function* FunctionLibraries::Find(std::string_view name) const {
  auto it = functions_.find(Lower(name));
  return it == functions_.end() ? nullptr : &it->second;
}

std::string FunctionLibraries::Dump() const {
  std::string out;
  persistence::RdbEncoder enc(&out, true);
  for (const auto& [name, lib] : libraries_) {
    enc.Byte(persistence::kRdbOpFunction2);
    enc.String(lib.code);
  }
  enc.Byte(uint8_t(persistence::kRdbVersion & 0xFF));
  enc.Byte(uint8_t(persistence::kRdbVersion >> 8));
  uint64_t crc = persistence::Crc64(0, out.data(), out.size());
  persistence::WriteRdbChecksum(&out, crc);
  return out;
}

Status FunctionLibraries::Restore(std::string_view payload, RestorePolicy policy) {
  const Status bad = Status::Error("ERR DUMP payload version or checksum are wrong");
  if (payload.size() < 10) return bad;
  size_t body_len = payload.size() - 10;
  uint16_t version = uint16_t(uint8_t(payload[body_len]) | (uint8_t(payload[body_len + 1]) << 8));
  if (version > persistence::kRdbVersion) return bad;
  uint64_t stored = 0;
  for (int i = 7; i >= 0; i--) stored = (stored << 8) | uint8_t(payload[body_len + 2 + size_t(i)]);
  if (stored != 0 && persistence::Crc64(0, payload.data(), body_len + 2) != stored) return bad;
  std::vector<std::string> codes;
  persistence::StringSource src(payload.substr(0, body_len));
  while (src.remaining() > 0) {
    uint8_t type;
    if (!persistence::ReadByte(src, &type).ok()) return bad;
    if (type == persistence::kRdbOpFunctionPreGa) {
      return Status::Error("ERR Pre-GA function format not supported");
    }
    if (type != persistence::kRdbOpFunction2) {
      return Status::Error("ERR given type is not a function");
    }
    std::string code;
    if (!persistence::ReadString(src, &code).ok()) return bad;
    codes.push_back(std::move(code));
  }
  std::vector<std::string> before = Codes();
  if (policy == RestorePolicy::kFlush) Flush();
  for (const auto& code : codes) {
    StatusOr<std::string> r = Load(code, policy == RestorePolicy::kReplace);
    if (!r.ok()) {
      // RESTORE's collision text has no quotes around the name.
      std::string msg = r.status().message();
      if (msg.starts_with("ERR Library '") && msg.ends_with("' already exists")) {
        std::string name = msg.substr(13, msg.size() - 13 - 16);
        r = Status::Error("ERR Library " + name + " already exists");
      }
      // All or nothing: back to the libraries we had.
      (void)ReplaceAll(before);
      return r.status();
    }
  }
  return Status::Ok();
}

std::vector<std::string> FunctionLibraries::Codes() const {
  std::lock_guard<std::mutex> lock(codes_mu_);
  return codes_;
}

Status FunctionLibraries::ReplaceAll(const std::vector<std::string>& codes) {
  Flush();
  Status first;
  for (const auto& code : codes) {
    StatusOr<std::string> r = Load(code, true);
    if (!r.ok() && first.ok()) first = r.status();
  }
  return first;
}

void FunctionLibraries::PublishCodes() {
  std::vector<std::string> codes;
  for (const auto& [name, lib] : libraries_) codes.push_back(lib.code);
  std::lock_guard<std::mutex> lock(codes_mu_);
  codes_ = std::move(codes);
}

}  // namespace basalt::scripting
