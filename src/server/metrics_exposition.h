// The Prometheus text exposition (format 0.0.4) of a server's state, with
// the metric names, types and label names Debian's prometheus-redis-exporter
// (1.45) publishes for a Redis 7.0 instance, so dashboards and alert rules
// written for the exporter work unchanged. docs/observability.md lists what
// is published and what is left out, and why.
//
// Basalt's own families, prefixed basalt_, follow (per worker thread: load,
// CPU, connections, a handler running long; per-command latency histograms;
// synchronous-replication acknowledgements and refusals; role changes).
//
// How: the exporter turns INFO fields into metrics; so does this, from the
// server's own INFO text (BuildInfo, every section), plus the few figures the
// exporter reads elsewhere (CONFIG GET maxclients/maxmemory/io-threads and
// databases, SLOWLOG) taken from the Config and the SlowLog directly. Going
// through INFO keeps one source for every figure and one mapping table that
// reads like the exporter's documentation; the cost (one INFO rendering per
// scrape) is measured in docs/observability.md.
//
// Thread-safety: RenderMetrics may be called from any thread (it does what
// an INFO command does: atomics, short-held registry and shard locks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::server {

class Server;

// The content type of RenderMetrics' output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderMetrics(Server& s);

// The exposition of an INFO text (exposed for unit tests): `databases` is
// the number of logical databases (every one gets redis_db_keys), the other
// arguments are the non-INFO figures described above.
// Sentinel mode: per watched primary, what the exporter reads from SENTINEL
// REPLICAS / SENTINELS / CKQUORUM.
struct SentinelPrimaryFigures {
  std::string name;
  std::string address;      // "ip:port"
  int64_t ok_replicas = 0;   // replicas not flagged s_down / o_down
  int64_t ok_sentinels = 0;  // usable sentinels, this one included
  bool quorum_ok = false;
  std::string quorum_message;  // CKQUORUM's reply text
};
// Basalt's own per-worker figures (basalt_worker_*{worker}).
struct WorkerFigures {
  int64_t connections = 0;
  double cpu_user_s = 0, cpu_sys_s = 0;
  uint64_t commands = 0;
  double handler_running_s = 0;  // how long the current handler has run (0: idle)
};
// Basalt's own per-command latency histogram
// (basalt_command_latency_seconds{cmd}): the bucket bounds, in microseconds,
// are powers of two from 1 us to 2^20 us (~1.05 s; durations are clamped to
// 1 s), then +Inf.
inline constexpr int kCommandLatencyBuckets = 21;
struct CommandLatencyFigures {
  std::string cmd;                // Redis's name, as in redis_commands_total{cmd}
  std::vector<uint64_t> buckets;  // cumulative, one per bound (kCommandLatencyBuckets)
  uint64_t count = 0;             // the +Inf bucket
  double sum_s = 0;
};
// Basalt's own replication figures (a primary's synchronous mode, and role
// changes); absent in sentinel mode.
struct ReplicationFigures {
  bool present = false;
  uint64_t role_changes = 0;
  uint64_t refused_min_replicas_to_write = 0;
  uint64_t refused_min_replicas_ack = 0;
  uint64_t sync_acked = 0;
  uint64_t sync_timeouts = 0;
  double sync_wait_s = 0;
};
struct NonInfoFigures {
  int64_t databases = 16;
  int64_t maxclients = 0;
  int64_t maxmemory = 0;
  int64_t io_threads = 1;
  int64_t slowlog_length = 0;
  int64_t slowlog_last_id = 0;
  double slowlog_last_duration_s = 0;
  int64_t now_s = 0;
  bool sentinel_mode = false;
  std::vector<WorkerFigures> workers;
  std::vector<CommandLatencyFigures> command_latencies;
  ReplicationFigures replication;
  std::vector<SentinelPrimaryFigures> sentinel_primaries;
  // Shard-lock contention (storage::ShardLockWaits); absent in sentinel mode.
  bool shard_locks = false;
  uint64_t shard_lock_waits = 0;
  double shard_lock_wait_s = 0;
};
std::string RenderMetricsFromInfo(std::string_view info, const NonInfoFigures& extra);

}  // namespace basalt::server
