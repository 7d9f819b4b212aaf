// Outgoing TLS links for the code that talks to one peer over a plain socket
// (the replica's link to its primary, the sentinel's links): the TLS side
// runs on a small thread of its own that handshakes, then pumps bytes
// between the encrypted socket and one end of a socketpair; the caller keeps
// the other end and never sees TLS. Closing (or shutting down) the caller's
// end ends the link and its thread; the peer closing ends it too (the caller
// reads EOF). A failed or timed-out handshake also shows as EOF (logged).
//
// One thread per link: links are few (one per primary, a few per sentinel)
// and the client connections, where the volume is, are encrypted by the
// workers themselves (see server/client.cc).
//
// Thread-safety: all functions from any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace basalt::tls {

// `fd` is a TCP socket, connected or with a non-blocking connect in progress;
// it is owned from here on. Uses the current client context (tls-client-cert-
// file, else tls-cert-file). Returns the caller's end of the socketpair
// (non-blocking, close-on-exec), or an error if TLS is not configured.
StatusOr<int> StartClientLink(int fd, int handshake_timeout_ms, std::string peer_name);

// The TCP socket's "ip:port" behind the caller's end `local_fd` of a live link
// (peer: the remote side's, else ours), or "" if local_fd is not such an end.
std::string LinkAddress(int local_fd, bool peer);

}  // namespace basalt::tls
