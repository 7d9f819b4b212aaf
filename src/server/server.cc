#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "commands/command_context.h"
#include "common/clock.h"
#include "common/logging.h"
#include "config/config.h"
#include "common/random.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/save_jobs.h"
#include "replication/ack_tracker.h"
#include "replication/role.h"
#include "server/client.h"
#include "server/persistence_hooks.h"
#include "server/replication_hooks.h"

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;
namespace {

thread_local Worker* t_worker = nullptr;

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
  Acceptor(Server* s, Worker* w, int fd, bool is_unix, std::string unix_path)
      : server_(s), worker_(w), fd_(fd), is_unix_(is_unix), unix_path_(std::move(unix_path)) {}

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
    if (!is_unix_ && cfg.protected_mode() && cfg.requirepass().empty() && !IsLoopback(sa)) {
      static const char kDenied[] =
          "-DENIED Basalt is running in protected mode because protected mode is enabled and no "
          "password is set for the default user. In this mode connections are only accepted "
          "from the loopback interface. To accept remote clients, set a password (requirepass), "
          "or disable protected mode with 'CONFIG SET protected-mode no' from a local connection "
          "(CONFIG REWRITE makes it permanent), or start the server with '--protected-mode no'."
          "\r\n";
      ssize_t ignored = write(cfd, kDenied, sizeof(kDenied) - 1);
      (void)ignored;
      close(cfd);
      server_->rejected_connections.fetch_add(1);
      return;
    }
    if (server_->connected_clients.fetch_add(1) >= cfg.maxclients()) {
      server_->connected_clients.fetch_sub(1);
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      ssize_t ignored = write(cfd, kMsg, sizeof(kMsg) - 1);
      (void)ignored;
      close(cfd);
      server_->rejected_connections.fetch_add(1);
      return;
    }
    server_->total_connections.fetch_add(1);
    if (!is_unix_) {
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
    auto* c = new Client(server_, worker_, cfd, server_->NextClientId(), peer,
                         FormatAddr(local, is_unix_, unix_path_), is_unix_);
    worker_->AddClient(c);
  }

  Server* server_;
  Worker* worker_;
  int fd_;
  bool is_unix_;
  std::string unix_path_;
};

}  // namespace

// ---------------------------------------------------------------- Worker

Worker::Worker(Server* server, int index)
    : server_(server), index_(index), stats_(server->commands().by_id().size() + 1) {
  loop_.AddTimer([server] { return std::max<int64_t>(1, 1000 / server->config().hz()); },
                 [this] { Cron(); });
  loop_.SetAfterEvents([this] { AfterEvents(); });
}

void Worker::AddClient(Client* c) {
  clients_[c->id] = c;
  server_->Register(c);
  loop_.Add(c->fd, EPOLLIN, c);
}

void Worker::RetireClient(Client* c) {
  clients_.erase(c->id);
  std::erase(paused_, c);
  std::erase(pending_flush_, c);
  server_->connected_clients.fetch_sub(1);
  retired_.push_back(c);
}

Client* Worker::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

void Worker::CloseConnection(uint64_t id) {
  loop_.Post([this, id] {
    if (Client* c = FindClient(id)) c->Close();
  });
}

void Worker::AddBlocked(Client* c) {
  blocked_.push_back(c);
  loop_.SetMaxWaitMs(10);  // timeouts are checked after every loop iteration
}

void Worker::RemoveBlocked(Client* c) { std::erase(blocked_, c); }

void Worker::ScheduleFlush(Client* c) {
  if (std::find(pending_flush_.begin(), pending_flush_.end(), c) == pending_flush_.end()) {
    pending_flush_.push_back(c);
  }
}

void Worker::PauseClient(Client* c) {
  paused_.push_back(c);
  loop_.SetMaxWaitMs(10);
}

void Worker::AfterEvents() {
  // Replies released by replicas' acknowledgements leave with this round's
  // flushes (WAIT, synchronous replication).
  server_->ack_tracker().ServeWaiters(index_);
  if (!pending_flush_.empty()) {
    std::vector<Client*> flush;
    flush.swap(pending_flush_);
    // Group commit: one sync covers every write of this round (and of other
    // workers' rounds that overlap it).
    int64_t wait = 0;
    for (Client* c : flush) wait = std::max(wait, c->durable_wait());
    if (wait > 0) server_->aof_writer().WaitDurable(wait);
    for (Client* c : flush) c->Flush();
  }
  if (!blocked_.empty()) {
    int64_t now = NowMs();
    std::vector<Client*> expired;
    for (Client* c : blocked_) {
      if (c->block_deadline_ms() != 0 && now >= c->block_deadline_ms()) expired.push_back(c);
    }
    for (Client* c : expired) c->UnblockWith("");
  }
  if (paused_.empty() && blocked_.empty()) loop_.SetMaxWaitMs(1000);
  if (!paused_.empty()) {
    // Each paused client retries its command; it re-parks itself if the pause
    // still applies to it.
    std::vector<Client*> ready;
    ready.swap(paused_);
    for (Client* c : ready) c->Resume();
    if (paused_.empty() && blocked_.empty()) loop_.SetMaxWaitMs(1000);
  }
  // A GETACK for what this round's writes wait for; short sleeps while a wait
  // has a deadline.
  if (server_->ack_tracker().EndRound(index_)) {
    loop_.SetMaxWaitMs(replication::AckTracker::kDeadlinePollMs);
  }
  for (Client* c : retired_) delete c;
  retired_.clear();
}

void Worker::Cron() {
  int64_t now = NowMs();
  if (index_ == 0) {
    storage::UpdateLruClock(now);
    server_->SampleOps();
    server_->save_jobs().Cron();
    // Replicas get a PING in the stream every repl-ping-replica-period, so
    // an idle primary still shows it is alive (a replica's replicas get its
    // primary's PINGs).
    int64_t period_ms = server_->config().repl_ping_replica_period() * 1000;
    if (now - server_->last_replica_ping_ms_ >= period_ms) {
      server_->last_replica_ping_ms_ = now;
      if (server_->has_replicas() && !server_->replication_role().is_replica()) {
        std::string_view ping[1] = {"PING"};
        server_->write_log().AppendStreamOnly(ping);
      }
    }
    // Good-replica counts, repl-timeout and output limits of replicas.
    server_->ack_tracker().Cron(now);
    server_->UpdateExpiryEnabled();
  }
  server_->replication_role().CronOnWorker(*this);
  int64_t timeout = server_->config().timeout();
  if (timeout > 0) {
    std::vector<Client*> idle;
    for (auto& [id, c] : clients_) {
      if (now - c->last_interaction_ms.load(std::memory_order_relaxed) > timeout * 1000) {
        idle.push_back(c);
      }
    }
    for (Client* c : idle) {
      Log(LogLevel::kVerbose, "Closing idle client");
      c->Close();
    }
  }
  // Keep under maxmemory even when no write arrives (e.g. after CONFIG SET).
  if (server_->config().maxmemory() > 0) server_->EvictIfNeeded();
  if (server_->active_expire_enabled.load(std::memory_order_relaxed)) {
    // Redis's budget: 25% of a cron period, scaled by active-expire-effort.
    int64_t period_us = 1000000 / std::max<int64_t>(1, server_->config().hz());
    int64_t effort = server_->config().active_expire_effort();
    server_->ActiveExpireCycle(index_, period_us * (25 + 2 * (effort - 1)) / 100);
  }
  for (uint32_t d = 0; d < uint32_t(server_->keyspace().db_count()); d++) {
    storage::Database& db = server_->keyspace().db(int(d));
    for (uint32_t s = uint32_t(index_); s < db.shard_count(); s += uint32_t(server_->workers().size())) {
      storage::Shard& sh = db.shard(s);
      std::lock_guard<std::mutex> lock(sh.mu);
      sh.table().MaybeShrink();
      sh.table().RehashSteps(100);
    }
  }
}

void Worker::Start() {
  thread_ = std::thread([this] {
    commands::SetThreadStats(&stats_);
    t_worker = this;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    loop_.Run();
    for (auto& [id, c] : clients_) {
      close(c->fd);
      delete c;
    }
    clients_.clear();
  });
}

void Worker::Join() {
  loop_.Stop();
  if (thread_.joinable()) thread_.join();
}

// ---------------------------------------------------------------- Server

Server::Server(std::unique_ptr<Config> config)
    : config_(std::move(config)), write_log_(size_t(config_->repl_backlog_size())) {
  if (config_->sentinel_mode()) {
    commands::RegisterSentinelFamilies(commands_);
  } else {
    commands::RegisterAllFamilies(commands_);
  }
  other_stats_ = std::make_unique<ThreadStats>(commands_.by_id().size() + 1);
  commands::SetSharedStats(other_stats_.get());
  int threads = int(config_->threads());
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  uint32_t shards = uint32_t(threads) * uint32_t(std::max<int64_t>(1, config_->shards_per_thread()));
  if (shards < 16) shards = 16;
  keyspace_ = std::make_unique<storage::Keyspace>(int(config_->databases()), shards);
  storage::Shard::SetListener(this);
  storage::Shard::SetLazyFreer(&lazy_freer_);
  for (int i = 0; i < threads; i++) workers_.push_back(std::make_unique<Worker>(this, i));
  start_ms_ = NowMs();
  persistence_hooks_ = std::make_unique<PersistenceHooks>(*this);
  aof_writer_ = std::make_unique<persistence::AofWriter>(*persistence_hooks_);
  dataset_loader_ = std::make_unique<persistence::DatasetLoader>(*persistence_hooks_, *aof_writer_);
  save_jobs_ = std::make_unique<persistence::SaveJobs>(*persistence_hooks_, *aof_writer_,
                                                       *dataset_loader_);
  config_->OnApply("appendonly", [this](const Config& c) {
    return save_jobs_->SetAppendOnly(c.appendonly());
  });
  config_->OnChange("appendfsync", [this](const Config&) { aof_writer_->ApplyFsyncPolicy(); });
  run_id_ = RandomHex(40);
  replication_hooks_ = std::make_unique<ReplicationHooks>(*this);
  replication_role_ = std::make_unique<replication::Role>(*replication_hooks_, replicas_);
  ack_tracker_ = std::make_unique<replication::AckTracker>(*replication_hooks_,
                                                           *replication_role_, replicas_);
  config_->OnChange("repl-backlog-size", [this](const Config& c) {
    write_log_.ResizeBacklog(size_t(c.repl_backlog_size()));
  });
  storage::UpdateLruClock(start_ms_);
  ApplyEvictionConfig();
  for (const char* name : {"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"}) {
    config_->OnChange(name, [this](const Config&) { ApplyEvictionConfig(); });
  }
  config_->OnChange("loglevel", [](const Config& c) { SetLogLevel(c.loglevel()); });
  ApplyNotifyConfig();
  config_->OnChange("notify-keyspace-events", [this](const Config&) { ApplyNotifyConfig(); });
  config_->OnChange("slowlog-max-len", [this](const Config& c) {
    slowlog_.Trim(size_t(std::max<int64_t>(0, c.slowlog_max_len())));
  });
}

Server::~Server() {
  if (sentinel_) sentinel_->Stop();
  replication_role_->Stop();
  for (auto& w : workers_) w->Join();
  for (auto& l : listeners_) {
    if (l->fd >= 0) close(l->fd);
  }
  storage::Shard::SetListener(nullptr);
}

StatusOr<std::vector<int>> Server::OpenTcpListeners() {
  std::vector<int> fds;
  int64_t port = config_->port();
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

void Server::AttachListener(int fd, bool is_unix, const std::string& path) {
  auto l = std::make_unique<Listener>();
  l->fd = fd;
  l->is_unix = is_unix;
  for (auto& w : workers_) {
    l->acceptors.push_back(std::make_unique<Acceptor>(this, w.get(), fd, is_unix, path));
    // epoll_ctl is thread-safe, so this works before and after the workers start.
    w->loop().Add(fd, EPOLLIN | EPOLLEXCLUSIVE, l->acceptors.back().get());
  }
  listeners_.push_back(std::move(l));
}

void Server::DetachTcpListeners() {
  // epoll_ctl is thread-safe, so every worker stops watching the socket now.
  // A worker already inside its acceptor sees EBADF (or, if the number was
  // reused, accepts from the new listener, which is just as good). Acceptors
  // stay allocated until the server ends: a few bytes per re-bind.
  for (auto& l : listeners_) {
    if (l->is_unix || l->fd < 0) continue;
    for (auto& w : workers_) w->loop().Remove(l->fd);
    close(l->fd);
    l->fd = -1;
  }
}

Status Server::Listen() {
  auto fds = OpenTcpListeners();
  if (!fds.ok()) return fds.status();
  for (int fd : *fds) AttachListener(fd, false, "");
  bound_port_ = int(config_->port());
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
  return Status::Ok();
}

Status Server::Rebind() {
  // Old sockets close first so the same port can be bound to other addresses.
  // On failure the CONFIG SET is rolled back, which calls Rebind again with
  // the previous values and reopens the previous listeners.
  std::lock_guard<std::mutex> lock(listen_mu_);
  DetachTcpListeners();
  auto fds = OpenTcpListeners();
  if (!fds.ok()) {
    Log(LogLevel::kWarning, "%s", fds.status().message().c_str());
    return Status::Error("Unable to listen on this port. Check server logs.");
  }
  for (int fd : *fds) AttachListener(fd, false, "");
  bound_port_ = int(config_->port());
  return Status::Ok();
}

Status Server::Start() {
  Status st = Listen();
  if (!st.ok()) return st;
  // Signals are taken by the main thread through a signalfd (WaitForShutdown).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  shutdown_fd_ = eventfd(0, EFD_CLOEXEC);
  for (auto& w : workers_) w->Start();
  return Status::Ok();
}

void Server::RequestShutdown(ShutdownSave mode) {
  shutdown_save_.store(mode);
  RequestShutdown();
}

void Server::RequestShutdown() {
  uint64_t one = 1;
  ssize_t ignored = write(shutdown_fd_, &one, sizeof(one));
  (void)ignored;
}

void Server::WaitForShutdown() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  pollfd fds[2] = {{sfd, POLLIN, 0}, {shutdown_fd_, POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      ssize_t ignored = read(sfd, &si, sizeof(si));
      (void)ignored;
      Log(LogLevel::kWarning, "Received %s scheduling shutdown...",
          si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    if (fds[1].revents & POLLIN) break;
  }
  Log(LogLevel::kWarning, "User requested shutdown...");
  replication_role_->Stop();
  for (auto& w : workers_) w->Join();
  // No client runs any more: what is saved now is final.
  ShutdownSave mode = shutdown_save_.load();
  bool save = mode == ShutdownSave::kSave ||
              (mode == ShutdownSave::kDefault && !config_->save().empty());
  (void)save_jobs_->OnShutdown(save);
  lazy_freer_.Drain();
  std::string path = config_->unixsocket();
  if (!path.empty()) unlink(path.c_str());
  close(sfd);
  Log(LogLevel::kWarning, "Basalt is now ready to exit, bye bye...");
}

std::string Server::replid() const { return replication_role_->replid(); }

replication::ServerHooks& Server::replication_hooks() { return *replication_hooks_; }

void Server::Register(Client* c) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  registry_[c->id] = c;
}

void Server::Unregister(Client* c) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  registry_.erase(c->id);
}

void Server::KillClient(Client* c) {
  // REQUIRES: registry_mu_ held by the caller (so c is alive).
  c->kill_requested.store(true);
  Worker* w = c->worker();
  uint64_t id = c->id;
  w->loop().Post([w, id] {
    if (Client* target = w->FindClient(id)) target->Close();
  });
}

void Server::Pause(int64_t until_ms, bool all) {
  // A later pause never shortens an earlier one; ALL wins over WRITE.
  if (until_ms > pause_until_ms_.load()) pause_until_ms_.store(until_ms);
  if (all) pause_all_.store(true);
  UpdateExpiryEnabled();
}

void Server::UpdateExpiryEnabled() {
  // Expiry deletes nothing while clients are paused, so the dataset a paused
  // primary hands over stays still; a replica leaves expiry to its primary.
  storage::Shard::SetExpiryEnabled(!paused_any() && !replication_role_->is_replica());
}

void Server::Unpause() {
  pause_until_ms_.store(0);
  pause_all_.store(false);
  UpdateExpiryEnabled();
  for (auto& w : workers_) w->loop().Post([] {});
}

bool Server::MustPause(bool is_write) const {
  int64_t until = pause_until_ms_.load(std::memory_order_relaxed);
  if (until == 0) return false;
  if (NowMs() >= until) {
    auto* self = const_cast<Server*>(this);
    int64_t expected = until;
    if (self->pause_until_ms_.compare_exchange_strong(expected, 0)) {
      self->pause_all_.store(false);
      self->UpdateExpiryEnabled();
    }
    return false;
  }
  return pause_all_.load(std::memory_order_relaxed) || is_write;
}

void Server::OnNewKey(int db, std::string_view key) {
  Notify(db, key, "new", commands::kNotifyNew);
}

void Server::OnExpired(int db, std::string_view key) {
  TouchWatched(db, key);
  Notify(db, key, "expired", commands::kNotifyExpired);
  bool lazy = config_->lazyfree_lazy_expire();
  std::string_view args[2] = {lazy ? "UNLINK" : "DEL", key};
  write_log_.Append(db, args);
  ThreadStats& st = CurrentStats();
  if (&st == other_stats_.get()) {
    st.expired.fetch_add(1, std::memory_order_relaxed);
  } else {
    Bump(st.expired);
  }
}

namespace {
constexpr uint32_t kNotifyKeyspace = 1u << 16;  // K
constexpr uint32_t kNotifyKeyevent = 1u << 17;  // E
}  // namespace

void Server::ApplyNotifyConfig() {
  uint32_t flags = 0;
  for (char c : config_->notify_keyspace_events()) {
    switch (c) {
      case 'A':
        flags |= commands::kNotifyGeneric | commands::kNotifyString | commands::kNotifyList |
                 commands::kNotifySet | commands::kNotifyHash | commands::kNotifyZSet |
                 commands::kNotifyExpired | commands::kNotifyEvicted | commands::kNotifyStream;
        break;  // "A" leaves out "m" and "n", as in Redis
      case 'g': flags |= commands::kNotifyGeneric; break;
      case '$': flags |= commands::kNotifyString; break;
      case 'l': flags |= commands::kNotifyList; break;
      case 's': flags |= commands::kNotifySet; break;
      case 'h': flags |= commands::kNotifyHash; break;
      case 'z': flags |= commands::kNotifyZSet; break;
      case 'x': flags |= commands::kNotifyExpired; break;
      case 'e': flags |= commands::kNotifyEvicted; break;
      case 't': flags |= commands::kNotifyStream; break;
      case 'm': flags |= commands::kNotifyKeyMiss; break;
      case 'n': flags |= commands::kNotifyNew; break;
      case 'K': flags |= kNotifyKeyspace; break;
      case 'E': flags |= kNotifyKeyevent; break;
      default: break;
    }
  }
  notify_flags_.store(flags);
  storage::Shard::SetNewKeyEvents((flags & commands::kNotifyNew) &&
                                  (flags & (kNotifyKeyspace | kNotifyKeyevent)));
}

void Server::Notify(int db, std::string_view key, std::string_view event, uint32_t cls) {
  uint32_t flags = notify_flags_.load(std::memory_order_relaxed);
  if (!(flags & cls) || !(flags & (kNotifyKeyspace | kNotifyKeyevent))) return;
  std::string dbs = std::to_string(db);
  if (flags & kNotifyKeyspace) {
    std::string ch = "__keyspace@" + dbs + "__:";
    ch.append(key);
    pubsub_.PublishFrom(SubKind::kChannel, ch, event, t_worker);
  }
  if (flags & kNotifyKeyevent) {
    std::string ch = "__keyevent@" + dbs + "__:";
    ch.append(event);
    pubsub_.PublishFrom(SubKind::kChannel, ch, key, t_worker);
  }
}

void Server::OnKeyChanged(int db, std::string_view key, std::string_view event, uint32_t cls) {
  TouchWatched(db, key);
  Notify(db, key, event, cls);
  // Lists and sorted sets may now serve a blocked client; so may a key that
  // arrived by RENAME, MOVE or COPY.
  if ((cls & (commands::kNotifyList | commands::kNotifyZSet)) || event == "rename_to" ||
      event == "move_to" || event == "copy_to") {
    blocking_.Signal(db, key);
  }
}

void Server::ActiveExpireCycle(int worker_index, int64_t budget_us) {
  // Each worker sweeps the shards congruent to its index, round-robin, until
  // few sampled keys are expired or the time budget is spent.
  int64_t start = MonotonicUs();
  int64_t now = NowMs();
  size_t nworkers = workers_.size();
  int ndb = keyspace_->db_count();
  uint32_t nshards = keyspace_->shards_per_db();
  for (int d = 0; d < ndb; d++) {
    storage::Database& db = keyspace_->db(d);
    if (db.ApproxExpires() == 0) continue;
    for (uint32_t s = uint32_t(worker_index); s < nshards; s += uint32_t(nworkers)) {
      storage::Shard& sh = db.shard(s);
      if (sh.approx_expires() == 0) continue;
      for (;;) {
        std::pair<int, int> r;
        {
          std::lock_guard<std::mutex> lock(sh.mu);
          r = sh.ActiveExpireSample(20, now);
        }
        // Keep going on this shard while more than 10% of samples were expired.
        if (r.first == 0 || r.second * 10 <= r.first) break;
        if (MonotonicUs() - start > budget_us) return;
      }
      if (MonotonicUs() - start > budget_us) return;
    }
  }
}

void Server::SampleOps() {
  // Called by worker 0's cron; a simple per-period rate, like Redis's samples.
  static int64_t last_ms = NowMs();
  int64_t now = NowMs();
  int64_t total = int64_t(SumStat(&ThreadStats::commands));
  int64_t prev = stat_numcommands_at_last_sample.exchange(total);
  int64_t dt = now - last_ms;
  last_ms = now;
  if (dt > 0) instantaneous_ops.store((total - prev) * 1000 / dt);
}

uint64_t Server::SumStat(std::atomic<uint64_t> ThreadStats::*field) const {
  uint64_t n = (other_stats_.get()->*field).load(std::memory_order_relaxed);
  for (auto& w : workers_) n += (w->stats().*field).load(std::memory_order_relaxed);
  return n;
}

void Server::CountError(std::string_view message) {
  size_t sp = message.find(' ');
  std::string code(message.substr(0, sp == std::string_view::npos ? message.size() : sp));
  std::lock_guard<std::mutex> lock(error_mu_);
  error_stats_[code]++;
}

std::map<std::string, uint64_t> Server::ErrorStats() {
  std::lock_guard<std::mutex> lock(error_mu_);
  return error_stats_;
}

void Server::ResetStats() {
  auto reset = [&](ThreadStats& s) {
    s.commands = 0;
    s.hits = 0;
    s.misses = 0;
    s.expired = 0;
    s.evicted = 0;
    s.net_in = 0;
    s.net_out = 0;
    for (size_t i = 0; i < commands_.by_id().size(); i++) {
      s.cmd[i].calls = 0;
      s.cmd[i].usec = 0;
      s.cmd[i].rejected = 0;
      s.cmd[i].failed = 0;
    }
  };
  reset(*other_stats_);
  for (auto& w : workers_) reset(w->stats());
  total_connections = 0;
  rejected_connections = 0;
  std::lock_guard<std::mutex> lock(error_mu_);
  error_stats_.clear();
}

}  // namespace basalt::server
