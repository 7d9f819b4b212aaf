#include "common/logging.h"

#include <fcntl.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <algorithm>
#include <mutex>
#include <string>

namespace basalt {
namespace {
std::atomic<int> g_level{int(LogLevel::kNotice)};
std::atomic<char> g_role{'M'};
std::mutex g_mu;
int g_fd = STDOUT_FILENO;  // Guarded by g_mu.
std::atomic<int> g_fd_copy{STDOUT_FILENO};  // g_fd for the crash report
std::atomic<bool> g_syslog{false};
std::string g_syslog_ident;  // must outlive openlog
std::atomic<int> g_format{int(LogFormat::kLegacy)};
std::atomic<int> g_timestamp{int(LogTimestamp::kLegacy)};

constexpr size_t kLineMax = 4096;

size_t FormatTimestamp(char* out, size_t cap) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  int ms = int(tv.tv_usec / 1000);
  auto ts = LogTimestamp(g_timestamp.load(std::memory_order_relaxed));
  if (ts == LogTimestamp::kMilliseconds) {
    return size_t(snprintf(out, cap, "%lld%03d", (long long)tv.tv_sec, ms));
  }
  tm tmv;
  localtime_r(&tv.tv_sec, &tmv);
  if (ts == LogTimestamp::kIso8601) {
    size_t w = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tmv);
    long off = tmv.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    return w + size_t(snprintf(out + w, cap - w, ".%03d%c%02ld:%02ld", ms, sign, off / 60,
                               off % 60));
  }
  size_t w = strftime(out, cap, "%d %b %Y %H:%M:%S", &tmv);
  return w + size_t(snprintf(out + w, cap - w, ".%03d", ms));
}

const char* RoleName(char role) {
  switch (role) {
    case 'S':
      return "replica";
    case 'X':
      return "sentinel";
    case 'C':
      return "child";
    default:
      return "master";
  }
}

void Append(std::string* out, std::string_view s) { out->append(s.data(), s.size()); }

// Formats and writes one line: the prefix, the message, and in logfmt the
// event and its fields.
void Emit(LogLevel level, std::string_view event, std::initializer_list<LogField> fields,
          const char* fmt, va_list ap) {
  char msg[kLineMax];
  int m = vsnprintf(msg, sizeof(msg), fmt, ap);
  std::string_view text(msg, m < 0 ? 0 : std::min<size_t>(size_t(m), sizeof(msg) - 1));
  char when[64];
  FormatTimestamp(when, sizeof(when));
  std::string line;
  line.reserve(text.size() + 128);
  if (LogFormat(g_format.load(std::memory_order_relaxed)) == LogFormat::kLogfmt) {
    static const char* const kNames[] = {"debug", "verbose", "notice", "warning"};
    Append(&line, "pid=" + std::to_string(getpid()) + " role=" + RoleName(g_role.load()) +
                      " timestamp=\"" + when + "\" level=" + kNames[int(level)] + " message=");
    std::string quoted = LogfmtValue(text);
    if (quoted.empty() || quoted[0] != '"') quoted = "\"" + quoted + "\"";
    Append(&line, quoted);
    if (!event.empty()) {
      Append(&line, " event=");
      Append(&line, LogfmtValue(event));
      for (const LogField& f : fields) {
        line += ' ';
        Append(&line, f.key);
        line += '=';
        Append(&line, LogfmtValue(f.value));
      }
    }
  } else {
    static const char kMarks[] = {'.', '-', '*', '#'};
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%d:%c %s %c ", int(getpid()), g_role.load(), when,
             kMarks[int(level)]);
    Append(&line, prefix);
    Append(&line, text);
  }
  if (g_syslog.load(std::memory_order_relaxed)) {
    static const int kPrio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING};
    syslog(kPrio[int(level)], "%.*s", int(text.size()), text.data());
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  ssize_t ignored = write(g_fd, line.data(), line.size());
  (void)ignored;
}

}  // namespace

std::string LogfmtValue(std::string_view v) {
  bool plain = !v.empty();
  for (char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 127) plain = false;
  }
  if (plain) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void SetLogFormat(LogFormat format, LogTimestamp timestamp) {
  g_format.store(int(format));
  g_timestamp.store(int(timestamp));
}

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
  va_list ap;
  va_start(ap, fmt);
  Emit(level, "", {}, fmt, ap);
  va_end(ap);
}

void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields,
              const char* fmt, ...) {
  if (!LogEnabled(level)) return;
  va_list ap;
  va_start(ap, fmt);
  Emit(level, event, fields, fmt, ap);
  va_end(ap);
}

}  // namespace basalt
