#include "server/worker.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <utility>

#include "commands/command_stats.h"
#include "common/clock.h"
#include "common/latency_monitor.h"
#include "common/logging.h"
#include "config/config.h"
#include "persistence/aof_writer.h"
#include "persistence/save_jobs.h"
#include "replication/ack_tracker.h"
#include "replication/failover.h"
#include "replication/role.h"
#include "server/client.h"
#include "server/server.h"
#include "tls/tls_context.h"

namespace basalt::server {
namespace {
thread_local Worker* t_worker = nullptr;
}  // namespace

Worker* Worker::Current() { return t_worker; }

Worker::Worker(Server* server, int index)
    : server_(server), index_(index), stats_(server->commands().by_id().size() + 1) {
  loop_.AddTimer([server] { return std::max<int64_t>(1, 1000 / server->config().hz()); },
                 [this] { Cron(); });
  loop_.SetAfterEvents([this] { AfterEvents(); });
}

void Worker::AddClient(Client* c) {
  clients_[c->id] = c;
  connections_.fetch_add(1, std::memory_order_relaxed);
  server_->Register(c);
  loop_.Add(c->fd, EPOLLIN, c);
  if (c->tls_handshaking()) tls_handshakes_.push_back({c->id, NowMs() + kTlsHandshakeTimeoutMs});
}

void Worker::RetireClient(Client* c) {
  if (clients_.erase(c->id) != 0) connections_.fetch_sub(1, std::memory_order_relaxed);
  std::erase(paused_, c);
  std::erase(pending_flush_, c);
  server_->ConnectionClosed();
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
  // BCAST invalidations of what this round changed (expiry, eviction, posted work).
  server_->tracker().FlushBroadcasts();
  // Replies released by replicas' acknowledgements leave with this round's
  // flushes (WAIT, synchronous replication).
  server_->ack_tracker().ServeWaiters(index_);
  if (!pending_flush_.empty()) {
    std::vector<Client*> flush;
    flush.swap(pending_flush_);
    // Group commit: one AOF write (and fsync under always) covers every
    // write of this round (and of other workers' rounds that overlap it).
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
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) == 0) {
    cpu_user_us_.store(int64_t(ru.ru_utime.tv_sec) * 1000000 + ru.ru_utime.tv_usec,
                       std::memory_order_relaxed);
    cpu_sys_us_.store(int64_t(ru.ru_stime.tv_sec) * 1000000 + ru.ru_stime.tv_usec,
                      std::memory_order_relaxed);
  }
  if (index_ == 0) {
    storage::UpdateLruClock(now);
    server_->SampleOps();
    server_->save_jobs().Cron();
    server_->EvictClientsIfNeeded();
    // Replicas get a PING in the stream every repl-ping-replica-period, so
    // an idle primary still shows it is alive (a replica's replicas get its
    // primary's PINGs).
    int64_t period_ms = server_->config().repl_ping_replica_period() * 1000;
    if (now - server_->last_replica_ping_ms_ >= period_ms) {
      server_->last_replica_ping_ms_ = now;
      // Not during a FAILOVER: the PING would move the offset the replicas
      // are catching up with (Redis skips it then too).
      if (server_->has_replicas() && !server_->replication_role().is_replica() &&
          !server_->failover().active()) {
        std::string_view ping[1] = {"PING"};
        server_->write_log().AppendStreamOnly(ping);
      }
    }
    // Good-replica counts, repl-timeout and output limits of replicas.
    server_->ack_tracker().Cron(now);
    server_->failover().Cron();
    server_->UpdateExpiryEnabled();
  }
  server_->replication_role().CronOnWorker(*this);
  if (!tls_handshakes_.empty()) ExpireTlsHandshakes(now);
  if (index_ == 0) tls::ReloadIfFilesChanged(server_->config(), now);
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
  if (server_->tracker().OverLimit()) server_->tracker().EnforceLimit();
  // Keep under maxmemory even when no write arrives (e.g. after CONFIG SET).
  if (server_->config().maxmemory() > 0) server_->EvictIfNeeded();
  if (server_->active_expire_enabled()) {
    // Redis's budget: 25% of a cron period, scaled by active-expire-effort.
    int64_t period_us = 1000000 / std::max<int64_t>(1, server_->config().hz());
    int64_t effort = server_->config().active_expire_effort();
    int64_t start_us = MonotonicUs();
    server_->ActiveExpireCycle(index_, period_us * (25 + 2 * (effort - 1)) / 100);
    int64_t took_us = MonotonicUs() - start_us;
    commands::Bump(stats_.expire_cycle_us, uint64_t(took_us));
    RecordLatency("expire-cycle", took_us / 1000, server_->config().latency_monitor_threshold());
  }
  for (uint32_t d = 0; d < uint32_t(server_->keyspace().db_count()); d++) {
    storage::Database& db = server_->keyspace().db(int(d));
    for (uint32_t s = uint32_t(index_); s < db.shard_count(); s += uint32_t(server_->workers().size())) {
      storage::Shard& sh = db.shard(s);
      // A shard someone holds (a running script) waits for the next tick:
      // the cron never stalls the worker.
      std::unique_lock<std::mutex> lock(sh.mu, std::try_to_lock);
      if (!lock.owns_lock()) continue;
      sh.table().MaybeShrink();
      // activerehashing: the cron moves a resizing table along even when no
      // command touches it; off, only the shard's own operations do (Redis).
      if (server_->config().activerehashing()) sh.table().RehashSteps(100);
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

void Worker::ExpireTlsHandshakes(int64_t now) {
  // A connection that has not finished its TLS handshake in time is closed:
  // a client stalling half-way costs this worker nothing but a socket, and
  // not for long.
  std::erase_if(tls_handshakes_, [&](const std::pair<uint64_t, int64_t>& h) {
    Client* c = FindClient(h.first);
    if (c == nullptr || !c->tls_handshaking()) return true;
    if (now < h.second) return false;
    Log(LogLevel::kVerbose, "Closing a client whose TLS handshake timed out (addr=%s)",
        c->addr.c_str());
    c->Close();
    return true;
  });
}

}  // namespace basalt::server
