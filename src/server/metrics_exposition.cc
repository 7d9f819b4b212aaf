#include "server/metrics_exposition.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "commands/command_table.h"
#include "commands/latency_stats.h"
#include "commands/slowlog.h"
#include "common/clock.h"
#include "replication/ack_tracker.h"
#include "replication/role.h"
#include "server/server.h"
#include "server/worker.h"
#include "storage/keyspace.h"

namespace basalt::server {

namespace {

enum class Type { kGauge, kCounter, kSummary, kHistogram };

// One INFO field published as one unlabelled metric (the name without the
// "redis_" prefix). `scale` converts units (microseconds to seconds).
struct FieldMetric {
  const char* field;
  const char* metric;
  Type type;
  const char* help;
  double scale = 1;
};

constexpr Type G = Type::kGauge;
constexpr Type C = Type::kCounter;

// The exporter's INFO-to-metric names for Redis 7.0 (observed on Debian's
// prometheus-redis-exporter 1.45 against redis-server 7.0.15).
const FieldMetric kFieldMetrics[] = {
    // Server
    {"uptime_in_seconds", "uptime_in_seconds", G, "Seconds since the server started."},
    {"process_id", "process_id", G, "Process id of the server."},
    {"io_threads_active", "io_threads_active", G, "Whether I/O threads are active."},
    // Clients
    {"connected_clients", "connected_clients", G, "Client connections (replicas excluded)."},
    {"blocked_clients", "blocked_clients", G, "Clients waiting in a blocking command."},
    {"tracking_clients", "tracking_clients", G, "Clients with CLIENT TRACKING on."},
    {"clients_in_timeout_table", "clients_in_timeout_table", G,
     "Blocked clients with a timeout."},
    {"client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes", G,
     "Largest recent client input buffer."},
    {"client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes", G,
     "Largest recent client output buffer."},
    {"cluster_connections", "cluster_connections", G, "Cluster bus connections."},
    // Memory
    {"used_memory", "memory_used_bytes", G, "Bytes allocated by the server."},
    {"used_memory_rss", "memory_used_rss_bytes", G, "Resident set size of the process."},
    {"used_memory_peak", "memory_used_peak_bytes", G, "Peak of memory_used_bytes."},
    {"used_memory_overhead", "memory_used_overhead_bytes", G,
     "Bytes used for bookkeeping rather than data."},
    {"used_memory_startup", "memory_used_startup_bytes", G, "Bytes allocated at start-up."},
    {"used_memory_dataset", "memory_used_dataset_bytes", G, "Bytes used by the dataset."},
    {"used_memory_lua", "memory_used_lua_bytes", G, "Bytes used by the Lua engine."},
    {"used_memory_scripts", "memory_used_scripts_bytes", G, "Bytes used by cached scripts."},
    {"maxmemory", "memory_max_bytes", G, "The maxmemory limit (0: none)."},
    {"allocator_allocated", "allocator_allocated_bytes", G, "Bytes allocated (allocator)."},
    {"allocator_active", "allocator_active_bytes", G, "Bytes in active pages (allocator)."},
    {"allocator_resident", "allocator_resident_bytes", G, "Resident bytes (allocator)."},
    {"allocator_frag_ratio", "allocator_frag_ratio", G, "Allocator fragmentation ratio."},
    {"allocator_frag_bytes", "allocator_frag_bytes", G, "Allocator fragmentation bytes."},
    {"allocator_rss_ratio", "allocator_rss_ratio", G, "Resident to active ratio."},
    {"allocator_rss_bytes", "allocator_rss_bytes", G, "Resident minus active bytes."},
    {"mem_fragmentation_ratio", "mem_fragmentation_ratio", G, "RSS to used memory ratio."},
    {"mem_fragmentation_bytes", "mem_fragmentation_bytes", G, "RSS minus used memory."},
    {"mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes", G,
     "Bytes not counted against maxmemory."},
    {"mem_clients_slaves", "mem_clients_slaves", G, "Bytes used by replica connections."},
    {"mem_clients_normal", "mem_clients_normal", G, "Bytes used by client connections."},
    {"number_of_cached_scripts", "number_of_cached_scripts", G, "Scripts in the script cache."},
    {"active_defrag_running", "active_defrag_running", G, "Whether active defrag runs."},
    {"lazyfree_pending_objects", "lazyfree_pending_objects", G,
     "Objects waiting to be freed in the background."},
    // Persistence
    {"loading", "loading_dump_file", G, "Whether the dataset is being loaded."},
    {"rdb_changes_since_last_save", "rdb_changes_since_last_save", G,
     "Changes since the last snapshot."},
    {"rdb_bgsave_in_progress", "rdb_bgsave_in_progress", G, "Whether a BGSAVE runs."},
    {"rdb_last_save_time", "rdb_last_save_timestamp_seconds", G,
     "Unix time of the last successful save."},
    {"rdb_last_bgsave_status", "rdb_last_bgsave_status", G, "1 if the last BGSAVE succeeded."},
    {"rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec", G,
     "Duration of the last BGSAVE."},
    {"rdb_current_bgsave_time_sec", "rdb_current_bgsave_duration_sec", G,
     "Duration of the running BGSAVE (-1: none)."},
    {"rdb_last_cow_size", "rdb_last_cow_size_bytes", G, "Copy-on-write bytes of the last save."},
    {"aof_enabled", "aof_enabled", G, "Whether the AOF is on."},
    {"aof_rewrite_in_progress", "aof_rewrite_in_progress", G, "Whether an AOF rewrite runs."},
    {"aof_rewrite_scheduled", "aof_rewrite_scheduled", G, "Whether an AOF rewrite is scheduled."},
    {"aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec", G,
     "Duration of the last AOF rewrite."},
    {"aof_current_rewrite_time_sec", "aof_current_rewrite_duration_sec", G,
     "Duration of the running AOF rewrite (-1: none)."},
    {"aof_last_bgrewrite_status", "aof_last_bgrewrite_status", G,
     "1 if the last AOF rewrite succeeded."},
    {"aof_last_write_status", "aof_last_write_status", G, "1 if the last AOF write succeeded."},
    {"aof_last_cow_size", "aof_last_cow_size_bytes", G,
     "Copy-on-write bytes of the last AOF rewrite."},
    {"module_fork_in_progress", "module_fork_in_progress", G, "Whether a module fork runs."},
    {"module_fork_last_cow_size", "module_fork_last_cow_size", G,
     "Copy-on-write bytes of the last module fork."},
    // Stats
    {"total_connections_received", "connections_received_total", C, "Connections accepted."},
    {"total_commands_processed", "commands_processed_total", C, "Commands processed."},
    {"total_net_input_bytes", "net_input_bytes_total", C, "Bytes read from the network."},
    {"total_net_output_bytes", "net_output_bytes_total", C, "Bytes written to the network."},
    {"rejected_connections", "rejected_connections_total", C,
     "Connections refused because of maxclients."},
    {"sync_full", "replica_resyncs_full", G, "Full resyncs served to replicas."},
    {"sync_partial_ok", "replica_partial_resync_accepted", G, "Partial resyncs accepted."},
    {"sync_partial_err", "replica_partial_resync_denied", G, "Partial resyncs denied."},
    {"expired_keys", "expired_keys_total", C, "Keys deleted because they expired."},
    {"expired_stale_perc", "expired_stale_percentage", G,
     "Estimated percentage of expired keys not yet deleted."},
    {"expired_time_cap_reached_count", "expired_time_cap_reached_total", G,
     "Active expiry cycles stopped by their time limit."},
    {"evicted_keys", "evicted_keys_total", C, "Keys evicted because of maxmemory."},
    {"keyspace_hits", "keyspace_hits_total", C, "Key lookups that found the key."},
    {"keyspace_misses", "keyspace_misses_total", C, "Key lookups that did not find the key."},
    {"pubsub_channels", "pubsub_channels", G, "Channels with subscribers."},
    {"pubsub_patterns", "pubsub_patterns", G, "Patterns with subscribers."},
    {"latest_fork_usec", "latest_fork_seconds", G, "Duration of the latest fork.", 1e-6},
    {"migrate_cached_sockets", "migrate_cached_sockets_total", G,
     "Sockets cached by MIGRATE."},
    {"slave_expires_tracked_keys", "slave_expires_tracked_keys", G,
     "Keys a writable replica tracks for expiry."},
    {"active_defrag_hits", "defrag_hits", G, "Values moved by active defrag."},
    {"active_defrag_misses", "defrag_misses", G, "Values active defrag skipped."},
    {"active_defrag_key_hits", "defrag_key_hits", G, "Keys active defrag moved."},
    {"active_defrag_key_misses", "defrag_key_misses", G, "Keys active defrag skipped."},
    {"tracking_total_keys", "tracking_total_keys", G, "Keys in the tracking table."},
    {"tracking_total_items", "tracking_total_items", G, "Key-client pairs tracked."},
    {"tracking_total_prefixes", "tracking_total_prefixes", G, "BCAST prefixes tracked."},
    {"unexpected_error_replies", "unexpected_error_replies", C,
     "Errors replied while loading an AOF or to a primary."},
    {"total_error_replies", "total_error_replies", C, "Error replies sent."},
    {"dump_payload_sanitizations", "dump_payload_sanitizations", C,
     "Deep sanitizations of RESTORE payloads."},
    {"total_reads_processed", "total_reads_processed", C, "Read events processed."},
    {"total_writes_processed", "total_writes_processed", C, "Write events processed."},
    {"io_threaded_reads_processed", "io_threaded_reads_processed", C,
     "Reads done by I/O threads."},
    {"io_threaded_writes_processed", "io_threaded_writes_processed", C,
     "Writes done by I/O threads."},
    // Replication
    {"connected_slaves", "connected_slaves", G, "Replicas connected."},
    {"master_repl_offset", "master_repl_offset", G, "Replication offset of this server."},
    {"second_repl_offset", "second_repl_offset", G,
     "Offset up to which the previous replication id is accepted."},
    {"repl_backlog_active", "repl_backlog_is_active", G, "Whether the backlog is active."},
    {"repl_backlog_size", "replication_backlog_bytes", G, "Size of the replication backlog."},
    {"repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset", G,
     "Replication offset of the backlog's first byte."},
    {"repl_backlog_histlen", "repl_backlog_history_bytes", G, "Bytes held in the backlog."},
    {"slave_priority", "slave_priority", G, "replica-priority of this replica."},
    // CPU
    {"used_cpu_sys", "cpu_sys_seconds_total", C, "System CPU time of the process."},
    {"used_cpu_user", "cpu_user_seconds_total", C, "User CPU time of the process."},
    {"used_cpu_sys_children", "cpu_sys_children_seconds_total", C,
     "System CPU time of child processes."},
    {"used_cpu_user_children", "cpu_user_children_seconds_total", C,
     "User CPU time of child processes."},
    {"used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total", C,
     "System CPU time of the main thread."},
    {"used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total", C,
     "User CPU time of the main thread."},
    // Cluster
    {"cluster_enabled", "cluster_enabled", G, "Whether cluster mode is on."},
};

// Families in name order, each with its HELP, TYPE and samples.
class Exposition {
 public:
  // `suffix`: "_sum" / "_count" for a summary's or a histogram's series,
  // "_bucket" for a histogram's buckets, else empty.
  void Add(const std::string& name, Type type, std::string_view help, std::string labels,
           double value, std::string_view suffix = {}) {
    Family& f = families_[name];
    if (f.help.empty()) {
      f.type = type;
      f.help = help;
    }
    f.samples.push_back(Sample{std::string(suffix), std::move(labels), value});
  }

  std::string Finish() const {
    std::string out;
    out.reserve(families_.size() * 128);
    for (const auto& [name, f] : families_) {
      out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
      out.append("# TYPE ").append(name).append(TypeName(f.type)).append("\n");
      for (const auto& [suffix, labels, value] : f.samples) {
        out.append(name).append(suffix);
        if (!labels.empty()) out.append("{").append(labels).append("}");
        out.append(" ").append(FormatValue(value)).append("\n");
      }
    }
    return out;
  }

 private:
  struct Sample {
    std::string suffix;
    std::string labels;
    double value;
  };
  struct Family {
    Type type = Type::kGauge;
    std::string help;
    std::vector<Sample> samples;
  };

  static const char* TypeName(Type t) {
    switch (t) {
      case Type::kGauge: return " gauge";
      case Type::kCounter: return " counter";
      case Type::kSummary: return " summary";
      case Type::kHistogram: return " histogram";
    }
    return " untyped";
  }

  static std::string FormatValue(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, r.ptr);
  }

  std::map<std::string, Family> families_;
};

// A label set: name="value" pairs in the order given (callers pass them
// sorted by name, as the exporter prints them). Values are escaped as the
// text format requires (backslash, double quote, line feed).
std::string Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out.push_back(',');
    out.append(k).append("=\"");
    for (char c : v) {
      if (c == '\\' || c == '"') {
        out.push_back('\\');
        out.push_back(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  return out;
}

// An INFO value as a number: ok/up are 1, err/down/fail 0, like the exporter.
std::optional<double> ParseValue(std::string_view v) {
  if (v == "ok" || v == "up") return 1;
  if (v == "err" || v == "down" || v == "fail") return 0;
  if (!v.empty() && v.back() == '%') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  std::string s(v);
  char* end = nullptr;
  double d = strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return d;
}

// "k1=v1,k2=v2" (the value of cmdstat_*, db*, slave* fields), in order.
using SubFieldList = std::vector<std::pair<std::string, std::string>>;
SubFieldList SubFields(std::string_view v) {
  SubFieldList out;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view Get(const SubFieldList& m, std::string_view k) {
  for (const auto& [key, value] : m) {
    if (key == k) return value;
  }
  return {};
}

double Num(const SubFieldList& m, std::string_view k) { return ParseValue(Get(m, k)).value_or(0); }

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Sentinel mode: INFO sentinel's fields and masterN lines, and the figures
// the exporter reads from SENTINEL sub-commands.
void AddSentinel(Exposition& e,
                 const std::vector<std::pair<std::string_view, std::string_view>>& lines,
                 const NonInfoFigures& extra) {
  const std::string p = "redis_sentinel_";
  struct {
    const char* field;
    const char* help;
  } const kFields[] = {
      {"sentinel_masters", "Primaries this sentinel watches."},
      {"sentinel_tilt", "1 while the sentinel is in TILT mode."},
      {"sentinel_running_scripts", "Notification scripts running."},
      {"sentinel_scripts_queue_length", "Notification scripts queued."},
      {"sentinel_simulate_failure_flags", "SENTINEL SIMULATE-FAILURE flags."},
  };
  for (const auto& [k, v] : lines) {
    for (const auto& f : kFields) {
      if (k == f.field) {
        if (auto n = ParseValue(v)) e.Add("redis_" + std::string(k), G, f.help, "", *n);
      }
    }
    if (k.size() > 6 && k.substr(0, 6) == "master" && IsDigits(k.substr(6))) {
      SubFieldList sub = SubFields(v);
      std::string_view name = Get(sub, "name"), address = Get(sub, "address");
      std::string l = Labels({{"master_address", address}, {"master_name", name}});
      e.Add(p + "master_status", G, "1 if the primary is seen up (status in the label).",
            Labels({{"master_address", address},
                    {"master_name", name},
                    {"master_status", Get(sub, "status")}}),
            Get(sub, "status") == "ok" ? 1 : 0);
      e.Add(p + "master_slaves", G, "Replicas of the primary.", l, Num(sub, "slaves"));
      e.Add(p + "master_sentinels", G, "Sentinels watching the primary, this one included.", l,
            Num(sub, "sentinels"));
    }
  }
  for (const SentinelPrimaryFigures& m : extra.sentinel_primaries) {
    std::string l = Labels({{"master_address", m.address}, {"master_name", m.name}});
    e.Add(p + "master_ok_slaves", G, "Replicas of the primary not seen down.", l,
          double(m.ok_replicas));
    e.Add(p + "master_ok_sentinels", G, "Sentinels of the primary not seen down.", l,
          double(m.ok_sentinels));
    e.Add(p + "master_ckquorum_status", G, "1 if SENTINEL CKQUORUM succeeds (reply in the label).",
          Labels({{"master_name", m.name}, {"message", m.quorum_message}}), m.quorum_ok ? 1 : 0);
  }
}

// Basalt's own families: the worker threads' load, and INFO fields only
// Basalt has.
void AddBasaltOwn(Exposition& e,
                  const std::unordered_map<std::string_view, std::string_view>& fields,
                  const NonInfoFigures& extra) {
  const std::string p = "basalt_";
  for (const auto& [field, help] : {
           std::pair<const char*, const char*>{"shards_per_db", "Keyspace shards per database."},
           {"current_save_keys_processed", "Keys written by the snapshot in progress."},
       }) {
    auto it = fields.find(field);
    if (it == fields.end()) continue;
    if (auto v = ParseValue(it->second)) e.Add(p + field, G, help, "", *v);
  }
  if (extra.workers.empty()) return;
  e.Add(p + "worker_threads", G, "Worker threads (event loops).", "",
        double(extra.workers.size()));
  for (size_t i = 0; i < extra.workers.size(); i++) {
    const WorkerFigures& w = extra.workers[i];
    std::string id = std::to_string(i);
    std::string l = Labels({{"worker", id}});
    e.Add(p + "worker_connections", G, "Connections owned by a worker thread.", l,
          double(w.connections));
    e.Add(p + "worker_commands_total", C, "Commands run on a worker thread.", l,
          double(w.commands));
    const char* cpu_help = "CPU time of a worker thread (sampled once a second).";
    e.Add(p + "worker_cpu_seconds_total", C, cpu_help, Labels({{"mode", "system"}, {"worker", id}}),
          w.cpu_sys_s);
    e.Add(p + "worker_cpu_seconds_total", C, cpu_help, Labels({{"mode", "user"}, {"worker", id}}),
          w.cpu_user_s);
    e.Add(p + "worker_handler_running_seconds", G,
          "How long the command or task a worker runs now has been running (0: waiting for "
          "events); a large value is a worker stuck in a long script or command.",
          l, w.handler_running_s);
  }
}

// ---- Basalt's own: per-command latency histograms (issue 16, part 4) ----

// The bound of bucket i in microseconds: 2^i (1 us .. 2^20 us).
int64_t CommandLatencyBoundUs(int i) { return int64_t{1} << i; }

// basalt_command_latency_seconds{cmd}: a Prometheus histogram per command
// called since start (or since CONFIG RESETSTAT), from the same histograms
// as INFO latencystats and LATENCY HISTOGRAM.
void AddCommandLatencyHistograms(Exposition& e, const NonInfoFigures& extra) {
  const std::string name = "basalt_command_latency_seconds";
  const char* help =
      "Command latency (time in the command's handler, as INFO latencystats) per command.";
  for (const CommandLatencyFigures& c : extra.command_latencies) {
    for (int i = 0; i < kCommandLatencyBuckets && i < int(c.buckets.size()); i++) {
      char le[32];
      auto r = std::to_chars(le, le + sizeof(le), double(CommandLatencyBoundUs(i)) / 1e6);
      e.Add(name, Type::kHistogram, help,
            Labels({{"cmd", c.cmd}, {"le", std::string_view(le, size_t(r.ptr - le))}}),
            double(c.buckets[size_t(i)]), "_bucket");
    }
    e.Add(name, Type::kHistogram, help, Labels({{"cmd", c.cmd}, {"le", "+Inf"}}), double(c.count),
          "_bucket");
    std::string l = Labels({{"cmd", c.cmd}});
    e.Add(name, Type::kHistogram, help, l, c.sum_s, "_sum");
    e.Add(name, Type::kHistogram, help, l, double(c.count), "_count");
  }
}

// ---- Basalt's own: synchronous replication and role changes (issue 16) ----

void AddReplicationFigures(Exposition& e, const NonInfoFigures& extra) {
  const ReplicationFigures& r = extra.replication;
  if (!r.present) return;
  const std::string p = "basalt_";
  e.Add(p + "role_changes_total", C,
        "Role changes since start: promotions to primary and demotions to replica.", "",
        double(r.role_changes));
  const char* refused_help =
      "Writes refused with NOREPLICAS before applying, by the directive not met.";
  e.Add(p + "replicas_write_refusals_total", C, refused_help,
        Labels({{"reason", "min-replicas-ack"}}), double(r.refused_min_replicas_ack));
  e.Add(p + "replicas_write_refusals_total", C, refused_help,
        Labels({{"reason", "min-replicas-to-write"}}), double(r.refused_min_replicas_to_write));
  e.Add(p + "sync_replication_acked_writes_total", C,
        "Write replies held under min-replicas-ack and released once acknowledged.", "",
        double(r.sync_acked));
  e.Add(p + "sync_replication_timeouts_total", C,
        "Write replies held under min-replicas-ack and replaced by the timeout error.", "",
        double(r.sync_timeouts));
  e.Add(p + "sync_replication_wait_seconds_total", C,
        "Time write replies were held under min-replicas-ack, acknowledged or timed out "
        "(millisecond resolution).",
        "", r.sync_wait_s);
}

// The consistency check (INFO consistency; docs/consistency.md): the last
// recorded outcome, published once a check was recorded.
void AddConsistency(Exposition& e,
                    const std::unordered_map<std::string_view, std::string_view>& fields) {
  auto num = [&](std::string_view k) -> std::optional<double> {
    auto it = fields.find(k);
    if (it == fields.end()) return std::nullopt;
    return ParseValue(it->second);
  };
  const std::string p = "basalt_consistency_";
  if (auto v = num("consistency_digest_passes")) {
    e.Add(p + "digest_passes_total", C, "Digest passes this node ran for consistency checks.",
          "", *v);
  }
  if (auto v = num("consistency_checks")) {
    e.Add(p + "checks_total", C, "Consistency checks recorded on this primary.", "", *v);
  }
  auto keys = num("consistency_last_check_differing_keys");
  auto ranges = num("consistency_last_check_differing_ranges");
  if (!keys || !ranges) return;
  // Keys when the drill-down listed them, else the differing ranges.
  e.Add(p + "check_differences", G,
        "Differences the last consistency check found between this primary and its replicas "
        "(differing keys, or differing ranges when no key was listed).",
        "", *keys > 0 ? *keys : *ranges);
  e.Add(p + "check_differing_ranges", G,
        "Hash ranges whose digests differed in the last consistency check.", "", *ranges);
  if (auto v = num("consistency_last_check_replicas_skipped")) {
    e.Add(p + "check_replicas_skipped", G,
          "Replicas the last consistency check could not compare.", "", *v);
  }
  if (auto v = num("consistency_last_success_time")) {
    e.Add(p + "check_last_success_timestamp_seconds", G,
          "Unix time of the last consistency check that found no difference (0: none yet).",
          "", *v);
  }
}

}  // namespace

std::string RenderMetricsFromInfo(std::string_view info, const NonInfoFigures& extra) {
  // Every "field:value" line of every section, in order.
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  std::unordered_map<std::string_view, std::string_view> fields;
  while (!info.empty()) {
    size_t nl = info.find('\n');
    std::string_view line = info.substr(0, nl);
    info.remove_prefix(nl == std::string_view::npos ? info.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    lines.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    fields.emplace(line.substr(0, colon), line.substr(colon + 1));
  }
  auto field = [&](std::string_view k) -> std::string_view {
    auto it = fields.find(k);
    return it == fields.end() ? std::string_view() : it->second;
  };

  Exposition e;
  const std::string p = "redis_";
  e.Add(p + "up", G, "Whether the server answered (always 1 when served by the server itself).",
        "", 1);
  for (const FieldMetric& m : kFieldMetrics) {
    auto it = fields.find(m.field);
    if (it == fields.end()) continue;
    std::optional<double> v = ParseValue(it->second);
    if (!v) continue;
    e.Add(p + m.metric, m.type, m.help, "", *v * m.scale);
  }
  if (auto up = ParseValue(field("uptime_in_seconds"))) {
    e.Add(p + "start_time_seconds", G, "Unix time the server started.", "",
          double(extra.now_s) - *up);
  }
  e.Add(p + "config_maxclients", G, "The maxclients setting.", "", double(extra.maxclients));
  e.Add(p + "config_maxmemory", G, "The maxmemory setting.", "", double(extra.maxmemory));
  e.Add(p + "config_io_threads", G, "The io-threads setting.", "", double(extra.io_threads));
  e.Add(p + "slowlog_length", G, "Entries in the slow log.", "", double(extra.slowlog_length));
  e.Add(p + "slowlog_last_id", G, "Id of the newest slow log entry (0: none).", "",
        double(extra.slowlog_last_id));
  e.Add(p + "last_slow_execution_duration_seconds", G,
        "Duration of the newest slow log entry.", "", extra.slowlog_last_duration_s);

  e.Add(p + "instance_info", G, "Information about the server, in labels.",
        Labels({{"maxmemory_policy", field("maxmemory_policy")},
                {"os", field("os")},
                {"process_id", field("process_id")},
                {"redis_build_id", field("redis_build_id")},
                {"redis_mode", extra.sentinel_mode ? "sentinel" : field("redis_mode")},
                {"redis_version", field("redis_version")},
                {"role", field("role")},
                {"run_id", field("run_id")},
                {"tcp_port", field("tcp_port")}}),
        1);

  // A replica: its link to the primary, labelled by the primary's address.
  if (field("role") == "slave") {
    std::string_view host = field("master_host"), port = field("master_port");
    std::string l = Labels({{"master_host", host}, {"master_port", port}});
    e.Add(p + "slave_info", G, "Information about this replica, in labels.",
          Labels({{"master_host", host},
                  {"master_port", port},
                  {"read_only", field("slave_read_only")}}),
          1);
    e.Add(p + "master_link_up", G, "1 if the link to the primary is up.", l,
          field("master_link_status") == "up" ? 1 : 0);
    struct {
      const char* field;
      const char* metric;
      const char* help;
    } const kLinked[] = {
        {"master_last_io_seconds_ago", "master_last_io_seconds_ago",
         "Seconds since the primary last sent anything."},
        {"master_sync_in_progress", "master_sync_in_progress",
         "1 while a full sync from the primary runs."},
        {"slave_repl_offset", "slave_repl_offset", "Replication offset applied by this replica."},
        {"master_link_down_since_seconds", "master_link_down_since_seconds",
         "Seconds since the link to the primary went down."},
        {"master_sync_left_bytes", "master_sync_left_bytes",
         "Bytes of the full sync still to read."},
    };
    for (const auto& m : kLinked) {
      if (auto v = ParseValue(field(m.field))) e.Add(p + m.metric, G, m.help, l, *v);
    }
  }

  // Keys per database: every database 0..databases-1, as the exporter
  // (which reads CONFIG GET databases); avg_ttl only for non-empty ones.
  std::map<int64_t, SubFieldList> dbs;
  for (const auto& [k, v] : lines) {
    if (k.size() > 2 && k.substr(0, 2) == "db" && IsDigits(k.substr(2))) {
      dbs[std::strtoll(std::string(k.substr(2)).c_str(), nullptr, 10)] = SubFields(v);
    }
  }
  for (int64_t d = 0; d < extra.databases; d++) {
    std::string l = Labels({{"db", "db" + std::to_string(d)}});
    auto it = dbs.find(d);
    e.Add(p + "db_keys", G, "Keys in the database.", l, it == dbs.end() ? 0 : Num(it->second, "keys"));
    e.Add(p + "db_keys_expiring", G, "Keys with a time to live in the database.", l,
          it == dbs.end() ? 0 : Num(it->second, "expires"));
    if (it != dbs.end()) {
      e.Add(p + "db_avg_ttl_seconds", G, "Average time to live of the keys that have one.", l,
            Num(it->second, "avg_ttl") / 1000);
    }
  }

  // INFO latencystats (when the server has it): a summary per command, the
  // quantiles from the percentiles line, _sum (microseconds) and _count from
  // its commandstats line.
  std::unordered_map<std::string_view, std::string_view> cmdstats;
  for (const auto& [k, v] : lines) {
    if (k.substr(0, 8) == "cmdstat_") cmdstats.emplace(k.substr(8), v);
  }
  constexpr std::string_view kLatency = "latency_percentiles_usec_";
  for (const auto& [k, v] : lines) {
    if (k.substr(0, kLatency.size()) != kLatency) continue;
    std::string_view cmd = k.substr(kLatency.size());
    std::string name = p + "latency_percentiles_usec";
    const char* help = "Latency percentiles per command, in microseconds.";
    for (const auto& [q, value] : SubFields(v)) {
      if (q.empty() || q[0] != 'p') continue;
      e.Add(name, Type::kSummary, help, Labels({{"cmd", cmd}, {"quantile", q.substr(1)}}),
            ParseValue(value).value_or(0));
    }
    auto stat = cmdstats.find(cmd);
    SubFieldList sub = stat == cmdstats.end() ? SubFieldList() : SubFields(stat->second);
    std::string l = Labels({{"cmd", cmd}});
    e.Add(name, Type::kSummary, help, l, Num(sub, "usec"), "_sum");
    e.Add(name, Type::kSummary, help, l, Num(sub, "calls"), "_count");
  }

  for (const auto& [k, v] : lines) {
    if (k.substr(0, 8) == "cmdstat_") {
      // Per command: calls, time, rejections, failures; cmd is Redis's name
      // ("get", "client|setname").
      auto sub = SubFields(v);
      std::string l = Labels({{"cmd", k.substr(8)}});
      e.Add(p + "commands_total", C, "Calls per command.", l, Num(sub, "calls"));
      e.Add(p + "commands_duration_seconds_total", C, "Time spent per command.", l,
            Num(sub, "usec") / 1e6);
      e.Add(p + "commands_rejected_calls_total", C,
            "Calls refused before running (ACL, arity, OOM, ...) per command.", l,
            Num(sub, "rejected_calls"));
      e.Add(p + "commands_failed_calls_total", C, "Calls that replied an error, per command.", l,
            Num(sub, "failed_calls"));
    } else if (k.substr(0, 10) == "errorstat_") {
      auto sub = SubFields(v);
      e.Add(p + "errors_total", C, "Error replies per error prefix.",
            Labels({{"err", k.substr(10)}}), Num(sub, "count"));
    } else if (k.size() > 5 && k.substr(0, 5) == "slave" && IsDigits(k.substr(5))) {
      auto sub = SubFields(v);
      std::string l = Labels({{"slave_ip", Get(sub, "ip")},
                              {"slave_port", Get(sub, "port")},
                              {"slave_state", Get(sub, "state")}});
      e.Add(p + "connected_slave_offset_bytes", G, "Replication offset acknowledged by a replica.",
            l, Num(sub, "offset"));
      e.Add(p + "connected_slave_lag_seconds", G, "Seconds since a replica last acknowledged.", l,
            Num(sub, "lag"));
    }
  }
  if (extra.sentinel_mode) AddSentinel(e, lines, extra);
  AddBasaltOwn(e, fields, extra);
  AddCommandLatencyHistograms(e, extra);
  AddReplicationFigures(e, extra);
  if (extra.shard_locks) {
    e.Add("basalt_shard_lock_waits_total", C,
          "Shard-lock acquisitions that found the lock held and waited for it.", "",
          double(extra.shard_lock_waits));
    e.Add("basalt_shard_lock_wait_seconds_total", C,
          "Time spent waiting for held shard locks, summed over every wait.", "",
          extra.shard_lock_wait_s);
  }
  AddConsistency(e, fields);
  return e.Finish();
}

namespace {

// ---- Collection of Basalt's own figures that INFO does not carry ----

std::vector<CommandLatencyFigures> CollectCommandLatencyFigures(Server& s) {
  std::vector<CommandLatencyFigures> out;
  int64_t bounds_ns[kCommandLatencyBuckets];
  for (int i = 0; i < kCommandLatencyBuckets; i++) {
    bounds_ns[i] = CommandLatencyBoundUs(i) * 1000;
  }
  for (const commands::CommandLatency& c :
       commands::CollectCommandLatencies(s, s.commands().by_id())) {
    CommandLatencyFigures f;
    f.cmd = c.spec->name;
    f.buckets = c.dist.CumulativeCounts(bounds_ns);
    f.count = c.dist.total();
    f.sum_s = c.dist.ApproxSumNs() / 1e9;
    out.push_back(std::move(f));
  }
  return out;
}

ReplicationFigures CollectReplicationFigures(Server& s) {
  ReplicationFigures r;
  r.present = true;
  r.role_changes = s.replication_role().role_changes.load(std::memory_order_relaxed);
  replication::AckTracker& t = s.ack_tracker();
  r.refused_min_replicas_to_write = t.refused_min_replicas_to_write();
  r.refused_min_replicas_ack = t.refused_min_replicas_ack();
  r.sync_acked = t.sync_acked();
  r.sync_timeouts = t.sync_timeouts();
  r.sync_wait_s = double(t.sync_wait_us()) / 1e6;
  return r;
}

}  // namespace

std::string RenderMetrics(Server& s) {
  // A sentinel has the sections its INFO shows (sentinel_family.cc), and
  // no dataset, replication or persistence behind the others.
  std::string_view everything[] = {"everything"};
  std::string_view sentinel_sections[] = {"server", "clients", "stats", "cpu"};
  std::string info = s.sentinel() != nullptr ? s.Info(sentinel_sections) : s.Info(everything);
  Config& cfg = s.config();
  NonInfoFigures extra;
  extra.databases = cfg.databases();
  extra.maxclients = cfg.maxclients();
  extra.maxmemory = cfg.maxmemory();
  extra.io_threads = cfg.io_threads();
  extra.slowlog_length = int64_t(s.slowlog().Len());
  std::vector<commands::SlowLog::Entry> last = s.slowlog().Get(1);
  if (!last.empty()) {
    extra.slowlog_last_id = int64_t(last[0].id);
    extra.slowlog_last_duration_s = double(last[0].duration_us) / 1e6;
  }
  extra.now_s = NowMs() / 1000;
  for (const auto& w : s.workers()) {
    WorkerFigures f;
    f.connections = w->connections();
    f.cpu_user_s = double(w->cpu_user_us()) / 1e6;
    f.cpu_sys_s = double(w->cpu_sys_us()) / 1e6;
    f.commands = w->stats().commands.load(std::memory_order_relaxed);
    f.handler_running_s = double(w->loop().handling_for_us()) / 1e6;
    extra.workers.push_back(f);
  }
  // As INFO latencystats: only while latency-tracking is on.
  if (s.config().latency_tracking()) extra.command_latencies = CollectCommandLatencyFigures(s);
  if (s.sentinel() == nullptr) {
    extra.replication = CollectReplicationFigures(s);
    storage::LockWaitStats waits = storage::ShardLockWaits();
    extra.shard_locks = true;
    extra.shard_lock_waits = waits.waits;
    extra.shard_lock_wait_s = double(waits.wait_us) / 1e6;
  }
  if (sentinel::Sentinel* sentinel = s.sentinel()) {
    extra.sentinel_mode = true;
    info += "\r\n# Sentinel\r\n" + sentinel->InfoSection();
    auto not_down = [](const sentinel::Fields& f) {
      for (const auto& [k, v] : f) {
        if (k == "flags") return v.find("s_down") == std::string::npos &&
                                 v.find("o_down") == std::string::npos;
      }
      return true;
    };
    for (const std::string& name : sentinel->MasterNames()) {
      SentinelPrimaryFigures m;
      m.name = name;
      if (auto addr = sentinel->MasterAddr(name)) {
        m.address = addr->first + ":" + std::to_string(addr->second);
      }
      if (auto r = sentinel->Replicas(name); r.ok()) {
        for (const auto& f : *r) m.ok_replicas += not_down(f) ? 1 : 0;
      }
      m.ok_sentinels = 1;
      if (auto r = sentinel->Sentinels(name); r.ok()) {
        for (const auto& f : *r) m.ok_sentinels += not_down(f) ? 1 : 0;
      }
      StatusOr<std::string> q = sentinel->CkQuorum(name);
      m.quorum_ok = q.ok();
      m.quorum_message = q.ok() ? *q : q.status().message();
      extra.sentinel_primaries.push_back(std::move(m));
    }
  }
  return RenderMetricsFromInfo(info, extra);
}

}  // namespace basalt::server
