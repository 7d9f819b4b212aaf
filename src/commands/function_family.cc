// Functions: FCALL, FCALL_RO and FUNCTION LOAD | DELETE | FLUSH | LIST | DUMP
// | RESTORE | STATS | KILL | HELP (Redis 7.0).
//
// The libraries live in the functions engine (scripting/function_library.h),
// inside the script gate. A change to them is propagated as the FUNCTION
// command itself (the AOF and replicas load the same code) while every shard
// is locked, so a snapshot starting at the same time holds either the old
// libraries and a log with the change after its offset, or the new ones.
#include <string>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/host.h"
#include "commands/scripting_family.h"
#include "commands/session.h"
#include "common/glob.h"
#include "common/numbers.h"
#include "common/strings.h"
#include "protocol/reply_builder.h"
#include "scripting/runtime.h"
#include "storage/keyspace.h"

namespace basalt::commands {
namespace {

using scripting::FunctionLibraries;


// Runs `change` with every shard locked and, when it succeeds, propagates the
// command as given.
template <typename F>
bool ChangeLibraries(CommandContext& ctx, F change) {
  storage::LockSet locks;
  storage::Keyspace& ks = ctx.host.keyspace();
  for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  locks.Acquire();
  Status st = change();
  if (!st.ok()) {
    ctx.Error(st.message());
    return false;
  }
  ctx.Propagate(ctx.args);
  ctx.host.scripts().RefreshCounters();
  return true;
}

// FCALL function numkeys [key [key ...]] [arg [arg ...]]
// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
void FcallGeneric(CommandContext& ctx, bool read_only) {
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  scripting::Runtime& rt = ctx.host.scripts();
  // The function is looked up first, then the number of keys (Redis 7.0).
  const FunctionLibraries::Function* f = rt.libraries().Find(ctx.args[1]);
  if (f == nullptr) {
    ctx.Error("ERR Function not found");
    return;
  }
  if (!ParseInt64(ctx.args[2])) {
    ctx.Error("ERR Bad number of keys provided");
    return;
  }
  int64_t numkeys;
  if (!ParseNumkeys(ctx, 2, &numkeys)) return;
  rt.SetRunningCommand(f->name, ctx.args);
  auto keys = ctx.args.subspan(3, size_t(numkeys));
  auto argv = ctx.args.subspan(3 + size_t(numkeys));
  // Copy what the run needs: a FUNCTION command cannot run inside it, but
  // keep the call independent of the registry entry anyway.
  std::string name = f->name;
  scripting::ScriptFlags flags = f->flags;
  RunScript(ctx, rt.functions(), f->ref, name, flags, read_only, true, keys, argv);
  rt.SetRunningCommand({}, {});
}

void CmdFcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
void CmdFcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

// FUNCTION LOAD [REPLACE] function-code
void CmdFunctionLoad(CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.args.size(); i++) {
    if (EqualsIgnoreCase(ctx.args[i], "replace")) {
      replace = true;
    } else {
      ctx.Error("ERR Unknown option given: " + std::string(ctx.args[i]));
      return;
    }
  }
  if (i >= ctx.args.size()) {
    ctx.Error("ERR Function code is missing");
    return;
  }
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  std::string name;
  bool ok = ChangeLibraries(ctx, [&]() -> Status {
    StatusOr<std::string> r = ctx.host.scripts().libraries().Load(ctx.args[i], replace);
    if (!r.ok()) return r.status();
    name = *r;
    return Status::Ok();
  });
  if (ok) ctx.reply.Bulk(name);
}

// FUNCTION DELETE library-name
void CmdFunctionDelete(CommandContext& ctx) {
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  if (ChangeLibraries(ctx, [&] { return ctx.host.scripts().libraries().Delete(ctx.args[2]); })) {
    ctx.reply.Ok();
  }
}

// FUNCTION FLUSH [ASYNC|SYNC]
void CmdFunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error("ERR unknown subcommand or wrong number of arguments for '" +
              CStringPrefix(ctx.args[1], 128) + "'. Try FUNCTION HELP.");
    return;
  }
  if (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "async") &&
      !EqualsIgnoreCase(ctx.args[2], "sync")) {
    ctx.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  if (ChangeLibraries(ctx, [&] {
        ctx.host.scripts().libraries().Flush();
        return Status::Ok();
      })) {
    ctx.reply.Ok();
  }
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
void CmdFunctionList(CommandContext& ctx) {
  bool with_code = false;
  bool have_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(a, "libraryname") && !have_pattern) {
      if (i + 1 >= ctx.args.size()) {
        ctx.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.args[++i];
      have_pattern = true;
    } else {
      ctx.Error("ERR Unknown argument " + std::string(a));
      return;
    }
  }
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  const FunctionLibraries& libs = ctx.host.scripts().libraries();
  std::vector<const FunctionLibraries::Library*> shown;
  for (const auto& [name, lib] : libs.libraries()) {
    if (have_pattern && !GlobMatch(pattern, name, true)) continue;
    shown.push_back(&lib);
  }
  protocol::ReplyBuilder& rb = ctx.reply;
  rb.ArrayHeader(shown.size());
  for (const auto* lib : shown) {
    rb.MapHeader(with_code ? 4 : 3);
    rb.Bulk("library_name");
    rb.Bulk(lib->name);
    rb.Bulk("engine");
    rb.Bulk("LUA");
    rb.Bulk("functions");
    rb.ArrayHeader(lib->functions.size());
    for (const auto& fname : lib->functions) {
      const FunctionLibraries::Function* f = libs.Find(fname);
      rb.MapHeader(3);
      rb.Bulk("name");
      rb.Bulk(fname);
      rb.Bulk("description");
      if (f != nullptr && f->has_description) {
        rb.Bulk(f->description);
      } else {
        rb.Null();
      }
      rb.Bulk("flags");
      // Status strings, in Redis's fixed order.
      std::vector<const char*> flags;
      if (f != nullptr) {
        if (f->flags.no_writes) flags.push_back("no-writes");
        if (f->flags.allow_oom) flags.push_back("allow-oom");
        if (f->flags.allow_stale) flags.push_back("allow-stale");
        if (f->flags.no_cluster) flags.push_back("no-cluster");
        if (f->flags.allow_cross_slot_keys) flags.push_back("allow-cross-slot-keys");
      }
      rb.SetHeader(flags.size());
      for (const char* fl : flags) rb.SimpleString(fl);
    }
    if (with_code) {
      rb.Bulk("library_code");
      rb.Bulk(lib->code);
    }
  }
}

// FUNCTION DUMP
void CmdFunctionDump(CommandContext& ctx) {
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  ctx.reply.Bulk(ctx.host.scripts().libraries().Dump());
}

// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
void CmdFunctionRestore(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    ctx.Error("ERR unknown subcommand or wrong number of arguments for '" +
              CStringPrefix(ctx.args[1], 128) + "'. Try FUNCTION HELP.");
    return;
  }
  FunctionLibraries::RestorePolicy policy = FunctionLibraries::RestorePolicy::kAppend;
  if (ctx.args.size() == 4) {
    std::string_view p = ctx.args[3];
    if (EqualsIgnoreCase(p, "flush")) {
      policy = FunctionLibraries::RestorePolicy::kFlush;
    } else if (EqualsIgnoreCase(p, "append")) {
      policy = FunctionLibraries::RestorePolicy::kAppend;
    } else if (EqualsIgnoreCase(p, "replace")) {
      policy = FunctionLibraries::RestorePolicy::kReplace;
    } else {
      ctx.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  ScriptGate gate(ctx);
  if (!gate.entered()) return;
  if (ChangeLibraries(
          ctx, [&] { return ctx.host.scripts().libraries().Restore(ctx.args[2], policy); })) {
    ctx.reply.Ok();
  }
}

// FUNCTION STATS
void CmdFunctionStats(CommandContext& ctx) {
  scripting::Runtime& rt = ctx.host.scripts();
  if (rt.running() && !rt.running_function() && rt.busy()) {
    ctx.Error(errors::kBusyScript);  // an EVAL script, not a function, is running
    return;
  }
  protocol::ReplyBuilder& rb = ctx.reply;
  rb.MapHeader(2);
  rb.Bulk("running_script");
  std::string name;
  std::vector<std::string> command;
  int64_t ms = 0;
  if (rt.RunningCommand(&name, &command, &ms)) {
    rb.MapHeader(3);
    rb.Bulk("name");
    rb.Bulk(name);
    rb.Bulk("command");
    rb.ArrayHeader(command.size());
    for (const auto& a : command) rb.Bulk(a);
    rb.Bulk("duration_ms");
    rb.Integer(ms);
  } else {
    rb.Null();
  }
  rb.Bulk("engines");
  rb.MapHeader(1);
  rb.Bulk("LUA");
  rb.MapHeader(2);
  rb.Bulk("libraries_count");
  rb.Integer(int64_t(rt.libraries_count.load()));
  rb.Bulk("functions_count");
  rb.Integer(int64_t(rt.functions_count.load()));
}

// FUNCTION KILL
void CmdFunctionKill(CommandContext& ctx) { ReplyKill(ctx, true); }

// FUNCTION HELP
void CmdFunctionHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ReplyLines(ctx, kLines);
}

void CmdContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }


}  // namespace

void RegisterFunctionFamily(CommandTable& t) {
  const char* g = "scripting";
  const CommandFlag common = kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys;
  t.Add(Spec(g, "fcall", -3, common, 0, 0, 0, "@slow @scripting", CmdFcall));
  t.Add(Spec(g, "fcall_ro", -3, common | kReadOnly, 0, 0, 0, "@slow @scripting", CmdFcallRo));

  t.Add(Spec(g, "function", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  const char* w = "@write @slow @scripting";
  const char* r = "@slow @scripting";
  t.AddSub("function", Spec(g, "load", -3, kWrite | kDenyOom | kNoScript, 0, 0, 0, w,
                            CmdFunctionLoad));
  t.AddSub("function",
           Spec(g, "delete", 3, kWrite | kNoScript, 0, 0, 0, w, CmdFunctionDelete));
  t.AddSub("function", Spec(g, "flush", -2, kWrite | kNoScript, 0, 0, 0, w, CmdFunctionFlush));
  t.AddSub("function", Spec(g, "list", -2, kNoScript, 0, 0, 0, r, CmdFunctionList));
  t.AddSub("function", Spec(g, "dump", 2, kNoScript, 0, 0, 0, r, CmdFunctionDump));
  t.AddSub("function", Spec(g, "restore", -3, kWrite | kDenyOom | kNoScript, 0, 0, 0, w,
                            CmdFunctionRestore));
  t.AddSub("function", Spec(g, "stats", 2, kNoScript | kAllowBusy, 0, 0, 0, r, CmdFunctionStats));
  t.AddSub("function", Spec(g, "kill", 2, kNoScript | kAllowBusy, 0, 0, 0, r, CmdFunctionKill));
  t.AddSub("function", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, r, CmdFunctionHelp));
}

}  // namespace basalt::commands
