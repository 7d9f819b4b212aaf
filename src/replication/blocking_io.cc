#include "replication/blocking_io.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/socket_util.h"

namespace basalt::replication {

Status WriteFully(int fd, std::string_view bytes, int timeout_ms, std::string_view peer) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitReady(fd, POLLOUT, timeout_ms)) {
        return Status::Error("Timeout writing to the " + std::string(peer));
      }
      continue;
    }
    return Status::Error("Error writing to the " + std::string(peer) + ": " + strerror(errno));
  }
  return Status::Ok();
}

Status ReadFully(int fd, size_t n, std::string* out, int timeout_ms, std::string_view peer) {
  char buf[4096];
  while (n > 0) {
    ssize_t r = ::read(fd, buf, std::min(n, sizeof(buf)));
    if (r > 0) {
      out->append(buf, size_t(r));
      n -= size_t(r);
      continue;
    }
    if (r == 0) return Status::Error("Connection closed by the " + std::string(peer));
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (!WaitReady(fd, POLLIN, timeout_ms)) {
        return Status::Error("Timeout reading from the " + std::string(peer));
      }
      continue;
    }
    return Status::Error("Error reading from the " + std::string(peer) + ": " + strerror(errno));
  }
  return Status::Ok();
}

}  // namespace basalt::replication
