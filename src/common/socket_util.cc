#include "common/socket_util.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basalt {

std::string SocketAddress(int fd, bool peer) {
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  if (rc != 0) return "?:0";
  char host[INET6_ADDRSTRLEN] = {0};
  if (sa.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?:0";
}

bool WaitReady(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

StatusOr<int> ConnectTcp(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return Status::Error(std::string("Can't resolve ") + host + ": " + gai_strerror(rc));
  std::string err = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = std::strerror(errno);
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int r = poll(&p, 1, timeout_ms);
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0) {
        freeaddrinfo(res);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
      }
      err = r == 0 ? "connection timed out" : std::strerror(so_error ? so_error : errno);
    } else {
      err = std::strerror(errno);
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  return Status::Error(err);
}

}  // namespace basalt
