// Small socket helpers shared by the blocking code paths (replication's
// handshake, the TLS link threads).
#pragma once

#include <string>

namespace basalt {

// "ip:port" of the socket's own end (peer = false) or of its peer; "?:0" when
// the address cannot be read or is not IPv4/IPv6.
std::string SocketAddress(int fd, bool peer);

// Waits up to timeout_ms for `events` (POLLIN, POLLOUT) on fd, retrying on
// EINTR. False on timeout or error.
bool WaitReady(int fd, short events, int timeout_ms);

}  // namespace basalt
