// The process-level directives: how basalt-server presents itself to the
// operating system and its supervisor. syslog-*, supervised, always-show-logo,
// disable-thp, crash-log-enabled, set-proc-title / proc-title-template,
// oom-score-adj(-values), the *_cpulist directives, socket-mark-id.
//
// Thread-safety: the functions marked "main thread" run from main() or the
// main thread's shutdown/housekeeping loop; the others say so.
#pragma once

#include <string>

#include "common/status.h"
#include "config/config.h"

namespace basalt::server {

class Server;

// Main thread, before any other thread exists: syslog, crash handlers,
// disable-thp, server_cpulist for the main thread (inherited by the threads
// it starts). Registers the CONFIG SET appliers of the mutable ones.
void ApplyEarlyProcessDirectives(config::Config& c);

// Main thread: the banner (always-show-logo) or its one-line form.
void ShowStartupBanner(const config::Config& c, int port, bool sentinel);

// The title the template gives for this server, or an error (Redis's text)
// when it is malformed or comes out empty.
StatusOr<std::string> ExpandServerTitle(Server& server, const std::string& tmpl);
// Sets the process title from proc-title-template when set-proc-title is on
// (any thread). `title` is what {title} expands to (argv[0] as run).
void SetTitleArgv0(const std::string& title);
void UpdateProcessTitle(Server& server);

// supervised: tells systemd ($NOTIFY_SOCKET) `state`, e.g. "READY=1"; for
// upstart, "READY=1" raises SIGSTOP as upstart's "expect stop" wants.
// No-op when not supervised. Any thread.
void NotifySupervisor(const config::Config& c, const std::string& state);

// STATUS=<status> then READY=1, once per process (later calls do nothing).
void NotifySupervisorReady(const config::Config& c, const char* status);

// oom-score-adj for a process class: 0 primary, 1 replica (2 would be a
// snapshot child, which Basalt does not have). Reads the original value the
// first time. Returns an error text when /proc/self/oom_score_adj refuses.
Status ApplyOomScoreAdj(const config::Config& c, int process_class);

// socket-mark-id on one socket; false (and a warning, once) on failure.
bool ApplySocketMark(const config::Config& c, int fd);

}  // namespace basalt::server
