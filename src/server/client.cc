#include "server/client.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/tracking.h"
#include "common/clock.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/panic.h"
#include "common/strings.h"
#include "config/config.h"
#include "persistence/aof_writer.h"
#include "replication/ack_tracker.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "server/server.h"
#include "storage/keyspace.h"
#include "tls/transport.h"

namespace basalt::server {

namespace {

// Whether CLIENT PAUSE WRITE (and FAILOVER's pause) holds a command back:
// writes and may-replicate commands, and the scripts that may write (Redis
// 7.0 flags EVAL, EVALSHA and FCALL may-replicate; their _RO forms run).
bool PausedByWritePause(const commands::CommandSpec* spec) {
  if (spec == nullptr) return false;
  if (spec->flags & (commands::kWrite | commands::kMayReplicate)) return true;
  const std::string& n = spec->name;
  return n == "eval" || n == "evalsha" || n == "fcall";
}
constexpr size_t kReadChunk = 16 * 1024;
// Output beyond this is released after a flush instead of kept for reuse.
constexpr size_t kKeepOutputCapacity = 64 * 1024;
}  // namespace

Client::Client(Server* server, Worker* worker, int fd_in, uint64_t id_in, std::string addr_in,
               std::string laddr_in, bool unix_in, std::shared_ptr<tls::Transport> tls)
    : commands::Session(id_in, commands::Origin::kClient, server->executor().AclDefaultOpen()),
      fd(fd_in),
      addr(std::move(addr_in)),
      laddr(std::move(laddr_in)),
      is_unix(unix_in),
      created_ms(NowMs()),
      last_interaction_ms(created_ms),
      server_(server),
      worker_(worker),
      tls_(std::move(tls)),
      reply_(&out_, 2) {}

Client::~Client() = default;

void Client::OnEvent(uint32_t events) {
  if (closed_) return;
  if (tls_ != nullptr) {
    // While a snapshot writer owns the TLS session, this thread leaves it
    // alone; a hang-up ends the connection (the writer then fails).
    if (raw_transfer_) {
      if (events & (EPOLLHUP | EPOLLERR)) Close();
      return;
    }
    if (tls_handshaking() && !ContinueHandshake()) return;
  }
  // A TLS read may wait for the socket to be writable (and a write for it to
  // be readable): over TLS both directions are retried on any event.
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) || tls_ != nullptr) {
    ReadSome();
    if (!closed_) ProcessInput();
  }
  if (!closed_ && (events & EPOLLOUT)) want_write_ = true;
  if (!closed_) Flush();
}

bool Client::tls_handshaking() const { return tls_ != nullptr && !tls_->handshake_done(); }

bool Client::ContinueHandshake() {
  int h = tls_->Handshake();
  if (h < 0) {
    // Garbage, clear text or a refused certificate: the connection ends (as
    // Redis, which logs it at verbose level).
    Log(LogLevel::kVerbose, "Error accepting a client connection: %s (addr=%s laddr=%s)",
        tls_->error().c_str(), addr.c_str(), laddr.c_str());
    Close();
    return false;
  }
  if (h == 0) {
    uint32_t ev = tls_->wants_write() ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN);
    worker_->loop().Modify(fd, ev, this);
    want_write_ = tls_->wants_write();
    return false;
  }
  last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
  if (server_->config().tls_auth_clients_user_cn()) {
    std::string cn = tls_->PeerCommonName();
    if (!cn.empty()) server_->executor().AuthenticateByCertificate(*this, cn);
  }
  return true;
}

ssize_t Client::ReadSocket(char* buf, size_t n) {
  if (tls_ == nullptr) return read(fd, buf, n);
  return tls_->Read(buf, n);
}

ssize_t Client::WriteSocket(const char* buf, size_t n) {
  if (tls_ == nullptr) return write(fd, buf, n);
  return tls_->Write(buf, n);
}

void Client::set_raw_transfer(bool on) {
  raw_transfer_ = on;
  if (tls_ != nullptr && !closed_) {
    // The snapshot writer uses the TLS session from its thread: no events
    // here meanwhile (a hang-up is still reported).
    worker_->loop().Modify(fd, on ? 0u : uint32_t(EPOLLIN), this);
    want_write_ = false;
  }
}

void Client::ServeOthersWhileBusy() { worker_->loop().PollOnce(this); }

bool Client::RetryLater() {
  if (!dispatching_input_) return false;
  retry_ = true;
  return true;
}

void Client::ReadSome() {
  size_t want = std::max(kReadChunk, parser_.BytesWanted());
  // Drop consumed bytes before growing; the parser keeps offsets relative to
  // the unconsumed input, so it restarts after a move.
  if (in_pos_ > 0 && (in_pos_ == in_len_ || in_cap_ - in_len_ < want)) {
    memmove(in_buf_.get(), in_buf_.get() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
    parser_.Reset();
  }
  if (in_cap_ - in_len_ < want) {
    // Uninitialized growth: a read fills it, so no zeroing per read.
    size_t cap = std::max(in_cap_ * 2, in_len_ + want);
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (in_len_ > 0) memcpy(bigger.get(), in_buf_.get(), in_len_);
    in_buf_ = std::move(bigger);
    in_cap_ = cap;
    // maxmemory-clients: a query buffer that grows is checked at once (Redis
    // checks on every read), not only on the cron.
    if (server_->config().maxmemory_clients_raw() != 0) {
      qbuf_cap.store(in_cap_, std::memory_order_relaxed);
      server_->EvictClientsIfNeeded();
    }
  }
  ssize_t n = ReadSocket(in_buf_.get() + in_len_, in_cap_ - in_len_);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Close();
    return;
  }
  in_len_ += size_t(n);
  Bump(worker_->stats().reads, 1);
  if (is_primary_link()) {
    Bump(worker_->stats().net_repl_in, uint64_t(n));
    server_->replication_role().NoteRead(size_t(n));
  } else {
    Bump(worker_->stats().net_in, uint64_t(n));
  }
  last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
  if (in_len_ - in_pos_ > size_t(server_->config().client_query_buffer_limit())) {
    Log(LogLevel::kWarning, "Closing client that reached max query buffer length (qbuf=%zu)",
        in_len_ - in_pos_);
    Close();
  }
}

void Client::ProcessInput() {
  if (processing_ || paused_ || blocked_ || waiting_replicas_ || waiting_shutdown_) return;
  processing_ = true;
  protocol::ParserLimits limits;
  limits.max_bulk_len = server_->config().proto_max_bulk_len();
  limits.auth_required = !authenticated();
  while (!closed_ && !close_after_reply_ && in_pos_ < in_len_) {
    std::string_view buf(in_buf_.get() + in_pos_, in_len_ - in_pos_);
    size_t consumed = 0;
    auto r = parser_.Parse(buf, limits, &args_, &consumed);
    if (r == protocol::RequestParser::Result::kNeedMore) break;
    if (r == protocol::RequestParser::Result::kError) {
      Log(LogLevel::kVerbose, "Protocol error from client id=%llu: %s",
          (unsigned long long)id, parser_.error().c_str());
      std::string msg = "ERR " + parser_.error();
      server_->CountError(msg);
      reply_.Error(msg);
      in_pos_ = in_len_;
      close_after_reply_ = true;
      break;
    }
    if (args_.empty()) {
      in_pos_ += consumed;
      continue;
    }
    if (is_primary_link()) {
      std::string_view raw(in_buf_.get() + in_pos_, consumed);
      in_pos_ += consumed;
      RunFromPrimary(args_, raw);
      continue;
    }
    // CLIENT PAUSE: leave the command in the buffer and retry when it ends.
    if (server_->paused_any()) {
      const commands::CommandSpec* spec = server_->commands().Find(args_[0]);
      bool is_write = PausedByWritePause(spec) ||
                      (spec != nullptr && spec->traits.is_exec && in_multi() && multi_pauses_);
      if (spec != nullptr && server_->MustPause(is_write)) {
        parser_.Reset();
        paused_ = true;
        worker_->PauseClient(this);
        break;
      }
    }
    size_t start = in_pos_;
    in_pos_ += consumed;
    bool queues_paused = in_multi() && PausedByWritePause(server_->commands().Find(args_[0]));
    // CLIENT TRACKING: the table is held to tracking-table-max-keys before
    // each command, and what writers queued for us goes before this reply.
    if (server_->tracker().OverLimit()) server_->tracker().EnforceLimit();
    DrainPushes();
    dispatching_input_ = true;
    DispatchOne(args_);
    dispatching_input_ = false;
    // Our own writes' invalidations follow their reply.
    DrainPushes();
    if (!in_multi()) {
      multi_pauses_ = false;
    } else if (queues_paused) {
      multi_pauses_ = true;
    }
    if (retry_) {
      // A script holds the shard: the request goes back in the buffer and
      // is tried again on the next loop round, like a paused client's.
      retry_ = false;
      in_pos_ = start;
      parser_.Reset();
      paused_ = true;
      worker_->PauseClient(this);
      break;
    }
    limits.auth_required = !authenticated();
    // A blocked command (or a WAIT) holds back the rest of the pipeline.
    if (blocked_ || waiting_replicas_ || waiting_shutdown_) break;
  }
  if (in_pos_ == in_len_) {
    in_pos_ = 0;
    in_len_ = 0;
    // Give back buffers grown for a big request.
    if (in_cap_ > 4 * kReadChunk) {
      in_buf_.reset();
      in_cap_ = 0;
    }
  }
  processing_ = false;
  // BCAST invalidations of this batch's writes, before the replies leave.
  server_->tracker().FlushBroadcasts();
  UpdateSharedSizes();
  // REPLCONF GETACK: answered once the whole batch that carried it is
  // applied (the cron acknowledges once a second otherwise).
  if (is_primary_link() && !closed_ && primary_ack_asked_) {
    primary_ack_asked_ = false;
    server_->replication_role().SendAck(this);
  }
}

void Client::RunFromPrimary(std::vector<std::string_view>& args, std::string_view raw) {
  replication::Role& role = server_->replication_role();
  if (role.generation() != primary_gen_) {
    // REPLICAOF moved on: nothing more of this stream may apply.
    Close();
    return;
  }
  if (args.size() >= 2 && EqualsIgnoreCase(args[0], "replconf") &&
      EqualsIgnoreCase(args[1], "getack")) {
    primary_ack_asked_ = true;
  }
  std::lock_guard<std::mutex> apply(role.apply_mu());
  if (role.generation() != primary_gen_) {
    // Changed while this command waited for the lock (REPLICAOF, FENCE).
    Close();
    return;
  }
  size_t mark = out_.size();
  storage::SetPrimaryContext(true);
  replication::Role::SetApplyingThread(true);
  DispatchOne(args);
  replication::Role::SetApplyingThread(false);
  storage::SetPrimaryContext(false);
  if (out_.size() > mark && out_[mark] == '-') {
    // propagation-error-behavior: a command that fails on a read-only
    // replica means its data differs from the primary's; "panic" and
    // "panic-on-replicas" stop rather than go on diverging (Redis 7.0; a
    // writable replica may hold keys of its own, so it never panics).
    if (server_->config().propagation_error_behavior() !=
            config::Config::PropagationError::kIgnore &&
        server_->config().replica_read_only()) {
      size_t end = out_.find('\r', mark);
      Panic("This replica panicked sending an error to its master after processing the command '" +
            CStringPrefix(args[0], 64) + "': " + out_.substr(mark + 1, end - mark - 1));
    }
    static std::atomic<int64_t> last_log_ms{0};
    int64_t now = NowMs();
    if (now - last_log_ms.load(std::memory_order_relaxed) >= 1000) {
      last_log_ms.store(now, std::memory_order_relaxed);
      size_t end = out_.find('\r', mark);
      Log(LogLevel::kWarning, "Command '%s' received from MASTER failed: %s",
          CStringPrefix(args[0], 64).c_str(), out_.substr(mark + 1, end - mark - 1).c_str());
    }
  }
  out_.resize(mark);  // the primary gets no replies, only ACKs
  primary_pending_.append(raw);
  if (!in_multi()) {
    role.OnPrimaryApplied(primary_pending_, db());
    primary_pending_.clear();
  }
}

void Client::set_primary_link(uint64_t gen) {
  set_origin(commands::Origin::kPrimary);
  primary_gen_ = gen;
  set_authenticated(true);
  link_kind_.store(2);
}

void Client::StartStream(std::string_view already_read) {
  if (!already_read.empty()) FeedInput(already_read);
  ProcessInput();
}

replication::WorkerThread& Client::owner() const { return *worker_; }

int Client::worker_index() const { return worker_->index(); }

void Client::FeedInput(std::string_view bytes) {
  if (in_cap_ - in_len_ < bytes.size()) {
    size_t cap = std::max(in_cap_ * 2, in_len_ + bytes.size() + kReadChunk);
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (in_len_ > 0) memcpy(bigger.get(), in_buf_.get(), in_len_);
    in_buf_ = std::move(bigger);
    in_cap_ = cap;
  }
  memcpy(in_buf_.get() + in_len_, bytes.data(), bytes.size());
  in_len_ += bytes.size();
}

std::string_view Client::TypeName() const {
  switch (link_kind_.load(std::memory_order_relaxed)) {
    case 1:
      return "replica";
    case 2:
      return "master";
    default:
      break;
  }
  return nsub.load() + npsub.load() + nssub.load() > 0 ? "pubsub" : "normal";
}

void Client::Resume() {
  paused_ = false;
  if (closed_) return;
  ProcessInput();
  Flush();
}

void Client::DispatchOne(std::span<const std::string_view> args) {
  // CLIENT REPLY OFF/SKIP: replies are written, then cut off if the mode in
  // force when the command ends says so (so CLIENT REPLY ON's +OK survives).
  size_t mark = out_.size();
  ReplyMode mode_before = reply_mode();
  server_->executor().Dispatch(*this, args, reply_);
  bool suppress = reply_mode() == ReplyMode::kOff ||
                  (mode_before == ReplyMode::kSkipNext && reply_mode() == ReplyMode::kSkipNext);
  if (suppress) out_.resize(mark);
  if (reply_mode() == ReplyMode::kSkipNext) {
    set_reply_mode(ReplyMode::kOn);
  } else if (reply_mode() == ReplyMode::kSkip) {
    set_reply_mode(ReplyMode::kSkipNext);
  }
  if (sync_offset_ != 0) HoldForReplicas(mark);
  // CLIENT CACHING applies to the next command, or to a whole transaction
  // (and still to a command that will run again, RetryLater).
  if (tracking && !retry_ && !in_multi() && !EqualsIgnoreCase(args[0], "client")) {
    tracking->caching = false;
  }
}

void Client::QueuePush(std::string bytes) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(push_mu_);
    first = push_queue_.empty();
    push_queue_.append(bytes);
    push_pending_.store(true, std::memory_order_release);
  }
  if (!first) return;
  Worker* w = worker_;
  uint64_t client_id = id;
  w->loop().Post([w, client_id] {
    if (Client* c = w->FindClient(client_id)) c->DrainPushes();
  });
}

void Client::DrainPushesSlow() {
  std::string bytes;
  {
    std::lock_guard<std::mutex> lock(push_mu_);
    bytes.swap(push_queue_);
    push_pending_.store(false, std::memory_order_relaxed);
  }
  if (!bytes.empty()) DeliverPush(bytes);
}

void Client::OnWrite(int64_t log_offset) {
  // AOF on: the reply waits until the write is in the file (on disk under
  // appendfsync always).
  if (server_->aof_writer().sync_replies()) durable_wait_ = log_offset;
  // min-replicas-ack: the reply waits for the replicas (DispatchOne).
  if (admitted() && server_->ack_tracker().sync_enabled()) sync_offset_ = log_offset;
}

void Client::OnExecuted(const commands::CommandSpec& spec, std::span<const std::string_view> args) {
  if (block_requested_ && !retrying_) FinishBlocking(spec, args);
}

void Client::DeliverPush(std::string_view bytes) {
  if (closed_) return;
  out_.append(bytes);
  // client-output-buffer-limit pubsub (32mb 8mb 60 by default): a
  // subscriber that cannot keep up is disconnected, never buffered forever.
  Config::ObufLimit limit =
      server_->config().client_output_buffer_limit(Config::ObufClass::kPubsub);
  size_t hard = limit.hard > 0 ? size_t(limit.hard) : SIZE_MAX;
  size_t soft = limit.soft > 0 ? size_t(limit.soft) : SIZE_MAX;
  int64_t soft_seconds = limit.soft_seconds;
  size_t pending = out_.size() - out_pos_;
  if (pending > hard) {
    Log(LogLevel::kWarning, "Client id=%llu closed for overcoming of output buffer limits.",
        (unsigned long long)id);
    Close();
    return;
  }
  if (pending > soft) {
    int64_t now = NowMs();
    if (obuf_soft_since_ms_ == 0) obuf_soft_since_ms_ = now;
    if (now - obuf_soft_since_ms_ > soft_seconds * 1000) {
      Log(LogLevel::kWarning, "Client id=%llu closed for overcoming of output buffer limits.",
          (unsigned long long)id);
      Close();
      return;
    }
  } else {
    obuf_soft_since_ms_ = 0;
  }
  worker_->ScheduleFlush(this);
}

void Client::DeliverMonitor(std::string_view line) {
  if (closed_) return;
  out_.append(line);
  worker_->ScheduleFlush(this);
}

void Client::BlockOn(const std::vector<std::string>& keys, int64_t deadline_ms) {
  block_requested_ = true;
  if (blocked_) return;  // a retry that found nothing keeps its place
  blocked_keys_ = keys;
  blocked_db_ = db();
  block_deadline_ms_ = deadline_ms;
}

void Client::SetBlockedArgs(std::vector<std::string> args) {
  if (!blocked_) block_args_override_ = std::move(args);
}

void Client::FinishBlocking(const commands::CommandSpec& spec,
                            std::span<const std::string_view> args) {
  if (!block_requested_ || blocked_) return;
  // First time this command blocks: remember it to run it again on wake-up.
  blocked_ = true;
  blocked_spec_ = &spec;
  if (!block_args_override_.empty()) {
    blocked_args_ = std::move(block_args_override_);
    block_args_override_.clear();
  } else {
    blocked_args_.assign(args.begin(), args.end());
  }
  blocked_shared_.store(true);
  server_->blocking().Block(this, blocked_db_, blocked_keys_);
  worker_->AddBlocked(this);
}

bool Client::blocked_on_stream() const {
  return blocked_spec_ != nullptr && blocked_spec_->name.starts_with("xread");
}

void Client::EndBlocking() {
  server_->blocking().Unblock(this, blocked_db_, blocked_keys_);
  worker_->RemoveBlocked(this);
  blocked_ = false;
  blocked_shared_.store(false);
  block_requested_ = false;
  blocked_spec_ = nullptr;
  blocked_args_.clear();
}

void Client::RetryBlocked() {
  if (!blocked_ || closed_) return;
  retrying_ = true;
  block_requested_ = false;
  std::vector<std::string_view> views(blocked_args_.begin(), blocked_args_.end());
  size_t mark = out_.size();
  // Its writes are its own (CLIENT TRACKING NOLOOP), whoever woke it.
  commands::CallerScope caller(this);
  server_->executor().Execute(*this, *blocked_spec_, views, reply_);
  if (sync_offset_ != 0) HoldForReplicas(mark);
  retrying_ = false;
  if (block_requested_) {
    block_requested_ = false;  // still nothing: keep waiting in place
    return;
  }
  std::vector<std::string> keys = blocked_keys_;  // EndBlocking needs them too
  int db = blocked_db_;
  EndBlocking();
  // What is left may serve the next client in line.
  for (const std::string& k : keys) server_->blocking().Signal(db, k);
  Flush();
  ProcessInput();
  Flush();
}

void Client::UnblockWith(std::string_view error) {
  if (waiting_replicas_ && !closed_) {
    // CLIENT UNBLOCK of a WAIT: TIMEOUT answers the count so far.
    EndReplicaWait(error);
    return;
  }
  if (!blocked_ || closed_) return;
  // Redis answers every timed-out blocking command with a null array, even
  // BLMOVE/BRPOPLPUSH (whose MULTI form answers a null bulk).
  if (!error.empty()) {
    server_->CountError(error);
    reply_.Error(error);
  } else {
    reply_.NullArray();
  }
  EndBlocking();
  Flush();
  ProcessInput();
  Flush();
}

void Client::Flush() {
  if (closed_ || raw_transfer_) return;
  if (drop_output_) {
    Close();
    return;
  }
  // AOF on: a write's reply leaves only once the write is in the file (on
  // disk under always); the worker writes once for all its clients after
  // this round.
  if (durable_wait_ != 0 && out_pos_ < out_.size()) {
    if (server_->aof_writer().sync_replies() &&
        !server_->aof_writer().IsDurable(durable_wait_)) {
      worker_->ScheduleFlush(this);
      return;
    }
    durable_wait_ = 0;
  }
  // min-replicas-ack: from the first held reply on, output waits for the
  // replicas' acknowledgements (OnReplicaAcks flushes again).
  size_t limit = ack_holds_.empty() ? out_.size() : ack_holds_.front().begin;
  while (out_pos_ < limit) {
    ssize_t n = WriteSocket(out_.data() + out_pos_, limit - out_pos_);
    if (n > 0) {
      out_pos_ += size_t(n);
      Bump(worker_->stats().writes, 1);
      Bump(link_kind_.load(std::memory_order_relaxed) == 1 ? worker_->stats().net_repl_out
                                                           : worker_->stats().net_out,
           uint64_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    Close();
    return;
  }
  // The reply buffer grew past what it had (a big reply, a pipeline's worth):
  // counted like Redis's reply buffer expansions.
  if (out_.capacity() > reply_capacity_) {
    if (reply_capacity_ != 0) Bump(worker_->stats().reply_expands, 1);
    reply_capacity_ = out_.capacity();
  }
  bool pending = out_pos_ < out_.size();
  // Only output the socket refused asks for EPOLLOUT, not held output (and
  // a TLS read that must write first).
  bool socket_full = out_pos_ < limit || (tls_ != nullptr && tls_->wants_write());
  if (!pending) {
    out_pos_ = 0;
    if (out_.capacity() > kKeepOutputCapacity) {
      std::string().swap(out_);
      reply_capacity_ = out_.capacity();
      Bump(worker_->stats().reply_shrinks, 1);
    } else {
      out_.clear();
    }
    if (close_after_reply_) {
      Close();
      return;
    }
  } else if (!ack_holds_.empty() && !processing_ && out_pos_ >= kKeepOutputCapacity &&
             out_pos_ * 2 >= out_.size()) {
    // Held replies keep the output from ever emptying under a steady stream
    // of writes: drop what was sent. (Not while a command runs: DispatchOne
    // keeps a position in out_.)
    out_.erase(0, out_pos_);
    for (AckHold& h : ack_holds_) {
      h.begin -= out_pos_;
      h.end -= out_pos_;
    }
    out_pos_ = 0;
  }
  if (socket_full != want_write_) {
    want_write_ = socket_full;
    worker_->loop().Modify(fd, socket_full ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN),
                           this);
  }
  obuf_len.store(out_.size() - out_pos_, std::memory_order_relaxed);
}

void Client::UpdateSharedSizes() {
  qbuf_len.store(in_len_ - in_pos_, std::memory_order_relaxed);
  qbuf_cap.store(in_cap_, std::memory_order_relaxed);
}

void Client::Close() {
  if (closed_) return;
  closed_ = true;
  if (replica_session_) {
    replica_session_->Detach();
    replica_session_.reset();
  }
  if (is_primary_link()) server_->replication_role().OnPrimaryClientClosed(this);
  if (ack_waiter_) {
    server_->ack_tracker().RemoveWaiter(this);
    ack_waiter_ = false;
  }
  if (waiting_replicas_) {
    waiting_replicas_ = false;
    blocked_shared_.store(false);
  }
  server_->watches().RemoveAll(this);
  server_->pubsub().UnsubscribeAll(this);
  server_->tracker().ClientClosed(*this);
  server_->monitors().Remove(*this);
  if (blocked_) EndBlocking();
  // Out of the registry before the socket closes: once the peer sees the
  // close, CLIENT KILL/LIST must no longer find this client.
  server_->Unregister(this);
  worker_->loop().Remove(fd);
  if (tls_ != nullptr) {
    // The transport owns the socket: a snapshot writer still holding it
    // keeps the number from being reused until it lets go.
    if (!raw_transfer_) tls_->Shutdown();
    tls_.reset();
  } else {
    close(fd);
  }
  worker_->RetireClient(this);
}

// ---------------------------------------------------------------- Replica acks

void Client::HoldForReplicas(size_t begin) {
  int64_t offset = sync_offset_;
  sync_offset_ = 0;
  // No reply (CLIENT REPLY OFF, or a blocking command that parked): nothing
  // to hold back.
  if (closed_ || out_.size() <= begin) return;
  const Config& cfg = server_->config();
  int64_t needed = cfg.min_replicas_ack();
  if (needed <= 0) return;
  int64_t timeout = cfg.min_replicas_ack_timeout();
  ack_holds_.push_back(AckHold{begin, out_.size(), offset, NowMs() + timeout, needed, timeout});
  server_->ack_tracker().RequestAck(offset);
  UpdateAckWaiter();
}

void Client::WaitForReplicas(int64_t numreplicas, int64_t deadline_ms) {
  waiting_replicas_ = true;
  wait_numreplicas_ = numreplicas;
  wait_offset_ = woff();
  wait_deadline_ms_ = deadline_ms;
  blocked_shared_.store(true);
  // As Redis: every WAIT that has to wait asks the replicas for an ACK.
  server_->ack_tracker().RequestAck(woff(), true);
  UpdateAckWaiter();
}

void Client::EndShutdownWait(std::string_view error) {
  if (!waiting_shutdown_ || closed_) return;
  waiting_shutdown_ = false;
  server_->CountError(error);
  reply_.Error(error);
  Flush();
  ProcessInput();
  Flush();
}

void Client::EndReplicaWait(std::string_view error) {
  waiting_replicas_ = false;
  blocked_shared_.store(false);
  if (!error.empty()) {
    server_->CountError(error);
    reply_.Error(error);
  } else {
    reply_.Integer(server_->ack_tracker().CountAcked(wait_offset_));
  }
  UpdateAckWaiter();
  Flush();
  ProcessInput();
  Flush();
}

void Client::OnReplicaAcks(std::span<const int64_t> acks, int64_t now_ms) {
  if (closed_) return;
  bool released = false;
  while (!ack_holds_.empty()) {
    AckHold& h = ack_holds_.front();
    // Time held, for the metrics (millisecond resolution: the hold's start
    // is its deadline minus its timeout).
    int64_t waited_us = (now_ms - (h.deadline_ms - h.timeout_ms)) * 1000;
    if (replication::CountAckedAtLeast(acks, h.offset) < h.needed) {
      if (now_ms < h.deadline_ms) break;
      server_->ack_tracker().NoteSyncTimeout(waited_us);
      // Too late: the write stays applied here, but its client must not take
      // it as replicated. Only a write's own reply is replaced.
      std::string msg = replication::SyncTimeoutError(h.needed, h.timeout_ms);
      server_->CountError(msg);
      std::string wire = "-" + msg + "\r\n";
      out_.replace(h.begin, h.end - h.begin, wire);
      size_t old_len = h.end - h.begin;
      for (size_t i = 1; i < ack_holds_.size(); i++) {
        ack_holds_[i].begin = ack_holds_[i].begin - old_len + wire.size();
        ack_holds_[i].end = ack_holds_[i].end - old_len + wire.size();
      }
    } else {
      server_->ack_tracker().NoteSyncAcked(waited_us);
    }
    ack_holds_.pop_front();
    released = true;
  }
  if (waiting_replicas_) {
    int64_t n = replication::CountAckedAtLeast(acks, wait_offset_);
    if (n >= wait_numreplicas_ || (wait_deadline_ms_ != 0 && now_ms >= wait_deadline_ms_)) {
      EndReplicaWait("");
      return;
    }
  }
  UpdateAckWaiter();
  if (released) Flush();
}

int64_t Client::ack_deadline_ms() const {
  int64_t d = ack_holds_.empty() ? 0 : ack_holds_.front().deadline_ms;
  if (waiting_replicas_ && wait_deadline_ms_ != 0 && (d == 0 || wait_deadline_ms_ < d)) {
    d = wait_deadline_ms_;
  }
  return d;
}

void Client::UpdateAckWaiter() {
  bool want = !closed_ && (waiting_replicas_ || !ack_holds_.empty());
  if (want == ack_waiter_) return;
  ack_waiter_ = want;
  if (want) {
    server_->ack_tracker().AddWaiter(this);
  } else {
    server_->ack_tracker().RemoveWaiter(this);
  }
}

std::string Client::InfoLine() const {
  int64_t now = NowMs();
  const commands::CommandSpec* cmd = last_cmd.load(std::memory_order_relaxed);
  std::string flags;
  if (monitor.load(std::memory_order_relaxed)) flags += "O";
  if (link_kind_.load() == 2) flags += "M";
  if (link_kind_.load() == 1) flags += "S";
  if (nsub.load() + npsub.load() + nssub.load() > 0) flags += "P";
  int multi = multi_shared.load(std::memory_order_relaxed);
  if (multi >= 0) flags += "x";
  if (blocked_shared_.load()) flags += "b";
  // tracking is created under the registry mutex, which the caller holds.
  const commands::ClientTracking* t = tracking.get();
  bool tracking_on = t != nullptr && t->on.load();
  if (tracking_on) flags += "t";
  if (tracking_on && t->broken_redirect.load()) flags += "R";
  if (tracking_on && t->bcast.load()) flags += "B";
  if (watch_dirty_.load(std::memory_order_relaxed)) flags += "d";
  if (is_unix) flags += "U";
  if (no_evict()) flags += "e";
  if (flags.empty()) flags = "N";
  size_t qlen = qbuf_len.load(std::memory_order_relaxed);
  size_t qcap = qbuf_cap.load(std::memory_order_relaxed);
  char buf[1024];
  snprintf(buf, sizeof(buf),
           "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%zu "
           "psub=%zu ssub=%zu multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=%zu rbs=%zu "
           "rbp=%zu obl=%zu oll=0 omem=0 tot-mem=%zu events=r cmd=%s user=%s redir=%lld "
           "resp=%d",
           (unsigned long long)id, addr.c_str(), laddr.c_str(), fd, name.c_str(),
           (long long)((now - created_ms) / 1000),
           (long long)((now - last_interaction_ms.load(std::memory_order_relaxed)) / 1000),
           flags.c_str(), db(), nsub.load(), npsub.load(), nssub.load(), multi, qlen,
           qcap > qlen ? qcap - qlen : 0,
           multi_mem_shared.load(std::memory_order_relaxed), qcap, qlen,
           obuf_len.load(std::memory_order_relaxed), qcap + sizeof(Client),
           cmd ? cmd->name.c_str() : "NULL", user_name.c_str(), tracking_on ? (long long)t->redirect.load() : -1LL,
           resp_shared_.load(std::memory_order_relaxed));
  return buf;
}

}  // namespace basalt::server
