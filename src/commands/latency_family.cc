// LATENCY: the latency monitor's samples (common/latency_monitor.h) and the
// per-command latency histograms (commands/latency_stats.h), with Redis
// 7.0's replies. GRAPH and DOCTOR have Redis's structure (a header and an
// ASCII chart; a report per event with suggestions) in Basalt's own words.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/latency_stats.h"
#include "common/clock.h"
#include "common/latency_monitor.h"
#include "config/config.h"

namespace basalt::commands {
namespace {

using Event = LatencyMonitor::Event;

// LATENCY LATEST
void CmdLatencyLatest(CommandContext& ctx) {
  std::vector<Event> events = LatencyMonitor::Process().All();
  ctx.reply.ArrayHeader(events.size());
  for (const Event& e : events) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(e.name);
    ctx.reply.Integer(e.latest().time_s);
    ctx.reply.Integer(e.latest().ms);
    ctx.reply.Integer(e.max_ms);
  }
}

// LATENCY HISTORY event
void CmdLatencyHistory(CommandContext& ctx) {
  auto e = LatencyMonitor::Process().Get(ctx.args[2]);
  if (!e) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  ctx.reply.ArrayHeader(e->samples.size());
  for (const LatencyMonitor::Sample& s : e->samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.time_s);
    ctx.reply.Integer(s.ms);
  }
}

// LATENCY RESET [event [event ...]]
void CmdLatencyReset(CommandContext& ctx) {
  ctx.reply.Integer(int64_t(LatencyMonitor::Process().Reset(ctx.args.subspan(2))));
}

// How long ago a sample was, as the graph's column label: 12s, 5m, 3h, 2d.
std::string Ago(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// The chart under LATENCY GRAPH's header: one column per sample (the most
// recent 80), oldest on the left. Each column is kRows cells high; its top
// cell shows where in that cell the value lies ('_' low, 'o' middle, '#'
// high) and the cells under it are filled with '|'. Under the chart, a blank
// line, then each column's age written downwards.
std::string DrawChart(const std::vector<LatencyMonitor::Sample>& all, int64_t now_s) {
  constexpr int kRows = 4, kWidth = 80;
  static constexpr char kTop[] = "_o#";
  std::vector<LatencyMonitor::Sample> samples(
      all.end() - std::min<ptrdiff_t>(ptrdiff_t(all.size()), kWidth), all.end());
  int64_t lo = samples.front().ms, hi = samples.front().ms;
  for (const auto& s : samples) {
    lo = std::min(lo, s.ms);
    hi = std::max(hi, s.ms);
  }
  const int levels = kRows * 3;
  std::vector<std::string> rows(kRows, std::string(samples.size(), ' '));
  std::vector<std::string> labels;
  size_t label_rows = 0;
  for (size_t c = 0; c < samples.size(); c++) {
    int level =
        hi == lo
            ? 0
            : int(std::lround(double(samples[c].ms - lo) / double(hi - lo) * double(levels - 1)));
    int top = level / 3;  // cell index from the bottom
    rows[size_t(kRows - 1 - top)][c] = kTop[level % 3];
    for (int r = 0; r < top; r++) rows[size_t(kRows - 1 - r)][c] = '|';
    labels.push_back(Ago(std::max<int64_t>(0, now_s - samples[c].time_s)));
    label_rows = std::max(label_rows, labels.back().size());
  }
  std::string out;
  for (const std::string& r : rows) out += r + "\n";
  out += std::string(samples.size(), ' ') + "\n";
  for (size_t r = 0; r < label_rows; r++) {
    for (const std::string& l : labels) out += r < l.size() ? l[r] : ' ';
    out += "\n";
  }
  return out;
}

// LATENCY GRAPH event
void CmdLatencyGraph(CommandContext& ctx) {
  auto e = LatencyMonitor::Process().Get(ctx.args[2]);
  if (!e || e->samples.empty()) {
    ctx.Error("ERR No samples available for event '" + std::string(ctx.args[2]) + "'");
    return;
  }
  int64_t lo = e->samples.front().ms, hi = lo;
  for (const auto& s : e->samples) {
    lo = std::min(lo, s.ms);
    hi = std::max(hi, s.ms);
  }
  std::string text = e->name + " - high " + std::to_string(hi) + " ms, low " + std::to_string(lo) +
                     " ms (all time high " + std::to_string(e->max_ms) + " ms)\n" +
                     std::string(80, '-') + "\n" + DrawChart(e->samples, NowMs() / 1000);
  ctx.reply.Verbatim(text);
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// LATENCY DOCTOR: what was recorded, event by event, and what to look at.
std::string DoctorReport(const config::Config& cfg) {
  std::vector<Event> events = LatencyMonitor::Process().All();
  const int64_t threshold = cfg.latency_monitor_threshold();
  if (events.empty()) {
    if (threshold == 0) {
      return "Latency monitoring is off: latency-monitor-threshold is 0, so no event is "
             "recorded.\nTurn it on with CONFIG SET latency-monitor-threshold <milliseconds>: "
             "from then on, any command, expiry or eviction cycle or append-only file write "
             "that takes at least that long is recorded, and LATENCY DOCTOR reports on it.\n";
    }
    return "No latency spike has been recorded since this server started or since the last "
           "LATENCY RESET (latency-monitor-threshold is " +
           std::to_string(threshold) + " ms). Nothing to report.\n";
  }
  std::string out = "Latency report: spikes of at least the latency-monitor-threshold (" +
                    std::to_string(threshold) + " ms) were recorded for " +
                    std::to_string(events.size()) + " event" + (events.size() == 1 ? "" : "s") +
                    ".\n\n";
  bool commands = false, fast = false, expiry = false, eviction = false, aof = false;
  int n = 0;
  for (const Event& e : events) {
    double sum = 0;
    for (const auto& s : e.samples) sum += double(s.ms);
    double avg = sum / double(e.samples.size());
    double dev = 0;
    for (const auto& s : e.samples) dev += std::fabs(double(s.ms) - avg);
    dev /= double(e.samples.size());
    int64_t span = e.samples.back().time_s - e.samples.front().time_s;
    double period = e.samples.size() > 1 ? double(span) / double(e.samples.size() - 1) : 0;
    out += std::to_string(++n) + ". " + e.name + ": " + std::to_string(e.samples.size()) +
           " latency spike" + (e.samples.size() == 1 ? "" : "s") + " in the last " +
           std::to_string(span + 1) + " s (average " + Fixed(avg, 0) + " ms, mean deviation " +
           Fixed(dev, 0) + " ms, one every " + Fixed(period, 2) +
           " s). Highest ever: " + std::to_string(e.max_ms) + " ms.\n";
    commands |= e.name == "command";
    fast |= e.name == "fast-command";
    expiry |= e.name.starts_with("expire");
    eviction |= e.name.starts_with("eviction");
    aof |= e.name.starts_with("aof");
  }
  out += "\nWhat to look at:\n\n";
  if (commands || fast) {
    int64_t slowlog = cfg.slowlog_log_slower_than();
    if (slowlog < 0 || slowlog > threshold * 1000) {
      out +=
          "- The slow log does not keep commands as slow as these spikes (its threshold, "
          "slowlog-log-slower-than, is " +
          std::to_string(slowlog) + " us). CONFIG SET slowlog-log-slower-than " +
          std::to_string(threshold * 1000) + " makes it record them.\n";
    }
    out +=
        "- SLOWLOG GET names the slow commands and their arguments; INFO commandstats and "
        "INFO latencystats show which commands cost the most per call.\n";
  }
  if (commands) {
    out +=
        "- Commands that walk a whole collection or keyspace (KEYS, SMEMBERS or HGETALL of a "
        "large value, SORT, big ranges, DEL of a large value) run in O(N): prefer SCAN and "
        "its relatives, smaller values, and UNLINK for deletes.\n";
  }
  if (fast) {
    out +=
        "- Commands flagged fast (constant or logarithmic time) were slow too: the process "
        "was likely kept off the CPU (an overloaded host, swapping, transparent huge pages "
        "or another process competing for the cores).\n";
  }
  if (expiry) {
    out +=
        "- The active expiry cycle was slow: many keys expiring in the same second (or big "
        "values expiring) cost time. Spread the expiry times, or turn on "
        "lazyfree-lazy-expire.\n";
  }
  if (eviction) {
    out +=
        "- Eviction under maxmemory was slow: evicting large values blocks; turn on "
        "lazyfree-lazy-eviction, or give the server more headroom below maxmemory.\n";
  }
  if (aof) {
    out +=
        "- Writes or fsyncs of the append-only file were slow: the disk is busy or slow. "
        "Check its latency, move the AOF to a faster device, or trade durability with "
        "appendfsync everysec (or no-appendfsync-on-rewrite yes).\n";
  }
  return out;
}

// LATENCY DOCTOR
void CmdLatencyDoctor(CommandContext& ctx) { ctx.reply.Verbatim(DoctorReport(ctx.config())); }

void ReplyCommandLatency(CommandContext& ctx, const CommandLatency& c) {
  ctx.reply.Bulk(c.spec->name);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("calls");
  ctx.reply.Integer(int64_t(c.dist.total()));
  ctx.reply.Bulk("histogram_usec");
  auto steps = c.dist.PowerOfTwoSteps();
  ctx.reply.MapHeader(steps.size());
  for (const auto& [usec, count] : steps) {
    ctx.reply.Integer(usec);
    ctx.reply.Integer(int64_t(count));
  }
}

// LATENCY HISTOGRAM [command ...]
void CmdLatencyHistogram(CommandContext& ctx) {
  const CommandTable& table = ctx.host.commands();
  std::vector<const CommandSpec*> specs;
  if (ctx.args.size() == 2) {
    specs = table.by_id();
  } else {
    // Each name in turn (repeats included); a container command stands for
    // its subcommands; unknown names are skipped.
    for (std::string_view name : ctx.args.subspan(2)) {
      std::string lower(name);
      for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      size_t bar = lower.find('|');
      const CommandSpec* spec = table.Find(lower.substr(0, bar));
      if (spec != nullptr && bar != std::string::npos) {
        spec = spec->FindSubcommand(lower.substr(bar + 1));
      }
      if (spec == nullptr) continue;
      specs.push_back(spec);
      if (bar == std::string::npos) {
        for (const auto& sub : spec->subcommands) specs.push_back(sub.get());
      }
    }
  }
  std::vector<CommandLatency> found = CollectCommandLatencies(ctx.admin(), specs);
  ctx.reply.MapHeader(found.size());
  for (const CommandLatency& c : found) ReplyCommandLatency(ctx, c);
}

void CmdLatencyHelp(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdLatencyContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterLatencyFamily(CommandTable& t) {
  const char* g = "server";
  const CommandFlag admin = kAdmin | kNoScript | kLoading | kStale;
  const char* acl = "@admin @slow @dangerous";
  t.Add(Spec(g, "latency", -2, kNoFlags, 0, 0, 0, "@slow", CmdLatencyContainer));
  t.AddSub("latency", Spec(g, "doctor", 2, admin, 0, 0, 0, acl, CmdLatencyDoctor));
  t.AddSub("latency", Spec(g, "graph", 3, admin, 0, 0, 0, acl, CmdLatencyGraph));
  t.AddSub("latency", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdLatencyHelp));
  t.AddSub("latency", Spec(g, "histogram", -2, admin, 0, 0, 0, acl, CmdLatencyHistogram));
  t.AddSub("latency", Spec(g, "history", 3, admin, 0, 0, 0, acl, CmdLatencyHistory));
  t.AddSub("latency", Spec(g, "latest", 2, admin, 0, 0, 0, acl, CmdLatencyLatest));
  t.AddSub("latency", Spec(g, "reset", -2, admin, 0, 0, 0, acl, CmdLatencyReset));
}

}  // namespace basalt::commands
