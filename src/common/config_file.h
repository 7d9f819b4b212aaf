// Reading and crash-safe replacing of configuration files, shared by CONFIG
// REWRITE and the sentinel's state rewrite. Errors read as Redis's
// "ERR Rewriting config file: <reason>".
//
// Thread-safety: functions of their arguments only; callers serialize writers
// of one file.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace basalt {

// Reads the whole file into *out; a missing file reads as empty with
// *exists false. *mode gets the file's permission bits when it exists.
Status ReadConfigFile(const std::string& path, std::string* out, mode_t* mode, bool* exists);
// Replaces `path` with `content` (mode `mode`): temp file, fsync, rename,
// directory fsync. A failure leaves the old file.
Status WriteConfigFileAtomically(const std::string& path, std::string_view content, mode_t mode);

}  // namespace basalt
