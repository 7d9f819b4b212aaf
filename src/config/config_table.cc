// The directive table and the parsing/formatting of each value type.
//
// Every directive redis-server 7.0.15 reports in CONFIG GET * is here (plus
// its hidden ones), with the type, default, range and mutability observed on
// redis-server. Rows with a storage slot are implemented by Basalt; the others
// are kDefaultOnly: their Redis default is accepted and reported, anything else
// is refused. To implement one, give it a slot (and an accessor in config.h).
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "common/cpu_affinity.h"
#include "common/numbers.h"
#include "common/proc_title.h"
#include "common/split_args.h"
#include "common/strings.h"
#include "config/config_internal.h"

namespace basalt::config::config_internal {
namespace {

constexpr int64_t kLLMax = INT64_MAX;
constexpr int64_t kIntMax = INT32_MAX;
constexpr int64_t kUIntMax = UINT32_MAX;
constexpr int kStored = 0;  // slot of the list-valued directives kept in members

using C = Config;

Spec Row(std::string_view name, std::string_view alias, Kind kind, uint32_t flags,
         std::string_view def, int64_t min, int64_t max, std::string_view enums, int slot) {
  if (slot < 0) flags |= kDefaultOnly;
  return Spec{name, alias, kind, flags, def, min, max, enums, slot};
}
Spec Bool(std::string_view n, std::string_view a, uint32_t f, bool def, int slot = -1) {
  return Row(n, a, Kind::kBool, f, def ? "yes" : "no", 0, 1, "", slot);
}
Spec Int(std::string_view n, std::string_view a, uint32_t f, std::string_view def, int64_t min,
         int64_t max, int slot = -1) {
  return Row(n, a, Kind::kInt, f, def, min, max, "", slot);
}
Spec Mem(std::string_view n, std::string_view a, uint32_t f, std::string_view def, int64_t min,
         int64_t max, int slot = -1) {
  return Row(n, a, Kind::kMemory, f, def, min, max, "", slot);
}
Spec Enum(std::string_view n, std::string_view a, uint32_t f, std::string_view def,
          std::string_view values, int slot = -1) {
  return Row(n, a, Kind::kEnum, f, def, 0, 0, values, slot);
}
Spec Str(std::string_view n, std::string_view a, uint32_t f, std::string_view def, int slot = -1) {
  return Row(n, a, Kind::kString, f, def, 0, 0, "", slot);
}
Spec Special(std::string_view n, std::string_view a, Kind k, uint32_t f, std::string_view def,
             int slot = -1) {
  return Row(n, a, k, f, def, 0, 0, "", slot);
}

std::vector<Spec> BuildTable() {
  const uint32_t I = kImmutable;
  const uint32_t P = kProtected;
  const uint32_t H = kHidden;
  return {
      // ---- Implemented by Basalt ----
      Special("bind", "", Kind::kBind, 0, "* -::*", kStored),
      Str("bind-source-addr", "", 0, "", C::kBindSourceAddr),
      Int("port", "", 0, "6379", 0, 65535, C::kPort),
      Str("unixsocket", "", I, "", C::kUnixsocket),
      Row("unixsocketperm", "", Kind::kOctal, I, "0", 0, 0777, "", C::kUnixsocketperm),
      Int("tcp-backlog", "", I, "511", 0, kIntMax, C::kTcpBacklog),
      Int("timeout", "", 0, "0", 0, kIntMax, C::kTimeout),
      Int("tcp-keepalive", "", 0, "300", 0, kIntMax, C::kTcpKeepalive),
      Bool("protected-mode", "", 0, true, C::kProtectedMode),
      Bool("daemonize", "", I, false, C::kDaemonize),
      Str("pidfile", "", I, "", C::kPidfile),
      Enum("loglevel", "", 0, "notice", "debug verbose notice warning", C::kLoglevel),
      // Valkey 8.1's log line formats (common/logging.h).
      Enum("log-format", "", 0, "legacy", "legacy logfmt", C::kLogFormat),
      Enum("log-timestamp-format", "", 0, "legacy", "legacy iso8601 milliseconds",
           C::kLogTimestampFormat),
      Str("logfile", "", I, "", C::kLogfile),
      Int("databases", "", I, "16", 1, kIntMax, C::kDatabases),
      Str("requirepass", "", 0, "", C::kRequirepass),
      Int("maxclients", "", 0, "10000", 1, kUIntMax, C::kMaxclients),
      Int("hz", "", kClampHz, "10", 0, kIntMax, C::kHz),
      Bool("dynamic-hz", "", 0, true, C::kDynamicHz),
      Mem("proto-max-bulk-len", "", 0, "536870912", 1024 * 1024, kLLMax, C::kProtoMaxBulkLen),
      Mem("client-query-buffer-limit", "", 0, "1073741824", 1024 * 1024, kLLMax,
          C::kClientQueryBufferLimit),
      Special("dir", "", Kind::kDir, P | kAlwaysRewrite, "", C::kDir),
      Str("dbfilename", "", P | kFilename, "dump.rdb", C::kDbfilename),
      Special("save", "", Kind::kSave, kAlwaysRewrite, "3600 1 300 100 60 10000", kStored),
      Bool("lazyfree-lazy-eviction", "", 0, false, C::kLazyfreeLazyEviction),
      Bool("lazyfree-lazy-expire", "", 0, false, C::kLazyfreeLazyExpire),
      Bool("lazyfree-lazy-server-del", "", 0, false, C::kLazyfreeLazyServerDel),
      Bool("lazyfree-lazy-user-del", "", 0, false, C::kLazyfreeLazyUserDel),
      Bool("lazyfree-lazy-user-flush", "", 0, false, C::kLazyfreeLazyUserFlush),
      Bool("latency-tracking", "", 0, true, C::kLatencyTracking),
      Int("slowlog-log-slower-than", "", 0, "10000", -1, kLLMax, C::kSlowlogLogSlowerThan),
      Int("slowlog-max-len", "", 0, "128", 0, kLLMax, C::kSlowlogMaxLen),
      Special("notify-keyspace-events", "", Kind::kNotifyKeyspaceEvents, 0, "",
              C::kNotifyKeyspaceEvents),
      Int("active-expire-effort", "", 0, "1", 1, 10, C::kActiveExpireEffort),
      Bool("replica-read-only", "slave-read-only", 0, true, C::kReplicaReadOnly),
      Bool("appendonly", "", 0, false, C::kAppendonly),
      Enum("enable-protected-configs", "", I, "no", "no yes local", C::kEnableProtectedConfigs),
      // Basalt's own.
      Int("threads", "", I, "0", 0, 1024, C::kThreads),
      Enum("enable-debug-command", "", I, "no", "no yes local", C::kEnableDebugCommand),
      Mem("maxmemory", "", kUnsigned, "0", 0, kLLMax, C::kMaxmemory),
      Enum("maxmemory-policy", "", 0, "noeviction",
           "volatile-lru volatile-lfu volatile-random volatile-ttl allkeys-lru allkeys-lfu "
           "allkeys-random noeviction",
           C::kMaxmemoryPolicy),
      Int("maxmemory-samples", "", 0, "5", 1, kIntMax, C::kMaxmemorySamples),
      Int("maxmemory-eviction-tenacity", "", 0, "10", 0, 100, C::kMaxmemoryEvictionTenacity),
      Int("lfu-log-factor", "", 0, "10", 0, kIntMax, C::kLfuLogFactor),
      Int("lfu-decay-time", "", 0, "1", 0, kIntMax, C::kLfuDecayTime),
      Int("shards-per-thread", "", I | kPowerOfTwo, "8", 1, 1024, C::kShardsPerThread),
      // The metrics / health HTTP port (docs/observability.md); 0: off. Not
      // re-bound at runtime.
      Int("metrics-port", "", I, "0", 0, 65535, C::kMetricsPort),
      Str("metrics-bind", "", I, "127.0.0.1", C::kMetricsBind),
      // The endpoint speaks HTTPS with the server's TLS certificate.
      Bool("metrics-tls", "", I, false, C::kMetricsTls),
      Int("readyz-max-lag", "", 0, "30", 0, kIntMax, C::kReadyzMaxLag),
      // Start-up: ask these sentinels who the primary is before serving
      // (sentinel/primary_discovery.h, docs/operations.md).
      Str("primary-discovery-sentinels", "", 0, "", C::kPrimaryDiscoverySentinels),
      Str("primary-discovery-name", "", 0, "mymaster", C::kPrimaryDiscoveryName),
      Int("primary-discovery-timeout", "", 0, "30", 0, 3600, C::kPrimaryDiscoveryTimeout),
      // SIGTERM/SHUTDOWN of a primary: hand over through the sentinels first
      // (server/shutdown_handover.h).
      Bool("shutdown-handover", "", 0, false, C::kShutdownHandover),
      // Synchronous replication (docs/replication.md).
      Int("min-replicas-ack", "", 0, "0", 0, kIntMax, C::kMinReplicasAck),
      Int("min-replicas-ack-timeout", "", 0, "1000", 1, kIntMax, C::kMinReplicasAckTimeout),
      // Replicas carry the primary's ACL users (docs/replication.md).
      Bool("acl-replicate-users", "", 0, false, C::kAclReplicateUsers),
      // A connection is closed after this many failed AUTH / HELLO AUTH
      // attempts (0: no limit, as Redis). Counted in INFO stats.
      Int("max-auth-failures-per-connection", "", 0, "0", 0, kIntMax,
          C::kMaxAuthFailuresPerConnection),
      // Process-level directives (docs/compatibility.md, Configuration).
      Bool("syslog-enabled", "", I, false, C::kSyslogEnabled),
      Str("syslog-ident", "", I, "redis", C::kSyslogIdent),
      Enum("syslog-facility", "", I, "local0",
           "user local0 local1 local2 local3 local4 local5 local6 local7", C::kSyslogFacility),
      Enum("supervised", "", I, "no", "upstart systemd auto no", C::kSupervised),
      Bool("always-show-logo", "", I, false, C::kAlwaysShowLogo),
      Bool("disable-thp", "", I, true, C::kDisableThp),
      Bool("crash-log-enabled", "", 0, true, C::kCrashLogEnabled),
      Bool("crash-memcheck-enabled", "", 0, true, C::kCrashMemcheckEnabled),
      Bool("set-proc-title", "", I, true, C::kSetProcTitle),
      Str("proc-title-template", "", kProcTitleTemplate, "{title} {listen-addr} {server-mode}",
          C::kProcTitleTemplate),
      Enum("oom-score-adj", "", 0, "no", "no yes relative absolute", C::kOomScoreAdj),
      Special("oom-score-adj-values", "", Kind::kOomScoreAdjValues, 0, "0 200 800", kStored),
      Special("shutdown-on-sigint", "", Kind::kShutdownFlags, 0, "default", C::kShutdownOnSigint),
      Special("shutdown-on-sigterm", "", Kind::kShutdownFlags, 0, "default",
              C::kShutdownOnSigterm),
      Int("shutdown-timeout", "", 0, "10", 0, kIntMax, C::kShutdownTimeout),
      Int("socket-mark-id", "", I, "0", 0, kUIntMax, C::kSocketMarkId),
      Str("server_cpulist", "", I | kCpuList, "", C::kServerCpulist),
      Str("bgsave_cpulist", "", I | kCpuList, "", C::kBgsaveCpulist),
      Str("bio_cpulist", "", I | kCpuList, "", C::kBioCpulist),
      Str("aof_rewrite_cpulist", "", I | kCpuList, "", C::kAofRewriteCpulist),

      Bool("aof-load-truncated", "", 0, true, C::kAofLoadTruncated),
      Bool("aof-rewrite-incremental-fsync", "", 0, true, C::kAofRewriteIncrementalFsync),
      Bool("aof-use-rdb-preamble", "", 0, true, C::kAofUseRdbPreamble),
      Enum("appendfsync", "", 0, "everysec", "everysec always no", C::kAppendfsync),
      Mem("auto-aof-rewrite-min-size", "", 0, "67108864", 0, kLLMax, C::kAutoAofRewriteMinSize),
      Int("auto-aof-rewrite-percentage", "", 0, "100", 0, kIntMax, C::kAutoAofRewritePercentage),
      Bool("rdb-save-incremental-fsync", "", 0, true, C::kRdbSaveIncrementalFsync),
      Bool("rdbchecksum", "", I, true, C::kRdbchecksum),
      Bool("rdbcompression", "", 0, true, C::kRdbcompression),
      Bool("stop-writes-on-bgsave-error", "", 0, true, C::kStopWritesOnBgsaveError),
      // ---- The rest of Redis 7.0's directives, alphabetically. A row without a slot
      // is not implemented by Basalt yet: only its default is accepted ----
      Enum("acl-pubsub-default", "", 0, "resetchannels", "allchannels resetchannels",
           C::kAclPubsubDefault),
      Str("aclfile", "", I, "", C::kAclfile),
      Int("acllog-max-len", "", 0, "128", 0, kLLMax, C::kAcllogMaxLen),
      Int("active-defrag-cycle-max", "", 0, "25", 1, 99, C::kActiveDefragCycleMax),
      Int("active-defrag-cycle-min", "", 0, "1", 1, 99, C::kActiveDefragCycleMin),
      Mem("active-defrag-ignore-bytes", "", 0, "104857600", 1, kLLMax, C::kActiveDefragIgnoreBytes),
      Int("active-defrag-max-scan-fields", "", 0, "1000", 1, kLLMax, C::kActiveDefragMaxScanFields),
      Int("active-defrag-threshold-lower", "", 0, "10", 0, 1000, C::kActiveDefragThresholdLower),
      Int("active-defrag-threshold-upper", "", 0, "100", 0, 1000, C::kActiveDefragThresholdUpper),
      Bool("activedefrag", "", 0, false, C::kActivedefrag),
      Bool("activerehashing", "", 0, true, C::kActiverehashing),
      Bool("aof-disable-auto-gc", "", 0, false, C::kAofDisableAutoGc),
      Bool("aof-timestamp-enabled", "", 0, false, C::kAofTimestampEnabled),
      Str("appenddirname", "", I, "appendonlydir", C::kAppenddirname),
      Str("appendfilename", "", I, "appendonly.aof", C::kAppendfilename),
      Int("busy-reply-threshold", "lua-time-limit", 0, "5000", 0, kLLMax, C::kBusyReplyThreshold),
      Special("client-output-buffer-limit", "", Kind::kClientOutputBufferLimit, 0,
              "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", kStored),
      Bool("cluster-allow-pubsubshard-when-down", "", 0, true),
      Bool("cluster-allow-reads-when-down", "", 0, false),
      Bool("cluster-allow-replica-migration", "", 0, true),
      Int("cluster-announce-bus-port", "", 0, "0", 0, 65535),
      Str("cluster-announce-hostname", "", 0, ""),
      Str("cluster-announce-ip", "", 0, ""),
      Int("cluster-announce-port", "", 0, "0", 0, 65535),
      Int("cluster-announce-tls-port", "", 0, "0", 0, 65535),
      Str("cluster-config-file", "", I, "nodes.conf"),
      Bool("cluster-enabled", "", I, false),
      Mem("cluster-link-sendbuf-limit", "", kUnsigned, "0", 0, 0),
      Int("cluster-migration-barrier", "", 0, "1", 0, kIntMax),
      Int("cluster-node-timeout", "", 0, "15000", 0, kLLMax),
      Int("cluster-port", "", I, "0", 0, 65535),
      Enum("cluster-preferred-endpoint-type", "", 0, "ip", "ip hostname unknown-endpoint"),
      Bool("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
      Int("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, "10", 0, kIntMax),
      Bool("cluster-require-full-coverage", "", 0, true),
      Enum("enable-module-command", "", I, "no", "no yes local"),
      Int("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, "512", 0, kLLMax,
          C::kHashMaxListpackEntries),
      Mem("hash-max-listpack-value", "hash-max-ziplist-value", 0, "64", 0, kLLMax,
          C::kHashMaxListpackValue),
      Mem("hll-sparse-max-bytes", "", 0, "3000", 0, kLLMax, C::kHllSparseMaxBytes),
      Str("ignore-warnings", "", 0, "", C::kIgnoreWarnings),
      Int("io-threads", "", I, "1", 1, 128, C::kIoThreads),
      Bool("io-threads-do-reads", "", I, false, C::kIoThreadsDoReads),
      Bool("jemalloc-bg-thread", "", 0, true, C::kJemallocBgThread),
      Int("latency-monitor-threshold", "", 0, "0", 0, kLLMax, C::kLatencyMonitorThreshold),
      Special("latency-tracking-info-percentiles", "", Kind::kLatencyPercentiles, 0, "50 99 99.9",
              kStored),
      Int("list-compress-depth", "", 0, "0", 0, kIntMax, C::kListCompressDepth),
      Int("list-max-listpack-size", "list-max-ziplist-size", 0, "-2", INT32_MIN, kIntMax,
          C::kListMaxListpackSize),
      Str("masterauth", "", 0, "", C::kMasterauth),
      Str("masteruser", "", 0, "", C::kMasteruser),
      Row("maxmemory-clients", "", Kind::kMemoryOrPercent, 0, "0", 0, kLLMax, "",
          C::kMaxmemoryClients),
      Int("min-replicas-max-lag", "min-slaves-max-lag", 0, "10", 0, kIntMax, C::kMinReplicasMaxLag),
      Int("min-replicas-to-write", "min-slaves-to-write", 0, "0", 0, kIntMax,
          C::kMinReplicasToWrite),
      Bool("no-appendfsync-on-rewrite", "", 0, false, C::kNoAppendfsyncOnRewrite),
      Enum("propagation-error-behavior", "", 0, "ignore", "ignore panic panic-on-replicas",
           C::kPropagationErrorBehavior),
      Bool("rdb-del-sync-files", "", 0, false, C::kRdbDelSyncFiles),
      Mem("repl-backlog-size", "", 0, "1048576", 1, kLLMax, C::kReplBacklogSize),
      Int("repl-backlog-ttl", "", 0, "3600", 0, kLLMax, C::kReplBacklogTtl),
      Bool("repl-disable-tcp-nodelay", "", 0, false, C::kReplDisableTcpNodelay),
      Enum("repl-diskless-load", "", 0, "disabled", "disabled on-empty-db swapdb",
           C::kReplDisklessLoad),
      Bool("repl-diskless-sync", "", 0, true, C::kReplDisklessSync),
      Int("repl-diskless-sync-delay", "", 0, "5", 0, kIntMax, C::kReplDisklessSyncDelay),
      Int("repl-diskless-sync-max-replicas", "", 0, "0", 0, kIntMax,
          C::kReplDisklessSyncMaxReplicas),
      Int("repl-ping-replica-period", "repl-ping-slave-period", 0, "10", 1, kIntMax,
          C::kReplPingReplicaPeriod),
      Int("repl-timeout", "", 0, "60", 1, kIntMax, C::kReplTimeout),
      Str("replica-announce-ip", "slave-announce-ip", 0, "", C::kReplicaAnnounceIp),
      Int("replica-announce-port", "slave-announce-port", 0, "0", 0, 65535,
          C::kReplicaAnnouncePort),
      Bool("replica-announced", "", 0, true, C::kReplicaAnnounced),
      Bool("replica-ignore-disk-write-errors", "", 0, false, C::kReplicaIgnoreDiskWriteErrors),
      Bool("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true,
           C::kReplicaIgnoreMaxmemory),
      Bool("replica-lazy-flush", "slave-lazy-flush", 0, false, C::kReplicaLazyFlush),
      Int("replica-priority", "slave-priority", 0, "100", 0, kIntMax, C::kReplicaPriority),
      Bool("replica-serve-stale-data", "slave-serve-stale-data", 0, true,
           C::kReplicaServeStaleData),
      Special("replicaof", "slaveof", Kind::kReplicaof, I, "", C::kReplicaof),
      Enum("sanitize-dump-payload", "", 0, "no", "no yes clients", C::kSanitizeDumpPayload),
      Int("set-max-intset-entries", "", 0, "512", 0, kLLMax, C::kSetMaxIntsetEntries),
      Mem("stream-node-max-bytes", "", 0, "4096", 0, kLLMax, C::kStreamNodeMaxBytes),
      Int("stream-node-max-entries", "", 0, "100", 0, kLLMax, C::kStreamNodeMaxEntries),
      Enum("tls-auth-clients", "", 0, "yes", "no yes optional", C::kTlsAuthClients),
      // As Valkey 8.1: CN authenticates a TLS client as the ACL user named by
      // its certificate's Common Name (docs/compatibility.md, TLS).
      Enum("tls-auth-clients-user", "", 0, "off", "off CN", C::kTlsAuthClientsUser),
      Str("tls-ca-cert-dir", "", 0, "", C::kTlsCaCertDir),
      Str("tls-ca-cert-file", "", 0, "", C::kTlsCaCertFile),
      Str("tls-cert-file", "", 0, "", C::kTlsCertFile),
      Str("tls-ciphers", "", 0, "", C::kTlsCiphers),
      Str("tls-ciphersuites", "", 0, "", C::kTlsCiphersuites),
      Str("tls-client-cert-file", "", 0, "", C::kTlsClientCertFile),
      Str("tls-client-key-file", "", 0, "", C::kTlsClientKeyFile),
      Str("tls-client-key-file-pass", "", 0, "", C::kTlsClientKeyFilePass),
      Bool("tls-cluster", "", 0, false),
      Str("tls-dh-params-file", "", 0, "", C::kTlsDhParamsFile),
      Str("tls-key-file", "", 0, "", C::kTlsKeyFile),
      Str("tls-key-file-pass", "", 0, "", C::kTlsKeyFilePass),
      Int("tls-port", "", 0, "0", 0, 65535, C::kTlsPort),
      Bool("tls-prefer-server-ciphers", "", 0, false, C::kTlsPreferServerCiphers),
      Str("tls-protocols", "", 0, "", C::kTlsProtocols),
      Bool("tls-replication", "", 0, false, C::kTlsReplication),
      Int("tls-session-cache-size", "", 0, "20480", 0, kIntMax, C::kTlsSessionCacheSize),
      Int("tls-session-cache-timeout", "", 0, "300", 0, kIntMax, C::kTlsSessionCacheTimeout),
      Bool("tls-session-caching", "", 0, true, C::kTlsSessionCaching),
      Int("tracking-table-max-keys", "", 0, "1000000", 0, kLLMax, C::kTrackingTableMaxKeys),
      Int("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, "128", 0, kLLMax,
          C::kZsetMaxListpackEntries),
      Mem("zset-max-listpack-value", "zset-max-ziplist-value", 0, "64", 0, kLLMax,
          C::kZsetMaxListpackValue),
      // Hidden in Redis: CONFIG GET finds them only by their exact name.
      Int("key-load-delay", "", H, "0", INT32_MIN, kIntMax, C::kKeyLoadDelay),
      Int("rdb-key-save-delay", "", H, "0", INT32_MIN, kIntMax, C::kRdbKeySaveDelay),
      Int("loading-process-events-interval-bytes", "", H, "2097152", 1024, kIntMax,
          C::kLoadingProcessEventsIntervalBytes),
  };
}

struct Table {
  std::vector<Spec> specs;
  std::unordered_map<std::string, size_t> by_name;  // lower-case name or alias
  std::vector<Value> defaults;
};

Table BuildIndexedTable() {
  Table t;
  t.specs = BuildTable();
  for (size_t i = 0; i < t.specs.size(); i++) {
    t.by_name.emplace(std::string(t.specs[i].name), i);
    if (!t.specs[i].alias.empty()) t.by_name.emplace(std::string(t.specs[i].alias), i);
  }
  return t;
}

// ---- Parsing helpers ----

// Redis's memory syntax: decimal digits (possibly none, meaning 0) and an
// optional case-insensitive unit b, k, kb, m, mb, g, gb. Overflow saturates,
// as strtoull does in Redis.
std::optional<uint64_t> ParseMemory(std::string_view s) {
  uint64_t mul = 1;
  size_t digits = s.size();
  auto ends_with = [&](std::string_view suf) {
    return s.size() >= suf.size() && EqualsIgnoreCase(s.substr(s.size() - suf.size()), suf);
  };
  if (ends_with("kb")) {
    mul = 1024, digits -= 2;
  } else if (ends_with("mb")) {
    mul = 1024 * 1024, digits -= 2;
  } else if (ends_with("gb")) {
    mul = 1024ull * 1024 * 1024, digits -= 2;
  } else if (ends_with("k")) {
    mul = 1000, digits -= 1;
  } else if (ends_with("m")) {
    mul = 1000 * 1000, digits -= 1;
  } else if (ends_with("g")) {
    mul = 1000ull * 1000 * 1000, digits -= 1;
  } else if (ends_with("b")) {
    digits -= 1;
  }
  uint64_t v = 0;
  bool saturated = false;
  for (size_t i = 0; i < digits; i++) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    if (!saturated) {
      if (v > (UINT64_MAX - (s[i] - '0')) / 10) {
        saturated = true;
        v = UINT64_MAX;
      } else {
        v = v * 10 + (s[i] - '0');
      }
    }
  }
  if (v != 0 && v > UINT64_MAX / mul) return UINT64_MAX;
  return v * mul;
}

// strtoll over the whole string, as Redis parses save points and octal modes:
// leading blanks and a sign are allowed, trailing garbage is not, overflow
// saturates.
std::optional<int64_t> StrToLL(const std::string& s, int base) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, base);
  if (*end != '\0') return std::nullopt;
  return v;
}

std::string RangeError(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

std::string HumanBytes(uint64_t v) {
  constexpr uint64_t kGb = 1024ull * 1024 * 1024, kMb = 1024 * 1024, kKb = 1024;
  if (v == 0) return "0";
  if (v % kGb == 0) return std::to_string(v / kGb) + "gb";
  if (v % kMb == 0) return std::to_string(v / kMb) + "mb";
  if (v % kKb == 0) return std::to_string(v / kKb) + "kb";
  return std::to_string(v);
}

std::string FormatPercentile(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", d);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); i++) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

constexpr std::string_view kKeyspaceEventChars = "Ag$lshzxeKEtmdn";

StatusOr<Value> ParseClientOutputBufferLimit(std::span<const std::string> args, const Value& base) {
  static const std::vector<std::string> kZero = {"normal", "0", "0",      "0", "slave", "0",
                                                 "0",      "0", "pubsub", "0", "0",     "0"};
  Value v;
  v.list = base.list.size() == kZero.size() ? base.list : kZero;
  if (args.size() % 4 != 0) {
    return Status::Error("Wrong number of arguments in buffer limit configuration.");
  }
  std::vector<std::pair<size_t, std::array<std::string, 3>>> updates;
  for (size_t i = 0; i < args.size(); i += 4) {
    size_t cls;
    if (EqualsIgnoreCase(args[i], "normal")) {
      cls = 0;
    } else if (EqualsIgnoreCase(args[i], "slave") || EqualsIgnoreCase(args[i], "replica")) {
      cls = 1;
    } else if (EqualsIgnoreCase(args[i], "pubsub")) {
      cls = 2;
    } else {
      return Status::Error("Invalid client class specified in buffer limit configuration.");
    }
    auto hard = ParseMemory(args[i + 1]);
    auto soft = ParseMemory(args[i + 2]);
    auto secs = StrToLL(args[i + 3], 10);
    if (!hard || !soft || !secs || *secs < 0 || *hard > uint64_t{INT64_MAX} ||
        *soft > uint64_t{INT64_MAX}) {
      return Status::Error(
          "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    updates.push_back({cls, {std::to_string(*hard), std::to_string(*soft), std::to_string(*secs)}});
  }
  for (auto& [cls, vals] : updates) {
    for (size_t k = 0; k < 3; k++) v.list[cls * 4 + 1 + k] = vals[k];
  }
  // Replica and pubsub limits are enforced; normal clients' are not (yet), so
  // only their default is accepted rather than a limit that would do nothing.
  if (v.list[1] != "0" || v.list[2] != "0" || v.list[3] != "0") {
    return Status::Error(
        "client-output-buffer-limit normal other than '0 0 0' is not supported by Basalt yet");
  }
  return v;
}

const Table& GetTable() {
  static const Table* table = [] {
    auto* t = new Table(BuildIndexedTable());
    // Defaults are parsed with the same code as user values, so "is this the
    // default?" compares like with like.
    for (const Spec& s : t->specs) {
      std::vector<std::string> args;
      if (s.multi_arg()) {
        args = SplitOnSpaces(s.def);
      } else if (s.kind == Kind::kReplicaof) {
        args = {"no", "one"};
      } else {
        args = {std::string(s.def)};
      }
      if (s.kind == Kind::kDir) {
        t->defaults.emplace_back();
        continue;
      }
      auto v = ParseValue(s, args, Value{}, "/");
      if (!v.ok()) {
        std::fprintf(stderr, "config table: bad default for %s: %s\n", std::string(s.name).c_str(),
                     v.status().message().c_str());
        std::abort();
      }
      t->defaults.push_back(std::move(v).value());
    }
    return t;
  }();
  return *table;
}

}  // namespace

bool Spec::multi_arg() const {
  switch (kind) {
    case Kind::kSave:
    case Kind::kBind:
    case Kind::kClientOutputBufferLimit:
    case Kind::kOomScoreAdjValues:
    case Kind::kLatencyPercentiles:
    case Kind::kShutdownFlags:
      return true;
    default:
      return false;
  }
}

bool Spec::numeric() const {
  switch (kind) {
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kMemory:
    case Kind::kMemoryOrPercent:
    case Kind::kEnum:
    case Kind::kOctal:
    case Kind::kShutdownFlags:
      return true;
    default:
      return false;
  }
}

std::span<const Spec> Specs() { return GetTable().specs; }

const Spec* FindSpec(std::string_view name) {
  const Table& t = GetTable();
  auto it = t.by_name.find(Lower(name));
  return it == t.by_name.end() ? nullptr : &t.specs[it->second];
}

const Value& DefaultValue(const Spec& spec) {
  const Table& t = GetTable();
  return t.defaults[&spec - t.specs.data()];
}

StatusOr<Value> ParseValue(const Spec& spec, std::span<const std::string> args, const Value& base,
                           const std::string& cwd) {
  Value v;
  const std::string empty;
  const std::string& a0 = args.empty() ? empty : args[0];
  switch (spec.kind) {
    case Kind::kBool:
      if (EqualsIgnoreCase(a0, "yes")) {
        v.num = 1;
      } else if (EqualsIgnoreCase(a0, "no")) {
        v.num = 0;
      } else {
        return Status::Error("argument must be 'yes' or 'no'");
      }
      return v;
    case Kind::kInt: {
      auto n = ParseInt64(a0);
      if (!n) return Status::Error("argument couldn't be parsed into an integer");
      if (*n < spec.min || *n > spec.max) return Status::Error(RangeError(spec.min, spec.max));
      if (spec.is(kPowerOfTwo) && (*n & (*n - 1)) != 0) {
        return Status::Error("argument must be a power of two");
      }
      v.num = *n;
      if (spec.is(kClampHz)) v.num = v.num < 1 ? 1 : v.num > 500 ? 500 : v.num;
      return v;
    }
    case Kind::kMemory: {
      auto n = ParseMemory(a0);
      if (!n) return Status::Error("argument must be a memory value");
      if (!spec.is(kUnsigned) &&
          (*n > static_cast<uint64_t>(spec.max) || static_cast<int64_t>(*n) < spec.min)) {
        return Status::Error(RangeError(spec.min, spec.max));
      }
      v.num = static_cast<int64_t>(*n);
      return v;
    }
    case Kind::kMemoryOrPercent: {
      if (!a0.empty() && a0.back() == '%') {
        auto p = ParseInt64(std::string_view(a0).substr(0, a0.size() - 1));
        if (!p || *p < 0) return Status::Error("argument must be a memory or percent value");
        if (*p > 100) return Status::Error("percentage argument must be less or equal to 100");
        v.num = -*p;
        return v;
      }
      auto n = ParseMemory(a0);
      if (!n) return Status::Error("argument must be a memory or percent value");
      if (*n > static_cast<uint64_t>(spec.max)) {
        return Status::Error(RangeError(spec.min, spec.max));
      }
      v.num = static_cast<int64_t>(*n);
      return v;
    }
    case Kind::kEnum: {
      auto words = SplitWords(spec.enum_values);
      for (size_t i = 0; i < words.size(); i++) {
        if (EqualsIgnoreCase(a0, words[i])) {
          v.num = static_cast<int64_t>(i);
          return v;
        }
      }
      std::string msg = "argument(s) must be one of the following: ";
      for (size_t i = 0; i < words.size(); i++) {
        if (i) msg += ", ";
        msg += words[i];
      }
      return Status::Error(msg);
    }
    case Kind::kString:
      if (spec.is(kFilename) && a0.find('/') != std::string::npos) {
        return Status::Error(std::string(spec.name) + " can't be a path, just a filename");
      }
      if (spec.is(kProcTitleTemplate) && !IsKnownProcTitleTemplate(a0)) {
        return Status::Error("template format is invalid or contains unknown variables");
      }
      if (spec.is(kCpuList) && !ParseCpuList(a0)) {
        return Status::Error("invalid CPU list (expected e.g. 0,2,4-7 or 0-7:2)");
      }
      v.str = a0;
      return v;
    case Kind::kShutdownFlags: {
      // Any of the words, OR-ed ("default" adds nothing); SAVE with NOSAVE is
      // refused as SHUTDOWN refuses it.
      static constexpr std::string_view kWords[] = {"default", "save", "nosave", "now", "force"};
      for (const std::string& a : args) {
        size_t k = 0;
        while (k < 5 && !EqualsIgnoreCase(a, kWords[k])) k++;
        if (k == 5) {
          return Status::Error(
              "argument(s) must be one of the following: default, save, nosave, now, force");
        }
        if (k > 0) v.num |= int64_t{1} << (k - 1);
      }
      if (args.empty()) {
        return Status::Error(
            "argument(s) must be one of the following: default, save, nosave, now, force");
      }
      if ((v.num & 3) == 3) {
        return Status::Error("shutdown options SAVE and NOSAVE can't be used simultaneously");
      }
      return v;
    }
    case Kind::kOctal: {
      auto n = a0.empty() ? std::nullopt : StrToLL(a0, 8);
      if (!n) return Status::Error("argument couldn't be parsed as an octal number");
      if (*n < spec.min || *n > spec.max) {
        char buf[96];
        std::snprintf(buf, sizeof(buf), "argument must be between %llo and %llo inclusive",
                      static_cast<unsigned long long>(spec.min),
                      static_cast<unsigned long long>(spec.max));
        return Status::Error(buf);
      }
      v.num = *n;
      return v;
    }
    case Kind::kSave: {
      if (args.size() == 1 && args[0].empty()) return v;  // save "" disables
      if (args.size() % 2 != 0) return Status::Error("Invalid save parameters");
      for (size_t i = 0; i < args.size(); i += 2) {
        auto secs = StrToLL(args[i], 10);
        auto changes = StrToLL(args[i + 1], 10);
        if (!secs || !changes || *secs < 1 || *changes < 0) {
          return Status::Error("Invalid save parameters");
        }
        v.save.push_back({*secs, *changes});
      }
      return v;
    }
    case Kind::kBind:
      if (args.size() > 16) return Status::Error("Too many bind addresses specified.");
      v.list.assign(args.begin(), args.end());
      return v;
    case Kind::kDir: {
      if (a0.empty()) return Status::Error(std::strerror(ENOENT));
      std::string path = a0[0] == '/' ? a0 : cwd + (cwd.ends_with('/') ? "" : "/") + a0;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) return Status::Error(std::strerror(errno));
      if (!S_ISDIR(st.st_mode)) return Status::Error(std::strerror(ENOTDIR));
      char* real = ::realpath(path.c_str(), nullptr);
      if (real == nullptr) return Status::Error(std::strerror(errno));
      v.str = real;
      std::free(real);
      return v;
    }
    case Kind::kClientOutputBufferLimit:
      return ParseClientOutputBufferLimit(args, base);
    case Kind::kOomScoreAdjValues:
      if (args.size() != 3) return Status::Error("wrong number of arguments");
      for (const std::string& a : args) {
        auto n = ParseInt64(a);
        if (!n || *n < -2000 || *n > 2000) {
          return Status::Error(
              "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
        }
        v.list.push_back(std::to_string(*n));
      }
      return v;
    case Kind::kLatencyPercentiles:
      for (const std::string& a : args) {
        char* end = nullptr;
        double d = a.empty() ? 0 : std::strtod(a.c_str(), &end);
        if (a.empty() || *end != '\0' || d != d) {
          return Status::Error("Invalid latency-tracking-info-percentiles parameters");
        }
        if (d < 0.0 || d > 100.0) {
          return Status::Error(
              "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
        }
        v.list.push_back(FormatPercentile(d));
      }
      return v;
    case Kind::kNotifyKeyspaceEvents: {
      bool seen[256] = {};
      for (char c : a0) {
        if (kKeyspaceEventChars.find(c) == std::string_view::npos) {
          return Status::Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
        }
        seen[static_cast<unsigned char>(c)] = true;
      }
      // Stored in the canonical spelling CONFIG GET shows: "A" when every
      // class is on (Redis then drops "n" from the text), else the class
      // letters in a fixed order, then K, E, and m.
      constexpr std::string_view kClasses = "g$lshzxetd";
      bool all = seen[static_cast<unsigned char>('A')];
      if (!all) {
        all = true;
        for (char c : kClasses) all = all && seen[static_cast<unsigned char>(c)];
        all = all && seen[static_cast<unsigned char>('n')];
      }
      if (all) {
        v.str = "A";
      } else {
        for (char c : std::string_view("g$lshzxetdn")) {
          if (seen[static_cast<unsigned char>(c)]) v.str.push_back(c);
        }
      }
      for (char c : std::string_view("KEm")) {
        if (seen[static_cast<unsigned char>(c)]) v.str.push_back(c);
      }
      return v;
    }
    case Kind::kReplicaof: {
      if (args.size() != 2) return Status::Error("wrong number of arguments");
      if (EqualsIgnoreCase(args[0], "no") && EqualsIgnoreCase(args[1], "one")) return v;
      auto port = ParseInt64(args[1]);
      if (!port || *port < 0 || *port > 65535) return Status::Error("Invalid master port");
      v.str = args[0] + " " + args[1];
      return v;
    }
  }
  return Status::Error("internal error: unknown directive kind");
}

std::string FormatGet(const Spec& spec, const Value& v) {
  switch (spec.kind) {
    case Kind::kBool:
      return v.num ? "yes" : "no";
    case Kind::kInt:
      return std::to_string(v.num);
    case Kind::kMemory:
      return spec.is(kUnsigned) ? std::to_string(static_cast<uint64_t>(v.num))
                                : std::to_string(v.num);
    case Kind::kMemoryOrPercent:
      return v.num < 0 ? std::to_string(-v.num) + "%" : std::to_string(v.num);
    case Kind::kEnum: {
      auto words = SplitWords(spec.enum_values);
      return v.num >= 0 && static_cast<size_t>(v.num) < words.size() ? std::string(words[v.num])
                                                                     : std::string();
    }
    case Kind::kShutdownFlags: {
      if (v.num == 0) return "default";
      static constexpr std::string_view kFlagWords[] = {"save", "nosave", "now", "force"};
      std::string out;
      for (int k = 0; k < 4; k++) {
        if (!(v.num & (int64_t{1} << k))) continue;
        if (!out.empty()) out += ' ';
        out += kFlagWords[k];
      }
      return out;
    }
    case Kind::kOctal: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%llo", static_cast<unsigned long long>(v.num));
      return buf;
    }
    case Kind::kSave: {
      std::string out;
      for (const SaveParam& p : v.save) {
        if (!out.empty()) out += ' ';
        out += std::to_string(p.seconds) + " " + std::to_string(p.changes);
      }
      return out;
    }
    case Kind::kBind:
    case Kind::kClientOutputBufferLimit:
    case Kind::kOomScoreAdjValues:
    case Kind::kLatencyPercentiles:
      return Join(v.list, " ");
    case Kind::kString:
    case Kind::kDir:
    case Kind::kNotifyKeyspaceEvents:
    case Kind::kReplicaof:
      return v.str;
  }
  return "";
}

std::vector<std::string> FormatRewrite(const Spec& spec, const Value& v) {
  switch (spec.kind) {
    case Kind::kMemory:
      return {HumanBytes(static_cast<uint64_t>(v.num))};
    case Kind::kMemoryOrPercent:
      return {v.num < 0 ? std::to_string(-v.num) + "%" : HumanBytes(v.num)};
    case Kind::kString:
    case Kind::kDir:
    case Kind::kNotifyKeyspaceEvents:
      return {QuoteArg(v.str)};
    case Kind::kSave: {
      if (v.save.empty()) return {"\"\""};
      std::vector<std::string> lines;
      for (const SaveParam& p : v.save) {
        lines.push_back(std::to_string(p.seconds) + " " + std::to_string(p.changes));
      }
      return lines;
    }
    case Kind::kBind:
      return {v.list.empty() ? "\"\"" : Join(v.list, " ")};
    case Kind::kClientOutputBufferLimit: {
      std::vector<std::string> lines;
      static const char* const kNames[] = {"normal", "replica", "pubsub"};
      for (size_t c = 0; c < 3 && v.list.size() == 12; c++) {
        lines.push_back(std::string(kNames[c]) + " " + HumanBytes(std::stoull(v.list[c * 4 + 1])) +
                        " " + HumanBytes(std::stoull(v.list[c * 4 + 2])) + " " + v.list[c * 4 + 3]);
      }
      return lines;
    }
    case Kind::kReplicaof:
      if (v.str.empty()) return {};
      return {v.str};
    default:
      return {FormatGet(spec, v)};
  }
}

std::vector<std::string> SplitOnSpaces(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t j = s.find(' ', start);
    if (j == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, j - start));
    start = j + 1;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string NotSupportedReason(const Spec& spec) {
  return "'" + std::string(spec.name) + "' other than '" + FormatGet(spec, DefaultValue(spec)) +
         "' is not supported by Basalt yet";
}

Status CheckSupported(const Spec& spec, const Value& v) {
  // Basalt links Debian's stock jemalloc, which lacks the allocation hints
  // active defragmentation needs: refuse it as a redis-server built without
  // Redis's own jemalloc does (the tuning directives are kept and reported).
  if (spec.name == "activedefrag" && v.num != 0) {
    return Status::Error(
        "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
        "modified Jemalloc like the one shipped by default with the Redis source distribution");
  }
  return Status::Ok();
}

}  // namespace basalt::config::config_internal
