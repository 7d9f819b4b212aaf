// Client: one connection, owned by the worker thread that accepted it.
//
// The owning thread reads, parses, executes and writes for the client; one
// write(2) per loop iteration covers every reply produced in that iteration
// (pipelining). Other threads never touch a Client directly except the
// fields marked "shared", which CLIENT LIST / CLIENT KILL read through the
// server's client registry (atomics, or guarded by the registry mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/session.h"
#include "protocol/reply_builder.h"
#include "protocol/request_parser.h"
#include "replication/ack_tracker.h"
#include "replication/connection.h"
#include "server/event_loop.h"
#include "server/pubsub.h"

namespace basalt::commands {
struct CommandSpec;
}
namespace basalt::replication {
class ReplicaSession;
}
namespace basalt::tls {
class Transport;
}

namespace basalt::server {

class Server;
class Worker;
using commands::ReplyMode;

// A connection is a commands::Session (database, authentication, MULTI,
// WATCH, subscriptions: the state the executor works on) plus its socket,
// buffers, blocking state and the replies it holds for durability or replicas.
// Replication sees it as a replication::Connection (a replica's connection, or
// the link to our primary) and, while it waits for replicas' acknowledgements,
// as a replication::AckWaiter.
//
// Session is the first base: the executor calls its hooks (OnWrite,
// OnExecuted, ...) on every command, and at offset 0 they need no this-adjusting
// thunk.
class Client final : public commands::Session,
                     public EventHandler,
                     public replication::Connection,
                     public replication::AckWaiter {
 public:
  // `tls`: the connection came in on the tls-port; its handshake runs from
  // the first events (null: a plain socket, read and written directly).
  Client(Server* server, Worker* worker, int fd, uint64_t id, std::string addr, std::string laddr,
         bool is_unix, std::shared_ptr<tls::Transport> tls = nullptr);
  ~Client() override;

  void OnEvent(uint32_t events) override;
  // Parses and runs whatever complete commands the input buffer holds.
  void ProcessInput();
  // Writes pending output once; arms EPOLLOUT if the socket is full.
  void Flush() override;
  // Closes now (from the owning thread); the object is deleted after the
  // current loop iteration.
  void Close() override;
  void CloseAfterReply() override { close_after_reply_ = true; }
  void DropConnection() override {
    close_after_reply_ = true;
    drop_output_ = true;
  }
  bool closing() const override { return closed_; }

  // --- commands::Session ---
  bool is_connection() const override { return true; }
  int resp() const override { return reply_.resp(); }
  void set_resp(int v) override {
    reply_.set_resp(v);
    resp_shared_.store(v, std::memory_order_relaxed);
  }
  bool can_block() const override { return true; }
  void OnWrite(int64_t log_offset) override;
  void ServeOthersWhileBusy() override;
  bool RetryLater() override;
  bool reprocessing() const override { return retrying_; }
  void OnExecuted(const commands::CommandSpec& spec,
                  std::span<const std::string_view> args) override;
  std::string_view address() const override { return addr; }
  std::string_view local_address() const override { return laddr; }
  bool unix_socket() const override { return is_unix; }

  // --- replication::Connection ---
  replication::WorkerThread& owner() const override;
  size_t output_pending() const override { return obuf_len.load(std::memory_order_relaxed); }
  uint64_t connection_id() const override { return id; }
  int socket_fd() const override { return fd; }
  // Replication: while a full sync streams the snapshot to this client's
  // socket from another thread, this client writes nothing itself.
  void set_raw_transfer(bool on) override;
  std::shared_ptr<tls::Transport> tls_transport() const override { return tls_; }
  // Appends bytes to the output as they are (the replication stream).
  void AppendRaw(std::string_view bytes) override { out_.append(bytes); }
  void StartStream(std::string_view already_read) override;

  // --- Owner-thread state ---
  protocol::ReplyBuilder& reply() { return reply_; }
  Worker* worker() const { return worker_; }
  Server* server() const { return server_; }
  // This connection is the link to our primary (replica side): its commands
  // are the replication stream of REPLICAOF generation `gen`.
  void set_primary_link(uint64_t gen);
  // CLIENT LIST / KILL TYPE: normal, master, replica or pubsub.
  std::string_view TypeName() const override;
  // The replica behind this connection (after REPLCONF or PSYNC/SYNC), or null.
  std::shared_ptr<replication::ReplicaSession>& replica_session() { return replica_session_; }
  // appendfsync always: the log offset this client's replies wait for.
  int64_t durable_wait() const { return durable_wait_; }
  // True while the client waits for CLIENT PAUSE to end.
  bool paused() const { return paused_; }
  // A TLS connection whose handshake has not completed yet.
  bool tls_handshaking() const;
  void Resume();

  // --- Blocking commands (owner thread) ---
  // Called by a blocking command that found nothing: the command will be run
  // again when one of `keys` changes, or answered with a null reply (or
  // `timeout_reply` if given) at deadline_ms (0 = never).
  void BlockOn(const std::vector<std::string>& keys, int64_t deadline_ms) override;
  bool blocked() const { return blocked_; }
  // True while a blocked command is being re-run after a wake-up.
  bool retrying_blocked() const override { return retrying_; }
  void SetBlockedArgs(std::vector<std::string> args) override;
  void RetryBlocked();
  // Ends the wait with a timeout (null) reply or with `error`.
  void UnblockWith(std::string_view error);
  int64_t block_deadline_ms() const { return block_deadline_ms_; }

  // --- Replica acknowledgements (owner thread; see replication/ack_tracker.h) ---
  // WAIT: holds the client (and its pipeline) until `numreplicas` replicas
  // acknowledged woff(), or until deadline_ms (0 = never); then replies the
  // number that did.
  void WaitForReplicas(int64_t numreplicas, int64_t deadline_ms);
  bool waiting_for_replicas() const { return waiting_replicas_; }
  // SHUTDOWN: the client reads nothing more until the shutdown ends it (the
  // process exits) or fails, when EndShutdownWait answers `error` and goes on.
  void WaitForShutdown() { waiting_shutdown_ = true; }
  void EndShutdownWait(std::string_view error);
  // Acknowledgements moved or time passed (`acks`: each online replica's
  // acknowledged offset): releases held replies, replaces timed-out ones by
  // an error, ends a WAIT.
  void OnReplicaAcks(std::span<const int64_t> acks, int64_t now_ms) override;
  // The earliest deadline of this client's waits for acknowledgements, 0 if none.
  int64_t ack_deadline_ms() const override;
  int worker_index() const override;

  // --- Pub/Sub (owner thread) ---
  // Appends a rendered message; enforces client-output-buffer-limit pubsub
  // and schedules a flush at the end of the loop iteration.
  void DeliverPush(std::string_view bytes);
  // CLIENT TRACKING: queues a rendered invalidation from any thread; the
  // owner writes it before its next command (DrainPushes) or from a posted
  // task. REQUIRES: the server's registry mutex is held (this client is alive).
  void QueuePush(std::string bytes);
  // Owner thread: writes what QueuePush queued.
  void DrainPushes() {
    if (push_pending_.load(std::memory_order_acquire)) DrainPushesSlow();
  }
  // Appends a MONITOR line and schedules a flush (normal client output
  // limits, as Redis counts a monitor as a normal client).
  void DeliverMonitor(std::string_view line);

  // --- Shared (read by other threads) ---
  const int fd;
  const std::string addr, laddr;
  const bool is_unix;
  const int64_t created_ms;
  std::atomic<int64_t> last_interaction_ms;
  std::atomic<int> resp_shared_{2};
  std::atomic<size_t> qbuf_len{0}, qbuf_cap{0}, obuf_len{0};
  std::atomic<bool> kill_requested{false};
  std::atomic<bool> blocked_shared_{false};
  // 0 normal, 1 replica (sent SYNC/PSYNC), 2 our primary.
  std::atomic<int> link_kind_{0};

  // Formats this client's CLIENT LIST line. Called with the registry mutex held.
  std::string InfoLine() const override;

 private:
  // Input received before the connection became a client (the bytes read
  // past a full sync's snapshot).
  void FeedInput(std::string_view bytes);
  // The reply just written from `begin` on belongs to a write run under
  // min-replicas-ack: it (and all output after it) waits for acknowledgements.
  void HoldForReplicas(size_t begin);
  // Ends a WAIT with the count of replicas, or with `error` if non-empty.
  void EndReplicaWait(std::string_view error);
  // Joins or leaves the worker's list of clients waiting for acknowledgements.
  void UpdateAckWaiter();
  void FinishBlocking(const commands::CommandSpec& spec, std::span<const std::string_view> args);
  void EndBlocking();
  void ReadSome();
  // A TLS connection's handshake step; false if the connection is closed or
  // the handshake must wait for more events.
  bool ContinueHandshake();
  // read(2)/write(2) on the socket, or through TLS.
  ssize_t ReadSocket(char* buf, size_t n);
  ssize_t WriteSocket(const char* buf, size_t n);
  // Runs one request through the executor, then applies CLIENT REPLY and
  // holds the reply for replicas if the write asked for it.
  void DispatchOne(std::span<const std::string_view> args);
  // Applies one command of the primary's stream (raw: its bytes).
  void RunFromPrimary(std::vector<std::string_view>& args, std::string_view raw);
  void UpdateSharedSizes();
  void DrainPushesSlow();

  Server* server_;
  Worker* worker_;
  // TLS (null for a plain connection). Shared with a full sync's snapshot
  // writer, which writes through it while raw_transfer_ is set.
  std::shared_ptr<tls::Transport> tls_;
  bool close_after_reply_ = false;
  bool drop_output_ = false;  // DropConnection: close without writing
  bool closed_ = false;
  bool paused_ = false;
  // The MULTI being queued holds a command that CLIENT PAUSE WRITE (and
  // FAILOVER) hold back, so its EXEC waits too (as in Redis).
  bool multi_pauses_ = false;
  bool dispatching_input_ = false;  // DispatchOne from ProcessInput: RetryLater may re-park
  bool retry_ = false;              // the request goes back to the buffer
  bool want_write_ = false;
  bool processing_ = false;
  // Blocking state.
  bool blocked_ = false;
  bool retrying_ = false;
  bool block_requested_ = false;
  int blocked_db_ = 0;
  int64_t block_deadline_ms_ = 0;
  std::vector<std::string> blocked_keys_;
  const commands::CommandSpec* blocked_spec_ = nullptr;

 public:
  // Blocked in XREAD / XREADGROUP (BlockingRegistry wakes those together).
  bool blocked_on_stream() const;

 private:
  std::vector<std::string> blocked_args_;
  std::vector<std::string> block_args_override_;  // SetBlockedArgs, until blocked
  int64_t obuf_soft_since_ms_ = 0;  // when the pending output first passed the soft limit

  // Input: bytes [in_pos_, in_len_) of in_buf_ are unconsumed.
  std::unique_ptr<char[]> in_buf_;
  size_t in_cap_ = 0;
  size_t in_len_ = 0;
  size_t in_pos_ = 0;
  bool raw_transfer_ = false;
  uint64_t primary_gen_ = 0;
  bool primary_ack_asked_ = false;  // the batch being applied had a REPLCONF GETACK
  std::string primary_pending_;     // stream bytes of a MULTI not yet EXECed
  std::shared_ptr<replication::ReplicaSession> replica_session_;
  int64_t durable_wait_ = 0;  // see durable_wait()
  // Replica acknowledgements. A held reply is out_[begin, end); nothing from
  // the first hold's begin on is written until it is released.
  struct AckHold {
    size_t begin, end;
    int64_t offset;       // what `needed` replicas must acknowledge
    int64_t deadline_ms;  // then the reply is replaced by an error
    int64_t needed;
    int64_t timeout_ms;
  };
  int64_t sync_offset_ = 0;        // a write under min-replicas-ack waits for this
  std::deque<AckHold> ack_holds_;  // oldest first
  bool waiting_replicas_ = false;  // WAIT in progress
  bool waiting_shutdown_ = false;  // SHUTDOWN in progress
  int64_t wait_numreplicas_ = 0, wait_offset_ = 0, wait_deadline_ms_ = 0;
  bool ack_waiter_ = false;  // listed by the AckTracker for this worker
  // QueuePush's messages, written by the owner thread.
  std::mutex push_mu_;
  std::string push_queue_;  // Guarded by push_mu_.
  std::atomic<bool> push_pending_{false};
  std::string out_;       // pending output starts at out_pos_
  size_t reply_capacity_ = 0;  // out_'s capacity when last seen (reply_buffer_expands)
  size_t out_pos_ = 0;
  protocol::ReplyBuilder reply_;
  protocol::RequestParser parser_;
  std::vector<std::string_view> args_;
};

}  // namespace basalt::server
