#include "common/logging.h"

#include <fcntl.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace basalt {
namespace {
std::atomic<int> g_level{int(LogLevel::kNotice)};
std::atomic<char> g_role{'M'};
std::mutex g_mu;
int g_fd = STDOUT_FILENO;  // Guarded by g_mu.
std::atomic<int> g_fd_copy{STDOUT_FILENO};  // g_fd for the crash report
std::atomic<bool> g_syslog{false};
std::string g_syslog_ident;  // must outlive openlog
}  // namespace

void SetLogOptions(LogLevel level, const std::string& path, char role) {
  g_level.store(int(level));
  g_role.store(role);
  std::lock_guard<std::mutex> lock(g_mu);
  int fd = STDOUT_FILENO;
  if (!path.empty()) {
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fd = STDOUT_FILENO;
  }
  if (g_fd != STDOUT_FILENO && g_fd != fd) close(g_fd);
  g_fd = fd;
  g_fd_copy.store(fd);
}

void SetSyslog(bool enabled, const std::string& ident, int facility) {
  if (g_syslog.load()) closelog();
  g_syslog.store(false);
  if (!enabled) return;
  g_syslog_ident = ident;
  openlog(g_syslog_ident.c_str(), LOG_PID | LOG_NDELAY | LOG_NOWAIT, facility);
  g_syslog.store(true);
}

void LogRaw(const std::string& text) {
  std::lock_guard<std::mutex> lock(g_mu);
  ssize_t ignored = write(g_fd, text.data(), text.size());
  (void)ignored;
}

int LogFd() { return g_fd_copy.load(); }

void SetLogLevel(LogLevel level) { g_level.store(int(level)); }

bool LogEnabled(LogLevel level) { return int(level) >= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, const char* fmt, ...) {
  if (!LogEnabled(level)) return;
  static const char kMarks[] = {'.', '-', '*', '#'};
  char line[4096];
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm tmv;
  localtime_r(&tv.tv_sec, &tmv);
  char when[64];
  size_t w = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S", &tmv);
  snprintf(when + w, sizeof(when) - w, ".%03d", int(tv.tv_usec / 1000));
  int n = snprintf(line, sizeof(line), "%d:%c %s %c ", int(getpid()), g_role.load(), when,
                   kMarks[int(level)]);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof(line) - size_t(n) - 1, fmt, ap);
  va_end(ap);
  size_t len = size_t(n) + (m < 0 ? 0 : std::min<size_t>(size_t(m), sizeof(line) - size_t(n) - 2));
  if (g_syslog.load(std::memory_order_relaxed)) {
    static const int kPrio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING};
    syslog(kPrio[int(level)], "%.*s", int(len) - n, line + n);
  }
  line[len++] = '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  ssize_t ignored = write(g_fd, line, len);
  (void)ignored;
}

}  // namespace basalt
