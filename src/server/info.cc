#include "server/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>

#include "acl/registry.h"
#include "commands/helpers.h"
#include "commands/latency_stats.h"
#include "commands/memory_overview.h"
#include "common/clock.h"
#include "common/memory.h"
#include "common/version.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/info_fields.h"
#include "persistence/save_jobs.h"
#include "replication/ack_tracker.h"
#include "replication/failover.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/worker.h"

namespace basalt::server {

namespace {

std::string Human(double n) {
  const char* units = "BKMGTPE";
  int u = 0;
  while (n >= 1024 && u < 6) {
    n /= 1024;
    u++;
  }
  char buf[32];
  if (u == 0) {
    snprintf(buf, sizeof(buf), "%.0fB", n);
  } else {
    snprintf(buf, sizeof(buf), "%.2f%c", n, units[u]);
  }
  return buf;
}

size_t TotalSystemMemory() {
  return size_t(sysconf(_SC_PHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE));
}

class InfoWriter {
 public:
  explicit InfoWriter(std::string* out) : out_(out) {}
  void Section(const char* name) {
    if (!out_->empty()) out_->append("\r\n");
    out_->append("# ").append(name).append("\r\n");
  }
  void Field(std::string_view k, std::string_view v) {
    out_->append(k).append(":").append(v).append("\r\n");
  }
  void Field(std::string_view k, int64_t v) { Field(k, std::to_string(v)); }
  void Field(std::string_view k, uint64_t v) { Field(k, std::to_string(v)); }
  void Field(std::string_view k, int v) { Field(k, std::to_string(v)); }
  void Field(std::string_view k, size_t v, bool) { Field(k, std::to_string(v)); }
  void FieldF(std::string_view k, double v, int decimals) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    Field(k, buf);
  }

 private:
  std::string* out_;
};

}  // namespace

std::string BuildInfo(Server& s, std::span<const std::string_view> sections) {
  static const char* kDefault[] = {"server",     "clients",     "memory",  "persistence",
                                   "stats",      "replication", "cpu",     "modules",
                                   "errorstats", "cluster",     "keyspace"};
  std::set<std::string> want;
  bool everything = false;
  if (sections.empty()) {
    for (const char* d : kDefault) want.insert(d);
  }
  for (std::string_view sec : sections) {
    std::string lower(sec);
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "default") {
      for (const char* d : kDefault) want.insert(d);
    } else if (lower == "all" || lower == "everything") {
      for (const char* d : kDefault) want.insert(d);
      want.insert("commandstats");
      want.insert("latencystats");
      want.insert("consistency");
      everything = true;
    } else {
      want.insert(lower);
    }
  }
  (void)everything;
  auto has = [&](const char* n) { return want.count(n) > 0; };
  std::string out;
  InfoWriter w(&out);
  config::Config& cfg = s.config();
  int64_t now_us = NowUs();
  int64_t uptime = (now_us / 1000 - s.start_time_ms()) / 1000;

  if (has("server")) {
    utsname u{};
    uname(&u);
    w.Section("Server");
    w.Field("redis_version", kRedisCompatVersion);
    w.Field("redis_git_sha1", "00000000");
    w.Field("redis_git_dirty", "0");
    w.Field("redis_build_id", "0");
    w.Field("redis_mode", "standalone");
    w.Field("basalt_version", kBasaltVersion);
    w.Field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
    w.Field("arch_bits", "64");
    w.Field("monotonic_clock", "POSIX clock_gettime");
    w.Field("multiplexing_api", "epoll");
    w.Field("atomicvar_api", "c11-builtin");
    w.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                               std::to_string(__GNUC_PATCHLEVEL__));
    w.Field("process_id", int64_t(getpid()));
    w.Field("process_supervised", "no");
    w.Field("run_id", s.run_id());
    w.Field("tcp_port", int64_t(cfg.port()));
    w.Field("server_time_usec", now_us);
    w.Field("uptime_in_seconds", uptime);
    w.Field("uptime_in_days", uptime / 86400);
    w.Field("hz", int64_t(cfg.hz()));
    w.Field("configured_hz", int64_t(cfg.hz()));
    w.Field("lru_clock", int64_t(storage::LruClock()));
    w.Field("executable", s.executable);
    w.Field("config_file", cfg.config_file());
    w.Field("io_threads_active", "0");
    w.Field("worker_threads", int64_t(s.workers().size()));
    w.Field("shards_per_db", int64_t(s.keyspace().shards_per_db()));
  }
  if (has("clients")) {
    w.Section("Clients");
    w.Field("connected_clients", s.connected_clients());
    w.Field("cluster_connections", "0");
    w.Field("maxclients", int64_t(cfg.maxclients()));
    w.Field("client_recent_max_input_buffer", "0");
    w.Field("client_recent_max_output_buffer", "0");
    w.Field("blocked_clients", int64_t(s.blocking().blocked_clients()));
    w.Field("tracking_clients", s.tracker().clients());
    w.Field("clients_in_timeout_table", "0");
  }
  if (has("memory")) {
    // The same figures as MEMORY STATS (commands/memory_overview.h).
    commands::MemoryOverview o = commands::ComputeMemoryOverview(s);
    auto perc = [&](std::string_view k, double v) {
      char buf[64];
      snprintf(buf, sizeof(buf), "%.2f%%", v);
      w.Field(k, buf);
    };
    w.Section("Memory");
    w.Field("used_memory", o.total_allocated, true);
    w.Field("used_memory_human", Human(double(o.total_allocated)));
    w.Field("used_memory_rss", o.rss, true);
    w.Field("used_memory_rss_human", Human(double(o.rss)));
    w.Field("used_memory_peak", o.peak_allocated, true);
    w.Field("used_memory_peak_human", Human(double(o.peak_allocated)));
    perc("used_memory_peak_perc", o.peak_percentage);
    w.Field("used_memory_overhead", o.overhead_total, true);
    w.Field("used_memory_startup", o.startup_allocated, true);
    w.Field("used_memory_dataset", o.dataset, true);
    perc("used_memory_dataset_perc", o.dataset_percentage);
    w.Field("allocator_allocated", o.allocator_allocated, true);
    w.Field("allocator_active", o.allocator_active, true);
    w.Field("allocator_resident", o.allocator_resident, true);
    w.Field("total_system_memory", TotalSystemMemory(), true);
    w.Field("total_system_memory_human", Human(double(TotalSystemMemory())));
    {
      scripting::Runtime& rt = s.scripts();
      size_t eval_vm = rt.eval_memory.load(), fn_vm = rt.functions_memory.load();
      size_t eval_scripts = rt.scripts_bytes.load(), fn_bytes = rt.functions_bytes.load();
      w.Field("used_memory_lua", eval_vm, true);
      w.Field("used_memory_vm_eval", eval_vm, true);
      w.Field("used_memory_lua_human", Human(double(eval_vm)));
      w.Field("used_memory_scripts_eval", eval_scripts, true);
      w.Field("number_of_cached_scripts", rt.scripts_count.load(), true);
      w.Field("number_of_functions", rt.functions_count.load(), true);
      w.Field("number_of_libraries", rt.libraries_count.load(), true);
      w.Field("used_memory_vm_functions", fn_vm, true);
      w.Field("used_memory_vm_total", eval_vm + fn_vm, true);
      w.Field("used_memory_vm_total_human", Human(double(eval_vm + fn_vm)));
      w.Field("used_memory_functions", fn_bytes, true);
      w.Field("used_memory_scripts", eval_scripts + fn_bytes, true);
      w.Field("used_memory_scripts_human", Human(double(eval_scripts + fn_bytes)));
    }
    std::string_view policy_name[] = {"maxmemory-policy"};
    w.Field("maxmemory", int64_t(cfg.maxmemory()));
    w.Field("maxmemory_human", Human(double(cfg.maxmemory())));
    w.Field("maxmemory_policy", cfg.Get(policy_name)[0].second);
    w.FieldF("allocator_frag_ratio", o.allocator_frag_ratio, 2);
    w.Field("allocator_frag_bytes", int64_t(o.allocator_frag_bytes));
    w.FieldF("allocator_rss_ratio", o.allocator_rss_ratio, 2);
    w.Field("allocator_rss_bytes", int64_t(o.allocator_rss_bytes));
    w.FieldF("rss_overhead_ratio", o.rss_overhead_ratio, 2);
    w.Field("rss_overhead_bytes", int64_t(o.rss_overhead_bytes));
    w.FieldF("mem_fragmentation_ratio", o.fragmentation, 2);
    w.Field("mem_fragmentation_bytes", int64_t(o.fragmentation_bytes));
    // What maxmemory does not count: the AOF buffer (Redis also leaves out
    // replica output buffers; Basalt's limit counts them).
    w.Field("mem_not_counted_for_evict", o.aof_buffer, true);
    w.Field("mem_replication_backlog", o.replication_backlog, true);
    w.Field("mem_total_replication_buffers", o.replication_buffers, true);
    w.Field("mem_clients_slaves", o.clients_replicas, true);
    w.Field("mem_clients_normal", o.clients_normal, true);
    w.Field("mem_cluster_links", "0");
    w.Field("mem_aof_buffer", o.aof_buffer, true);
    w.Field("mem_allocator", AllocatorName());
    w.Field("active_defrag_running", "0");
    w.Field("lazyfree_pending_objects", s.lazy_freer().pending(), true);
    w.Field("lazyfreed_objects", s.lazy_freer().freed(), true);
  }
  if (has("persistence")) {
    persistence::InfoFields p;
    s.dataset_loader().FillInfo(&p);
    s.save_jobs().FillInfo(&p);
    s.aof_writer().FillInfo(&p);
    auto ok = [](bool b) { return b ? "ok" : "err"; };
    w.Section("Persistence");
    w.Field("loading", p.loading ? "1" : "0");
    w.Field("async_loading", p.async_loading ? "1" : "0");
    w.Field("current_cow_peak", p.current_cow_size);
    w.Field("current_cow_size", p.current_cow_size);
    w.Field("current_cow_size_age", "0");
    w.Field("current_fork_perc", "0.00");
    w.Field("current_save_keys_processed", p.current_save_keys_processed);
    w.Field("current_save_keys_total", "0");
    if (p.loading) {
      w.Field("loading_start_time", p.loading_start_time);
      w.Field("loading_total_bytes", p.loading_total_bytes);
      w.Field("loading_rdb_used_mem", "0");
      w.Field("loading_loaded_bytes", p.loading_loaded_bytes);
      w.FieldF("loading_loaded_perc", p.loading_loaded_perc, 2);
      w.Field("loading_eta_seconds", p.loading_eta_seconds);
    }
    w.Field("rdb_changes_since_last_save", s.dirty());
    w.Field("rdb_bgsave_in_progress", p.rdb_bgsave_in_progress ? "1" : "0");
    w.Field("rdb_last_save_time", p.rdb_last_save_time);
    w.Field("rdb_last_bgsave_status", ok(p.rdb_last_bgsave_ok));
    w.Field("rdb_last_bgsave_time_sec", p.rdb_last_bgsave_time_sec);
    w.Field("rdb_current_bgsave_time_sec", p.rdb_current_bgsave_time_sec);
    w.Field("rdb_saves", p.rdb_saves);
    w.Field("rdb_last_cow_size", p.rdb_last_cow_size);
    w.Field("rdb_last_load_keys_expired", "0");
    w.Field("rdb_last_load_keys_loaded", "0");
    w.Field("aof_enabled", p.aof_enabled ? "1" : "0");
    w.Field("aof_rewrite_in_progress", p.aof_rewrite_in_progress ? "1" : "0");
    w.Field("aof_rewrite_scheduled", p.aof_rewrite_scheduled ? "1" : "0");
    w.Field("aof_last_rewrite_time_sec", p.aof_last_rewrite_time_sec);
    w.Field("aof_current_rewrite_time_sec", p.aof_current_rewrite_time_sec);
    w.Field("aof_last_bgrewrite_status", ok(p.aof_last_bgrewrite_ok));
    w.Field("aof_rewrites", p.aof_rewrites);
    w.Field("aof_rewrites_consecutive_failures", "0");
    w.Field("aof_last_write_status", ok(p.aof_last_write_ok));
    w.Field("aof_last_cow_size", p.aof_last_cow_size);
    w.Field("module_fork_in_progress", "0");
    w.Field("module_fork_last_cow_size", "0");
    if (p.aof_enabled) {
      w.Field("aof_current_size", p.aof_current_size);
      w.Field("aof_base_size", p.aof_base_size);
      w.Field("aof_pending_rewrite", "0");
      w.Field("aof_buffer_length", p.aof_buffer_length);
      w.Field("aof_pending_bio_fsync", "0");
      w.Field("aof_delayed_fsync", p.aof_delayed_fsync);
    }
  }
  if (has("stats")) {
    uint64_t errors = 0;
    for (auto& [k, v] : s.ErrorStats()) errors += v;
    w.Section("Stats");
    w.Field("total_connections_received", s.total_connections());
    w.Field("total_commands_processed", s.SumStat(&ThreadStats::commands));
    w.Field("instantaneous_ops_per_sec", int64_t(s.instantaneous(Server::kInstOps)));
    w.Field("total_net_input_bytes", s.SumStat(&ThreadStats::net_in));
    w.Field("total_net_output_bytes", s.SumStat(&ThreadStats::net_out));
    w.Field("total_net_repl_input_bytes", s.SumStat(&ThreadStats::net_repl_in));
    w.Field("total_net_repl_output_bytes", s.SumStat(&ThreadStats::net_repl_out));
    w.FieldF("instantaneous_input_kbps", s.instantaneous(Server::kInstNetIn) / 1024, 2);
    w.FieldF("instantaneous_output_kbps", s.instantaneous(Server::kInstNetOut) / 1024, 2);
    w.FieldF("instantaneous_input_repl_kbps", s.instantaneous(Server::kInstReplIn) / 1024, 2);
    w.FieldF("instantaneous_output_repl_kbps", s.instantaneous(Server::kInstReplOut) / 1024, 2);
    w.Field("rejected_connections", s.rejected_connections());
    w.Field("sync_full", s.replication_role().sync_full.load());
    w.Field("sync_partial_ok", s.replication_role().sync_partial_ok.load());
    w.Field("sync_partial_err", s.replication_role().sync_partial_err.load());
    w.Field("expired_keys", s.SumStat(&ThreadStats::expired));
    w.Field("expired_stale_perc", "0.00");
    w.Field("expired_time_cap_reached_count", "0");
    w.Field("expire_cycle_cpu_milliseconds", s.SumStat(&ThreadStats::expire_cycle_us) / 1000);
    w.Field("evicted_keys", s.SumStat(&ThreadStats::evicted));
    w.Field("evicted_clients", s.evicted_clients());
    w.Field("total_eviction_exceeded_time", s.eviction_exceeded_ms(true));
    w.Field("current_eviction_exceeded_time", s.eviction_exceeded_ms(false));
    w.Field("keyspace_hits", s.SumStat(&ThreadStats::hits));
    w.Field("keyspace_misses", s.SumStat(&ThreadStats::misses));
    w.Field("pubsub_channels", uint64_t(s.pubsub().Count(commands::SubKind::kChannel)));
    w.Field("pubsub_patterns", uint64_t(s.pubsub().Count(commands::SubKind::kPattern)));
    w.Field("pubsubshard_channels", uint64_t(s.pubsub().Count(commands::SubKind::kShard)));
    // No fork, no MIGRATE connection cache, no defragmentation, no
    // io-threads: those counters are truly zero.
    w.Field("latest_fork_usec", "0");
    w.Field("total_forks", "0");
    w.Field("migrate_cached_sockets", "0");
    w.Field("slave_expires_tracked_keys", "0");
    w.Field("active_defrag_hits", "0");
    w.Field("active_defrag_misses", "0");
    w.Field("active_defrag_key_hits", "0");
    w.Field("active_defrag_key_misses", "0");
    w.Field("total_active_defrag_time", "0");
    w.Field("current_active_defrag_time", "0");
    w.Field("tracking_total_keys", s.tracker().total_keys());
    w.Field("tracking_total_items", s.tracker().total_items());
    w.Field("tracking_total_prefixes", s.tracker().total_prefixes());
    w.Field("unexpected_error_replies", "0");
    w.Field("total_error_replies", errors);
    w.Field("dump_payload_sanitizations", "0");
    w.Field("total_reads_processed", s.SumStat(&ThreadStats::reads));
    w.Field("total_writes_processed", s.SumStat(&ThreadStats::writes));
    w.Field("io_threaded_reads_processed", "0");
    w.Field("io_threaded_writes_processed", "0");
    w.Field("reply_buffer_shrinks", s.SumStat(&ThreadStats::reply_shrinks));
    w.Field("reply_buffer_expands", s.SumStat(&ThreadStats::reply_expands));
    // After 7.0's fields: Redis 7.2's ACL refusal counters, then Basalt's
    // max-auth-failures-per-connection disconnections.
    if (const acl::Registry* reg = s.executor().acl()) {
      w.Field("acl_access_denied_auth", reg->denied(acl::Denial::kAuth));
      w.Field("acl_access_denied_cmd", reg->denied(acl::Denial::kCommand));
      w.Field("acl_access_denied_key", reg->denied(acl::Denial::kKey));
      w.Field("acl_access_denied_channel", reg->denied(acl::Denial::kChannel));
      w.Field("acl_access_denied_tls_cert", reg->denied(acl::Denial::kTlsCert));
      w.Field("auth_failure_limit_disconnections", reg->auth_limit_disconnections());
    }
  }
  if (has("replication")) {
    replication::WriteLog& log = s.write_log();
    replication::Role& repl = s.replication_role();
    w.Section("Replication");
    if (repl.is_replica()) {
      replication::ReplicaSideInfo ri = repl.Info();
      w.Field("role", "slave");
      w.Field("master_host", ri.host);
      w.Field("master_port", int64_t(ri.port));
      w.Field("master_link_status", ri.link_up ? "up" : "down");
      w.Field("master_last_io_seconds_ago", ri.last_io_seconds_ago);
      w.Field("master_sync_in_progress", ri.sync_in_progress ? "1" : "0");
      w.Field("slave_read_repl_offset", ri.read_offset);
      w.Field("slave_repl_offset", ri.applied_offset);
      if (ri.sync_in_progress) {
        w.Field("master_sync_total_bytes", ri.sync_total_bytes);
        w.Field("master_sync_read_bytes", ri.sync_read_bytes);
        w.Field("master_sync_left_bytes",
                ri.sync_total_bytes < 0 ? int64_t(-1) : ri.sync_total_bytes - ri.sync_read_bytes);
        w.FieldF("master_sync_perc",
                 ri.sync_total_bytes > 0
                     ? 100.0 * double(ri.sync_read_bytes) / double(ri.sync_total_bytes)
                     : 0.0,
                 2);
        w.Field("master_sync_last_io_seconds_ago", ri.sync_last_io_seconds_ago);
      }
      if (!ri.link_up) w.Field("master_link_down_since_seconds", ri.link_down_since_seconds);
      w.Field("slave_priority", cfg.replica_priority());
      w.Field("slave_read_only", cfg.replica_read_only() ? "1" : "0");
      w.Field("replica_announced", cfg.replica_announced() ? "1" : "0");
    } else {
      w.Field("role", "master");
    }
    auto replicas = s.replicas().List();
    w.Field("connected_slaves", uint64_t(replicas.size()));
    int64_t now_ms = NowMs();
    for (size_t i = 0; i < replicas.size(); i++) {
      const auto& r = replicas[i];
      static const char* kStates[] = {"wait_bgsave", "send_bulk", "online"};
      w.Field("slave" + std::to_string(i),
              "ip=" + r->ip() + ",port=" + std::to_string(r->listening_port()) + ",state=" +
                  kStates[int(r->state())] + ",offset=" + std::to_string(r->ack_offset()) +
                  ",lag=" + std::to_string((now_ms - r->last_ack_ms()) / 1000));
    }
    if (!repl.is_replica() && cfg.min_replicas_to_write() > 0 && cfg.min_replicas_max_lag() > 0) {
      w.Field("min_slaves_good_slaves", int64_t(s.ack_tracker().GoodReplicas()));
    }
    w.Field("master_failover_state", s.failover().state_name());
    w.Field("master_replid", repl.replid());
    w.Field("master_replid2", repl.replid2());
    w.Field("master_repl_offset", log.offset());
    w.Field("second_repl_offset", repl.second_offset());
    bool backlog = log.backlog_histlen() > 0 || !replicas.empty() || repl.is_replica();
    w.Field("repl_backlog_active", backlog ? "1" : "0");
    w.Field("repl_backlog_size", log.backlog_size(), true);
    w.Field("repl_backlog_first_byte_offset", log.backlog_first_offset());
    w.Field("repl_backlog_histlen", log.backlog_histlen(), true);
  }
  if (has("cpu")) {
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    w.Section("CPU");
    w.FieldF("used_cpu_sys", secs(self.ru_stime), 6);
    w.FieldF("used_cpu_user", secs(self.ru_utime), 6);
    w.FieldF("used_cpu_sys_children", secs(children.ru_stime), 6);
    w.FieldF("used_cpu_user_children", secs(children.ru_utime), 6);
    // Redis's main thread runs every command; Basalt's worker threads do,
    // so the *_main_thread figures are theirs, summed (sampled by their cron).
    int64_t sys_us = 0, user_us = 0;
    for (const auto& wk : s.workers()) {
      sys_us += wk->cpu_sys_us();
      user_us += wk->cpu_user_us();
    }
    w.FieldF("used_cpu_sys_main_thread", double(sys_us) / 1e6, 6);
    w.FieldF("used_cpu_user_main_thread", double(user_us) / 1e6, 6);
  }
  if (has("modules")) w.Section("Modules");
  if (has("errorstats")) {
    w.Section("Errorstats");
    for (auto& [k, v] : s.ErrorStats()) w.Field("errorstat_" + k, "count=" + std::to_string(v));
  }
  if (has("commandstats")) {
    w.Section("Commandstats");
    const auto& all = s.commands().by_id();
    for (size_t i = 0; i < all.size(); i++) {
      uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
      auto add = [&](ThreadStats& t) {
        calls += t.cmd[i].calls.load(std::memory_order_relaxed);
        usec += t.cmd[i].usec.load(std::memory_order_relaxed);
        rejected += t.cmd[i].rejected.load(std::memory_order_relaxed);
        failed += t.cmd[i].failed.load(std::memory_order_relaxed);
      };
      add(s.other_stats());
      for (auto& wk : s.workers()) add(wk->stats());
      if (calls == 0 && rejected == 0 && failed == 0) continue;
      char buf[256];
      snprintf(buf, sizeof(buf),
               "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
               (unsigned long long)calls, (unsigned long long)usec,
               calls ? double(usec) / double(calls) : 0.0, (unsigned long long)rejected,
               (unsigned long long)failed);
      w.Field("cmdstat_" + all[i]->name, buf);
    }
  }
  if (has("latencystats")) {
    // Percentiles of each called command's latency histogram (latency-tracking).
    w.Section("Latencystats");
    if (cfg.latency_tracking()) {
      std::vector<std::string> percentiles = cfg.latency_tracking_info_percentiles();
      for (const commands::CommandLatency& c :
           commands::CollectCommandLatencies(s, s.commands().by_id())) {
        w.Field("latency_percentiles_usec_" + c.spec->name,
                commands::FormatLatencyPercentiles(c.dist, percentiles));
      }
    }
  }
  if (has("consistency")) {
    // Basalt only: the consistency check's passes and last outcome.
    w.Section("Consistency");
    out.append(s.consistency().InfoFields());
  }
  if (has("cluster")) {
    w.Section("Cluster");
    w.Field("cluster_enabled", "0");
  }
  if (has("keyspace")) {
    w.Section("Keyspace");
    int64_t now = NowMs();
    for (int d = 0; d < s.keyspace().db_count(); d++) {
      storage::Database& db = s.keyspace().db(d);
      size_t keys = db.ApproxSize();
      if (keys == 0) continue;
      size_t expires = db.ApproxExpires();
      int64_t sum = 0;
      int n = 0;
      if (expires > 0) {
        for (uint32_t i = 0; i < db.shard_count(); i++) {
          storage::Shard& sh = db.shard(i);
          storage::ShardLock lock(sh);
          sum += sh.SumTtlSample(now, &n);
        }
      }
      char buf[128];
      snprintf(buf, sizeof(buf), "keys=%zu,expires=%zu,avg_ttl=%lld", keys, expires,
               (long long)(n ? sum / n : 0));
      w.Field("db" + std::to_string(d), buf);
    }
  }
  return out;
}

}  // namespace basalt::server
