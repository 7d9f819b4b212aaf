// Listening sockets: binding TCP and unix listeners, re-binding on CONFIG SET
// bind/port, and accepting connections onto the workers (protected mode,
// maxclients, TCP options). Part of Server, in its own file.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "acl/registry.h"
#include "acl/user.h"
#include "commands/executor.h"
#include "common/logging.h"
#include "config/config.h"
#include "server/process_directives.h"
#include "server/client.h"
#include "server/server.h"
#include "server/worker.h"
#include "tls/tls_context.h"
#include "tls/transport.h"

namespace basalt::server {
namespace {
std::string FormatAddr(const sockaddr_storage& sa, bool is_unix, const std::string& unix_path) {
  if (is_unix) return unix_path + ":0";
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (sa.ss_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
    port = ntohs(s->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  auto* s = reinterpret_cast<const sockaddr_in6*>(&sa);
  inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
  port = ntohs(s->sin6_port);
  return std::string(host) + ":" + std::to_string(port);
}

bool IsLoopback(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(&sa);
    return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa.ss_family == AF_INET6) {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) return true;
    // IPv4-mapped loopback (::ffff:127.x.y.z).
    return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

// Accepts connections from one listening socket onto one worker. Every worker
// has an Acceptor per listener; EPOLLEXCLUSIVE wakes one of them per burst.
class Acceptor : public EventHandler {
 public:
  Acceptor(Server* s, Worker* w, int fd, bool is_unix, std::string unix_path, bool tls)
      : server_(s),
        worker_(w),
        fd_(fd),
        is_unix_(is_unix),
        tls_(tls),
        unix_path_(std::move(unix_path)) {}

  void OnEvent(uint32_t) override {
    for (int i = 0; i < 64; i++) {
      sockaddr_storage sa{};
      socklen_t len = sizeof(sa);
      int cfd = accept4(fd_, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (cfd < 0) return;
      Accepted(cfd, sa);
    }
  }

 private:
  void Accepted(int cfd, const sockaddr_storage& sa) {
    Config& cfg = server_->config();
    // The TLS side of a connection starts on its worker (the handshake is
    // part of its event handling). The contexts are taken now: a reload
    // later does not change this connection.
    std::shared_ptr<tls::Transport> tls;
    if (tls_) {
      auto ctx = tls::Current();
      if (ctx != nullptr) tls = tls::Transport::NewTls(cfd, std::move(ctx), true);
      if (tls == nullptr) {
        close(cfd);
        return;
      }
      tls->set_owns_fd(true);
    }
    // On the TLS port a refusal cannot be written in clear text: the
    // connection is closed (Redis writes it after the handshake).
    auto refuse = [&](std::string_view msg) {
      if (tls == nullptr) {
        ssize_t ignored = write(cfd, msg.data(), msg.size());
        (void)ignored;
        close(cfd);
      }
    };
    // Protected mode: while the default user needs no password (requirepass
    // or ACL rules alike), only loopback clients are let in, as Redis 7.0.
    auto default_user_open = [&] {
      acl::Registry* reg = server_->executor().acl();
      if (reg == nullptr) return cfg.requirepass().empty();
      std::shared_ptr<const acl::User> u = reg->Default();
      return u != nullptr && u->nopass();
    };
    if (!is_unix_ && cfg.protected_mode() && !IsLoopback(sa) && default_user_open()) {
      static const char kDenied[] =
          "-DENIED Basalt is running in protected mode because protected mode is enabled and no "
          "password is set for the default user. In this mode connections are only accepted "
          "from the loopback interface. To accept remote clients, set a password (requirepass), "
          "or disable protected mode with 'CONFIG SET protected-mode no' from a local connection "
          "(CONFIG REWRITE makes it permanent), or start the server with '--protected-mode no'."
          "\r\n";
      refuse(std::string_view(kDenied, sizeof(kDenied) - 1));
      server_->CountRejectedConnection();
      return;
    }
    if (!server_->AdmitConnection(cfg.maxclients())) {
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      refuse(std::string_view(kMsg, sizeof(kMsg) - 1));
      return;
    }
    if (!is_unix_) {
      ApplySocketMark(cfg, cfd);
      int one = 1;
      setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      int64_t ka = cfg.tcp_keepalive();
      if (ka > 0) {
        setsockopt(cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        int idle = int(ka), intvl = std::max(1, int(ka / 3)), cnt = 3;
        setsockopt(cfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(cfd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(cfd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
      }
    }
    sockaddr_storage local{};
    socklen_t llen = sizeof(local);
    getsockname(cfd, reinterpret_cast<sockaddr*>(&local), &llen);
    std::string peer = is_unix_ ? unix_path_ + ":0" : FormatAddr(sa, false, "");
    std::string local_addr = FormatAddr(local, is_unix_, unix_path_);
    // EPOLLEXCLUSIVE tends to wake the same idle worker for every new
    // connection; the worker with the fewest connections gets it instead, so
    // the load (and a long script's stall) spreads over the cores.
    Worker* target = worker_;
    for (const auto& w : server_->workers()) {
      if (w->connections() < target->connections() && w->responsive()) target = w.get();
    }
    uint64_t id = server_->NextClientId();
    if (target == worker_) {
      worker_->AddClient(
          new Client(server_, worker_, cfd, id, peer, local_addr, is_unix_, std::move(tls)));
      return;
    }
    Server* server = server_;
    bool is_unix = is_unix_;
    target->NoteIncoming(1);  // counted now, so a burst spreads too
    target->loop().Post([server, target, cfd, id, peer, local_addr, is_unix, tls] {
      target->NoteIncoming(-1);
      target->AddClient(new Client(server, target, cfd, id, peer, local_addr, is_unix, tls));
    });
  }

  Server* server_;
  Worker* worker_;
  int fd_;
  bool is_unix_;
  bool tls_;
  std::string unix_path_;
};

}  // namespace

StatusOr<std::vector<int>> Server::OpenTcpListeners(int64_t port) {
  std::vector<int> fds;
  if (port == 0) return fds;
  std::vector<std::string> binds = config_->bind();
  if (binds.empty()) binds = {"*", "-::*"};
  auto fail = [&](std::string msg) {
    for (int fd : fds) close(fd);
    return StatusOr<std::vector<int>>(Status::Error(msg));
  };
  for (std::string addr : binds) {
    bool optional = !addr.empty() && addr[0] == '-';
    if (optional) addr.erase(0, 1);
    bool v6 = addr.find(':') != std::string::npos;
    if (addr == "*") addr = "0.0.0.0";
    if (addr == "::*") addr = "::";
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("socket: ") + strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ApplySocketMark(*config_, fd);
    sockaddr_storage sa{};
    socklen_t salen;
    bool ok;
    if (v6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&sa);
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(uint16_t(port));
      ok = inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr) == 1;
      salen = sizeof(sockaddr_in6);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&sa);
      s4->sin_family = AF_INET;
      s4->sin_port = htons(uint16_t(port));
      ok = inet_pton(AF_INET, addr.c_str(), &s4->sin_addr) == 1;
      salen = sizeof(sockaddr_in);
    }
    if (!ok || bind(fd, reinterpret_cast<sockaddr*>(&sa), salen) != 0 ||
        listen(fd, int(config_->tcp_backlog())) != 0) {
      std::string err = ok ? strerror(errno) : "Invalid address";
      close(fd);
      if (optional) {
        Log(LogLevel::kWarning, "Could not create server TCP listening socket %s:%lld: %s",
            addr.c_str(), (long long)port, err.c_str());
        continue;
      }
      return fail("Could not create server TCP listening socket " + addr + ":" +
                  std::to_string(port) + ": " + err);
    }
    fds.push_back(fd);
  }
  return fds;
}

void Server::AttachListener(int fd, bool is_unix, const std::string& path, bool tls) {
  auto l = std::make_unique<Listener>();
  l->fd = fd;
  l->is_unix = is_unix;
  l->tls = tls;
  for (auto& w : workers_) {
    l->acceptors.push_back(std::make_unique<Acceptor>(this, w.get(), fd, is_unix, path, tls));
    // epoll_ctl is thread-safe, so this works before and after the workers start.
    w->loop().Add(fd, EPOLLIN | EPOLLEXCLUSIVE, l->acceptors.back().get());
  }
  listeners_.push_back(std::move(l));
}

void Server::DetachTcpListeners(bool tls) {
  // epoll_ctl is thread-safe, so every worker stops watching the socket now.
  // A worker already inside its acceptor sees EBADF (or, if the number was
  // reused, accepts from the new listener, which is just as good). Acceptors
  // stay allocated until the server ends: a few bytes per re-bind.
  for (auto& l : listeners_) {
    if (l->is_unix || l->fd < 0 || l->tls != tls) continue;
    for (auto& w : workers_) w->loop().Remove(l->fd);
    close(l->fd);
    l->fd = -1;
  }
}

Status Server::Listen() {
  auto fds = OpenTcpListeners(config_->port());
  if (!fds.ok()) return fds.status();
  for (int fd : *fds) AttachListener(fd, false, "");
  bound_port_ = int(config_->port());
  if (tls::Wanted(*config_)) {
    if (!tls::Reconfigure(*config_).ok()) {
      return Status::Error("Failed to configure TLS. Check logs for more info.");
    }
  }
  if (config_->tls_port() != 0) {
    auto tls_fds = OpenTcpListeners(config_->tls_port());
    if (!tls_fds.ok()) return tls_fds.status();
    for (int fd : *tls_fds) AttachListener(fd, false, "", true);
  }
  std::string path = config_->unixsocket();
  if (!path.empty()) {
    unlink(path.c_str());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un su{};
    su.sun_family = AF_UNIX;
    if (path.size() >= sizeof(su.sun_path)) return Status::Error("unixsocket path too long");
    memcpy(su.sun_path, path.data(), path.size());
    if (bind(fd, reinterpret_cast<sockaddr*>(&su), sizeof(su)) != 0 ||
        listen(fd, int(config_->tcp_backlog())) != 0) {
      std::string err = strerror(errno);
      close(fd);
      return Status::Error("Failed opening Unix socket: " + err);
    }
    if (config_->unixsocketperm() != 0) chmod(path.c_str(), mode_t(config_->unixsocketperm()));
    AttachListener(fd, true, path);
  }
  if (listeners_.empty()) return Status::Error("Configured to not listen anywhere, exiting.");
  // CONFIG SET port / bind re-bind at run time; a failure rolls the change back.
  for (const char* name : {"port", "bind"}) {
    config_->OnApply(name, [this](const Config&) { return Rebind(); });
  }
  // Any tls-* change rebuilds the contexts (new connections get them; open
  // ones keep theirs); tls-port and bind also re-bind the TLS listeners.
  for (const char* name :
       {"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
        "tls-client-key-file", "tls-client-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
        "tls-dh-params-file", "tls-protocols", "tls-ciphers", "tls-ciphersuites",
        "tls-auth-clients", "tls-prefer-server-ciphers", "tls-session-caching",
        "tls-session-cache-size", "tls-session-cache-timeout", "tls-replication", "tls-port"}) {
    config_->OnApply(name, [](const Config& c) {
      if (tls::Wanted(c) && !tls::Reconfigure(c).ok()) {
        return Status::Error("Unable to update TLS configuration. Check server logs.");
      }
      return Status::Ok();
    });
  }
  for (const char* name : {"tls-port", "bind"}) {
    config_->OnApply(name, [this](const Config&) { return RebindTls(); });
  }
  return Status::Ok();
}

Status Server::Rebind() {
  // Old sockets close first so the same port can be bound to other addresses.
  // On failure the CONFIG SET is rolled back, which calls Rebind again with
  // the previous values and reopens the previous listeners.
  std::lock_guard<std::mutex> lock(listen_mu_);
  DetachTcpListeners(false);
  auto fds = OpenTcpListeners(config_->port());
  if (!fds.ok()) {
    Log(LogLevel::kWarning, "%s", fds.status().message().c_str());
    return Status::Error("Unable to listen on this port. Check server logs.");
  }
  for (int fd : *fds) AttachListener(fd, false, "");
  bound_port_ = int(config_->port());
  return Status::Ok();
}

}  // namespace basalt::server

namespace basalt::server {

Status Server::RebindTls() {
  std::lock_guard<std::mutex> lock(listen_mu_);
  DetachTcpListeners(true);
  auto fds = OpenTcpListeners(config_->tls_port());
  if (!fds.ok()) {
    Log(LogLevel::kWarning, "%s", fds.status().message().c_str());
    return Status::Error("Unable to listen on this port. Check server logs.");
  }
  for (int fd : *fds) AttachListener(fd, false, "", true);
  return Status::Ok();
}

}  // namespace basalt::server
