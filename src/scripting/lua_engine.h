// LuaEngine: one Lua 5.1 state set up the way Redis 7.0 scripts expect it —
// the sandbox (read-only globals and library tables, no os/io/loadfile/
// dofile/print/require), the libraries (string, table, math, coroutine, cjson,
// bit, struct, cmsgpack), the `redis` API, the deterministic math.random,
// and the conversions between Lua values and RESP2/RESP3 replies.
//
// The engine knows nothing of the keyspace or of commands: a script's
// redis.call reaches the server through a ScriptHost the commands layer
// implements (scripting_family.cc), which runs the command through the
// executor and hands back its RESP reply.
//
// Two kinds of engine exist: kEval holds EVAL scripts (compiled once, cached
// by SHA-1), kFunctions holds FUNCTION libraries (function_library.h).
//
// Thread-safety: not thread-safe. The owner (scripting::Runtime) lets one
// thread at a time in, under its script mutex; Lua state and caches are only
// touched there. kill requests arrive through ScriptHost::Poll.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

struct lua_State;

namespace basalt::protocol {
class ReplyBuilder;
}

namespace basalt::scripting {

// Shebang flags (`#!lua flags=no-writes,allow-oom`); Redis's names.
struct ScriptFlags {
  bool shebang = false;  // the script has a `#!lua` line (flags apply)
  bool no_writes = false;
  bool allow_oom = false;
  bool allow_stale = false;
  bool no_cluster = false;
  bool allow_cross_slot_keys = false;
};

// Parses the shebang of an EVAL body. *skip gets the length of the first
// line when there is one. The error is the reply text ("ERR Unexpected flag
// in script shebang: x").
StatusOr<ScriptFlags> ParseEvalShebang(std::string_view body);
// Parses a flags table or list of names (functions): `names` as given.
StatusOr<ScriptFlags> FlagsFromNames(std::span<const std::string_view> names);

// redis.set_repl flags.
enum ReplFlags : int { kReplNone = 0, kReplAof = 1, kReplReplica = 2, kReplAll = 3 };

// What a running script reaches of the server.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Runs args (args[0] the command name) on behalf of the script, in RESP
  // version `resp`, and appends the complete RESP reply to *reply. Refusals
  // ("ERR Unknown Redis command called from script", ...) are RESP errors too.
  virtual void Call(std::span<const std::string_view> args, int resp, std::string* reply) = 0;
  // redis.set_repl(flags): nullptr, or the error to raise in the script.
  virtual const char* SetReplication(int flags) = 0;
  // redis.acl_check_cmd: 1 allowed, 0 not, -1 no such command.
  virtual int AclCheck(std::span<const std::string_view> args) = 0;
  // redis.log(level, message); level 0..3 (debug, verbose, notice, warning).
  virtual void Log(int level, std::string_view message) = 0;
  // Polled every few thousand Lua instructions: nullptr to go on, or the
  // error text that stops the script (SCRIPT KILL, shutdown). Also where the
  // host notices the busy threshold.
  virtual const char* Poll() = 0;
};

class LuaEngine {
 public:
  enum class Kind { kEval, kFunctions };
  explicit LuaEngine(Kind kind);
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  lua_State* state() { return L_; }

  // --- EVAL scripts (kEval) ---
  struct Script {
    std::string sha;  // lower-case hex
    std::string body;
    ScriptFlags flags;
    int ref = 0;  // the compiled function, in the Lua registry
  };
  // Compiles and caches `body` unless cached; *sha gets its SHA-1 (lower-case
  // hex). The error is the reply text, e.g. "ERR Error compiling script (new
  // function): user_script:1: ...".
  StatusOr<const Script*> LoadScript(std::string_view body, std::string* sha);
  // The cached script of `sha` (any case), or nullptr.
  const Script* FindScript(std::string_view sha) const;
  void FlushScripts();
  size_t script_count() const { return scripts_.size(); }
  size_t scripts_bytes() const { return scripts_bytes_; }

  // Runs the function at registry `ref` with KEYS and ARGV (EVAL) or with
  // (keys, args) tables as arguments (FCALL: `fcall` true), and writes its
  // result into rb (in rb's protocol; booleans and nil follow the script's
  // redis.setresp). `name` names the script in error texts ("script: <name>").
  void Run(int ref, std::string_view name, bool fcall, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, ScriptHost& host, protocol::ReplyBuilder& rb);

  // --- FUNCTION libraries (kFunctions) ---
  // Builds the `redis` table library code sees while it loads:
  // register_function, log, setresp and the constants.
  void SetLoadApi(int (*register_function)(lua_State*));
  // Runs the compiled chunk on top of the stack in load mode (the load-time
  // `redis` table, `host` polled for a timeout). Pops it. On failure *err
  // gets the error text (e.g. "ERR user_function:2: ...").
  bool RunLoader(ScriptHost& host, std::string* err);

  // Bytes the Lua state uses (used_memory_lua / used_memory_vm_functions).
  size_t memory() const;

  // The host of the running script (nullptr between runs); for the C
  // functions of the redis table.
  ScriptHost* host() const { return host_; }
  int resp() const { return resp_; }
  void set_resp(int v) { resp_ = v; }
  // After Run: the error it answered was a command's, already counted in
  // errorstats and failed calls (redis.call / redis.pcall).
  bool error_counted() const { return error_counted_; }

 private:
  void Setup();
  void Protect();

  Kind kind_;
  lua_State* L_ = nullptr;
  ScriptHost* host_ = nullptr;
  int resp_ = 2;
  bool error_counted_ = false;
  // Looked up by string_view (EVALSHA's argument), no copy.
  struct ShaHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, Script, ShaHash, std::equal_to<>> scripts_;
 public:
  // Reused by redis.call (one call at a time): arguments and reply.
  std::vector<std::string> call_args_;
  std::vector<std::string_view> call_views_;
  std::string call_reply_;
 private:
  size_t scripts_bytes_ = 0;
};

// SHA-1 of data as 40 lower-case hex digits.
std::string Sha1Hex(std::string_view data);

// Appends the Lua value at `index` to rb as Redis 7.0 converts a script's
// result; `script_resp` is the script's redis.setresp version.
void LuaToReply(lua_State* L, int index, int script_resp, protocol::ReplyBuilder& rb);
// Pushes the RESP reply in `reply` onto the Lua stack as Redis 7.0 converts
// a command's reply for a script. An error reply becomes {err="CODE msg"}.
// Returns false when `reply` is not one complete RESP value.
bool PushReply(lua_State* L, std::string_view reply);

}  // namespace basalt::scripting
