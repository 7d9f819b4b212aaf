#include "sentinel/link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "protocol/reply_builder.h"
#include "tls/link_proxy.h"
namespace basalt::sentinel {

namespace {

bool ToSockaddr(const std::string& host, int port, bool resolve, sockaddr_storage* sa,
                socklen_t* len) {
  memset(sa, 0, sizeof(*sa));
  auto* s4 = reinterpret_cast<sockaddr_in*>(sa);
  auto* s6 = reinterpret_cast<sockaddr_in6*>(sa);
  if (inet_pton(AF_INET, host.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(uint16_t(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(uint16_t(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  if (!resolve) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  memcpy(sa, res->ai_addr, res->ai_addrlen);
  *len = socklen_t(res->ai_addrlen);
  freeaddrinfo(res);
  if (sa->ss_family == AF_INET)
    s4->sin_port = htons(uint16_t(port));
  else
    s6->sin6_port = htons(uint16_t(port));
  return true;
}

using protocol::AppendBulk;

}  // namespace

std::string NumericAddress(const std::string& host) {
  sockaddr_storage sa;
  socklen_t len;
  if (!ToSockaddr(host, 0, /*resolve=*/true, &sa, &len)) return "";
  char ip[INET6_ADDRSTRLEN] = "";
  if (sa.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&sa)->sin_addr, ip, sizeof(ip));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr, ip, sizeof(ip));
  }
  return ip;
}

bool Link::Connect(const std::string& host, int port, bool resolve) {
  Close();
  sockaddr_storage sa;
  socklen_t len;
  if (!ToSockaddr(host, port, resolve, &sa, &len)) return false;
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
    close(fd);
    return false;
  }
  if (use_tls) {
    // The TLS side runs on the link's own thread; this end is clear text.
    auto link = tls::StartClientLink(fd, 10000, host + ":" + std::to_string(port));
    if (!link.ok()) return false;
    fd = link.value();
  }
  fd_ = fd;
  state_ = State::kConnecting;
  reader_.Reset();
  return true;
}

void Link::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  state_ = State::kClosed;
  out_.clear();
  callbacks_.clear();
  reader_.Reset();
}

void Link::Send(const std::vector<std::string>& args, Callback cb) {
  if (closed()) return;
  out_.push_back('*');
  out_.append(std::to_string(args.size()));
  out_.append("\r\n");
  for (const std::string& a : args) AppendBulk(&out_, a);
  callbacks_.push_back(std::move(cb));
  if (connected()) Flush();
}

short Link::events() const {
  if (state_ == State::kClosed) return 0;
  if (state_ == State::kConnecting) return POLLOUT;
  return short(POLLIN | (out_.empty() ? 0 : POLLOUT));
}

void Link::OnEvents(short revents) {
  if (state_ == State::kConnecting) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      Close();
      return;
    }
    state_ = State::kConnected;
    if (on_connected) on_connected();
    if (closed()) return;
    Flush();
    return;
  }
  if (state_ != State::kConnected) return;
  if (revents & (POLLIN | POLLERR | POLLHUP)) Read();
  if (connected() && (revents & POLLOUT)) Flush();
}

void Link::Flush() {
  while (!out_.empty()) {
    ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Close();
    return;
  }
}

void Link::Read() {
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      reader_.Feed(std::string_view(buf, size_t(n)));
      if (size_t(n) < sizeof(buf)) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    Close();  // peer closed, or a socket error
    return;
  }
  protocol::Reply reply;
  for (;;) {
    auto r = reader_.Next(&reply);
    if (r == protocol::ReplyReader::Result::kNeedMore) return;
    if (r == protocol::ReplyReader::Result::kError) {
      Close();
      return;
    }
    if (!callbacks_.empty()) {
      Callback cb = std::move(callbacks_.front());
      callbacks_.pop_front();
      if (cb) cb(reply);
    } else if (on_message) {
      on_message(reply);
    }
    if (closed()) return;
  }
}

std::string Link::LocalIp() const {
  if (fd_ < 0) return "";
  std::string over_tls = tls::LinkAddress(fd_, false);
  if (!over_tls.empty()) return over_tls.substr(0, over_tls.rfind(':'));
  sockaddr_storage sa;
  socklen_t len = sizeof(sa);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return "";
  char ip[INET6_ADDRSTRLEN] = "";
  if (sa.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&sa)->sin_addr, ip, sizeof(ip));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr, ip, sizeof(ip));
  }
  return ip;
}

}  // namespace basalt::sentinel
