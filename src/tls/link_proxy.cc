#include "tls/link_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "common/logging.h"
#include "common/socket_util.h"
#include "tls/tls_context.h"
#include "tls/transport.h"

namespace basalt::tls {
namespace {

std::mutex g_names_mu;
std::map<int, std::pair<std::string, std::string>> g_names;  // Guarded by g_names_mu.

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxBuffered = 1 << 20;

// The link's thread: handshake, then pump until either side ends.
void Pump(int net, int local, int caller_end, std::unique_ptr<Transport> t, int timeout_ms,
          std::string peer) {
  Status st = t->HandshakeBlocking(timeout_ms);
  if (!st.ok()) {
    Log(LogLevel::kWarning, "TLS link to %s: %s", peer.c_str(), st.message().c_str());
  } else {
    std::string to_local, to_net;
    std::unique_ptr<char[]> buf(new char[kChunk]);
    bool more_decrypted = false;  // a read filled the buffer: the SSL may hold more
    bool local_eof = false;
    for (;;) {
      pollfd p[2] = {{net, 0, 0}, {local, 0, 0}};
      if (to_local.size() < kMaxBuffered) p[0].events |= POLLIN;
      if (!to_net.empty() || t->wants_write()) p[0].events |= POLLOUT;
      if (to_net.size() < kMaxBuffered && !local_eof) p[1].events |= POLLIN;
      if (!to_local.empty()) p[1].events |= POLLOUT;
      int r = poll(p, 2, more_decrypted ? 0 : 1000);
      if (r < 0 && errno != EINTR) break;
      bool done = false;
      more_decrypted = false;
      if (to_local.size() < kMaxBuffered) {
        ssize_t n = t->Read(buf.get(), kChunk);
        if (n > 0) {
          to_local.append(buf.get(), size_t(n));
          more_decrypted = size_t(n) == kChunk;
        } else if (n == 0 || errno != EAGAIN) {
          done = true;  // the peer closed (what is buffered still goes out)
        }
      }
      while (!to_local.empty()) {
        ssize_t n = ::write(local, to_local.data(), to_local.size());
        if (n > 0) {
          to_local.erase(0, size_t(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        done = true;
        to_local.clear();
        break;
      }
      if (!local_eof && to_net.size() < kMaxBuffered) {
        ssize_t n = ::read(local, buf.get(), kChunk);
        if (n > 0) {
          to_net.append(buf.get(), size_t(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          local_eof = true;
        }
      }
      if (!to_net.empty()) {
        ssize_t n = t->Write(to_net.data(), to_net.size());
        if (n > 0) {
          to_net.erase(0, size_t(n));
        } else if (n < 0 && errno != EAGAIN) {
          done = true;
        }
      }
      if (local_eof && to_net.empty()) {
        t->Shutdown();
        break;
      }
      if (done && to_local.empty()) break;
    }
  }
  {
    std::lock_guard<std::mutex> l(g_names_mu);
    g_names.erase(caller_end);
  }
  ::close(local);
  t.reset();  // owns `net`
}
}  // namespace

StatusOr<int> StartClientLink(int fd, int handshake_timeout_ms, std::string peer_name) {
  auto ctx = Current();
  if (ctx == nullptr) {
    ::close(fd);
    return Status::Error("TLS is not configured");
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    ::close(fd);
    return Status::Error(std::string("socketpair: ") + strerror(errno));
  }
  auto t = Transport::NewTls(fd, std::move(ctx), false);
  if (t == nullptr) {
    ::close(fd);
    ::close(sv[0]);
    ::close(sv[1]);
    return Status::Error("SSL_new failed");
  }
  t->set_owns_fd(true);
  {
    std::lock_guard<std::mutex> l(g_names_mu);
    g_names[sv[0]] = {SocketAddress(fd, true), SocketAddress(fd, false)};
  }
  std::thread(Pump, fd, sv[1], sv[0], std::move(t), handshake_timeout_ms, std::move(peer_name))
      .detach();
  return sv[0];
}

std::string LinkAddress(int local_fd, bool peer) {
  std::lock_guard<std::mutex> l(g_names_mu);
  auto it = g_names.find(local_fd);
  if (it == g_names.end()) return "";
  return peer ? it->second.first : it->second.second;
}

}  // namespace basalt::tls
