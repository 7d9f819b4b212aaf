#include "sentinel/primary_discovery.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "common/numbers.h"
#include "common/socket_util.h"
#include "protocol/reply_reader.h"
#include "tls/link_proxy.h"

namespace basalt::sentinel {

namespace {

void AppendCommand(std::initializer_list<std::string_view> args, std::string* out) {
  *out += "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    *out += "$" + std::to_string(a.size()) + "\r\n";
    out->append(a);
    *out += "\r\n";
  }
}

// Sends `request` and reads `n` replies, each step within timeout_ms.
Status Exchange(int fd, const std::string& request, size_t n, int timeout_ms,
                std::vector<protocol::Reply>* replies) {
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t w = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (w > 0) {
      sent += size_t(w);
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      return Status::Error(std::strerror(errno));
    } else if (!WaitReady(fd, POLLOUT, timeout_ms)) {
      return Status::Error("write timed out");
    }
  }
  protocol::ReplyReader reader(1u << 20, 1024);
  char buf[4096];
  while (replies->size() < n) {
    protocol::Reply r;
    auto res = reader.Next(&r);
    if (res == protocol::ReplyReader::Result::kReply) {
      replies->push_back(std::move(r));
      continue;
    }
    if (res == protocol::ReplyReader::Result::kError) return Status::Error(reader.error());
    if (!WaitReady(fd, POLLIN, timeout_ms)) return Status::Error("no reply in time");
    ssize_t got = ::recv(fd, buf, sizeof(buf), 0);
    if (got == 0) return Status::Error("connection closed");
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::Error(std::strerror(errno));
    }
    reader.Feed(std::string_view(buf, size_t(got)));
  }
  return Status::Ok();
}

// A connection to the sentinel: plain, or TLS through the link thread of
// tls/link_proxy.h (this side then speaks clear text to it).
StatusOr<int> Dial(const HostPort& s, int timeout_ms, bool tls) {
  auto fd = ConnectTcp(s.first, s.second, timeout_ms);
  if (!fd.ok() || !tls) return fd;
  return tls::StartClientLink(*fd, timeout_ms, s.first + ":" + std::to_string(s.second));
}

// One conversation: connects, sends `request`, reads `n` replies, closes.
StatusOr<std::vector<protocol::Reply>> Call(const HostPort& s, const std::string& request,
                                            size_t n, int timeout_ms, bool tls) {
  auto fd = Dial(s, timeout_ms, tls);
  if (!fd.ok()) return fd.status();
  std::vector<protocol::Reply> replies;
  Status st = Exchange(*fd, request, n, timeout_ms, &replies);
  ::close(*fd);
  if (!st.ok()) return st;
  return replies;
}

DiscoveryAnswer AskOne(const HostPort& s, std::string_view name, int timeout_ms, bool tls) {
  DiscoveryAnswer a;
  a.sentinel = s;
  std::string req;
  AppendCommand({"SENTINEL", "MASTER", name}, &req);
  AppendCommand({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name}, &req);
  AppendCommand({"SENTINEL", "REPLICAS", name}, &req);
  auto got = Call(s, req, 3, timeout_ms, tls);
  if (!got.ok()) {
    a.error = got.status().message();
    return a;
  }
  const std::vector<protocol::Reply>& replies = *got;
  const protocol::Reply& master = replies[0];
  const protocol::Reply& addr = replies[1];
  if (master.is_error() && master.str.starts_with("ERR No such master")) {
    a.reachable = true;
    return a;
  }
  if (master.is_error() || addr.is_error()) {
    a.error = master.is_error() ? master.str : addr.str;
    return a;
  }
  if (master.type != protocol::Reply::Type::kArray) {
    a.error = "unexpected SENTINEL MASTER reply";
    return a;
  }
  a.reachable = true;
  for (size_t i = 0; i + 1 < master.elements.size(); i += 2) {
    if (master.elements[i].str == "config-epoch") {
      auto e = ParseInt64(master.elements[i + 1].str);
      if (e && *e >= 0) a.config_epoch = uint64_t(*e);
    }
  }
  if (replies[2].type == protocol::Reply::Type::kArray) {
    a.known_replicas = int(replies[2].elements.size());
    for (const auto& r : replies[2].elements) {
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        if (r.elements[i].str != "flags") continue;
        const std::string& f = r.elements[i + 1].str;
        bool down = f.find("s_down") != std::string::npos ||
                    f.find("o_down") != std::string::npos ||
                    f.find("disconnected") != std::string::npos;
        if (!down) a.live_replicas++;
      }
    }
  }
  if (addr.type == protocol::Reply::Type::kArray && addr.elements.size() == 2) {
    auto port = ParseInt64(addr.elements[1].str);
    if (port && *port > 0 && *port < 65536) {
      a.known = true;
      a.primary = {addr.elements[0].str, int(*port)};
    }
  }
  return a;
}

}  // namespace

StatusOr<std::vector<HostPort>> ParseSentinelList(std::string_view text) {
  std::vector<HostPort> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '\t')) i++;
    if (i == text.size()) break;
    size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != '\t') end++;
    std::string_view item = text.substr(i, end - i);
    i = end;
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::Error("'" + std::string(item) + "' is not host:port");
    }
    std::string_view host = item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    auto port = ParseInt64(item.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535 || host.empty()) {
      return Status::Error("'" + std::string(item) + "' is not host:port");
    }
    out.emplace_back(std::string(host), int(*port));
  }
  if (out.empty()) return Status::Error("no sentinel address");
  return out;
}

DiscoveryResult ChooseAnswer(std::vector<DiscoveryAnswer> answers) {
  DiscoveryResult r;
  bool any_reachable = false;
  uint64_t best_epoch = 0;
  bool any_known = false;
  for (const auto& a : answers) {
    any_reachable |= a.reachable;
    if (a.reachable && a.known && (!any_known || a.config_epoch > best_epoch)) {
      best_epoch = a.config_epoch;
      any_known = true;
    }
  }
  if (any_known) {
    // Votes per address at the best epoch; ties go to the earliest listed.
    std::map<HostPort, int> votes;
    const HostPort* best = nullptr;
    for (const auto& a : answers) {
      if (!a.reachable || !a.known || a.config_epoch != best_epoch) continue;
      int v = ++votes[a.primary];
      if (best == nullptr || v > votes[*best]) best = &a.primary;
    }
    r.kind = DiscoveryResult::Kind::kPrimary;
    r.primary = *best;
    r.config_epoch = best_epoch;
    r.agreeing = votes[*best];
    for (const auto& a : answers) {
      if (a.reachable && a.known && a.config_epoch == best_epoch && a.primary == *best) {
        r.live_replicas = std::max(r.live_replicas, a.live_replicas);
        r.known_replicas = std::max(r.known_replicas, a.known_replicas);
      }
    }
  } else {
    r.kind =
        any_reachable ? DiscoveryResult::Kind::kUnknownMaster : DiscoveryResult::Kind::kNoAnswer;
  }
  r.answers = std::move(answers);
  return r;
}

DiscoveryResult AskSentinels(const std::vector<HostPort>& sentinels, std::string_view name,
                             int timeout_ms, bool tls) {
  std::vector<DiscoveryAnswer> answers;
  answers.reserve(sentinels.size());
  for (const auto& s : sentinels) answers.push_back(AskOne(s, name, timeout_ms, tls));
  return ChooseAnswer(std::move(answers));
}

Status RequestFailover(const std::vector<HostPort>& sentinels, std::string_view name,
                       int timeout_ms, bool tls) {
  std::string errors;
  for (const auto& s : sentinels) {
    std::string req;
    AppendCommand({"SENTINEL", "FAILOVER", name}, &req);
    auto got = Call(s, req, 1, timeout_ms, tls);
    if (got.ok() && ((*got)[0].type == protocol::Reply::Type::kStatus ||
                     (*got)[0].str.starts_with("INPROG"))) {
      return Status::Ok();
    }
    std::string why = got.ok() ? (*got)[0].str : got.status().message();
    errors += (errors.empty() ? "" : "; ") + s.first + ":" + std::to_string(s.second) + ": " + why;
  }
  return Status::Error(errors.empty() ? "no sentinel" : errors);
}

bool IsThisNode(const HostPort& addr, int own_port, const std::string& announce_ip) {
  if (addr.second != own_port) return false;
  if (!announce_ip.empty() && addr.first == announce_ip) return true;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(addr.first.c_str(), nullptr, &hints, &res) != 0) return false;
  bool local = false;
  for (addrinfo* ai = res; ai != nullptr && !local; ai = ai->ai_next) {
    // An address of this machine is one a socket can bind to (port 0: any).
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    local = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    ::close(fd);
  }
  freeaddrinfo(res);
  return local;
}

}  // namespace basalt::sentinel
