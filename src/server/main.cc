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

#include "common/clock.h"
#include "common/hash.h"
#include "common/logging.h"
#include "server/config.h"
#include "server/replication.h"
#include "server/server.h"
#include "server/version.h"

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

  auto cfg = basalt::server::Config::Load(argc, argv);
  if (!cfg.ok()) {
    fprintf(stderr, "%s\n", cfg.status().message().c_str());
    return 1;
  }
  basalt::server::Config& c = **cfg;
  if (c.daemonize()) {
    if (daemon(1, 0) != 0) {
      perror("daemon");
      return 1;
    }
  }
  basalt::SetLogOptions(c.loglevel(), c.logfile(), 'M');
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
        argv[0]);
  }

  // Every thread inherits this mask: SIGTERM/SIGINT reach only the main
  // thread's signalfd (Server::WaitForShutdown), which shuts down cleanly.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  basalt::server::Server server(std::move(*cfg));
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  server.executable = n > 0 ? std::string(exe, size_t(n)) : std::string(argv[0]);
  basalt::Status st = server.Start();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    return 1;
  }
  std::string pidfile = server.config().pidfile();
  WritePidfile(pidfile);
  Log(LogLevel::kNotice, "Server initialized with %zu worker threads, %u shards per database",
      server.workers().size(), server.keyspace().shards_per_db());
  // Clients that connect while the dataset loads get -LOADING.
  st = server.persistence().LoadAtStartup();
  if (!st.ok()) {
    Log(LogLevel::kWarning, "%s", st.message().c_str());
    Log(LogLevel::kWarning, "Fatal error loading the DB, exiting.");
    _exit(1);
  }
  server.replication().Start();
  Log(LogLevel::kNotice, "Ready to accept connections");
  server.WaitForShutdown();
  if (!pidfile.empty()) unlink(pidfile.c_str());
  return 0;
}
