// What the scripting commands share with the function commands: numkeys
// parsing and running a compiled Lua function as one atomic script
// (scripting_family.cc).
//
// Thread-safety: called on the caller's worker, inside the script gate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "commands/command_table.h"
#include "scripting/lua_engine.h"

namespace basalt::scripting {
class Runtime;
}

namespace basalt::commands {

struct CommandContext;

// Parses ctx.args[numkeys_index] as the number of keys that follow it;
// answers the error (not an integer, negative, more than the arguments) and
// returns false when it is not valid.
bool ParseNumkeys(CommandContext& ctx, size_t numkeys_index, int64_t* numkeys);

// Runs the function at registry `ref` of `engine` as one atomic script for
// ctx's session and answers its result. `name` is what error texts call it.
// REQUIRES: inside the script gate.
void RunScript(CommandContext& ctx, scripting::LuaEngine& engine, int ref, std::string_view name,
               const scripting::ScriptFlags& flags, bool read_only, bool fcall,
               std::span<const std::string_view> keys, std::span<const std::string_view> args);

// Enters the script gate for the command in ctx, or answers -BUSY (a script
// past its threshold runs on another thread). The loader and the primary's
// stream wait instead. Leaves the gate on destruction.
class ScriptGate {
 public:
  explicit ScriptGate(CommandContext& ctx);
  ~ScriptGate();
  ScriptGate(const ScriptGate&) = delete;
  ScriptGate& operator=(const ScriptGate&) = delete;
  bool entered() const { return entered_; }

 private:
  scripting::Runtime& rt_;
  bool entered_ = false;
};

// SCRIPT KILL (function=false) / FUNCTION KILL (function=true).
void ReplyKill(CommandContext& ctx, bool function);

// A HELP reply: one status line per entry.
void ReplyLines(CommandContext& ctx, std::span<const char* const> lines);

}  // namespace basalt::commands
