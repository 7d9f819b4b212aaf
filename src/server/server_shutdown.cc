// How the server stops: SIGTERM/SIGINT (shutdown-on-sigterm/-sigint flags) and
// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], with Redis 7.0's semantics:
//   - Unless NOW, a primary whose replicas have not acknowledged the whole
//     replication stream pauses writes, asks them for an ACK and waits up to
//     shutdown-timeout seconds for them to catch up (SHUTDOWN ABORT cancels).
//   - Then the final save (SAVE, or save points configured and not NOSAVE).
//     If it fails and FORCE was not given, the shutdown is called off: the
//     SHUTDOWN clients get "-ERR Errors trying to SHUTDOWN. Check logs." and
//     the server goes on.
//   - A second SIGINT while a shutdown waits exits at once.
// Everything here runs on the main thread, except RequestShutdown and
// AbortShutdown (any worker; they only record the request).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "persistence/save_jobs.h"
#include "replication/ack_tracker.h"
#include "replication/role.h"
#include "server/client.h"
#include "server/process_directives.h"
#include "server/server.h"
#include "server/shutdown_handover.h"
#include "server/startup_discovery.h"

namespace basalt::server {
namespace {

constexpr char kShutdownFailed[] = "ERR Errors trying to SHUTDOWN. Check logs.";

const char* StateName(replication::ReplicaSession::State s) {
  switch (s) {
    case replication::ReplicaSession::State::kWaitBgsave:
      return "wait_bgsave";
    case replication::ReplicaSession::State::kSendBulk:
      return "send_bulk";
    case replication::ReplicaSession::State::kOnline:
      return "online";
  }
  return "?";
}

}  // namespace

void Server::RequestShutdown(commands::Session& s, int64_t flags) {
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (s.is_connection()) {
      auto* c = static_cast<Client*>(&s);
      c->WaitForShutdown();
      shutdown_waiters_.emplace_back(c->worker(), c->id);
    }
    shutdown_flags_ = flags;
    shutdown_requested_ = true;
  }
  uint64_t one = 1;
  ssize_t ignored = write(shutdown_fd_, &one, sizeof(one));
  (void)ignored;
}

bool Server::AbortShutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (!shutdown_in_progress_) return false;
  // Over at once, as Redis's (synchronous) ABORT: a second ABORT right after
  // answers "No shutdown in progress" even before the main thread wakes.
  shutdown_in_progress_ = false;
  shutdown_abort_ = true;
  uint64_t one = 1;
  ssize_t ignored = write(shutdown_fd_, &one, sizeof(one));
  (void)ignored;
  return true;
}

void Server::FailShutdownWaiters() {
  std::vector<std::pair<Worker*, uint64_t>> waiters;
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    waiters.swap(shutdown_waiters_);
    shutdown_requested_ = false;  // a SHUTDOWN that came meanwhile fails with this one
    shutdown_in_progress_ = false;
    shutdown_abort_ = false;
  }
  for (auto& [w, id] : waiters) {
    w->loop().Post([w, id] {
      if (Client* c = w->FindClient(id)) c->EndShutdownWait(kShutdownFailed);
    });
  }
}

void Server::QuiesceWorkers() {
  // Each worker runs this task between two commands: once all ran, no
  // command that started before the pause is still running.
  std::mutex mu;
  std::condition_variable cv;
  size_t done = 0;
  for (auto& w : workers_) {
    w->loop().Post([&] {
      std::lock_guard<std::mutex> lock(mu);
      done++;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == workers_.size(); });
}

bool Server::TryShutdown(int64_t flags, int signal_fd, bool from_signal, int /*signo*/) {
  Log(LogLevel::kWarning, "User requested shutdown...");
  // As Redis: a sentinel or a server still loading has nothing to save.
  if (sentinel_ != nullptr || loading()) {
    flags = (flags & ~Config::kShutdownSave) | Config::kShutdownNosave;
  }
  auto unpause = [this] {
    shutdown_pause_.store(false);
    for (auto& w : workers_) w->loop().Post([] {});
  };
  auto fail = [&]() {
    Log(LogLevel::kWarning,
        "Errors trying to shut down the server. Check the logs for more information.");
    unpause();
    FailShutdownWaiters();
    NotifySupervisor(*config_, "STATUS=Ready to accept connections");
    return false;
  };
  NotifySupervisor(*config_, "STOPPING=1");

  // A sentinel that has promoted a replica finishes that failover first:
  // until it announces the new primary, the other sentinels do not know of
  // it, and the promoted replica would be an orphan they turn back.
  if (sentinel_ != nullptr && !(flags & Config::kShutdownNow) && sentinel_->PromotionInProgress()) {
    Log(LogLevel::kNotice, "Finishing the failover in progress before shutting down.");
    int64_t deadline = MonotonicUs() / 1000 + config_->shutdown_timeout() * 1000;
    while (sentinel_->PromotionInProgress() && MonotonicUs() / 1000 < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Replicas first: give lagging ones up to shutdown-timeout to catch up.
  int64_t timeout_s = config_->shutdown_timeout();
  auto lagging = [this] {
    std::vector<std::shared_ptr<replication::ReplicaSession>> out;
    int64_t end = write_log_.offset();
    for (auto& r : replicas_.List()) {
      if (r->ack_offset() != end) out.push_back(r);
    }
    return out;
  };
  if (!(flags & Config::kShutdownNow) && timeout_s > 0 && !replication_role_->is_replica() &&
      !lagging().empty()) {
    Log(LogLevel::kNotice, "Waiting for replicas before shutting down.");
    shutdown_pause_.store(true);
    ack_tracker_->RequestAck(write_log_.offset(), true);
    int64_t deadline = MonotonicUs() / 1000 + timeout_s * 1000;
    for (;;) {
      if (lagging().empty()) break;
      int64_t left = deadline - MonotonicUs() / 1000;
      if (left <= 0) break;
      pollfd fds[2] = {{signal_fd, POLLIN, 0}, {shutdown_fd_, POLLIN, 0}};
      int n = poll(fds, 2, int(std::min<int64_t>(left, 10)));
      if (n > 0 && (fds[0].revents & POLLIN)) {
        signalfd_siginfo si;
        ssize_t ignored = read(signal_fd, &si, sizeof(si));
        (void)ignored;
        if (si.ssi_signo == SIGINT) {
          Log(LogLevel::kWarning, "You insist... exiting now.");
          _exit(1);
        }
        Log(LogLevel::kWarning, "Received SIGTERM scheduling shutdown...");
      }
      if (n > 0 && (fds[1].revents & POLLIN)) {
        uint64_t v;
        ssize_t ignored = read(shutdown_fd_, &v, sizeof(v));
        (void)ignored;
      }
      bool aborted = false;
      {
        std::lock_guard<std::mutex> lock(shutdown_mu_);
        aborted = shutdown_abort_;
        if (!aborted && shutdown_requested_) {
          // Another SHUTDOWN meanwhile: it joins this one; NOW ends the wait.
          shutdown_requested_ = false;
          flags |= shutdown_flags_ & (Config::kShutdownNow | Config::kShutdownForce);
        }
      }
      if (aborted) {
        Log(LogLevel::kWarning, "Shutdown manually aborted.");
        unpause();
        FailShutdownWaiters();  // takes shutdown_mu_ itself
        NotifySupervisor(*config_, "STATUS=Ready to accept connections");
        return false;
      }
      if (flags & Config::kShutdownNow) break;
    }
    auto late = lagging();
    int64_t end = write_log_.offset();
    int64_t now_s = NowMs() / 1000;
    for (auto& r : late) {
      Log(LogLevel::kWarning,
          "Lagging replica %s:%d reported offset %lld behind master, lag=%lld, state=%s.",
          r->ip().c_str(), r->listening_port(), (long long)(end - r->ack_offset()),
          (long long)(now_s - r->last_ack_ms() / 1000), StateName(r->state()));
    }
    size_t total = replicas_.List().size();
    Log(LogLevel::kNotice, "%zu of %zu replicas are in sync when shutting down.",
        total - std::min(total, late.size()), total);
  }

  // shutdown-handover: with writes paused and a replica holding the whole
  // stream, the sentinels promote it before this primary exits.
  if (!(flags & Config::kShutdownNow) && config_->shutdown_handover() &&
      !replication_role_->is_replica() && !replicas_.List().empty()) {
    shutdown_pause_.store(true);
    QuiesceWorkers();
    int64_t deadline = MonotonicUs() / 1000 + std::max<int64_t>(timeout_s, 1) * 1000;
    auto in_sync = [this] {
      int64_t end = write_log_.offset();
      for (auto& r : replicas_.List()) {
        if (r->state() == replication::ReplicaSession::State::kOnline && r->ack_offset() == end)
          return true;
      }
      return false;
    };
    ack_tracker_->RequestAck(write_log_.offset(), true);
    while (!in_sync() && MonotonicUs() / 1000 < deadline) usleep(2000);
    if (!in_sync()) {
      Log(LogLevel::kWarning, "shutdown-handover: no replica caught up; exiting without one");
    } else {
      HandOverToReplica(*config_, AnnouncedPort(*config_, tcp_port_bound()), deadline);
    }
  }

  // No write runs from here on; then the final save. A script still running
  // (an endless loop) would keep its worker busy: NOSAVE (the way out of a
  // script that wrote and cannot be killed) and signals end it, with what it
  // did so far kept.
  shutdown_pause_.store(true);
  if ((from_signal || (flags & Config::kShutdownNosave)) && scripts_.running()) {
    scripts_.RequestAbort();
  }
  QuiesceWorkers();
  bool save = (flags & Config::kShutdownSave) ||
              (!(flags & Config::kShutdownNosave) && !config_->save().empty());
  Status st = save_jobs_->OnShutdown(save);
  if (!st.ok()) {
    if (!(flags & Config::kShutdownForce)) return fail();
    Log(LogLevel::kWarning, "Error trying to save the DB. Exit anyway (FORCE).");
  }
  return true;
}

void Server::WaitForShutdown() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  bool sync_status_sent = false;
  for (;;) {
    // Housekeeping between requests: oom-score-adj follows the role.
    int64_t cls = replication_role_->is_replica() ? 1 : 0;
    if (cls != process_class_) {
      process_class_ = cls;
      (void)ApplyOomScoreAdj(*config_, int(cls));
    }
    if (cls == 1 && !sync_status_sent && replication_role_->link_up()) {
      sync_status_sent = true;  // Redis's text, "read-write" included
      NotifySupervisor(*config_,
                       "STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept "
                       "connections in read-write mode.");
    }
    pollfd fds[2] = {{sfd, POLLIN, 0}, {shutdown_fd_, POLLIN, 0}};
    int n = poll(fds, 2, 100);
    if (n <= 0) continue;
    int64_t flags = 0;
    bool from_signal = false;
    int signo = 0;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      ssize_t ignored = read(sfd, &si, sizeof(si));
      (void)ignored;
      signo = int(si.ssi_signo);
      from_signal = true;
      flags = signo == SIGINT ? config_->shutdown_on_sigint() : config_->shutdown_on_sigterm();
      Log(LogLevel::kWarning, "Received %s scheduling shutdown...",
          signo == SIGINT ? "SIGINT" : "SIGTERM");
      std::lock_guard<std::mutex> lock(shutdown_mu_);
      shutdown_in_progress_ = true;
    } else if (fds[1].revents & POLLIN) {
      uint64_t v;
      ssize_t ignored = read(shutdown_fd_, &v, sizeof(v));
      (void)ignored;
      std::lock_guard<std::mutex> lock(shutdown_mu_);
      if (!shutdown_requested_) continue;  // a stale ABORT wake-up
      shutdown_requested_ = false;
      shutdown_in_progress_ = true;
      flags = shutdown_flags_;
    } else {
      continue;
    }
    if (TryShutdown(flags, sfd, from_signal, signo)) break;
  }
  // A script still running (an endless loop) would keep its worker from
  // stopping: it ends now, with what it did so far logged.
  scripts_.RequestAbort();
  replication_role_->Stop();
  for (auto& w : workers_) w->Join();
  lazy_freer_.Drain();
  std::string path = config_->unixsocket();
  if (!path.empty()) unlink(path.c_str());
  close(sfd);
  Log(LogLevel::kWarning, "Basalt is now ready to exit, bye bye...");
}

}  // namespace basalt::server
