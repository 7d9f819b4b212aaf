// Worker: one worker thread, its event loop and the clients accepted onto it.
// A client's commands run on its worker; other threads reach a worker only
// through Post (its task queue) and CloseConnection.
//
// Thread-safety: Post and CloseConnection from any thread; everything else on
// the worker's own thread (the loop thread), or before Start / after Join.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands/command_stats.h"
#include "replication/connection.h"
#include "server/event_loop.h"

namespace basalt::server {

class Client;
class Server;
using commands::ThreadStats;

// A worker thread: its event loop and the clients accepted onto it. It is
// replication's WorkerThread (posting tasks to it, closing its connections).
class Worker final : public replication::WorkerThread {
 public:
  Worker(Server* server, int index);
  EventLoop& loop() { return loop_; }
  int index() const override { return index_; }
  // replication::WorkerThread (any thread).
  void Post(std::function<void()> task) override { loop_.Post(std::move(task)); }
  void CloseConnection(uint64_t id) override;
  ThreadStats& stats() { return stats_; }
  void AddClient(Client* c);
  // Called by a Client when it closes; deletion happens after the iteration.
  void RetireClient(Client* c);
  Client* FindClient(uint64_t id);
  void PauseClient(Client* c);
  void AddBlocked(Client* c);
  void RemoveBlocked(Client* c);
  // Flushes c at the end of this loop iteration (pub/sub deliveries).
  void ScheduleFlush(Client* c);
  size_t client_count() const { return clients_.size(); }
  // Connections on this worker, readable from any thread (accept balancing).
  // (incoming: handed over by another worker's acceptor, not added yet)
  int connections() const {
    return connections_.load(std::memory_order_relaxed) +
           incoming_.load(std::memory_order_relaxed);
  }
  void NoteIncoming(int delta) { incoming_.fetch_add(delta, std::memory_order_relaxed); }
  // CPU time of this worker's thread, sampled by its cron (any thread).
  int64_t cpu_user_us() const { return cpu_user_us_.load(std::memory_order_relaxed); }
  int64_t cpu_sys_us() const { return cpu_sys_us_.load(std::memory_order_relaxed); }
  // Whether the loop is not stuck in a handler (a long script).
  bool responsive() const { return loop_.handling_for_us() < 100000; }

  void Start();
  void Join();
  // The worker whose thread is calling, or null on any other thread.
  static Worker* Current();

 private:
  void Cron();
  void AfterEvents();
  void ExpireTlsHandshakes(int64_t now);
  // A TLS handshake not finished this long after the accept closes the connection.
  static constexpr int64_t kTlsHandshakeTimeoutMs = 10000;

  Server* server_;
  int index_;
  EventLoop loop_;
  ThreadStats stats_;
  std::unordered_map<uint64_t, Client*> clients_;  // Owned; loop thread only.
  std::atomic<int> connections_{0};
  std::atomic<int> incoming_{0};
  std::atomic<int64_t> cpu_user_us_{0}, cpu_sys_us_{0};
  std::vector<Client*> retired_;
  std::vector<Client*> paused_;
  std::vector<Client*> pending_flush_;
  std::vector<Client*> blocked_;  // clients of this worker waiting on keys
  // TLS connections still handshaking: client id and deadline (ms).
  std::vector<std::pair<uint64_t, int64_t>> tls_handshakes_;
  std::thread thread_;
  friend class Client;
};

}  // namespace basalt::server
