// Reading and crash-safe replacing of configuration files, shared by CONFIG
// REWRITE and the sentinel's state rewrite. Errors read as Redis's
// "ERR Rewriting config file: <reason>".
//
// Thread-safety: functions of their arguments only; callers serialize writers
// of one file.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace basalt {

// Rewrites the config file at `path`: follows a symlink to its target, reads
// the old text (empty if there is no file), and replaces the file with
// rewrite(old_text) crash-safely (temp file in the same directory, fsync,
// rename, directory fsync), keeping its permission bits (0644 for a new
// file). A failure leaves the old file.
Status RewriteConfigFile(const std::string& path,
                         const std::function<std::string(const std::string&)>& rewrite);

// A file's text from its lines, each ended by '\n', with runs of blank lines
// collapsed into one (what CONFIG REWRITE does to the lines it keeps).
std::string JoinConfigLines(const std::vector<std::string>& lines);

}  // namespace basalt
