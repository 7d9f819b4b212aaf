// basalt-server entry point: parses the configuration (redis-server's command
// line), starts the server and waits for SIGTERM/SIGINT or SHUTDOWN.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/cpu_affinity.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/version.h"
#include "config/config.h"
#include "persistence/dataset_loader.h"
#include "replication/role.h"
#include "sentinel/sentinel.h"
#include "server/metrics_endpoint.h"
#include "common/proc_title.h"
#include "server/process_directives.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/startup_discovery.h"

namespace {

void WritePidfile(const std::string& path) {
  if (path.empty()) return;
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) {
    basalt::Log(basalt::LogLevel::kWarning, "Failed to write PID file: %s", strerror(errno));
    return;
  }
  fprintf(f, "%d\n", int(getpid()));
  fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  using basalt::Log;
  using basalt::LogLevel;
  if (argc == 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
    printf("Basalt server v=%s (Redis %s compatible) bits=64\n", basalt::kBasaltVersion,
           basalt::kRedisCompatVersion);
    return 0;
  }
  if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    printf("Usage: basalt-server [/path/to/redis.conf] [--directive value ...]\n"
           "       basalt-server -v | --version\n"
           "Examples:\n"
           "       basalt-server --port 7777 --threads 4\n"
           "       basalt-server /etc/redis/redis.conf --loglevel verbose\n");
    return 0;
  }
  std::random_device rd;
  basalt::SetHashSeed((uint64_t(rd()) << 32) ^ rd() ^ uint64_t(basalt::NowUs()));

  // Invoked as basalt-sentinel: the same as `basalt-server ... --sentinel`.
  std::vector<const char*> args(argv, argv + argc);
  const char* base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strcmp(base, "basalt-sentinel") == 0) args.push_back("--sentinel");
  auto cfg = basalt::server::Config::Load(int(args.size()), args.data());
  if (!cfg.ok()) {
    fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 1;
  }
  basalt::server::Config& c = **cfg;
  // {title} of proc-title-template is argv[0] as run; the title may then
  // take over argv's memory.
  const std::string argv0 = argv[0];
  basalt::server::SetTitleArgv0(argv0);
  // As Redis, CONFIG SET proc-title-template sets the title even with
  // set-proc-title no (which only keeps the start-up title off).
  basalt::InitProcTitle(argc, argv);
  if (c.daemonize()) {
    if (daemon(1, 0) != 0) {
      perror("daemon");
      return 1;
    }
  }
  const bool sentinel_mode = c.sentinel_mode();
  std::unique_ptr<basalt::sentinel::Sentinel> sentinel;
  if (sentinel_mode) {
    // As redis-sentinel: the state lives in the config file, so there must be
    // one we can rewrite.
    if (c.config_file().empty()) {
      fprintf(stderr, "Sentinel needs config file on disk to save state. Exiting...\n");
      return 1;
    }
    if (access(c.config_file().c_str(), W_OK) != 0) {
      fprintf(stderr, "Sentinel config file %s is not writable: %s. Exiting...\n",
              c.config_file().c_str(), strerror(errno));
      return 1;
    }
    size_t bad = 0;
    auto state = basalt::sentinel::ParseSentinelDirectives(c.sentinel_directives(), &bad);
    if (!state.ok()) {
      fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR ***\n>>> 'sentinel");
      if (bad < c.sentinel_directives().size()) {
        for (const std::string& a : c.sentinel_directives()[bad]) fprintf(stderr, " %s", a.c_str());
      }
      fprintf(stderr, "'\n%s\n", state.status().message().c_str());
      return 1;
    }
    basalt::sentinel::Sentinel::Options opts;
    opts.config_file = c.config_file();
    opts.port = int(c.port());
    opts.tls = c.tls_replication();
    if (opts.tls && c.tls_port() != 0) opts.port = int(c.tls_port());
    sentinel = std::make_unique<basalt::sentinel::Sentinel>(std::move(*state), std::move(opts));
  }
  basalt::SetLogOptions(c.loglevel(), c.logfile(), sentinel_mode ? 'X' : 'M');
  basalt::SetLogFormat(c.log_format(), c.log_timestamp_format());
  basalt::server::ApplyEarlyProcessDirectives(c);
  std::string dir = c.dir();
  if (!dir.empty() && chdir(dir.c_str()) != 0) {
    Log(LogLevel::kWarning, "Can't chdir to '%s': %s", dir.c_str(), strerror(errno));
    return 1;
  }
  Log(LogLevel::kNotice, "Basalt %s (Redis %s compatible) starting, pid=%d",
      basalt::kBasaltVersion, basalt::kRedisCompatVersion, int(getpid()));
  if (c.config_file().empty()) {
    Log(LogLevel::kWarning,
        "Warning: no config file specified, using the default config. In order to specify a "
        "config file use %s /path/to/redis.conf",
        argv0.c_str());
  }

  // Every thread inherits this mask: SIGTERM/SIGINT reach only the main
  // thread's signalfd (Server::WaitForShutdown), which shuts down cleanly.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  // bio_cpulist: the lazy-free thread starts with the Server; it inherits the
  // affinity of this thread, which then goes back to server_cpulist.
  cpu_set_t main_cpus;
  bool bio_pinned = false;
  if (!c.bio_cpulist().empty() &&
      pthread_getaffinity_np(pthread_self(), sizeof(main_cpus), &main_cpus) == 0) {
    bio_pinned = basalt::PinCurrentThread(c.bio_cpulist(), "bio_cpulist");
  }
  basalt::server::Server server(std::move(*cfg));
  if (bio_pinned) pthread_setaffinity_np(pthread_self(), sizeof(main_cpus), &main_cpus);
  server.config().OnApply("proc-title-template", [&server](const basalt::server::Config& cfg) {
    auto title = basalt::server::ExpandServerTitle(server, cfg.proc_title_template());
    if (!title.ok()) return title.status();
    basalt::SetProcTitle(*title);
    return basalt::Status::Ok();
  });
  for (const char* name : {"oom-score-adj", "oom-score-adj-values"}) {
    server.config().OnApply(name, [&server](const basalt::server::Config& cfg) {
      return basalt::server::ApplyOomScoreAdj(cfg, server.is_replica() ? 1 : 0);
    });
  }
  if (sentinel) {
    sentinel->set_publish([&server](std::string_view channel, std::string_view message) {
      server.pubsub().PublishFrom(basalt::server::SubKind::kChannel, channel, message, nullptr);
    });
    server.set_sentinel(std::move(sentinel));
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  server.executable = n > 0 ? std::string(exe, size_t(n)) : argv0;
  basalt::Status st = server.Start();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    return 1;
  }
  // Before the dataset loads, so /readyz can say "loading". Declared after
  // the server: destroyed (stopped) before it.
  basalt::server::MetricsEndpoint metrics(server);
  st = metrics.Start();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    return 1;
  }
  std::string pidfile = server.config().pidfile();
  WritePidfile(pidfile);
  basalt::server::ShowStartupBanner(server.config(), server.tcp_port_bound(),
                                    server.sentinel() != nullptr);
  basalt::server::UpdateProcessTitle(server);
  Log(LogLevel::kNotice, "Server initialized with %zu worker threads, %u shards per database",
      server.workers().size(), server.keyspace().shards_per_db());
  if (server.sentinel() != nullptr) {
    st = server.sentinel()->Start();
    if (!st.ok()) {
      Log(LogLevel::kWarning, "%s", st.message().c_str());
      return 1;
    }
    basalt::server::NotifySupervisorReady(server.config(), "Ready to accept connections");
    server.WaitForShutdown();
    if (!pidfile.empty()) unlink(pidfile.c_str());
    return 0;
  }
  // Clients that connect while the dataset loads get -LOADING.
  basalt::server::NotifySupervisor(server.config(), "STATUS=Loading the dataset...");
  // Before the load: the sentinels may say this node is to be a replica.
  st = basalt::server::DiscoverPrimaryAtStartup(
      server.config(), basalt::server::AnnouncedPort(server.config(), server.tcp_port_bound()));
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    return 1;
  }
  st = server.dataset_loader().LoadAtStartup();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    Log(LogLevel::kWarning, "Fatal error loading the DB, exiting.");
    _exit(1);
  }
  server.replication_role().Start();
  Log(LogLevel::kNotice, "Ready to accept connections");
  // As Redis: READY at once; a replica says it waits for its sync (and the
  // housekeeping of WaitForShutdown reports the sync's end).
  basalt::server::NotifySupervisorReady(
      server.config(), server.is_replica() ? "Ready to accept connections in read-only mode. "
                                             "Waiting for MASTER <-> REPLICA sync"
                                           : "Ready to accept connections");
  server.WaitForShutdown();
  if (!pidfile.empty()) unlink(pidfile.c_str());
  return 0;
}
