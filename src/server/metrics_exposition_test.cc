#include "server/metrics_exposition.h"

#include <gtest/gtest.h>

#include <string>

namespace basalt::server {
namespace {

const char* kInfo =
    "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux x\r\n"
    "process_id:42\r\nrun_id:abc\r\ntcp_port:6379\r\nuptime_in_seconds:10\r\n"
    "\r\n# Memory\r\nused_memory:1000\r\nmaxmemory_policy:noeviction\r\n"
    "\r\n# Persistence\r\nrdb_last_bgsave_status:err\r\naof_enabled:0\r\n"
    "\r\n# Stats\r\nexpired_stale_perc:0.50\r\n"
    "\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
    "slave0:ip=127.0.0.1,port=7001,state=online,offset=305,lag=1\r\n"
    "\r\n# Errorstats\r\nerrorstat_WRONGTYPE:count=2\r\n"
    "\r\n# Commandstats\r\ncmdstat_client|setname:calls=3,usec=1500000,usec_per_call=0.5,"
    "rejected_calls=1,failed_calls=0\r\n"
    "\r\n# Keyspace\r\ndb1:keys=5,expires=2,avg_ttl=3000\r\n";

TEST(MetricsExpositionTest, MapsInfoFieldsToExporterNames) {
  NonInfoFigures extra;
  extra.databases = 2;
  extra.now_s = 1000;
  std::string m = RenderMetricsFromInfo(kInfo, extra);
  EXPECT_NE(m.find("# TYPE redis_memory_used_bytes gauge\nredis_memory_used_bytes 1000\n"),
            std::string::npos);
  EXPECT_NE(m.find("redis_rdb_last_bgsave_status 0\n"), std::string::npos);
  EXPECT_NE(m.find("redis_expired_stale_percentage 0.5\n"), std::string::npos);
  EXPECT_NE(m.find("redis_start_time_seconds 990\n"), std::string::npos);
  EXPECT_NE(m.find("redis_db_keys{db=\"db0\"} 0\n"), std::string::npos);
  EXPECT_NE(m.find("redis_db_keys{db=\"db1\"} 5\n"), std::string::npos);
  EXPECT_NE(m.find("redis_db_keys_expiring{db=\"db1\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("redis_db_avg_ttl_seconds{db=\"db1\"} 3\n"), std::string::npos);
  EXPECT_EQ(m.find("redis_db_avg_ttl_seconds{db=\"db0\"}"), std::string::npos);
  EXPECT_NE(m.find("redis_commands_total{cmd=\"client|setname\"} 3\n"), std::string::npos);
  EXPECT_NE(m.find("redis_commands_duration_seconds_total{cmd=\"client|setname\"} 1.5\n"),
            std::string::npos);
  EXPECT_NE(m.find("redis_errors_total{err=\"WRONGTYPE\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("redis_connected_slave_lag_seconds{slave_ip=\"127.0.0.1\",slave_port=\"7001\","
                   "slave_state=\"online\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.find("redis_instance_info{maxmemory_policy=\"noeviction\",os=\"Linux x\","),
            std::string::npos);
  EXPECT_EQ(m.find("redis_master_link_up"), std::string::npos);  // a primary
}

TEST(MetricsExpositionTest, ReplicaLinkMetricsAndLabelEscaping) {
  std::string info =
      "role:slave\r\nmaster_host:h\"x\r\nmaster_port:7000\r\nmaster_link_status:down\r\n"
      "master_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nslave_read_only:1\r\n";
  std::string m = RenderMetricsFromInfo(info, NonInfoFigures{});
  EXPECT_NE(m.find("redis_master_link_up{master_host=\"h\\\"x\",master_port=\"7000\"} 0\n"),
            std::string::npos);
  EXPECT_NE(m.find("redis_slave_info{master_host=\"h\\\"x\",master_port=\"7000\",read_only=\"1\"} 1"),
            std::string::npos);
}

TEST(MetricsExpositionTest, BasaltWorkerFamilies) {
  NonInfoFigures extra;
  extra.workers.resize(2);
  extra.workers[1].connections = 3;
  extra.workers[1].cpu_user_s = 1.5;
  std::string m = RenderMetricsFromInfo("shards_per_db:16\r\n", extra);
  EXPECT_NE(m.find("basalt_shards_per_db 16\n"), std::string::npos);
  EXPECT_NE(m.find("basalt_worker_threads 2\n"), std::string::npos);
  EXPECT_NE(m.find("basalt_worker_connections{worker=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(m.find("basalt_worker_cpu_seconds_total{mode=\"user\",worker=\"1\"} 1.5\n"),
            std::string::npos);
}

TEST(MetricsExpositionTest, LatencystatsBecomeASummary) {
  std::string info =
      "cmdstat_get:calls=4,usec=120,usec_per_call=30.00,rejected_calls=0,failed_calls=0\r\n"
      "latency_percentiles_usec_get:p50=30.079,p99=31.231,p99.9=31.231\r\n";
  std::string m = RenderMetricsFromInfo(info, NonInfoFigures{});
  EXPECT_NE(m.find("# TYPE redis_latency_percentiles_usec summary\n"
                   "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"50\"} 30.079\n"
                   "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"99\"} 31.231\n"
                   "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"99.9\"} 31.231\n"
                   "redis_latency_percentiles_usec_sum{cmd=\"get\"} 120\n"
                   "redis_latency_percentiles_usec_count{cmd=\"get\"} 4\n"),
            std::string::npos)
      << m;
}

TEST(MetricsExpositionTest, CommandLatencyHistogram) {
  NonInfoFigures extra;
  CommandLatencyFigures get;
  get.cmd = "get";
  get.buckets.assign(kCommandLatencyBuckets, 3);
  get.buckets[0] = 1;
  get.count = 4;
  get.sum_s = 1.5;
  extra.command_latencies.push_back(get);
  std::string m = RenderMetricsFromInfo("", extra);
  EXPECT_NE(m.find("# TYPE basalt_command_latency_seconds histogram\n"
                   "basalt_command_latency_seconds_bucket{cmd=\"get\",le=\"1e-06\"} 1\n"
                   "basalt_command_latency_seconds_bucket{cmd=\"get\",le=\"2e-06\"} 3\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("basalt_command_latency_seconds_bucket{cmd=\"get\",le=\"1.048576\"} 3\n"
                   "basalt_command_latency_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 4\n"
                   "basalt_command_latency_seconds_sum{cmd=\"get\"} 1.5\n"
                   "basalt_command_latency_seconds_count{cmd=\"get\"} 4\n"),
            std::string::npos)
      << m;
}

TEST(MetricsExpositionTest, ReplicationFigures) {
  NonInfoFigures extra;
  EXPECT_EQ(RenderMetricsFromInfo("", extra).find("basalt_role_changes_total"),
            std::string::npos);  // absent: sentinel mode
  extra.replication.present = true;
  extra.replication.role_changes = 2;
  extra.replication.refused_min_replicas_ack = 5;
  extra.replication.sync_timeouts = 1;
  std::string m = RenderMetricsFromInfo("", extra);
  EXPECT_NE(m.find("# TYPE basalt_role_changes_total counter\nbasalt_role_changes_total 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("basalt_replicas_write_refusals_total{reason=\"min-replicas-ack\"} 5\n"),
            std::string::npos);
  EXPECT_NE(m.find("basalt_sync_replication_timeouts_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace basalt::server
