// ReplicaLink: the primary's side of one connected replica.
//
// A replica connects as a client and sends PSYNC. The primary answers with a
// full resynchronization: a point-in-time snapshot (persistence::Snapshot)
// streamed straight to the replica's socket in the diskless format
// (`$EOF:<40 bytes>` ... `<40 bytes>`), whose start instant is also where the
// link starts taking the write log's bytes. Once the snapshot is through, the
// link waits for the replica's first REPLCONF ACK (a diskless replica finds
// the end of the snapshot by its last 40 bytes, so nothing may follow them
// until it has loaded it), then hands the buffered stream, and every new
// write, to the client's output on the client's own worker thread.
//
// Thread-safety: OnAppend runs under the write log's lock on any thread; the
// rest on the client's worker thread unless noted. Statistics are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "replication/write_log.h"

namespace basalt::server {

class Client;
class Server;
class Worker;

class ReplicaLink final : public replication::WriteLogTap,
                          public std::enable_shared_from_this<ReplicaLink> {
 public:
  enum class State { kWaitBgsave = 0, kSendBulk = 1, kOnline = 2 };

  ReplicaLink(Server& server, Client* client);
  ~ReplicaLink() override;

  // PSYNC / SYNC: starts the full sync, or waits (with Redis's keep-alive
  // newlines) while another snapshot runs; WaitTick retries.
  void StartFullSync(bool psync);
  // Worker cron: retries a waiting full sync.
  void WaitTick();
  Worker* worker() const { return worker_; }
  // PSYNC that can continue: +CONTINUE, then the log from `from` on.
  // Returns false (nothing sent) if the backlog no longer holds `from`.
  bool StartPartialSync(int64_t from, const std::string& replid);
  // Closes the replica's connection (any thread); it reconnects and resyncs.
  void Disconnect();
  // REPLCONF ACK <offset>.
  void Ack(int64_t offset);
  // The client is closing: stop taking the log. Worker thread.
  void Detach();

  // replication::WriteLogTap
  void OnAppend(std::string_view bytes, int64_t end_offset) override;

  // For INFO / ROLE (any thread).
  std::string ip() const { return ip_; }
  int listening_port() const { return listening_port_.load(); }
  void set_listening_port(int p) { listening_port_.store(p); }
  State state() const { return state_.load(); }
  int64_t ack_offset() const { return ack_offset_.load(); }
  int64_t last_ack_ms() const { return last_ack_ms_.load(); }

  // Dropping (repl-timeout, output-buffer limit; see server/replica_acks.h).
  // True for the first caller only, which then drops the link. Any thread.
  bool MarkDropping() { return !dropping_.exchange(true); }
  // Checks client-output-buffer-limit replica on the link's worker soon.
  // Any thread.
  void CheckOutputLimitSoon();

 private:
  bool TryStartSnapshot();
  // Snapshot done (worker thread): go online, or drop the client on error.
  void TransferDone(bool ok, bool on_disk);
  // The replica acknowledged the snapshot: start streaming (worker thread).
  void GoOnline();
  // Moves the buffered stream into the client's output (worker thread).
  void Pump();
  // client-output-buffer-limit replica: drops the link when the stream bytes
  // waiting for the replica pass the hard limit, or the soft one for longer
  // than its seconds. Returns true when the link is being dropped. Worker
  // thread.
  bool CheckOutputLimit();

  Server& server_;
  Client* client_;  // worker thread; null once detached
  Worker* worker_;
  bool transfer_done_ = false;  // worker thread
  bool waiting_ = false;        // worker thread: a full sync waits for its snapshot
  bool psync_ = true;           // worker thread
  int64_t last_keepalive_ms_ = 0;  // worker thread
  int64_t not_before_ms_ = 0;      // worker thread: repl-diskless-sync-delay
  std::string ip_;
  std::atomic<int> listening_port_{0};
  std::atomic<State> state_{State::kWaitBgsave};
  std::atomic<int64_t> ack_offset_{0};
  std::atomic<int64_t> last_ack_ms_{0};
  std::atomic<bool> dropping_{false};
  int64_t obuf_soft_since_ms_ = 0;  // worker thread: over the soft limit since

  std::mutex mu_;
  std::string pending_;   // Guarded by mu_: log bytes not yet handed to the client
  bool online_ = false;   // Guarded by mu_
  bool posted_ = false;   // Guarded by mu_: a Pump is queued on the worker
  bool tapped_ = false;   // Guarded by mu_
};

}  // namespace basalt::server
