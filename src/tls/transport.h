// Transport: the byte stream under a connection, plain or TLS.
//
// A plain transport is the socket itself (read(2)/write(2)); a TLS one wraps
// it in an OpenSSL SSL object. Everything is non-blocking: a call that
// cannot go on returns -1 with errno EAGAIN, and wants_write() tells whether
// the TLS layer waits for the socket to become writable (a handshake step, or
// a read that must first send) rather than readable.
//
// Thread-safety: one thread at a time (the owner's). A TLS transport may be
// handed to another thread while its owner leaves it alone (a full sync's
// snapshot writer); the hand-over must be synchronized by the caller.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

typedef struct ssl_st SSL;

namespace basalt::tls {

class TlsContexts;

class Transport {
 public:
  // A TLS transport over socket `fd` (not owned unless owns_fd), accepting
  // (server side) or connecting. The handshake runs from Handshake().
  static std::unique_ptr<Transport> NewTls(int fd, std::shared_ptr<const TlsContexts> ctx,
                                           bool server);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  // The transport closes fd when destroyed (after Close() of its owner, a
  // snapshot writer still holding it keeps the socket number valid).
  void set_owns_fd(bool v) { owns_fd_ = v; }

  // One handshake step: 1 done, 0 must wait (see wants_write()), -1 failed
  // (error() says why).
  int Handshake();
  bool handshake_done() const { return handshake_done_; }

  // read(2)-like: bytes read, 0 at the end of the stream, -1 with errno
  // (EAGAIN: wait, see wants_write()). A TLS read returns everything already
  // decrypted, up to n, so no data stays hidden from epoll.
  ssize_t Read(char* buf, size_t n);
  // write(2)-like: bytes written (possibly fewer than n), -1 with errno.
  ssize_t Write(const char* buf, size_t n);
  bool wants_write() const { return wants_write_; }

  // Sends the TLS close_notify (best effort, non-blocking).
  void Shutdown();
  const std::string& error() const { return error_; }
  // The peer certificate's subject CN, or "" (no certificate).
  std::string PeerCommonName() const;
  // Negotiated protocol ("TLSv1.3") and cipher name.
  std::string Version() const;
  std::string Cipher() const;

  // Blocking helpers for threads that talk to one peer (the snapshot
  // writer): waits with poll() up to timeout_ms each time the socket is busy.
  Status WriteFully(std::string_view bytes, int timeout_ms, std::string_view peer);
  // Completes the handshake, waiting up to timeout_ms in all.
  Status HandshakeBlocking(int timeout_ms);

 private:
  Transport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  // Maps an SSL_* failure to errno/wants_write_; returns -1 (or 0 at a clean
  // end of stream).
  ssize_t Fail(int ret);

  int fd_;
  SSL* ssl_;
  std::shared_ptr<const TlsContexts> ctx_;  // keeps the SSL_CTX alive
  bool owns_fd_ = false;
  bool handshake_done_ = false;
  bool wants_write_ = false;
  std::string error_;
};

}  // namespace basalt::tls
