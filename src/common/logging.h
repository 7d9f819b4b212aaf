// Server log in redis-server's line format:
//   <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level char> <message>
// with '.' debug, '-' verbose, '*' notice, '#' warning, so log scrapers that
// read Redis logs read Basalt's. Thread-safe: each line is one write(2).
#pragma once

#include <string>

namespace basalt {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Configures the sink: empty path = stdout. Role char: 'M' primary, 'S'
// replica, 'X' sentinel, 'C' child. Safe to call again (CONFIG SET).
void SetLogOptions(LogLevel level, const std::string& path, char role);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// syslog-enabled: every line logged also goes to syslog(3) with this ident
// and facility (LOG_USER, LOG_LOCAL0, ...). Call before other threads log.
void SetSyslog(bool enabled, const std::string& ident, int facility);
// Writes `text` to the log as is (no prefix; the startup banner).
void LogRaw(const std::string& text);
// The log's file descriptor, for the crash report (async-signal context).
int LogFd();

}  // namespace basalt
