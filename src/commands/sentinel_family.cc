// The command table of sentinel mode (`basalt-server --sentinel`): SENTINEL
// and its sub-commands, and the sentinel's own INFO, ROLE and PUBLISH. The
// other commands a sentinel answers (PING, AUTH, HELLO, CLIENT, COMMAND,
// SUBSCRIBE and friends, SHUTDOWN) are the data server's, kept by
// RegisterSentinelFamilies; everything else is unknown there, as in
// redis-sentinel.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"
#include "sentinel/sentinel.h"

namespace basalt::commands {

namespace {

using sentinel::Fields;

sentinel::Sentinel& S(CommandContext& ctx) { return *ctx.admin().sentinel(); }

void ReplyFields(CommandContext& ctx, const Fields& f) {
  ctx.reply.MapHeader(f.size());
  for (auto& [k, v] : f) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

void ReplyFieldsList(CommandContext& ctx, const std::vector<Fields>& list) {
  ctx.reply.ArrayHeader(list.size());
  for (const Fields& f : list) ReplyFields(ctx, f);
}

void ReplyStatus(CommandContext& ctx, const Status& st) {
  if (st.ok()) {
    ctx.reply.Ok();
  } else {
    ctx.Error(st.message());
  }
}

std::string Arg(CommandContext& ctx, size_t i) { return std::string(ctx.args[i]); }

// SENTINEL MASTERS
void CmdMasters(CommandContext& ctx) { ReplyFieldsList(ctx, S(ctx).Masters()); }

// SENTINEL MASTER <name>
void CmdMaster(CommandContext& ctx) {
  auto f = S(ctx).MasterInfo(ctx.args[2]);
  if (!f.ok()) return ctx.Error(f.status().message());
  ReplyFields(ctx, *f);
}

// SENTINEL REPLICAS|SLAVES <name>
void CmdReplicas(CommandContext& ctx) {
  auto l = S(ctx).Replicas(ctx.args[2]);
  if (!l.ok()) return ctx.Error(l.status().message());
  ReplyFieldsList(ctx, *l);
}

// SENTINEL SENTINELS <name>
void CmdSentinels(CommandContext& ctx) {
  auto l = S(ctx).Sentinels(ctx.args[2]);
  if (!l.ok()) return ctx.Error(l.status().message());
  ReplyFieldsList(ctx, *l);
}

// SENTINEL GET-MASTER-ADDR-BY-NAME <name>
void CmdGetMasterAddr(CommandContext& ctx) {
  auto a = S(ctx).MasterAddr(ctx.args[2]);
  if (!a) return ctx.reply.NullArray();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(a->first);
  ctx.reply.Bulk(std::to_string(a->second));
}

// SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>
void CmdIsMasterDown(CommandContext& ctx) {
  auto port = ParseInt64(ctx.args[3]);
  auto epoch = ParseInt64(ctx.args[4]);
  if (!port || !epoch) return ctx.Error(errors::kNotInteger);
  auto r = S(ctx).IsMasterDownByAddr(ctx.args[2], int(*port), uint64_t(*epoch), ctx.args[5]);
  ctx.reply.ArrayHeader(3);
  ctx.reply.Integer(r.down ? 1 : 0);
  ctx.reply.Bulk(r.leader);
  ctx.reply.Integer(int64_t(r.leader_epoch));
}

// SENTINEL FAILOVER <name>
void CmdFailover(CommandContext& ctx) { ReplyStatus(ctx, S(ctx).Failover(ctx.args[2])); }

// SENTINEL RESET <pattern>
void CmdReset(CommandContext& ctx) { ctx.reply.Integer(S(ctx).Reset(ctx.args[2])); }

// SENTINEL CKQUORUM <name>
void CmdCkQuorum(CommandContext& ctx) {
  auto r = S(ctx).CkQuorum(ctx.args[2]);
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.reply.SimpleString(*r);
}

// SENTINEL FLUSHCONFIG
void CmdFlushConfig(CommandContext& ctx) { ReplyStatus(ctx, S(ctx).FlushConfig()); }

// SENTINEL MONITOR <name> <ip> <port> <quorum>
void CmdMonitor(CommandContext& ctx) {
  ReplyStatus(ctx, S(ctx).Monitor(ctx.args[2], ctx.args[3], ctx.args[4], ctx.args[5]));
}

// SENTINEL REMOVE <name>
void CmdRemove(CommandContext& ctx) { ReplyStatus(ctx, S(ctx).Remove(ctx.args[2])); }

// SENTINEL SET <name> <option> <value> [<option> <value> ...]
void CmdSet(CommandContext& ctx) {
  if (ctx.args.size() < 5) {
    return ctx.Error(errors::WrongArity("sentinel|set"));
  }
  std::vector<std::string> rest;
  for (size_t i = 3; i < ctx.args.size(); i++) rest.push_back(Arg(ctx, i));
  ReplyStatus(ctx, S(ctx).Set(ctx.args[2], rest));
}

// SENTINEL MYID
void CmdMyId(CommandContext& ctx) { ctx.reply.Bulk(S(ctx).MyId()); }

// SENTINEL CONFIG GET <pattern> | SET <option> <value>
void CmdConfig(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "get") && ctx.args.size() == 4) {
    auto f = S(ctx).ConfigGet(ctx.args[3]);
    if (!f.ok()) return ctx.Error(f.status().message());
    return ReplyFields(ctx, *f);
  }
  if (EqualsIgnoreCase(ctx.args[2], "set") && ctx.args.size() == 5) {
    return ReplyStatus(ctx, S(ctx).ConfigSet(ctx.args[3], ctx.args[4]));
  }
  ctx.Error(errors::kSentinelConfigGetSet);
}

// SENTINEL INFO-CACHE [<name> ...]
void CmdInfoCache(CommandContext& ctx) {
  std::vector<std::string> names;
  for (size_t i = 2; i < ctx.args.size(); i++) names.push_back(Arg(ctx, i));
  auto cache = S(ctx).InfoCache(names);
  ctx.reply.ArrayHeader(cache.size() * 2);
  for (auto& [name, items] : cache) {
    ctx.reply.Bulk(name);
    ctx.reply.ArrayHeader(items.size());
    for (auto& [age, info] : items) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Integer(age);
      if (info.empty()) {
        ctx.reply.Null();
      } else {
        ctx.reply.Bulk(info);
      }
    }
  }
}

// SENTINEL DEBUG [<param> <value> ...]
void CmdDebug(CommandContext& ctx) {
  if (ctx.args.size() == 2) return ReplyFields(ctx, S(ctx).DebugPeriods());
  if (ctx.args.size() % 2 != 0) {
    return ctx.Error(errors::SentinelDebugOption(Arg(ctx, ctx.args.size() - 1)));
  }
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    Status st = S(ctx).SetDebugPeriod(ctx.args[i], ctx.args[i + 1]);
    if (!st.ok()) return ctx.Error(st.message());
  }
  ctx.reply.Ok();
}

// SENTINEL PENDING-SCRIPTS: Basalt runs no scripts, so none is ever pending.
void CmdPendingScripts(CommandContext& ctx) { ctx.reply.ArrayHeader(0); }

// SENTINEL SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]
void CmdSimulateFailure(CommandContext& ctx) {
  uint32_t flags = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "crash-after-election")) {
      flags |= sentinel::Sentinel::kCrashAfterElection;
    } else if (EqualsIgnoreCase(a, "crash-after-promotion")) {
      flags |= sentinel::Sentinel::kCrashAfterPromotion;
    } else if (EqualsIgnoreCase(a, "help")) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk("crash-after-election");
      ctx.reply.Bulk("crash-after-promotion");
      return;
    } else {
      return ctx.Error(errors::kUnknownFailureSimulation);
    }
  }
  S(ctx).SimulateFailure(flags);
  ctx.reply.Ok();
}

// SENTINEL HELP
void CmdHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "SENTINEL <subcommand> [<arg> ...]. Subcommands:",
      "MASTERS | MASTER <name> | REPLICAS <name> | SENTINELS <name>",
      "    The monitored primaries, one of them, its replicas, the other sentinels watching it.",
      "GET-MASTER-ADDR-BY-NAME <name>",
      "    Address of the current primary (what clients should connect to).",
      "IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid|*>",
      "    Used between sentinels: down state of a primary, and a vote request.",
      "FAILOVER <name>",
      "    Fail over now, without asking the other sentinels.",
      "RESET <pattern> | REMOVE <name> | MONITOR <name> <ip> <port> <quorum>",
      "    Forget discovered state, stop or start monitoring a primary.",
      "SET <name> <option> <value> [...] | CONFIG GET <option> | CONFIG SET <option> <value>",
      "    Per-primary options, and the sentinel's own options.",
      "CKQUORUM <name> | FLUSHCONFIG | MYID | INFO-CACHE <name> | PENDING-SCRIPTS",
      "    Quorum check, save the config file, this sentinel's id, cached INFO replies.",
      "DEBUG [<param> <value> ...] | SIMULATE-FAILURE [CRASH-AFTER-ELECTION|CRASH-AFTER-PROMOTION]",
      "    Timing parameters (ms); crash on purpose at a failover step (tests).",
      "HELP",
      "    This text.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdSentinelContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity("sentinel")); }

// INFO [section ...] in sentinel mode: the server's sections a sentinel has,
// then # Sentinel.
void CmdSentinelInfo(CommandContext& ctx) {
  std::vector<std::string> want;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::string s = Arg(ctx, i);
    for (char& c : s) c = char(tolower(static_cast<unsigned char>(c)));
    want.push_back(s);
  }
  bool all = want.empty() || std::find(want.begin(), want.end(), "all") != want.end() ||
             std::find(want.begin(), want.end(), "everything") != want.end() ||
             std::find(want.begin(), want.end(), "default") != want.end();
  auto wanted = [&](const char* s) {
    return all || std::find(want.begin(), want.end(), s) != want.end();
  };
  std::string text;
  for (const char* section : {"server", "clients", "stats", "cpu"}) {
    if (!wanted(section)) continue;
    std::string_view sv = section;
    std::string part = ctx.admin().Info(std::span<const std::string_view>(&sv, 1));
    if (sv == "server") {
      size_t p = part.find("redis_mode:standalone");
      if (p != std::string::npos) part.replace(p, 21, "redis_mode:sentinel");
    }
    if (!text.empty() && !part.empty()) text += "\r\n";
    text += part;
    while (text.size() >= 2 && text.compare(text.size() - 2, 2, "\r\n") == 0 && text.size() >= 4 &&
           text.compare(text.size() - 4, 4, "\r\n\r\n") == 0) {
      text.resize(text.size() - 2);
    }
  }
  if (wanted("sentinel")) {
    if (!text.empty()) text += "\r\n";
    text += "# Sentinel\r\n" + S(ctx).InfoSection();
  }
  ctx.reply.Verbatim(text);
}

// ROLE in sentinel mode: ["sentinel", [master names]].
void CmdSentinelRole(CommandContext& ctx) {
  auto names = S(ctx).MasterNames();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk("sentinel");
  ctx.reply.ArrayHeader(names.size());
  for (auto& n : names) ctx.reply.Bulk(n);
}

// PUBLISH in sentinel mode: only hello messages, which sentinels send each
// other this way.
void CmdSentinelPublish(CommandContext& ctx) {
  if (ctx.args[1] != "__sentinel__:hello") {
    return ctx.Error(errors::kSentinelOnlyHello);
  }
  S(ctx).ProcessHello(ctx.args[2]);
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterSentinelFamilies(CommandTable& t) {
  RegisterConnectionFamily(t);
  RegisterServerFamily(t);
  RegisterPubsubFamily(t);
  RegisterReplicationFamily(t);
  // What redis-sentinel 7.0 answers (COMMAND LIST there), plus QUIT, which
  // Redis handles before its command table.
  static const std::string_view kKept[] = {
      "auth",    "client",       "command", "hello",    "info",      "ping",        "psubscribe",
      "publish", "punsubscribe", "role",    "shutdown", "subscribe", "unsubscribe", "quit"};
  t.RetainOnly(kKept);
  t.FindMutable("info")->handler = CmdSentinelInfo;
  t.FindMutable("role")->handler = CmdSentinelRole;
  CommandSpec* publish = t.FindMutable("publish");
  publish->handler = CmdSentinelPublish;
  publish->first_key = publish->last_key = publish->step = 0;
  publish->key_specs.clear();

  const char* g = "sentinel";
  t.Add(Spec(g, "sentinel", -2, kAdmin | kSentinel | kOnlySentinel, 0, 0, 0,
             "@admin @slow @dangerous", CmdSentinelContainer));
  auto sub = [&](const char* name, int arity, Handler h) {
    t.AddSub("sentinel", Spec(g, name, arity, kAdmin | kSentinel | kOnlySentinel, 0, 0, 0,
                              "@admin @slow @dangerous", h));
  };
  sub("ckquorum", 3, CmdCkQuorum);
  sub("config", -3, CmdConfig);
  sub("debug", -2, CmdDebug);
  sub("failover", 3, CmdFailover);
  sub("flushconfig", 2, CmdFlushConfig);
  sub("get-master-addr-by-name", 3, CmdGetMasterAddr);
  sub("help", 2, CmdHelp);
  sub("info-cache", -3, CmdInfoCache);
  sub("is-master-down-by-addr", 6, CmdIsMasterDown);
  sub("master", 3, CmdMaster);
  sub("masters", 2, CmdMasters);
  sub("monitor", 6, CmdMonitor);
  sub("myid", 2, CmdMyId);
  sub("pending-scripts", 2, CmdPendingScripts);
  sub("remove", 3, CmdRemove);
  sub("replicas", 3, CmdReplicas);
  sub("reset", 3, CmdReset);
  sub("sentinels", 3, CmdSentinels);
  sub("set", -3, CmdSet);
  sub("simulate-failure", -3, CmdSimulateFailure);
  sub("slaves", 3, CmdReplicas);
  t.Finalize();
}

}  // namespace basalt::commands
