#include "http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "tls/tls_context.h"
#include "tls/transport.h"

namespace basalt::http {

namespace {

constexpr size_t kReadChunk = 16384;
constexpr int kDrainMs = 1000;  // after the response: read and drop what the client still sends

}  // namespace

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

struct HttpServer::Conn {
  enum class State { kReading, kWriting, kDraining };
  int fd = -1;
  State state = State::kReading;
  int64_t accepted_ms = 0;
  int64_t deadline_ms = 0;
  std::string in;
  std::string out;
  size_t out_pos = 0;
  std::unique_ptr<tls::Transport> tls;  // null: plain HTTP

  ssize_t Read(char* buf, size_t n) { return tls ? tls->Read(buf, n) : read(fd, buf, n); }
  ssize_t Write(const char* buf, size_t n) {
    return tls ? tls->Write(buf, n) : send(fd, buf, n, MSG_NOSIGNAL);
  }
  // What poll() waits for.
  short Events() const {
    if (tls && (!tls->handshake_done() || state != State::kWriting)) {
      return short(POLLIN | (tls->wants_write() ? POLLOUT : 0));
    }
    if (tls && state == State::kWriting && !tls->wants_write()) return POLLIN | POLLOUT;
    return state == State::kWriting ? POLLOUT : POLLIN;
  }
};

HttpServer::HttpServer(Options options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (options_.tls && tls::Current() == nullptr) {
    return Status::Error("metrics endpoint: metrics-tls needs the TLS settings (tls-port, "
                         "tls-cert-file, tls-key-file)");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string port = std::to_string(options_.port);
  std::string where = options_.bind + ":" + port;
  if (getaddrinfo(options_.bind.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return Status::Error("metrics endpoint: bad address " + where);
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return Status::Error("metrics endpoint: socket: " + std::string(strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0) {
    int err = errno;
    freeaddrinfo(res);
    close(fd);
    return Status::Error("metrics endpoint: could not listen on " + where + ": " + strerror(err));
  }
  freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                   : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    close(fd);
    return Status::Error("metrics endpoint: eventfd: " + std::string(strerror(errno)));
  }
  listen_fd_ = fd;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
  thread_.join();
  close(listen_fd_);
  close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

void HttpServer::AcceptAll(std::vector<Conn>& conns, int64_t now_ms) {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error the next round retries
    if (conns.size() >= size_t(options_.max_connections)) {
      // Full: the oldest connection still sending its head goes, so clients
      // that hold connections open cannot lock scrapers out.
      auto oldest = conns.end();
      for (auto it = conns.begin(); it != conns.end(); ++it) {
        if (it->state == Conn::State::kReading &&
            (oldest == conns.end() || it->accepted_ms < oldest->accepted_ms)) {
          oldest = it;
        }
      }
      if (oldest == conns.end()) {
        close(fd);  // all busy answering: refuse the newcomer
        continue;
      }
      close(oldest->fd);
      conns.erase(oldest);
    }
    Conn c;
    c.fd = fd;
    if (options_.tls) {
      std::shared_ptr<const tls::TlsContexts> ctx = tls::Current();
      if (ctx != nullptr) c.tls = tls::Transport::NewTls(fd, std::move(ctx), true);
      if (c.tls == nullptr) {
        close(fd);
        continue;
      }
    }
    c.accepted_ms = now_ms;
    c.deadline_ms = now_ms + options_.request_timeout_ms;
    conns.push_back(std::move(c));
  }
}

void HttpServer::Respond(Conn& c, const Request* req, const Response& r) {
  std::string& o = c.out;
  o = "HTTP/1.1 " + std::to_string(r.status) + " " + StatusText(r.status) + "\r\n";
  o += "Content-Type: " + r.content_type + "\r\n";
  o += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (r.status == 405) o += "Allow: GET, HEAD\r\n";
  o += "Connection: close\r\n\r\n";
  if (req == nullptr || req->method != "HEAD") o += r.body;
  c.out_pos = 0;
  c.state = Conn::State::kWriting;
  c.in.clear();
  c.in.shrink_to_fit();
}

bool HttpServer::OnEvents(Conn& c, short revents, int64_t now_ms) {
  if (c.tls && !c.tls->handshake_done()) {
    int h = c.tls->Handshake();
    if (h < 0) return false;  // garbage, clear text, a refused certificate
    if (h == 0) return true;
  }
  if (c.state != Conn::State::kWriting &&
      (revents & (POLLIN | POLLHUP | POLLERR) || c.tls != nullptr)) {
    char buf[kReadChunk];
    ssize_t n = c.Read(buf, sizeof(buf));
    if (n == 0) return false;  // the client is gone (or done, while draining)
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (c.state == Conn::State::kDraining) return true;
    c.in.append(buf, size_t(n));
    Request req;
    size_t head_len = 0;
    switch (ParseRequestHead(c.in, options_.max_head_bytes, &req, &head_len)) {
      case ParseResult::kIncomplete:
        return true;
      case ParseResult::kBad:
        Respond(c, nullptr, Response{400, "text/plain; charset=utf-8", "bad request\n"});
        break;
      case ParseResult::kTooLarge:
        Respond(c, nullptr,
                Response{431, "text/plain; charset=utf-8", "request header too large\n"});
        break;
      case ParseResult::kOk:
        Respond(c, &req, handler_(req));
        break;
    }
  }
  if (c.state == Conn::State::kWriting) {
    while (c.out_pos < c.out.size()) {
      ssize_t n = c.Write(c.out.data() + c.out_pos, c.out.size() - c.out_pos);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      c.out_pos += size_t(n);
    }
    // Sent: half-close, then drop what the client may still be sending, so
    // closing does not reset the connection before it read the response.
    if (c.tls) c.tls->Shutdown();
    shutdown(c.fd, SHUT_WR);
    c.out.clear();
    c.out.shrink_to_fit();
    c.state = Conn::State::kDraining;
    c.deadline_ms = std::min(c.deadline_ms, now_ms + kDrainMs);
  }
  return true;
}

void HttpServer::Run() {
  std::vector<Conn> conns;
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    int64_t now = MonotonicUs() / 1000;
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    int64_t next_deadline = now + 1000;
    for (const Conn& c : conns) {
      fds.push_back({c.fd, c.Events(), 0});
      next_deadline = std::min(next_deadline, c.deadline_ms);
    }
    int timeout = int(std::max<int64_t>(0, next_deadline - now));
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) break;
    now = MonotonicUs() / 1000;
    // Connection events first: fds[i + 2] is conns[i] until AcceptAll grows
    // or reorders the list.
    std::vector<bool> keep(conns.size(), true);
    for (size_t i = 0; i < conns.size(); i++) {
      short rev = fds[i + 2].revents;
      if (rev != 0) keep[i] = OnEvents(conns[i], rev, now);
      if (keep[i] && conns[i].deadline_ms <= now) keep[i] = false;  // slowloris, slow reader
    }
    size_t out = 0;
    for (size_t i = 0; i < conns.size(); i++) {
      if (keep[i]) {
        if (out != i) conns[out] = std::move(conns[i]);
        out++;
      } else {
        close(conns[i].fd);
      }
    }
    conns.resize(out);
    if (fds[1].revents & POLLIN) AcceptAll(conns, now);
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      ssize_t n = read(wake_fd_, &v, sizeof(v));
      (void)n;
    }
  }
  for (Conn& c : conns) close(c.fd);
}

}  // namespace basalt::http
