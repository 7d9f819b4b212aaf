// Sentinel configuration: the data model of what a sentinel persists, the
// parser of the `sentinel ...` lines of sentinel.conf and the writer of the
// lines a sentinel puts back into that file when it saves its state (on
// SENTINEL MONITOR / SET / REMOVE, on a new epoch, on discovery, and on
// SENTINEL FLUSHCONFIG), following redis-sentinel 7.0.15.
//
// Observed on redis-sentinel 7.0.15 (the contract; see docs/sentinel.md):
//  - Sub-commands are case-insensitive, master names are case-sensitive.
//  - Numbers are read the C way: quorum, ports, times and parallel-syncs as
//    atoi (leading digits, "abc" is 0), epochs as strtoull ("-4" wraps).
//  - The lines are applied in three passes, each in file order: the global
//    options (myid, current-epoch, deny-scripts-reconfig, resolve-hostnames,
//    announce-*, sentinel-user/pass), then `monitor`, then the rest; so a
//    per-master line may come before its `monitor` line, and the first error
//    reported is the first in that order.
//  - `config-epoch` raises the current epoch; `current-epoch` only raises it.
//  - Hosts must be numeric addresses unless `resolve-hostnames yes` is given
//    (Basalt does not resolve names while parsing; the sentinel does later).
//  - Written order: myid, deny-scripts-reconfig (if no), resolve-hostnames and
//    announce-hostnames (if yes), then per master: monitor, the options that
//    differ from their defaults, config-epoch, leader-epoch, known-replica,
//    known-sentinel (only those with a run id), rename-command; then
//    current-epoch, announce-ip, announce-port, sentinel-user, sentinel-pass.
//    Masters, replicas and sentinels keep the order they were added in (Redis
//    uses its hash-table order, which is not stable across processes anyway).
//
// Thread-safety: plain values and pure functions, except
// RewriteSentinelConfigFile, which writes a file and must not run concurrently
// with another rewrite of the same file (the sentinel calls it from its one
// control thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace basalt::sentinel {

inline constexpr int64_t kDefaultDownAfterMs = 30000;
inline constexpr int64_t kDefaultFailoverTimeoutMs = 180000;
inline constexpr int kDefaultParallelSyncs = 1;
inline constexpr size_t kRunIdSize = 40;

struct KnownReplica {
  std::string ip;
  int port = 0;
};

struct KnownSentinel {
  std::string ip;
  int port = 0;
  // Empty when the config line had none (Redis accepts that); such a sentinel
  // is not written back, since another one can only be told apart by its id.
  std::string runid;
};

struct RenamedCommand {
  std::string from;  // as written in the config, compared case-insensitively
  std::string to;
};

// One `sentinel monitor` entry and everything attached to it.
struct MonitoredMaster {
  std::string name;
  std::string host;
  int port = 0;
  int quorum = 0;
  int64_t down_after_ms = kDefaultDownAfterMs;
  int64_t failover_timeout_ms = kDefaultFailoverTimeoutMs;
  int parallel_syncs = kDefaultParallelSyncs;
  int64_t master_reboot_down_after_period_ms = 0;
  std::string notification_script;     // empty: none
  std::string client_reconfig_script;  // empty: none
  std::string auth_pass;               // empty: none
  std::string auth_user;               // empty: none
  uint64_t config_epoch = 0;
  uint64_t leader_epoch = 0;
  std::vector<KnownReplica> known_replicas;
  std::vector<KnownSentinel> known_sentinels;
  std::vector<RenamedCommand> renamed_commands;
};

// Everything a sentinel reads from and writes to its config file.
struct SentinelState {
  std::string myid;  // kRunIdSize characters once parsed
  uint64_t current_epoch = 0;
  bool deny_scripts_reconfig = true;
  bool resolve_hostnames = false;
  bool announce_hostnames = false;
  std::string announce_ip;  // empty: not announced
  int announce_port = 0;    // 0: not announced
  std::string sentinel_user;
  std::string sentinel_pass;
  std::vector<MonitoredMaster> masters;  // in the order they were added

  MonitoredMaster* FindMaster(std::string_view name);
  const MonitoredMaster* FindMaster(std::string_view name) const;
};

// Applies one `sentinel` line, split into arguments without the leading
// "sentinel" (as Config::sentinel_directives() holds them), to `state`.
// On a refused line returns the reason exactly as redis-sentinel prints it
// under ">>> 'line'" (e.g. "Duplicate master name.") and leaves `state` as it
// was. An empty `argv` (a bare `sentinel` line) is accepted, as in Redis.
Status ApplySentinelDirective(SentinelState* state, const std::vector<std::string>& argv);

// Parses all the `sentinel` lines of a config file in Redis's three passes
// (see above) and generates a run id when none was given. On error, *error_index (if not null) is
// set to the index of the refused directive.
StatusOr<SentinelState> ParseSentinelDirectives(
    const std::vector<std::vector<std::string>>& directives, size_t* error_index = nullptr);

// A fresh random run id: kRunIdSize lowercase hex characters.
std::string GenerateRunId();

// The `sentinel ...` lines redis-sentinel writes for `state`, in its order and
// spelling. Values are written bare as Redis does, except that one which would
// not read back (empty, or holding a space, a quote, a backslash or a
// non-printable byte) is double-quoted; announce-ip is always quoted, as in
// Redis.
std::vector<std::string> FormatSentinelState(const SentinelState& state);

// The new text of a config file whose old text is `old_content`, with the
// `sentinel` lines replaced by `sentinel_lines`, the way Redis's CONFIG
// REWRITE places them: every old `sentinel <option> ...` line is a slot for
// the new lines of the same option, filled in file order; new lines without a
// slot are appended at the end (after a "# Generated by CONFIG REWRITE" line,
// added if the file has none); slots left over become blank lines. Other lines
// are kept (trimmed, as Redis does) and runs of blank lines become one.
std::string RewriteSentinelConfigText(std::string_view old_content,
                                      const std::vector<std::string>& sentinel_lines);

// Rewrites the file at `path` (through a symlink) with RewriteSentinelConfigText
// and FormatSentinelState: written to a temporary file in the same directory,
// fsynced, renamed over the old one, directory fsynced; the file's permissions
// are kept (0644 for a new file). Errors read "ERR Rewriting config file: ...".
Status RewriteSentinelConfigFile(const std::string& path, const SentinelState& state);

}  // namespace basalt::sentinel
