// Server log in redis-server's line format:
//   <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level char> <message>
// with '.' debug, '-' verbose, '*' notice, '#' warning, so log scrapers that
// read Redis logs read Basalt's. Thread-safe: each line is one write(2).
//
// log-format logfmt (Valkey 8.1's directive) writes one logfmt line instead:
//   pid=<pid> role=<master|replica|sentinel|child> timestamp="<ts>"
//   level=<debug|verbose|notice|warning> message="<text>" [event=<name> k=v ...]
// LogEvent adds the event name and its fields (role changes, failover steps,
// resyncs, persistence errors, refused writes) for log pipelines; in the
// legacy format only the message is written, as before.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace basalt {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Configures the sink: empty path = stdout. Role char: 'M' primary, 'S'
// replica, 'X' sentinel, 'C' child. Safe to call again (CONFIG SET).
void SetLogOptions(LogLevel level, const std::string& path, char role);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// log-format and log-timestamp-format (as Valkey 8.1): the timestamp is
// "07 Dec 2026 15:31:41.123" (legacy), "2026-12-07T15:31:41.123+01:00"
// (iso8601) or milliseconds since the epoch.
enum class LogFormat { kLegacy = 0, kLogfmt = 1 };
enum class LogTimestamp { kLegacy = 0, kIso8601 = 1, kMilliseconds = 2 };
void SetLogFormat(LogFormat format, LogTimestamp timestamp);

struct LogField {
  std::string_view key;
  std::string value;
};
// An operator event: logged as Log(level, fmt, ...) does; in logfmt the line
// also carries event=<event> and the fields, in order.
void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields,
              const char* fmt, ...) __attribute__((format(printf, 4, 5)));
// One logfmt value: bare when it is a plain word, else in double quotes
// with backslash escapes for quotes, backslashes and line breaks.
std::string LogfmtValue(std::string_view v);
// syslog-enabled: every line logged also goes to syslog(3) with this ident
// and facility (LOG_USER, LOG_LOCAL0, ...). Call before other threads log.
void SetSyslog(bool enabled, const std::string& ident, int facility);
// Writes `text` to the log as is (no prefix; the startup banner).
void LogRaw(const std::string& text);
// The log's file descriptor, for the crash report (async-signal context).
int LogFd();

}  // namespace basalt
