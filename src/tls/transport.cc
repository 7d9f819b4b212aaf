#include "tls/transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/socket_util.h"
#include "tls/tls_context.h"

namespace basalt::tls {
namespace {

std::string ErrorQueue() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}
}  // namespace

std::unique_ptr<Transport> Transport::NewTls(int fd, std::shared_ptr<const TlsContexts> ctx,
                                             bool server) {
  SSL* ssl = SSL_new(server ? ctx->server() : ctx->client());
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  std::unique_ptr<Transport> t(new Transport(fd, ssl));
  t->ctx_ = std::move(ctx);
  return t;
}

Transport::~Transport() {
  SSL_free(ssl_);
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

ssize_t Transport::Fail(int ret) {
  int err = SSL_get_error(ssl_, ret);
  wants_write_ = false;
  switch (err) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      wants_write_ = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify: a clean end
    case SSL_ERROR_SYSCALL: {
      int saved = errno;
      error_ = ErrorQueue();
      if (error_.empty()) error_ = saved != 0 ? strerror(saved) : "connection closed";
      if (saved == EAGAIN || saved == EINTR) saved = ECONNRESET;
      errno = saved != 0 ? saved : ECONNRESET;
      return -1;
    }
    default:
      error_ = ErrorQueue();
      if (error_.empty()) error_ = "TLS error " + std::to_string(err);
      errno = EPROTO;
      return -1;
  }
}

int Transport::Handshake() {
  if (handshake_done_) return 1;
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    wants_write_ = false;
    return 1;
  }
  ssize_t f = Fail(r);
  if (f < 0 && errno == EAGAIN) return 0;
  if (error_.empty()) error_ = "connection closed during the handshake";
  return -1;
}

ssize_t Transport::Read(char* buf, size_t n) {
  if (!handshake_done_) {
    int h = Handshake();
    if (h <= 0) {
      if (h == 0)
        errno = EAGAIN;
      else
        errno = EPROTO;
      return -1;
    }
  }
  size_t total = 0;
  wants_write_ = false;
  while (total < n) {
    ERR_clear_error();
    size_t got = 0;
    int r = SSL_read_ex(ssl_, buf + total, n - total, &got);
    if (r == 1) {
      total += got;
      // More decrypted bytes may wait in the SSL buffer, invisible to epoll.
      if (SSL_pending(ssl_) > 0) continue;
      break;
    }
    if (total > 0) break;  // report what we have; the error comes back next time
    return Fail(r);
  }
  return ssize_t(total);
}

ssize_t Transport::Write(const char* buf, size_t n) {
  if (!handshake_done_) {
    int h = Handshake();
    if (h <= 0) {
      errno = h == 0 ? EAGAIN : EPROTO;
      return -1;
    }
  }
  if (n == 0) return 0;
  ERR_clear_error();
  size_t written = 0;
  int r = SSL_write_ex(ssl_, buf, n, &written);
  if (r == 1) {
    wants_write_ = false;
    return ssize_t(written);
  }
  ssize_t f = Fail(r);
  if (f == 0) {
    errno = EPIPE;
    return -1;
  }
  return f;
}

void Transport::Shutdown() {
  if (!handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string Transport::PeerCommonName() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  X509_free(cert);
  return cn;
}

std::string Transport::Version() const { return SSL_get_version(ssl_); }

std::string Transport::Cipher() const {
  const char* c = SSL_get_cipher_name(ssl_);
  return c != nullptr ? c : "";
}

Status Transport::WriteFully(std::string_view bytes, int timeout_ms, std::string_view peer) {
  while (!bytes.empty()) {
    ssize_t n = Write(bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitReady(fd_, wants_write_ ? POLLOUT : POLLIN, timeout_ms)) {
        return Status::Error("Timeout writing to the " + std::string(peer));
      }
      continue;
    }
    return Status::Error("Error writing to the " + std::string(peer) + ": " +
                         (error_.empty() ? std::string(strerror(errno)) : error_));
  }
  return Status::Ok();
}

Status Transport::HandshakeBlocking(int timeout_ms) {
  int64_t deadline = MonotonicUs() / 1000 + timeout_ms;
  for (;;) {
    int h = Handshake();
    if (h == 1) return Status::Ok();
    if (h < 0) return Status::Error("TLS handshake failed: " + error_);
    int64_t left = deadline - MonotonicUs() / 1000;
    if (left <= 0 || !WaitReady(fd_, wants_write_ ? POLLOUT : POLLIN, int(left))) {
      return Status::Error("TLS handshake timed out");
    }
  }
}

}  // namespace basalt::tls
