// Server commands: INFO CONFIG COMMAND OBJECT TIME LASTSAVE SHUTDOWN SLOWLOG
// (DEBUG: debug_family.cc; MEMORY: memory_family.cc).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "commands/command_context.h"
#include "commands/command_key_specs.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/slowlog.h"
#include "common/clock.h"
#include "common/glob.h"
#include "common/logging.h"
#include "common/memory.h"
#include "persistence/digest.h"
#include "scripting/runtime.h"
#include "storage/object.h"

namespace basalt::commands {
namespace {

using storage::Encoding;
using storage::Entry;

void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (const char* l : lines) ctx.reply.SimpleString(l);
}

// INFO [section [section ...]]
void CmdInfo(CommandContext& ctx) {
  std::string text = ctx.admin().Info(ctx.args.subspan(1));
  ctx.reply.Verbatim(text);
}

// CONFIG GET parameter [parameter ...]
void CmdConfigGet(CommandContext& ctx) {
  auto pairs = ctx.config().Get(ctx.args.subspan(2));
  ctx.reply.MapHeader(pairs.size());
  for (auto& [k, v] : pairs) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

// CONFIG SET parameter value [parameter value ...]
void CmdConfigSet(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) {
    ctx.Error(errors::kSyntax);
    return;
  }
  Status st = ctx.config().Set(ctx.args.subspan(2));
  if (!st.ok()) {
    ctx.Error(st.message());
    return;
  }
  ctx.reply.Ok();
}

// CONFIG RESETSTAT
void CmdConfigResetStat(CommandContext& ctx) {
  ctx.admin().ResetStats();
  ctx.reply.Ok();
}

// CONFIG REWRITE
void CmdConfigRewrite(CommandContext& ctx) {
  Status st = ctx.config().Rewrite();
  if (!st.ok()) {
    ctx.Error(st.message());
    return;
  }
  ctx.reply.Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "GET <pattern>",
                  "    Return parameters matching the glob-like <pattern> and their values.",
                  "SET <directive> <value>",
                  "    Set the configuration <directive> to <value>.",
                  "RESETSTAT",
                  "    Reset statistics reported by the INFO command.",
                  "REWRITE",
                  "    Rewrite the configuration file.",
                  "HELP",
                  "    Print this help."});
}

// ---- COMMAND ----

void ReplyStatusSet(CommandContext& ctx, std::string_view words) {
  std::vector<std::string_view> items = SplitWords(words);
  ctx.reply.SetHeader(items.size());
  for (auto w : items) ctx.reply.SimpleString(w);
}

// Command tips: a set of bulk strings, as Redis sends them.
void ReplyTips(CommandContext& ctx, std::string_view words) {
  std::vector<std::string_view> items = SplitWords(words);
  ctx.reply.SetHeader(items.size());
  for (auto w : items) ctx.reply.Bulk(w);
}

// Key-spec flags as COMMAND INFO prints them: RW/RO/OW/RM upper case, the
// access kind lower case ("RW access delete").
std::string KeySpecFlags(std::string_view words) {
  std::string out;
  size_t p = 0;
  while (p < words.size()) {
    size_t e = words.find(' ', p);
    if (e == std::string_view::npos) e = words.size();
    std::string w(words.substr(p, e - p));
    if (!w.empty()) {
      bool upper = w == "RW" || w == "RO" || w == "OW" || w == "RM";
      if (!upper) {
        for (char& ch : w) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      }
      if (!out.empty()) out += ' ';
      out += w;
    }
    p = e + 1;
  }
  return out;
}

void ReplyOneKeySpec(CommandContext& ctx, const KeySpec& ks) {
  auto& r = ctx.reply;
  r.MapHeader(ks.notes.empty() ? 3 : 4);
  if (!ks.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(ks.notes);
  }
  r.Bulk("flags");
  ReplyStatusSet(ctx, KeySpecFlags(ks.flags));
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  if (ks.begin_unknown) {
    r.Bulk("unknown");
    r.Bulk("spec");
    r.MapHeader(0);
  } else if (ks.keyword.empty()) {
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Integer(ks.begin_index);
  } else {
    r.Bulk("keyword");
    r.Bulk("spec");
    r.MapHeader(2);
    r.Bulk("keyword");
    r.Bulk(ks.keyword);
    r.Bulk("startfrom");
    r.Integer(ks.keyword_startfrom);
  }
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  if (ks.find_unknown) {
    r.Bulk("unknown");
    r.Bulk("spec");
    r.MapHeader(0);
  } else if (ks.keynum) {
    r.Bulk("keynum");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("keynumidx");
    r.Integer(ks.keynumidx);
    r.Bulk("firstkey");
    r.Integer(ks.firstkey);
    r.Bulk("keystep");
    r.Integer(ks.numstep);
  } else {
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Integer(ks.lastkey);
    r.Bulk("keystep");
    r.Integer(ks.keystep);
    r.Bulk("limit");
    r.Integer(ks.limit);
  }
}

void ReplyKeySpecs(CommandContext& ctx, const CommandSpec& c) {
  if (!c.key_specs.empty()) {
    ctx.reply.SetHeader(c.key_specs.size());
    for (const KeySpec& ks : c.key_specs) ReplyOneKeySpec(ctx, ks);
    return;
  }
  if (c.first_key <= 0 || c.redis_key_specs) {
    ctx.reply.SetHeader(0);
    return;
  }
  // A command redis-server does not have: derived from first/last/step.
  KeySpec ks;
  ks.flags = (c.flags & kWrite) ? "RW UPDATE" : "RO ACCESS";
  ks.begin_index = c.first_key;
  ks.lastkey = c.last_key < 0 ? c.last_key : c.last_key - c.first_key;
  ks.keystep = c.step;
  ctx.reply.SetHeader(1);
  ReplyOneKeySpec(ctx, ks);
}

void ReplyCommandInfo(CommandContext& ctx, const CommandSpec& c) {
  auto& r = ctx.reply;
  r.ArrayHeader(10);
  r.Bulk(c.name);
  r.Integer(c.arity);
  auto flags = FlagNames(c.flags);
  r.SetHeader(flags.size());
  for (auto f : flags) r.SimpleString(f);
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.step);
  ReplyStatusSet(ctx, c.acl);
  ReplyTips(ctx, c.tips);
  ReplyKeySpecs(ctx, c);
  r.SetHeader(c.subcommands.size());
  for (const auto& s : c.subcommands) ReplyCommandInfo(ctx, *s);
}

// COMMAND
void CmdCommand(CommandContext& ctx) {
  const auto& all = ctx.host.commands().all();
  ctx.reply.ArrayHeader(all.size());
  for (const CommandSpec* c : all) ReplyCommandInfo(ctx, *c);
}

// COMMAND COUNT
void CmdCommandCount(CommandContext& ctx) {
  ctx.reply.Integer(int64_t(ctx.host.commands().all().size()));
}

// Finds "get" or "config|get".
const CommandSpec* LookupFullName(const CommandTable& t, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* c = t.Find(name.substr(0, bar));
  if (c == nullptr || bar == std::string_view::npos) return c;
  std::string sub(name.substr(bar + 1));
  for (char& ch : sub) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return c->FindSubcommand(sub);
}

// COMMAND INFO [command-name [command-name ...]]
void CmdCommandInfo(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    CmdCommand(ctx);
    return;
  }
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    const CommandSpec* c = LookupFullName(ctx.host.commands(), ctx.args[i]);
    if (c == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx, *c);
    }
  }
}

void ReplyCommandDocs(CommandContext& ctx, const CommandSpec& c) {
  auto& r = ctx.reply;
  r.MapHeader(c.subcommands.empty() ? 2 : 3);
  r.Bulk("summary");
  r.Bulk(c.summary);
  r.Bulk("group");
  r.Bulk(c.group);
  if (!c.subcommands.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(c.subcommands.size());
    for (const auto& s : c.subcommands) {
      r.Bulk(s->name);
      ReplyCommandDocs(ctx, *s);
    }
  }
}

// COMMAND DOCS [command-name [command-name ...]]
void CmdCommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> list;
  if (ctx.args.size() == 2) {
    list = ctx.host.commands().all();
  } else {
    for (size_t i = 2; i < ctx.args.size(); i++) {
      const CommandSpec* c = LookupFullName(ctx.host.commands(), ctx.args[i]);
      if (c != nullptr) list.push_back(c);
    }
  }
  ctx.reply.MapHeader(list.size());
  for (const CommandSpec* c : list) {
    ctx.reply.Bulk(c->name);
    ReplyCommandDocs(ctx, *c);
  }
}

// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
void CmdCommandList(CommandContext& ctx) {
  std::string_view aclcat, pattern, module;
  int mode = 0;
  if (ctx.args.size() == 5 && EqualsIgnoreCase(ctx.args[2], "filterby")) {
    if (EqualsIgnoreCase(ctx.args[3], "aclcat")) {
      mode = 1;
      aclcat = ctx.args[4];
    } else if (EqualsIgnoreCase(ctx.args[3], "pattern")) {
      mode = 2;
      pattern = ctx.args[4];
    } else if (EqualsIgnoreCase(ctx.args[3], "module")) {
      mode = 3;
      module = ctx.args[4];
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  } else if (ctx.args.size() != 2) {
    ctx.Error(errors::kSyntax);
    return;
  }
  std::vector<std::string_view> names;
  auto consider = [&](const CommandSpec& c) {
    if (mode == 3) return;  // no modules
    if (mode == 1 && c.acl.find("@" + std::string(aclcat)) == std::string::npos) return;
    if (mode == 2 && !GlobMatch(pattern, c.name, true)) return;
    names.push_back(c.name);
  };
  for (const CommandSpec* c : ctx.host.commands().all()) {
    consider(*c);
    for (const auto& s : c->subcommands) consider(*s);
  }
  ctx.reply.ArrayHeader(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

// COMMAND GETKEYS | GETKEYSANDFLAGS command [arg [arg ...]]
void CommandGetKeys(CommandContext& ctx, bool with_flags) {
  auto rest = ctx.args.subspan(2);
  const CommandSpec* c = ctx.host.commands().Find(rest[0]);
  if (c != nullptr && !c->subcommands.empty() && rest.size() >= 2) {
    std::string sub(rest[1]);
    for (char& ch : sub) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    c = c->FindSubcommand(sub);
  }
  if (c == nullptr) {
    ctx.Error(errors::kGetKeysNoCommand);
    return;
  }
  if (!CommandHasKeys(*c)) {
    ctx.Error(errors::kGetKeysNoKeys);
    return;
  }
  int argc = int(rest.size());
  if ((c->arity > 0 && argc != c->arity) || argc < -c->arity) {
    ctx.Error(errors::kGetKeysArity);
    return;
  }
  std::vector<KeyRef> keys;
  if (!FindKeys(*c, rest, &keys)) {
    if (c->flags & kNoMandatoryKeys) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.Error(errors::kGetKeysInvalid);
    }
    return;
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) {
    if (with_flags) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(rest[size_t(k.pos)]);
    if (with_flags) ReplyStatusSet(ctx, KeySpecFlags(k.flags));
  }
}

void CmdCommandGetKeys(CommandContext& ctx) { CommandGetKeys(ctx, false); }
void CmdCommandGetKeysAndFlags(CommandContext& ctx) { CommandGetKeys(ctx, true); }

void CmdCommandHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "(no subcommand)",
                  "    Return details about all commands.",
                  "COUNT",
                  "    Return the total number of commands in this server.",
                  "LIST",
                  "    Return a list of all commands in this server.",
                  "INFO [<command-name> ...]",
                  "    Return details about multiple commands.",
                  "DOCS [<command-name> ...]",
                  "    Return documentation details about multiple commands.",
                  "GETKEYS <full-command>",
                  "    Return the keys from a full command.",
                  "GETKEYSANDFLAGS <full-command>",
                  "    Return the keys and the access flags from a full command.",
                  "HELP",
                  "    Print this help."});
}

// ---- OBJECT ----

bool LfuPolicy(CommandContext& ctx) {
  auto p = ctx.config().maxmemory_policy();
  return p == config::MaxmemoryPolicy::kAllkeysLfu || p == config::MaxmemoryPolicy::kVolatileLfu;
}

// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key
void ObjectGeneric(CommandContext& ctx, int what) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  Entry* e = g.Find(false);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  switch (what) {
    case 0:
      ctx.reply.Bulk(EncodingName(e));
      break;
    case 1:
      // Redis shares the objects of small integers (refcount INT_MAX).
      ctx.reply.Integer(e->IsInt() && e->IntValue() >= 0 && e->IntValue() < 10000 ? 2147483647
                                                                                   : 1);
      break;
    case 2: {
      if (LfuPolicy(ctx)) {
        ctx.Error(errors::kObjectIdleTimeLfu);
        return;
      }
      ctx.reply.Integer(storage::IdleSeconds(e->lru()));
      break;
    }
    case 3:
      if (!LfuPolicy(ctx)) {
        ctx.Error(errors::kObjectFreqNotLfu);
        return;
      }
      ctx.reply.Integer(storage::LfuDecayedCounter(e->lru()));
      break;
  }
}
void CmdObjectEncoding(CommandContext& ctx) { ObjectGeneric(ctx, 0); }
void CmdObjectRefcount(CommandContext& ctx) { ObjectGeneric(ctx, 1); }
void CmdObjectIdletime(CommandContext& ctx) { ObjectGeneric(ctx, 2); }
void CmdObjectFreq(CommandContext& ctx) { ObjectGeneric(ctx, 3); }
void CmdObjectHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "ENCODING <key>",
                  "    Return the kind of internal representation used in order to store the "
                  "value",
                  "    associated with a <key>.",
                  "FREQ <key>",
                  "    Return the access frequency index of the <key>. The returned integer is",
                  "    proportional to the logarithm of the recent access frequency of the key.",
                  "IDLETIME <key>",
                  "    Return the idle time of the <key>, that is the approximated number of",
                  "    seconds elapsed since the last access to the key.",
                  "REFCOUNT <key>",
                  "    Return the number of references of the value associated with the "
                  "specified",
                  "    <key>.",
                  "HELP",
                  "    Print this help."});
}

// SLOWLOG GET [count]
void CmdSlowlogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < -1) {
      ctx.Error(errors::kSlowlogCountRange);
      return;
    }
    count = *v;
  }
  auto entries = ctx.host.slowlog().Get(count);
  auto& r = ctx.reply;
  r.ArrayHeader(entries.size());
  for (const auto& e : entries) {
    r.ArrayHeader(6);
    r.Integer(int64_t(e.id));
    r.Integer(e.time_s);
    r.Integer(e.duration_us);
    r.ArrayHeader(e.args.size());
    for (const auto& a : e.args) r.Bulk(a);
    r.Bulk(e.addr);
    r.Bulk(e.name);
  }
}

// SLOWLOG LEN
void CmdSlowlogLen(CommandContext& ctx) { ctx.reply.Integer(int64_t(ctx.host.slowlog().Len())); }

// SLOWLOG RESET
void CmdSlowlogReset(CommandContext& ctx) {
  ctx.host.slowlog().Reset();
  ctx.reply.Ok();
}

void CmdSlowlogHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "GET [<count>]",
                  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                  "    Entries are made of:",
                  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                  "    client name",
                  "LEN",
                  "    Return the length of the slowlog.",
                  "RESET",
                  "    Reset the slowlog.",
                  "HELP",
                  "    Print this help."});
}

// TIME
void CmdTime(CommandContext& ctx) {
  int64_t us = NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// LASTSAVE
void CmdLastSave(CommandContext& ctx) { ctx.reply.Integer(ctx.admin().lastsave()); }

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
void CmdShutdown(CommandContext& ctx) {
  // Past a script's busy threshold only SHUTDOWN NOSAVE gets through.
  scripting::Runtime& rt = ctx.host.scripts();
  if (rt.running() && rt.busy() &&
      !(ctx.args.size() == 2 && !ctx.args[1].empty() &&
        std::tolower(static_cast<unsigned char>(ctx.args[1][0])) == 'n')) {
    ctx.Error(rt.running_function() ? errors::kBusyFunction : errors::kBusyScript);
    return;
  }
  bool save = false, nosave = false, abort_flag = false;
  int64_t flags = 0;
  for (size_t j = 1; j < ctx.args.size(); j++) {
    std::string_view o = ctx.args[j];
    if (EqualsIgnoreCase(o, "nosave")) {
      nosave = true;
      flags |= config::Config::kShutdownNosave;
    } else if (EqualsIgnoreCase(o, "save")) {
      save = true;
      flags |= config::Config::kShutdownSave;
    } else if (EqualsIgnoreCase(o, "now")) {
      flags |= config::Config::kShutdownNow;
    } else if (EqualsIgnoreCase(o, "force")) {
      flags |= config::Config::kShutdownForce;
    } else if (EqualsIgnoreCase(o, "abort")) {
      abort_flag = true;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  if ((abort_flag && ctx.args.size() != 2) || (save && nosave)) {
    ctx.Error(errors::kSyntax);
    return;
  }
  if (abort_flag) {
    if (ctx.admin().AbortShutdown()) {
      ctx.reply.Ok();
    } else {
      ctx.Error(errors::kNoShutdownInProgress);
    }
    return;
  }
  // The session waits: the server exits, or the shutdown fails (a save
  // error without FORCE) or is aborted and the session gets an error.
  ctx.admin().RequestShutdown(ctx.session, flags);
}

void CmdContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterServerFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "info", -1, kLoading | kStale, 0, 0, 0, "@slow @dangerous", CmdInfo));
  t.Add(Spec(g, "time", 1, kLoading | kStale | kFast, 0, 0, 0, "@fast", CmdTime));
  t.Add(Spec(g, "lastsave", 1, kLoading | kStale | kFast, 0, 0, 0, "@admin @fast @dangerous",
             CmdLastSave));
  t.Add(Spec(g, "shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy, 0,
             0, 0, "@admin @slow @dangerous", CmdShutdown));

  t.Add(Spec(g, "slowlog", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  t.AddSub("slowlog", Spec(g, "get", -2, kAdmin | kLoading | kStale, 0, 0, 0,
                           "@admin @slow @dangerous", CmdSlowlogGet));
  t.AddSub("slowlog", Spec(g, "len", 2, kAdmin | kLoading | kStale, 0, 0, 0,
                           "@admin @slow @dangerous", CmdSlowlogLen));
  t.AddSub("slowlog", Spec(g, "reset", 2, kAdmin | kLoading | kStale, 0, 0, 0,
                           "@admin @slow @dangerous", CmdSlowlogReset));
  t.AddSub("slowlog", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdSlowlogHelp));

  t.Add(Spec(g, "config", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  t.AddSub("config", Spec(g, "get", -3, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
                          "@admin @slow @dangerous", CmdConfigGet));
  t.AddSub("config", Spec(g, "set", -4, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
                          "@admin @slow @dangerous", CmdConfigSet));
  t.AddSub("config", Spec(g, "resetstat", 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
                          "@admin @slow @dangerous", CmdConfigResetStat));
  t.AddSub("config", Spec(g, "rewrite", 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
                          "@admin @slow @dangerous", CmdConfigRewrite));
  t.AddSub("config", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdConfigHelp));

  t.Add(Spec(g, "command", -1, kLoading | kStale, 0, 0, 0, "@slow @connection", CmdCommand));
  auto cmd = [&](const char* name, int arity, Handler h) {
    t.AddSub("command", Spec(g, name, arity, kLoading | kStale, 0, 0, 0, "@slow @connection", h));
  };
  cmd("count", 2, CmdCommandCount);
  cmd("info", -2, CmdCommandInfo);
  cmd("docs", -2, CmdCommandDocs);
  cmd("list", -2, CmdCommandList);
  cmd("getkeys", -4, CmdCommandGetKeys);
  cmd("getkeysandflags", -4, CmdCommandGetKeysAndFlags);
  cmd("help", 2, CmdCommandHelp);

  t.Add(Spec(g, "object", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  auto obj = [&](const char* name, Handler h) {
    t.AddSub("object", Spec("generic", name, 3, kReadOnly, 2, 2, 1, "@keyspace @read @slow", h));
  };
  obj("encoding", CmdObjectEncoding);
  obj("refcount", CmdObjectRefcount);
  obj("idletime", CmdObjectIdletime);
  obj("freq", CmdObjectFreq);
  t.AddSub("object", Spec("generic", "help", 2, kLoading | kStale, 0, 0, 0, "@keyspace @slow",
                          CmdObjectHelp));

}

}  // namespace basalt::commands
