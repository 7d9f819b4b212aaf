#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace basalt::config {
namespace {

std::unique_ptr<Config> MustLoad(std::string_view text) {
  auto c = Config::LoadFromString(text);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.status().message());
  return c.ok() ? std::move(c).value() : nullptr;
}

std::string LoadError(std::string_view text) {
  auto c = Config::LoadFromString(text);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

std::string GetOne(const Config& c, std::string_view name) {
  std::string_view p[] = {name};
  auto r = c.Get(p);
  return r.size() == 1 ? r[0].second : "<" + std::to_string(r.size()) + " results>";
}

Status Set(Config& c, std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> v(args);
  return c.Set(v);
}

std::string SetError(Config& c, std::initializer_list<std::string_view> args) {
  Status st = Set(c, args);
  return st.ok() ? "OK" : st.message();
}

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof(buf)) ? buf : "";
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/basalt_config_test_XXXXXX";
    char* d = mkdtemp(tmpl);
    if (d != nullptr) path_ = d;  // left empty on failure: nothing to remove
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(path_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
};

StatusOr<std::unique_ptr<Config>> LoadArgs(std::vector<std::string> args) {
  args.insert(args.begin(), "basalt-server");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return Config::Load(static_cast<int>(argv.size()), argv.data());
}

// ---- Defaults ----

TEST(ConfigTest, DefaultsMatchRedis) {
  auto c = MustLoad("");
  EXPECT_EQ(c->port(), 6379);
  EXPECT_EQ(c->bind(), (std::vector<std::string>{"*", "-::*"}));
  EXPECT_EQ(GetOne(*c, "bind"), "* -::*");
  EXPECT_EQ(GetOne(*c, "save"), "3600 1 300 100 60 10000");
  EXPECT_EQ(c->save().size(), 3u);
  EXPECT_EQ(c->maxclients(), 10000);
  EXPECT_EQ(c->databases(), 16);
  EXPECT_EQ(c->hz(), 10);
  EXPECT_EQ(c->tcp_backlog(), 511);
  EXPECT_EQ(c->tcp_keepalive(), 300);
  EXPECT_EQ(c->timeout(), 0);
  EXPECT_TRUE(c->protected_mode());
  EXPECT_FALSE(c->daemonize());
  EXPECT_EQ(c->loglevel(), LogLevel::kNotice);
  EXPECT_EQ(c->proto_max_bulk_len(), 512 * 1024 * 1024);
  EXPECT_EQ(c->client_query_buffer_limit(), 1024 * 1024 * 1024);
  EXPECT_EQ(c->slowlog_log_slower_than(), 10000);
  EXPECT_EQ(c->slowlog_max_len(), 128);
  EXPECT_EQ(c->active_expire_effort(), 1);
  EXPECT_TRUE(c->replica_read_only());
  EXPECT_TRUE(c->latency_tracking());
  EXPECT_TRUE(c->dynamic_hz());
  EXPECT_EQ(c->threads(), 0);
  EXPECT_EQ(c->shards_per_thread(), 8);
  EXPECT_EQ(c->dbfilename(), "dump.rdb");
  EXPECT_EQ(c->dir(), Cwd());
  EXPECT_EQ(c->requirepass(), "");
  EXPECT_EQ(c->config_file(), "");
  EXPECT_EQ(GetOne(*c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  EXPECT_EQ(GetOne(*c, "maxmemory"), "0");
  EXPECT_EQ(GetOne(*c, "appendfsync"), "everysec");
  EXPECT_EQ(GetOne(*c, "unixsocketperm"), "0");
}

TEST(ConfigTest, EveryRedisDirectiveIsKnown) {
  auto c = MustLoad("");
  std::string_view all[] = {"*"};
  auto r = c->Get(all);
  // 192 names (aliases included) in redis-server 7.0.15's CONFIG GET *,
  // plus threads, shards-per-thread, min-replicas-ack,
  // min-replicas-ack-timeout, acl-replicate-users, metrics-port, metrics-bind,
  // readyz-max-lag, metrics-tls, max-auth-failures-per-connection, and
  // Valkey's tls-auth-clients-user, log-format and log-timestamp-format, and
  // primary-discovery-sentinels, -name, -timeout and shutdown-handover.
  EXPECT_EQ(r.size(), 209u);
}

// ---- Loading files ----

TEST(ConfigTest, CommentsQuotesUnitsAndCase) {
  auto c = MustLoad(
      "# a comment\n"
      "   # an indented comment\n"
      "\n"
      "PORT 7000\r\n"
      "  maxclients   \"123\"  \n"
      "requirepass 'se cret'\n"
      "logfile \"a\\x41b\\n\"\n"
      "proto-max-bulk-len 2MB\n"
      "client-query-buffer-limit 1gb\n"
      "loglevel WARNING\n"
      "protected-mode No\n"
      "unixsocketperm 0700\n"
      "maxmemory 0kb\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->port(), 7000);
  EXPECT_EQ(c->maxclients(), 123);
  EXPECT_EQ(c->requirepass(), "se cret");
  EXPECT_EQ(c->logfile(), "aAb\n");
  EXPECT_EQ(c->proto_max_bulk_len(), 2 * 1024 * 1024);
  EXPECT_EQ(GetOne(*c, "proto-max-bulk-len"), "2097152");
  EXPECT_EQ(c->client_query_buffer_limit(), 1024 * 1024 * 1024);
  EXPECT_EQ(c->loglevel(), LogLevel::kWarning);
  EXPECT_EQ(GetOne(*c, "loglevel"), "warning");
  EXPECT_FALSE(c->protected_mode());
  EXPECT_EQ(c->unixsocketperm(), 0700);
  EXPECT_EQ(GetOne(*c, "unixsocketperm"), "700");
}

TEST(ConfigTest, MemoryUnits) {
  EXPECT_NE(LoadError("proto-max-bulk-len 1000k\n"), "");  // 1000000 < the 1mb minimum
  auto c = MustLoad("proto-max-bulk-len 2m\n");
  EXPECT_EQ(c->proto_max_bulk_len(), 2000000);
  c = MustLoad("proto-max-bulk-len 1g\n");
  EXPECT_EQ(c->proto_max_bulk_len(), 1000000000);
  c = MustLoad("proto-max-bulk-len 1Gb\n");
  EXPECT_EQ(c->proto_max_bulk_len(), 1073741824);
  c = MustLoad("proto-max-bulk-len 2097152b\n");
  EXPECT_EQ(c->proto_max_bulk_len(), 2097152);
}

TEST(ConfigTest, RenameCommandLinesAreKeptForTheServer) {
  auto c = MustLoad("port 7000\nrename-command CONFIG xconfig\nrename-command flushall \"\"\n");
  ASSERT_EQ(c->command_renames().size(), 2u);
  EXPECT_EQ(c->command_renames()[0].from, "CONFIG");
  EXPECT_EQ(c->command_renames()[0].to, "xconfig");
  EXPECT_EQ(c->command_renames()[1].from, "flushall");
  EXPECT_EQ(c->command_renames()[1].to, "");
  EXPECT_EQ(c->command_renames()[1].where,
            "*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the configuration, at line 3\n"
            ">>> 'rename-command flushall \"\"'\n");
  // Not a CONFIG parameter (as Redis).
  std::string_view pat[] = {"rename-command"};
  EXPECT_TRUE(c->Get(pat).empty());
}

TEST(ConfigTest, SaveLinesAccumulateLikeRedis) {
  auto c = MustLoad("save 900 1\nsave 300 10\n");
  EXPECT_EQ(GetOne(*c, "save"), "900 1 300 10");
  c = MustLoad("save 900 1\nsave \"\"\nsave 300 10\n");
  EXPECT_EQ(GetOne(*c, "save"), "300 10");
  c = MustLoad("save \"60 5 10 1\"\n");
  EXPECT_EQ(c->save(), (std::vector<SaveParam>{{60, 5}, {10, 1}}));
  c = MustLoad("save \"\"\n");
  EXPECT_TRUE(c->save().empty());
}

TEST(ConfigTest, AliasesAndDeprecatedDirectives) {
  auto c = MustLoad(
      "slave-read-only no\n"
      "list-max-ziplist-entries 7\n"
      "lua-replicate-commands yes\n"
      "slave-priority 100\n"
      "hash-max-ziplist-entries 512\n");
  EXPECT_FALSE(c->replica_read_only());
  EXPECT_EQ(GetOne(*c, "slave-read-only"), "no");
  EXPECT_EQ(GetOne(*c, "replica-read-only"), "no");
}

TEST(ConfigTest, StockDefaultsOfUnsupportedDirectivesLoad) {
  auto c = MustLoad(
      "appendonly no\n"
      "appendfsync everysec\n"
      "auto-aof-rewrite-min-size 64mb\n"
      "stream-node-max-bytes 4kb\n"
      "client-output-buffer-limit normal 0 0 0\n"
      "client-output-buffer-limit replica 256mb 64mb 60\n"
      "client-output-buffer-limit pubsub 32mb 8mb 60\n"
      "oom-score-adj-values 0 200 800\n"
      "notify-keyspace-events \"\"\n"
      "latency-tracking-info-percentiles 50.0 99 99.90\n"
      "syslog-enabled no\n"
      "maxmemory-policy NOEVICTION\n"
      "replicaof no one\n"
      "maxmemory-clients 0%\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(GetOne(*c, "latency-tracking-info-percentiles"), "50 99 99.9");
}

TEST(ConfigTest, ReplicaofLoadsAndRewrites) {
  auto c = MustLoad("slaveof 127.0.0.1 6380\nmasterauth secret\nrepl-backlog-size 16kb\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->replicaof(), "127.0.0.1 6380");
  EXPECT_EQ(GetOne(*c, "replicaof"), "127.0.0.1 6380");
  EXPECT_EQ(c->masterauth(), "secret");
  EXPECT_EQ(c->repl_backlog_size(), 16384);
  c->set_replicaof("");  // REPLICAOF NO ONE
  EXPECT_EQ(GetOne(*c, "replicaof"), "");
}

// ---- Load errors ----

TEST(ConfigTest, ErrorReportGivesLineAndReason) {
  std::string e = LoadError("# comment\nport 7000\n\n  maxclients abc  \n");
  EXPECT_EQ(e,
            "*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the configuration, at line 4\n"
            ">>> 'maxclients abc'\n"
            "argument couldn't be parsed into an integer");
}

TEST(ConfigTest, LoadErrorReasons) {
  struct Case {
    const char* text;
    const char* reason;
  } cases[] = {
      {"foo bar", "Bad directive or wrong number of arguments"},
      {"\"\" 5", "Bad directive or wrong number of arguments"},
      {"maxclients 0", "argument must be between 1 and 4294967295 inclusive"},
      {"maxclients 5 6", "wrong number of arguments"},
      {"loglevel", "wrong number of arguments"},
      {"timeout 05", "argument couldn't be parsed into an integer"},
      {"port 65536", "argument must be between 0 and 65535 inclusive"},
      {"loglevel loud",
       "argument(s) must be one of the following: debug, verbose, notice, warning"},
      {"protected-mode maybe", "argument must be 'yes' or 'no'"},
      {"unixsocketperm 8", "argument couldn't be parsed as an octal number"},
      {"unixsocketperm 1000", "argument must be between 0 and 777 inclusive"},
      {"dbfilename a/b", "dbfilename can't be a path, just a filename"},
      {"save 0 0", "Invalid save parameters"},
      {"save 1", "Invalid save parameters"},
      {"bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified."},
      {"dir /nonexistent/dir", "No such file or directory"},
      {"dir /etc/passwd", "Not a directory"},
      {"proto-max-bulk-len 1.5mb", "argument must be a memory value"},
      {"proto-max-bulk-len 1k",
       "argument must be between 1048576 and 9223372036854775807 inclusive"},
      {"save \"abc", "Unbalanced quotes in configuration line"},
      {"save 'a'b", "Unbalanced quotes in configuration line"},
      {"sentinel monitor m 127.0.0.1 6379 2", "sentinel directive while not in sentinel mode"},
      {"include /etc/other.conf", "include is not supported by Basalt yet"},
      {"include", "Bad directive or wrong number of arguments"},
      {"rename-command a", "Bad directive or wrong number of arguments"},
      {"replicaof x", "wrong number of arguments"},
      {"replicaof a b", "Invalid master port"},
      {"lua-replicate-commands", "Bad directive or wrong number of arguments"},
      {"cluster-enabled yes", "'cluster-enabled' other than 'no' is not supported by Basalt yet"},
      {"shutdown-on-sigint save nosave",
       "shutdown options SAVE and NOSAVE can't be used simultaneously"},
      {"shutdown-on-sigterm later",
       "argument(s) must be one of the following: default, save, nosave, now, force"},
      {"proc-title-template \"{title} {nope}\"",
       "template format is invalid or contains unknown variables"},
      {"server_cpulist 3-1", "invalid CPU list (expected e.g. 0,2,4-7 or 0-7:2)"},
      {"notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
      {"activedefrag yes",
       "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
       "modified Jemalloc like the one shipped by default with the Redis source distribution"},
      {"maxmemory-clients 101%", "percentage argument must be less or equal to 100"},
      {"maxmemory x", "argument must be a memory value"},
      {"client-output-buffer-limit normal 1mb 1mb 60",
       "client-output-buffer-limit normal other than '0 0 0' is not supported by Basalt yet"},
      {"client-output-buffer-limit foo 1 1 1",
       "Invalid client class specified in buffer limit configuration."},
      {"oom-score-adj-values 1 2", "wrong number of arguments"},
      {"appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"},
      {"shards-per-thread 3", "argument must be a power of two"},
      {"threads 2000", "argument must be between 0 and 1024 inclusive"},
  };
  for (const Case& tc : cases) {
    std::string e = LoadError(std::string("port 7000\n") + tc.text + "\n");
    std::string want = "\n>>> '" + std::string(tc.text) + "'\n" + tc.reason;
    EXPECT_TRUE(e.ends_with(want)) << "text: " << tc.text << "\ngot: " << e;
    EXPECT_NE(e.find("at line 2\n"), std::string::npos) << e;
  }
}

// ---- argv ----

TEST(ConfigTest, ArgvOverridesFile) {
  TempDir dir;
  std::string path = dir.Write("b.conf", "port 7000\nmaxclients 50\nsave 900 1\n");
  auto c = LoadArgs({path, "--port", "7001", "--save", "60", "5", "--bind", "127.0.0.1", "::1"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->port(), 7001);
  EXPECT_EQ((*c)->maxclients(), 50);
  EXPECT_EQ(GetOne(**c, "save"), "900 1 60 5");  // argv lines come after the file's
  EXPECT_EQ((*c)->bind(), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ((*c)->config_file(), path);
  EXPECT_FALSE((*c)->sentinel_mode());
}

TEST(ConfigTest, ArgvQuirksLikeRedis) {
  auto c = LoadArgs({"--save", "--port", "7002", "--requirepass", "--secret", "--hz", "5"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE((*c)->save().empty());  // bare --save means save ""
  EXPECT_EQ((*c)->port(), 7002);
  EXPECT_EQ((*c)->requirepass(), "--secret");
  EXPECT_EQ((*c)->hz(), 5);

  c = LoadArgs({"--save", "60 5", "--sentinel"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE((*c)->sentinel_mode());
  EXPECT_EQ((*c)->save(), (std::vector<SaveParam>{{60, 5}}));

  c = LoadArgs({"--loglevel", "--port", "7397"});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().message().ends_with(
      "at line 2\n>>> 'loglevel \"--port\" \"7397\"'\nwrong number of arguments"))
      << c.status().message();
}

TEST(ConfigTest, ArgvErrorLineNumbersFollowTheFile) {
  TempDir dir;
  std::string path = dir.Write("c.conf", "port 7000\nhz 5\n");
  auto c = LoadArgs({path, "--maxclients", "a\"b"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the command-line options, at line 4\n"
            ">>> 'maxclients \"a\\\"b\"'\n"
            "argument couldn't be parsed into an integer");

  path = dir.Write("d.conf", "port 7000\nhz x\n");
  c = LoadArgs({path});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("Reading the configuration file '" + path + "', at line 2"),
            std::string::npos)
      << c.status().message();

  c = LoadArgs({path + ".missing"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "Fatal error, can't open config file '" + path +
                                      ".missing': No such file or directory");
}

TEST(ConfigTest, SentinelDirectivesAreRecordedInSentinelMode) {
  TempDir dir;
  std::string path = dir.Write("s.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n");
  auto c = LoadArgs({path, "--sentinel"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ((*c)->sentinel_directives().size(), 1u);
  EXPECT_EQ((*c)->sentinel_directives()[0],
            (std::vector<std::string>{"monitor", "m", "127.0.0.1", "6379", "2"}));
}

// ---- CONFIG GET ----

TEST(ConfigTest, GetPatterns) {
  auto c = MustLoad("port 7000\n");
  std::string_view p1[] = {"PORT"};
  EXPECT_EQ(c->Get(p1), (std::vector<std::pair<std::string, std::string>>{{"PORT", "7000"}}));
  std::string_view p2[] = {"MAXCLIENT*"};
  EXPECT_EQ(c->Get(p2),
            (std::vector<std::pair<std::string, std::string>>{{"maxclients", "10000"}}));
  std::string_view p3[] = {"port", "PORT", "p*"};
  auto r = c->Get(p3);
  int ports = 0;
  for (auto& kv : r) ports += kv.first == "port" || kv.first == "PORT";
  EXPECT_EQ(ports, 1);
  EXPECT_EQ(r[0].first, "port");
  std::string_view p4[] = {"*read-only"};
  EXPECT_EQ(c->Get(p4).size(), 2u);  // replica-read-only and its alias
  std::string_view p5[] = {"nosuch", "key-load*"};
  EXPECT_TRUE(c->Get(p5).empty());  // hidden directives only match by exact name
  std::string_view p6[] = {"key-load-delay"};
  EXPECT_EQ(c->Get(p6).size(), 1u);
  std::string_view p7[] = {"maxcl[H-J]ents", "hz"};
  EXPECT_EQ(c->Get(p7).size(), 2u);
}

// ---- CONFIG SET ----

TEST(ConfigTest, SetErrorsAreRedisBytes) {
  auto c = MustLoad("");
  EXPECT_EQ(SetError(*c, {"foo", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_EQ(SetError(*c, {"port"}), "ERR wrong number of arguments for 'config|set' command");
  EXPECT_EQ(SetError(*c, {"port", "1", "2"}), "ERR syntax error");
  EXPECT_EQ(SetError(*c, {"port", "1", "PORT", "2"}),
            "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter");
  EXPECT_EQ(SetError(*c, {"DAEMONIZE", "no"}),
            "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set "
            "immutable config");
  EXPECT_EQ(SetError(*c, {"dir", "/tmp"}),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config");
  EXPECT_EQ(SetError(*c, {"MAXCLIENTS", "abc"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer");
  EXPECT_EQ(SetError(*c, {"maxclients", "0"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
  EXPECT_EQ(SetError(*c, {"SLAVE-priority", "abc"}),
            "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument "
            "couldn't be parsed into an integer");
  EXPECT_EQ(SetError(*c, {"save", "0 1"}),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
  EXPECT_EQ(SetError(*c, {"port", "7311", "foo", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_EQ(SetError(*c, {"cluster-require-full-coverage", "no"}),
            "ERR CONFIG SET failed (possibly related to argument 'cluster-require-full-coverage') "
            "- 'cluster-require-full-coverage' other than 'yes' is not supported by Basalt yet");
  EXPECT_EQ(SetError(*c, {"replicaof", "a 1"}),
            "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set "
            "immutable config");
  EXPECT_EQ(SetError(*c, {"threads", "4"}),
            "ERR CONFIG SET failed (possibly related to argument 'threads') - can't set "
            "immutable config");
  // Default values of unsupported directives are accepted.
  EXPECT_EQ(SetError(*c, {"maxmemory", "0", "appendfsync", "EVERYSEC", "appendonly", "no"}), "OK");
}

TEST(ConfigTest, Issue14DirectivesAreStored) {
  auto c = MustLoad(
      "repl-disable-tcp-nodelay yes\nrepl-diskless-sync-max-replicas 3\nslave-lazy-flush yes\n"
      "repl-diskless-load on-empty-db\npropagation-error-behavior panic-on-replicas\n"
      "replica-ignore-disk-write-errors yes\nrdb-del-sync-files yes\n"
      "no-appendfsync-on-rewrite yes\naof-disable-auto-gc yes\naof-timestamp-enabled yes\n"
      "loading-process-events-interval-bytes 4096\nactiverehashing no\n"
      "active-defrag-cycle-max 50\nmaxmemory-clients 5%\nsanitize-dump-payload clients\n");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->repl_disable_tcp_nodelay());
  EXPECT_EQ(c->repl_diskless_sync_max_replicas(), 3);
  EXPECT_TRUE(c->replica_lazy_flush());
  EXPECT_EQ(c->repl_diskless_load(), Config::DisklessLoad::kOnEmptyDb);
  EXPECT_EQ(c->propagation_error_behavior(), Config::PropagationError::kPanicOnReplicas);
  EXPECT_TRUE(c->replica_ignore_disk_write_errors());
  EXPECT_TRUE(c->rdb_del_sync_files());
  EXPECT_TRUE(c->no_appendfsync_on_rewrite());
  EXPECT_TRUE(c->aof_disable_auto_gc());
  EXPECT_TRUE(c->aof_timestamp_enabled());
  EXPECT_EQ(c->loading_process_events_interval_bytes(), 4096);
  EXPECT_FALSE(c->activerehashing());
  EXPECT_EQ(GetOne(*c, "active-defrag-cycle-max"), "50");
  EXPECT_EQ(c->maxmemory_clients_raw(), -5);
  EXPECT_EQ(GetOne(*c, "maxmemory-clients"), "5%");
  EXPECT_EQ(c->sanitize_dump_payload(), Config::SanitizePayload::kClients);
  EXPECT_TRUE(Set(*c, {"maxmemory-clients", "1mb"}).ok());
  EXPECT_EQ(c->maxmemory_clients_raw(), 1024 * 1024);
  EXPECT_EQ(SetError(*c, {"activedefrag", "yes"}),
            "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active "
            "defragmentation cannot be enabled: it requires a Redis server compiled with a "
            "modified Jemalloc like the one shipped by default with the Redis source "
            "distribution");
  EXPECT_EQ(SetError(*c, {"repl-diskless-load", "swapdb"}), "OK");
  EXPECT_EQ(c->repl_diskless_load(), Config::DisklessLoad::kSwapdb);
  EXPECT_EQ(SetError(*c, {"activedefrag", "no"}), "OK");
}

TEST(ConfigTest, SetIsAllOrNothing) {
  auto c = MustLoad("");
  EXPECT_FALSE(Set(*c, {"timeout", "10", "maxclients", "abc"}).ok());
  EXPECT_EQ(c->timeout(), 0);
  EXPECT_EQ(c->maxclients(), 10000);
  EXPECT_TRUE(Set(*c, {"timeout", "10", "maxclients", "500", "save", "100 2 50 3"}).ok());
  EXPECT_EQ(c->timeout(), 10);
  EXPECT_EQ(c->maxclients(), 500);
  EXPECT_EQ(GetOne(*c, "save"), "100 2 50 3");
  EXPECT_TRUE(Set(*c, {"save", ""}).ok());
  EXPECT_TRUE(c->save().empty());
  EXPECT_TRUE(Set(*c, {"slave-read-only", "no", "replica-read-only", "yes"}).ok());
  EXPECT_TRUE(c->replica_read_only());
  EXPECT_TRUE(Set(*c, {"hz", "1000"}).ok());
  EXPECT_EQ(c->hz(), 500);
  EXPECT_TRUE(Set(*c, {"hz", "0"}).ok());
  EXPECT_EQ(c->hz(), 1);
  EXPECT_TRUE(Set(*c, {"requirepass", "p w", "bind", "127.0.0.1 ::1"}).ok());
  EXPECT_EQ(c->requirepass(), "p w");
  EXPECT_EQ(c->bind(), (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_TRUE(Set(*c, {"loglevel", "DEBUG", "slowlog-log-slower-than", "-1"}).ok());
  EXPECT_EQ(c->loglevel(), LogLevel::kDebug);
  EXPECT_EQ(c->slowlog_log_slower_than(), -1);
}

TEST(ConfigTest, CallbacksAndRollback) {
  auto c = MustLoad("");
  int changes = 0;
  int64_t seen_timeout = -1;
  c->OnChange("timeout", [&](const Config& cfg) {
    changes++;
    seen_timeout = cfg.timeout();
  });
  bool fail_port = false;
  std::vector<int64_t> applied_ports;
  c->OnApply("port", [&](const Config& cfg) {
    applied_ports.push_back(cfg.port());
    return fail_port ? Status::Error("Unable to listen on this port") : Status::Ok();
  });
  EXPECT_TRUE(Set(*c, {"timeout", "7"}).ok());
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(seen_timeout, 7);
  EXPECT_TRUE(Set(*c, {"port", "7001"}).ok());
  fail_port = true;
  EXPECT_EQ(SetError(*c, {"timeout", "9", "port", "7002"}),
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on "
            "this port");
  EXPECT_EQ(c->timeout(), 7);  // rolled back
  EXPECT_EQ(c->port(), 7001);
  EXPECT_EQ(changes, 1);  // no OnChange for a failed SET
  EXPECT_EQ(applied_ports, (std::vector<int64_t>{7001, 7002, 7001}));
}

TEST(ConfigTest, SetDirChangesDirectoryWhenProtectedConfigsAllowed) {
  TempDir dir;
  const std::string before = Cwd();
  auto c = MustLoad("enable-protected-configs local\n");
  EXPECT_NE(SetError(*c, {"dir", dir.path()}), "OK");  // not a local client
  std::vector<std::string_view> args = {"dir", "/nonexistent/x"};
  EXPECT_EQ(c->Set(args, /*local_client=*/true).message(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or "
            "directory");
  args = {"dir", dir.path()};
  ASSERT_TRUE(c->Set(args, true).ok());
  char real[PATH_MAX];
  ASSERT_NE(realpath(dir.path().c_str(), real), nullptr);
  EXPECT_EQ(c->dir(), real);
  EXPECT_EQ(Cwd(), real);
  EXPECT_EQ(GetOne(*c, "dir"), real);
  ASSERT_EQ(chdir(before.c_str()), 0);
}

// ---- CONFIG REWRITE ----

TEST(ConfigTest, RewriteWithoutFile) {
  auto c = MustLoad("port 7000\n");
  EXPECT_EQ(c->Rewrite().message(), "ERR The server is running without a config file");
}

TEST(ConfigTest, RewriteKeepsLayoutLikeRedis) {
  TempDir dir;
  std::string path = dir.Write("r.conf",
                               "# Top comment\n"
                               "port 7396\n"
                               "\n"
                               "# maxclients comment\n"
                               "maxclients 10000\n"
                               "timeout 5\n"
                               "save 900 1\n"
                               "save 300 10\n"
                               "save 60 10000\n"
                               "# trailing comment\n"
                               "slave-read-only no\n"
                               "  loglevel   \"notice\"\n");
  auto c = LoadArgs({path});
  ASSERT_TRUE(c.ok()) << c.status().message();
  Config& cfg = **c;
  ASSERT_TRUE(Set(cfg, {"timeout", "0", "maxclients", "500", "save", "100 1", "slowlog-max-len",
                        "64", "proto-max-bulk-len", "1gb", "requirepass", "a b\"c"})
                  .ok());
  ASSERT_TRUE(cfg.Rewrite().ok());
  EXPECT_EQ(dir.Read("r.conf"),
            "# Top comment\n"
            "port 7396\n"
            "\n"
            "# maxclients comment\n"
            "maxclients 500\n"
            "timeout 0\n"
            "save 100 1\n"
            "\n"
            "# trailing comment\n"
            "replica-read-only no\n"
            "loglevel notice\n"
            "\n"
            "# Generated by CONFIG REWRITE\n"
            "requirepass \"a b\\\"c\"\n"
            "proto-max-bulk-len 1gb\n"
            "dir \"" +
                cfg.dir() +
                "\"\n"
                "slowlog-max-len 64\n");

  // A second rewrite reuses the marker and changes nothing else.
  ASSERT_TRUE(Set(cfg, {"save", "", "loglevel", "warning", "hz", "20"}).ok());
  ASSERT_TRUE(cfg.Rewrite().ok());
  std::string text = dir.Read("r.conf");
  EXPECT_NE(text.find("save \"\"\n\n# trailing comment\n"), std::string::npos) << text;
  EXPECT_NE(text.find("loglevel warning\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("slowlog-max-len 64\nhz 20\n")) << text;
  EXPECT_EQ(text.find("# Generated by CONFIG REWRITE"),
            text.rfind("# Generated by CONFIG REWRITE"));

  // Round trip: the rewritten file loads back to the same settings.
  auto again = LoadArgs({path});
  ASSERT_TRUE(again.ok()) << again.status().message();
  std::string_view all[] = {"*"};
  EXPECT_EQ((*again)->Get(all), cfg.Get(all));
}

TEST(ConfigTest, RewriteKeepsUnknownLinesAndPermissions) {
  TempDir dir;
  std::string path = dir.Write("s.conf", "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n");
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  auto c = LoadArgs({path, "--sentinel"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE((*c)->Rewrite().ok());
  std::string text = dir.Read("s.conf");
  EXPECT_TRUE(text.starts_with("port 26379\nsentinel monitor m 127.0.0.1 6379 2\n")) << text;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// ---- Threads ----

TEST(ConfigTest, ConcurrentReadersDuringSet) {
  auto c = MustLoad("");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; i++) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        int64_t m = c->maxclients();
        std::string p = c->requirepass();
        EXPECT_TRUE(m == 10000 || m == 20000);
        EXPECT_TRUE(p.empty() || p == "pw");
        reads++;
      }
    });
  }
  // On a loaded machine the readers may not run at all during 2,000 quick
  // Sets: wait until they read, then keep setting until they have read a
  // hundred times more while values were changing.
  while (reads.load() == 0) std::this_thread::yield();
  int64_t first = reads.load();
  for (int i = 0; i < 2000 || reads.load() < first + 100; i++) {
    ASSERT_TRUE(
        Set(*c, {"maxclients", i % 2 ? "10000" : "20000", "requirepass", i % 2 ? "" : "pw"}).ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GE(reads.load(), first + 100);
}

}  // namespace
}  // namespace basalt::config
