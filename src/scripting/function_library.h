// FunctionLibraries: the libraries of FUNCTION LOAD and the functions they
// register, kept in the functions engine's Lua state (Redis 7.0 semantics).
//
// A library is Lua code starting with `#!lua name=<lib>`. Loading runs it
// once with a reduced `redis` table (register_function, log, setresp and the
// constants); each redis.register_function(name, callback) or
// register_function{function_name=, callback=, flags=, description=} adds a
// function FCALL can run. Libraries are data: FUNCTION DUMP / RESTORE, the
// RDB (opcode FUNCTION2 per library) and the AOF / replication stream
// (FUNCTION LOAD, DELETE, FLUSH, RESTORE as sent) carry their code.
//
// Thread-safety: everything but Codes() and the counters runs inside the
// script gate (scripting::Runtime). Codes() may be called from any thread
// (snapshots take it while holding every shard lock).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scripting/lua_engine.h"

namespace basalt::scripting {

class FunctionLibraries {
 public:
  struct Function {
    std::string name;
    std::string description;  // empty: none given
    bool has_description = false;
    ScriptFlags flags;
    std::vector<std::string> flag_names;
    int ref = 0;  // the callback, in the Lua registry
    std::string library;
  };
  struct Library {
    std::string name;
    std::string code;
    std::vector<std::string> functions;  // in registration order
  };

  // Installs redis.register_function in the engine's load-time API.
  explicit FunctionLibraries(LuaEngine& engine);

  // FUNCTION LOAD [REPLACE]: compiles and runs `code`, registers its
  // functions; returns the library name or the reply's error text.
  StatusOr<std::string> Load(std::string_view code, bool replace);
  // FUNCTION DELETE: "ERR Library not found" when absent.
  Status Delete(std::string_view name);
  void Flush();
  const Function* Find(std::string_view name) const;
  const std::map<std::string, Library>& libraries() const { return libraries_; }
  size_t function_count() const { return functions_.size(); }

  // FUNCTION DUMP: one FUNCTION2 record per library, then the RDB version
  // and CRC-64 footer of DUMP payloads.
  std::string Dump() const;
  enum class RestorePolicy { kAppend, kReplace, kFlush };
  // FUNCTION RESTORE: all or nothing.
  Status Restore(std::string_view payload, RestorePolicy policy);

  // The code of every library (for snapshots); any thread.
  std::vector<std::string> Codes() const;
  // The library codes are replaced wholesale (a snapshot or RDB load).
  Status ReplaceAll(const std::vector<std::string>& codes);

 private:
  // Compiles and runs code in load mode; fills *lib and *fns without touching
  // the registered libraries.
  Status Compile(std::string_view code, bool replace, Library* lib, std::vector<Function>* fns);
  void Unref(const Library& lib);
  void Install(Library lib, std::vector<Function> fns);
  void PublishCodes();

  LuaEngine& engine_;
  std::map<std::string, Library> libraries_;
  std::map<std::string, Function> functions_;
  mutable std::mutex codes_mu_;
  std::vector<std::string> codes_;  // guarded by codes_mu_
};

}  // namespace basalt::scripting
