#include "server/process_directives.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/cpu_affinity.h"
#include "common/logging.h"
#include "common/memory.h"
#include "common/proc_title.h"
#include "common/version.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using config::Config;

// ---------------------------------------------------------------- crash log

std::atomic<bool> g_memcheck{true};

void WriteAll(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= size_t(w);
  }
}

void WriteStr(int fd, const char* s) { WriteAll(fd, s, strlen(s)); }

// Runs on the crashing thread. Only write(2), snprintf into a stack buffer
// and backtrace (preloaded at install time so it does not allocate here).
void CrashHandler(int sig, siginfo_t* info, void* /*ucontext*/) {
  int fd = LogFd();
  char buf[512];
  snprintf(buf, sizeof(buf),
           "\n\n=== BASALT CRASH REPORT START (pid %d) ===\n"
           "Basalt %s (Redis %s compatible) stopped by signal %d (%s)\n",
           int(getpid()), kBasaltVersion, kRedisCompatVersion, sig, strsignal(sig));
  WriteStr(fd, buf);
  if (info != nullptr) {
    if (info->si_code <= 0) {  // SI_USER, SI_QUEUE, SI_TKILL: sent, not a fault
      snprintf(buf, sizeof(buf), "Sent by process %d (uid %d), not a fault of Basalt's code\n",
               int(info->si_pid), int(info->si_uid));
    } else {
      snprintf(buf, sizeof(buf), "Fault address: %p (si_code %d)\n", info->si_addr, info->si_code);
    }
    WriteStr(fd, buf);
  }
  WriteStr(fd, "--- Backtrace of the crashing thread (innermost first):\n");
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, fd);
  if (g_memcheck.load()) {
    WriteStr(fd,
             "--- Memory test: not run (Basalt has no post-crash memory test; "
             "crash-memcheck-enabled only records the setting)\n");
  }
  WriteStr(fd,
           "=== BASALT CRASH REPORT END ===\n"
           "Please report this crash with the lines above, the INFO output if you have it, and "
           "the configuration.\n\n");
  // SA_RESETHAND put the default action back: die with the same signal (core
  // dump and exit status as without the report).
  raise(sig);
}

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void InstallCrashHandlers(bool enabled) {
  struct sigaction act;
  memset(&act, 0, sizeof(act));
  sigemptyset(&act.sa_mask);
  if (enabled) {
    void* warmup[2];
    backtrace(warmup, 2);  // loads libgcc now, not in the handler
    act.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND | SA_ONSTACK;
    act.sa_sigaction = CrashHandler;
  } else {
    act.sa_handler = SIG_DFL;
  }
  for (int sig : kCrashSignals) sigaction(sig, &act, nullptr);
}

// ---------------------------------------------------------------- THP

// Redis's rule: disable THP for the process only where the kernel would
// use it for everything ("[always]"); "madvise" and "never" need nothing.
void MaybeDisableThp(bool disable) {
  if (!disable) return;
  int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[128] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0 || strstr(buf, "[always]") == nullptr) return;
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0) {
    Log(LogLevel::kNotice, "Transparent huge pages disabled for this process (disable-thp).");
  } else {
    Log(LogLevel::kWarning, "Failed to disable transparent huge pages: %s", strerror(errno));
  }
}

int SyslogFacility(int64_t index) {
  static const int kFacilities[] = {LOG_USER,   LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                    LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  return index >= 0 && index < 9 ? kFacilities[index] : LOG_LOCAL0;
}

// ---------------------------------------------------------------- title

std::mutex g_title_mu;
std::string g_argv0;  // Guarded by g_title_mu

// ---------------------------------------------------------------- oom

std::mutex g_oom_mu;
bool g_oom_base_read = false;  // Guarded by g_oom_mu
int g_oom_base = 0;            // Guarded by g_oom_mu: the value found at start
bool g_oom_changed = false;    // Guarded by g_oom_mu

std::atomic<bool> g_mark_warned{false};

}  // namespace

void ApplyEarlyProcessDirectives(Config& c) {
  SetSyslog(c.syslog_enabled(), c.syslog_ident(), SyslogFacility(c.syslog_facility()));
  g_memcheck.store(c.crash_memcheck_enabled());
  InstallCrashHandlers(c.crash_log_enabled());
  c.OnChange("crash-log-enabled",
             [](const Config& cfg) { InstallCrashHandlers(cfg.crash_log_enabled()); });
  c.OnChange("crash-memcheck-enabled",
             [](const Config& cfg) { g_memcheck.store(cfg.crash_memcheck_enabled()); });
  MaybeDisableThp(c.disable_thp());
  // After daemonizing (threads do not survive a fork), as Redis does.
  auto bg_thread = [](const Config& cfg) {
    if (!SetAllocatorBackgroundThread(cfg.jemalloc_bg_thread())) {
      Log(LogLevel::kVerbose, "jemalloc-bg-thread: the allocator has no background threads");
    }
  };
  bg_thread(c);
  c.OnChange("jemalloc-bg-thread", bg_thread);
  // Threads inherit the affinity of the thread that starts them: pinning
  // the main thread first pins every worker and control thread.
  PinCurrentThread(c.server_cpulist(), "server_cpulist");
}

void ShowStartupBanner(const Config& c, int port, bool sentinel) {
  const char* mode = sentinel ? "sentinel" : "standalone";
  // (Never in logfmt: a log pipeline reads lines only.)
  bool show = c.log_format() == LogFormat::kLegacy &&
              (c.always_show_logo() ||
               (!c.syslog_enabled() && c.logfile().empty() && isatty(STDOUT_FILENO)));
  if (!show) {
    Log(LogLevel::kNotice, "Running mode=%s, port=%d.", mode, port);
    return;
  }
  char text[1024];
  snprintf(text, sizeof(text),
           "\n"
           "    ____                    __  __\n"
           "   / __ )____ _________ _/ / /_     Basalt %s (Redis %s compatible) 64 bit\n"
           "  / __  / __ `/ ___/ __ `/ / __/\n"
           " / /_/ / /_/ (__  ) /_/ / / /_      Running in %s mode\n"
           "/_____/\\__,_/____/\\__,_/_/\\__/      Port: %d\n"
           "                                    PID: %d\n\n",
           kBasaltVersion, kRedisCompatVersion, mode, port, int(getpid()));
  LogRaw(text);
}

void SetTitleArgv0(const std::string& title) {
  std::lock_guard<std::mutex> lock(g_title_mu);
  g_argv0 = title;
}

StatusOr<std::string> ExpandServerTitle(Server& server, const std::string& tmpl) {
  Config& c = server.config();
  std::string argv0;
  {
    std::lock_guard<std::mutex> lock(g_title_mu);
    argv0 = g_argv0;
  }
  int port = server.tcp_port_bound() != 0 ? server.tcp_port_bound() : int(c.port());
  auto vars = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "title") return argv0;
    if (name == "listen-addr") {
      // The TCP port, else the TLS port, else the unix socket.
      int64_t p = port != 0 ? port : c.tls_port();
      if (p != 0) {
        std::vector<std::string> binds = c.bind();
        std::string addr = binds.empty() ? "*" : binds[0];
        if (!addr.empty() && addr[0] == '-') addr.erase(0, 1);
        return addr + ":" + std::to_string(p);
      }
      return c.unixsocket();
    }
    if (name == "server-mode") return std::string(c.sentinel_mode() ? "[sentinel]" : "");
    if (name == "port") return std::to_string(port);
    if (name == "tls-port") return std::to_string(c.tls_port());
    if (name == "unixsocket") return c.unixsocket();
    if (name == "config-file") {
      return c.config_file().empty() ? std::string("-") : c.config_file();
    }
    return std::nullopt;
  };
  std::optional<std::string> title = ExpandProcTitleTemplate(tmpl, vars);
  if (!title || title->empty()) {
    return Status::Error("template format is invalid or contains unknown variables");
  }
  return *title;
}

void UpdateProcessTitle(Server& server) {
  if (!server.config().set_proc_title()) return;
  auto title = ExpandServerTitle(server, server.config().proc_title_template());
  if (title.ok()) SetProcTitle(*title);
}

void NotifySupervisor(const Config& c, const std::string& state) {
  Config::Supervised mode = c.supervised();
  if (mode == Config::Supervised::kNo) return;
  const char* notify = getenv("NOTIFY_SOCKET");
  if (mode == Config::Supervised::kAuto) {
    if (notify != nullptr) {
      mode = Config::Supervised::kSystemd;
    } else if (getenv("UPSTART_JOB") != nullptr) {
      mode = Config::Supervised::kUpstart;
    } else {
      return;
    }
  }
  if (mode == Config::Supervised::kUpstart) {
    // upstart's "expect stop": the job is up once the process stops itself.
    if (state == "READY=1") {
      if (getenv("UPSTART_JOB") == nullptr) {
        Log(LogLevel::kWarning, "upstart supervision requested, but UPSTART_JOB not found!");
        return;
      }
      Log(LogLevel::kNotice, "supervised by upstart, will stop to signal readiness.");
      raise(SIGSTOP);
      unsetenv("UPSTART_JOB");
    }
    return;
  }
  if (notify == nullptr || notify[0] == '\0') {
    Log(LogLevel::kWarning, "systemd supervision error: NOTIFY_SOCKET not found!");
    return;
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  size_t len = strlen(notify);
  if (len >= sizeof(sa.sun_path)) return;
  memcpy(sa.sun_path, notify, len);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  std::string msg = state + "\n";
  socklen_t salen = socklen_t(offsetof(sockaddr_un, sun_path) + len);
  if (sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa), salen) <
      0) {
    Log(LogLevel::kWarning, "Can't send notification to systemd: %s", strerror(errno));
  }
  close(fd);
}

void NotifySupervisorReady(const Config& c, const char* status) {
  static std::atomic<bool> sent{false};
  if (c.supervised() == Config::Supervised::kNo || sent.exchange(true)) return;
  NotifySupervisor(c, std::string("STATUS=") + status);
  NotifySupervisor(c, "READY=1");
}

Status ApplyOomScoreAdj(const Config& c, int process_class) {
  std::lock_guard<std::mutex> lock(g_oom_mu);
  if (!g_oom_base_read) {
    int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[32] = {};
      ssize_t n = read(fd, buf, sizeof(buf) - 1);
      close(fd);
      if (n > 0) g_oom_base = atoi(buf);
    }
    g_oom_base_read = true;
  }
  Config::OomScoreAdj mode = c.oom_score_adj();
  int64_t value;
  if (mode == Config::OomScoreAdj::kNo) {
    if (!g_oom_changed) return Status::Ok();
    value = g_oom_base;  // put back what we found
  } else {
    std::vector<int64_t> values = c.oom_score_adj_values();
    value = values.size() == 3 ? values[size_t(process_class)] : 0;
    if (mode != Config::OomScoreAdj::kAbsolute) value += g_oom_base;
    value = value < -1000 ? -1000 : value > 1000 ? 1000 : value;
  }
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  std::string text = std::to_string(value) + "\n";
  if (fd < 0 || write(fd, text.data(), text.size()) < 0) {
    std::string err = strerror(errno);
    if (fd >= 0) close(fd);
    Log(LogLevel::kWarning, "Unable to write oom_score_adj: %s", err.c_str());
    return Status::Error("Failed to set current oom_score_adj. Check server logs.");
  }
  close(fd);
  g_oom_changed = mode != Config::OomScoreAdj::kNo;
  return Status::Ok();
}

bool ApplySocketMark(const Config& c, int fd) {
  int64_t mark = c.socket_mark_id();
  if (mark <= 0) return true;
  uint32_t v = uint32_t(mark);
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &v, sizeof(v)) == 0) return true;
  if (!g_mark_warned.exchange(true)) {
    Log(LogLevel::kWarning, "Failed to set socket-mark-id %u on a socket: %s%s", v, strerror(errno),
        errno == EPERM ? " (SO_MARK needs CAP_NET_ADMIN)" : "");
  }
  return false;
}

}  // namespace basalt::server
