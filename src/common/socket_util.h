// Small socket helpers shared by the blocking code paths (replication's
// handshake, the TLS link threads).
#pragma once

#include <string>

#include "common/status.h"

namespace basalt {

// "ip:port" of the socket's own end (peer = false) or of its peer; "?:0" when
// the address cannot be read or is not IPv4/IPv6.
std::string SocketAddress(int fd, bool peer);

// Waits up to timeout_ms for `events` (POLLIN, POLLOUT) on fd, retrying on
// EINTR. False on timeout or error.
bool WaitReady(int fd, short events, int timeout_ms);

// A TCP connection to host:port (a name is resolved; each address is tried in
// turn, each for up to timeout_ms). The socket is non-blocking, close-on-exec
// and TCP_NODELAY. Blocking: for threads that talk to one peer at a time.
StatusOr<int> ConnectTcp(const std::string& host, int port, int timeout_ms);

}  // namespace basalt
