// Blocking I/O with a deadline on non-blocking sockets, for the replication
// threads that talk to one peer at a time (the replica's handshake and
// snapshot load, the primary's snapshot thread): they wait with poll()
// instead of an event loop.
//
// Thread-safety: functions of their arguments only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace basalt::replication {

// Writes all of `bytes`, waiting up to `timeout_ms` each time the socket is
// full. `peer` names the other side in errors ("master", "replica").
Status WriteFully(int fd, std::string_view bytes, int timeout_ms, std::string_view peer);
// Appends exactly `n` bytes read from fd to *out, waiting up to `timeout_ms`
// each time nothing is there; the end of the stream is an error.
Status ReadFully(int fd, size_t n, std::string* out, int timeout_ms, std::string_view peer);

}  // namespace basalt::replication
