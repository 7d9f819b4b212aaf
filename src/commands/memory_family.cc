// MEMORY: STATS, DOCTOR, USAGE, MALLOC-STATS, PURGE and HELP.
//
// STATS and the INFO memory section are computed by one helper
// (commands/memory_overview.h), so the two always report the same figures.
#include <cstdio>
#include <string>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/memory_overview.h"
#include "common/memory.h"
#include "common/strings.h"
#include "storage/entry.h"

namespace basalt::commands {
namespace {

using storage::Entry;

// MEMORY without a subcommand.
void CmdContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

// MEMORY STATS
void CmdMemoryStats(CommandContext& ctx) {
  MemoryOverview o = ComputeMemoryOverview(ctx.host);
  protocol::ReplyBuilder& r = ctx.reply;
  r.MapHeader(27 + o.dbs.size());
  auto num = [&](const char* name, size_t v) {
    r.Bulk(name);
    r.Integer(int64_t(v));
  };
  auto dbl = [&](const char* name, float v) {
    r.Bulk(name);
    r.Double(double(v));
  };
  num("peak.allocated", o.peak_allocated);
  num("total.allocated", o.total_allocated);
  num("startup.allocated", o.startup_allocated);
  num("replication.backlog", o.replication_backlog);
  num("clients.slaves", o.clients_replicas);
  num("clients.normal", o.clients_normal);
  num("cluster.links", 0);
  num("aof.buffer", o.aof_buffer);
  num("lua.caches", o.lua_caches);
  num("functions.caches", o.functions_caches);
  for (const MemoryOverview::Db& d : o.dbs) {
    r.Bulk("db." + std::to_string(d.index));
    r.MapHeader(3);
    num("overhead.hashtable.main", d.main);
    num("overhead.hashtable.expires", d.expires);
    num("overhead.hashtable.slot-to-keys", 0);
  }
  num("overhead.total", o.overhead_total);
  num("keys.count", o.keys_count);
  num("keys.bytes-per-key", o.bytes_per_key);
  num("dataset.bytes", o.dataset);
  dbl("dataset.percentage", o.dataset_percentage);
  dbl("peak.percentage", o.peak_percentage);
  num("allocator.allocated", o.allocator_allocated);
  num("allocator.active", o.allocator_active);
  num("allocator.resident", o.allocator_resident);
  dbl("allocator-fragmentation.ratio", o.allocator_frag_ratio);
  num("allocator-fragmentation.bytes", size_t(o.allocator_frag_bytes));
  dbl("allocator-rss.ratio", o.allocator_rss_ratio);
  num("allocator-rss.bytes", size_t(o.allocator_rss_bytes));
  dbl("rss-overhead.ratio", o.rss_overhead_ratio);
  num("rss-overhead.bytes", size_t(o.rss_overhead_bytes));
  dbl("fragmentation", o.fragmentation);
  num("fragmentation.bytes", size_t(o.fragmentation_bytes));
}

// The advice MEMORY DOCTOR gives, from the same figures as MEMORY STATS.
// Basalt's own wording; the thresholds are the ones Redis documents for its
// report (an instance under 5 MB is too small to judge).
std::string MemoryAdvice(const MemoryOverview& o, size_t clients, size_t replicas) {
  if (o.total_allocated < (size_t(5) << 20)) {
    return "This instance holds too little memory (under 5 MB) for a meaningful report. "
           "Load some data and ask again.";
  }
  std::string out;
  auto item = [&](const std::string& text) { out += " * " + text + "\n\n"; };
  char buf[512];
  if (o.peak_allocated > 0 && double(o.total_allocated) / double(o.peak_allocated) < 0.66) {
    snprintf(buf, sizeof(buf),
             "Peak memory: usage once reached %zu bytes, more than 150%% of the %zu bytes in "
             "use now. The allocator may keep part of that memory (see the RSS figures).",
             o.peak_allocated, o.total_allocated);
    item(buf);
  }
  if (o.fragmentation > 1.4f && o.rss > (size_t(10) << 20)) {
    snprintf(buf, sizeof(buf),
             "Fragmentation: the process holds %.2f times the memory it uses (RSS %zu bytes "
             "for %zu allocated). Restarting, or MEMORY PURGE, may give memory back.",
             double(o.fragmentation), o.rss, o.total_allocated);
    item(buf);
  }
  if (o.allocator_frag_ratio > 1.1f && o.allocator_frag_bytes > (10 << 20)) {
    snprintf(buf, sizeof(buf),
             "Allocator fragmentation: %.2f (%lld bytes in partly used pages).",
             double(o.allocator_frag_ratio), o.allocator_frag_bytes);
    item(buf);
  }
  if (clients > 0 && o.clients_normal / clients > (size_t(200) << 10)) {
    snprintf(buf, sizeof(buf),
             "Client buffers: the %zu normal clients use %zu bytes on average each; look for "
             "slow readers or big pipelines (CLIENT LIST omem and qbuf).",
             clients, o.clients_normal / clients);
    item(buf);
  }
  if (replicas > 0 && o.clients_replicas / replicas > (size_t(10) << 20)) {
    snprintf(buf, sizeof(buf),
             "Replica buffers: the %zu replicas use %zu bytes on average each; a replica may "
             "lag or be on a slow link.",
             replicas, o.clients_replicas / replicas);
    item(buf);
  }
  if (out.empty()) {
    return "No memory problem found: usage, peak, fragmentation and client buffers all look "
           "normal.";
  }
  return "These points need a look:\n\n" + out +
         "Figures: MEMORY STATS and INFO memory.";
}

// MEMORY DOCTOR
void CmdMemoryDoctor(CommandContext& ctx) {
  MemoryOverview o = ComputeMemoryOverview(ctx.host);
  size_t clients = 0, replicas = 0;
  ctx.admin().ForEachSession([&](Session& s) {
    if (s.TypeName() == "replica") {
      replicas++;
    } else {
      clients++;
    }
  });
  ctx.reply.Verbatim(MemoryAdvice(o, clients, replicas));
}

// MEMORY USAGE key [SAMPLES count]
void CmdMemoryUsage(CommandContext& ctx) {
  if (ctx.args.size() == 5) {
    if (!EqualsIgnoreCase(ctx.args[3], "samples")) {
      ctx.Error(errors::kSyntax);
      return;
    }
    if (!IntArg(ctx, ctx.args[4])) return;
  } else if (ctx.args.size() != 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[2]);
  Entry* e = g.Find(false);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  // The entry's allocation(s) plus its share of the bucket array.
  ctx.reply.Integer(int64_t(e->MemoryUsage() + sizeof(void*)));
}

// MEMORY MALLOC-STATS
void CmdMemoryMallocStats(CommandContext& ctx) { ctx.reply.Verbatim(MallocStatsText()); }

// MEMORY PURGE
void CmdMemoryPurge(CommandContext& ctx) {
  PurgeAllocator();
  ctx.reply.Ok();
}

// MEMORY HELP
void CmdMemoryHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Report memory problems, with advice.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return the memory usage of the server, broken down (as INFO memory).",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value.",
      "HELP",
      "    Print this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

}  // namespace

void RegisterMemoryFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "memory", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  t.AddSub("memory", Spec(g, "usage", -3, kReadOnly, 2, 2, 1, "@read @slow", CmdMemoryUsage));
  t.AddSub("memory", Spec(g, "stats", 2, kNoFlags, 0, 0, 0, "@slow", CmdMemoryStats));
  t.AddSub("memory", Spec(g, "doctor", 2, kNoFlags, 0, 0, 0, "@slow", CmdMemoryDoctor));
  t.AddSub("memory", Spec(g, "malloc-stats", 2, kNoFlags, 0, 0, 0, "@slow", CmdMemoryMallocStats));
  t.AddSub("memory", Spec(g, "purge", 2, kNoFlags, 0, 0, 0, "@slow", CmdMemoryPurge));
  t.AddSub("memory", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdMemoryHelp));
}

}  // namespace basalt::commands
