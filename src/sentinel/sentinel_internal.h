// Constants and the clock shared by the files of the sentinel engine
// (sentinel.cc, sentinel_monitor.cc, sentinel_discovery.cc, sentinel_api.cc).
// Internal to src/sentinel.
//
// Thread-safety: constants and a read of the monotonic clock; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/clock.h"

namespace basalt::sentinel {

// The channel on which sentinels announce themselves (hello messages).
inline constexpr const char* kHelloChannel = "__sentinel__:hello";
// A link with this many commands awaiting replies is sent nothing more.
inline constexpr size_t kMaxPendingCommands = 100;

// The least a data node's ACL user for sentinels must allow (docs/sentinel.md;
// tests/integration/test_sentinel_acl.py fails over with exactly these).
inline constexpr const char* kSentinelAclRules =
    "on >password allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role "
    "+publish +info +client|setname +client|kill +script|kill +fence";

// Milliseconds on the monotonic clock.
inline int64_t Now() { return MonotonicUs() / 1000; }

}  // namespace basalt::sentinel
