#include "config/config.h"
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
#include "commands/helpers.h"
#include "common/clock.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "server/replica_acks.h"
#include "server/replica_link.h"
#include "server/replication.h"
#include "server/server.h"
#include "storage/keyspace.h"

namespace basalt::server {

using config::Config;
using config::MaxmemoryPolicy;
using config::ProtectedConfigs;
using config::SaveParam;
namespace {
constexpr size_t kReadChunk = 16 * 1024;
// Output beyond this is released after a flush instead of kept for reuse.
constexpr size_t kKeepOutputCapacity = 64 * 1024;

// At most `max` bytes of s, stopping at a NUL as C string formatting does
// (Redis's error texts are built that way).
std::string Truncated(std::string_view s, size_t max) {
  s = s.substr(0, std::min(s.size(), max));
  return std::string(s.substr(0, std::min(s.size(), s.find('\0'))));
}
}  // namespace

Client::Client(Server* server, Worker* worker, int fd_in, uint64_t id_in, std::string addr_in,
               std::string laddr_in, bool unix_in)
    : id(id_in),
      fd(fd_in),
      addr(std::move(addr_in)),
      laddr(std::move(laddr_in)),
      is_unix(unix_in),
      created_ms(NowMs()),
      last_interaction_ms(created_ms),
      server_(server),
      worker_(worker),
      authenticated_(server->config().requirepass().empty()),
      reply_(&out_, 2) {}

Client::~Client() = default;

void Client::OnEvent(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    ReadSome();
    if (!closed_) ProcessInput();
  }
  if (!closed_ && (events & EPOLLOUT)) want_write_ = true;
  if (!closed_) Flush();
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
  }
  ssize_t n = read(fd, in_buf_.get() + in_len_, in_cap_ - in_len_);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Close();
    return;
  }
  in_len_ += size_t(n);
  Bump(worker_->stats().net_in, uint64_t(n));
  if (primary_link_) server_->replication().NoteRead(size_t(n));
  last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
  if (in_len_ - in_pos_ > size_t(server_->config().client_query_buffer_limit())) {
    Log(LogLevel::kWarning, "Closing client that reached max query buffer length (qbuf=%zu)",
        in_len_ - in_pos_);
    Close();
  }
}

void Client::ProcessInput() {
  if (processing_ || paused_ || blocked_ || waiting_replicas_) return;
  processing_ = true;
  protocol::ParserLimits limits;
  limits.max_bulk_len = server_->config().proto_max_bulk_len();
  limits.auth_required = !authenticated_;
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
    if (primary_link_) {
      std::string_view raw(in_buf_.get() + in_pos_, consumed);
      in_pos_ += consumed;
      RunFromPrimary(args_, raw);
      continue;
    }
    // CLIENT PAUSE: leave the command in the buffer and retry when it ends.
    if (server_->paused_any()) {
      const commands::CommandSpec* spec = server_->commands().Find(args_[0]);
      bool is_write = spec != nullptr && (spec->flags & (commands::kWrite | commands::kMayReplicate));
      if (spec != nullptr && server_->MustPause(is_write)) {
        parser_.Reset();
        paused_ = true;
        worker_->PauseClient(this);
        break;
      }
    }
    in_pos_ += consumed;
    DispatchOne(args_);
    limits.auth_required = !authenticated_;
    // A blocked command (or a WAIT) holds back the rest of the pipeline.
    if (blocked_ || waiting_replicas_) break;
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
  UpdateSharedSizes();
  // REPLCONF GETACK: answered once the whole batch that carried it is
  // applied (the cron acknowledges once a second otherwise).
  if (primary_link_ && !closed_ && primary_ack_asked_) {
    primary_ack_asked_ = false;
    server_->replication().SendAck(this);
  }
}

void Client::RunFromPrimary(std::vector<std::string_view>& args, std::string_view raw) {
  Replication& repl = server_->replication();
  if (repl.generation() != primary_gen_) {
    // REPLICAOF moved on: nothing more of this stream may apply.
    Close();
    return;
  }
  if (args.size() >= 2 && commands::EqualsIgnoreCase(args[0], "replconf") &&
      commands::EqualsIgnoreCase(args[1], "getack")) {
    primary_ack_asked_ = true;
  }
  std::lock_guard<std::mutex> apply(repl.apply_mu());
  size_t mark = out_.size();
  storage::SetPrimaryContext(true);
  Replication::SetApplyingThread(true);
  DispatchOne(args);
  Replication::SetApplyingThread(false);
  storage::SetPrimaryContext(false);
  if (out_.size() > mark && out_[mark] == '-') {
    static std::atomic<int64_t> last_log_ms{0};
    int64_t now = NowMs();
    if (now - last_log_ms.load(std::memory_order_relaxed) >= 1000) {
      last_log_ms.store(now, std::memory_order_relaxed);
      size_t end = out_.find('\r', mark);
      Log(LogLevel::kWarning, "Command '%s' received from MASTER failed: %s",
          Truncated(args[0], 64).c_str(), out_.substr(mark + 1, end - mark - 1).c_str());
    }
  }
  out_.resize(mark);  // the primary gets no replies, only ACKs
  primary_pending_.append(raw);
  if (!in_multi_) {
    repl.OnPrimaryApplied(primary_pending_, db());
    primary_pending_.clear();
  }
}

void Client::set_primary_link(uint64_t gen) {
  primary_link_ = true;
  primary_gen_ = gen;
  authenticated_ = true;
  link_kind_.store(2);
}

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

void Client::DispatchOne(std::vector<std::string_view>& args) {
  ThreadStats& stats = worker_->stats();
  Bump(stats.commands);
  const commands::CommandSpec* spec = server_->commands().Find(args[0]);
  // CLIENT REPLY OFF/SKIP: replies are written, then cut off if the mode in
  // force when the command ends says so (so CLIENT REPLY ON's +OK survives).
  size_t mark = out_.size();
  ReplyMode mode_before = reply_mode_;
  protocol::ReplyBuilder& rb = reply_;
  auto reject = [&](std::string msg) {
    // A refused EXEC answers EXECABORT (in or out of MULTI) and discards
    // any transaction, as Redis does.
    if (spec != nullptr && spec->name == "exec") {
      if (in_multi_) DiscardMulti();
      std::string_view why = msg;
      if (why.starts_with("ERR ")) why.remove_prefix(4);
      msg = "EXECABORT Transaction discarded because of: " + std::string(why);
    }
    server_->CountError(msg);
    rb.Error(msg);
    // A command refused while queueing dooms the transaction (EXECABORT).
    if (in_multi_) multi_error_ = true;
  };
  if (spec == nullptr) {
    std::string msg = "ERR unknown command '" + Truncated(args[0], 128) + "', with args beginning with: ";
    std::string rest;
    for (size_t i = 1; i < args.size() && rest.size() < 128; i++) {
      rest += "'" + Truncated(args[i], 128 - rest.size()) + "' ";
    }
    reject(msg + rest);
  } else {
    if (!spec->subcommands.empty() && args.size() >= 2) {
      std::string sub(args[1]);
      for (char& ch : sub) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      const commands::CommandSpec* s = spec->FindSubcommand(sub);
      if (s == nullptr) {
        std::string upper = spec->name;
        for (char& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
        reject("ERR unknown subcommand '" + Truncated(args[1], 128) + "'. Try " + upper +
               " HELP.");
        spec = nullptr;
      } else {
        spec = s;
      }
    }
    if (spec != nullptr) {
      int argc = int(args.size());
      std::string refusal;
      if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
        Bump(stats.cmd[spec->id].rejected);
        reject("ERR wrong number of arguments for '" + spec->name + "' command");
      } else if (!authenticated_ && !(spec->flags & commands::kNoAuth)) {
        Bump(stats.cmd[spec->id].rejected);
        reject("NOAUTH Authentication required.");
      } else if (!loader_ && !primary_link_ && !(spec->flags & commands::kLoading) &&
                 server_->persistence().loading()) {
        Bump(stats.cmd[spec->id].rejected);
        reject("LOADING Redis is loading the dataset in memory");
      } else if (!loader_ && !primary_link_ && (spec->is_write() || spec->name == "ping") &&
                 !(refusal = server_->persistence().WriteRefusal()).empty()) {
        Bump(stats.cmd[spec->id].rejected);
        reject(refusal);
      } else if (!loader_ && !primary_link_ &&
                 (spec->is_write() || (spec->name == "exec" && QueuedWrites())) &&
                 !(refusal = server_->replica_acks().WriteRefusal()).empty()) {
        // min-replicas-to-write / min-replicas-ack: too few replicas.
        Bump(stats.cmd[spec->id].rejected);
        reject(refusal);
      } else if (!primary_link_ && spec->is_write() && server_->replication().is_replica() &&
                 server_->config().replica_read_only()) {
        Bump(stats.cmd[spec->id].rejected);
        reject("READONLY You can't write against a read only replica.");
      } else if (!primary_link_ && !(spec->flags & commands::kStale) &&
                 !server_->config().replica_serve_stale_data() &&
                 server_->replication().is_replica() && !server_->replication().link_up()) {
        Bump(stats.cmd[spec->id].rejected);
        reject("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
      } else if (server_->config().maxmemory() > 0 && !primary_link_ &&
                 !(server_->replication().is_replica() &&
                   server_->config().replica_ignore_maxmemory()) &&
                 !server_->EvictIfNeeded() && (spec->flags & commands::kDenyOom)) {
        Bump(stats.cmd[spec->id].rejected);
        reject("OOM command not allowed when used memory > 'maxmemory'.");
      } else if (reply_.resp() == 2 && (sub_count() > 0 || !shard_channels_.empty()) &&
                 !AllowedWhileSubscribed(*spec)) {
        reject("ERR Can't execute '" + spec->name +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context");
      } else if (in_multi_ && !IsTransactionControl(*spec)) {
        if (spec->flags & commands::kNoMulti) {
          Bump(stats.cmd[spec->id].rejected);
          reject("ERR Command not allowed inside a transaction");
        } else {
          queued_.push_back(QueuedCommand{spec, std::vector<std::string>(args.begin(), args.end())});
          rb.SimpleString("QUEUED");
        }
      } else {
        Execute(*spec, args, rb);
      }
    }
  }
  bool suppress = reply_mode_ == ReplyMode::kOff ||
                  (mode_before == ReplyMode::kSkipNext && reply_mode_ == ReplyMode::kSkipNext);
  if (suppress) out_.resize(mark);
  if (reply_mode_ == ReplyMode::kSkipNext) {
    reply_mode_ = ReplyMode::kOn;
  } else if (reply_mode_ == ReplyMode::kSkip) {
    reply_mode_ = ReplyMode::kSkipNext;
  }
  if (sync_offset_ != 0) HoldForReplicas(mark);
}

std::set<std::string>& Client::subscriptions(SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return channels_;
    case SubKind::kPattern:
      return patterns_;
    case SubKind::kShard:
      break;
  }
  return shard_channels_;
}

void Client::UnsubscribeAll() {
  for (SubKind k : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    for (const std::string& name : subscriptions(k)) server_->pubsub().Unsubscribe(this, k, name);
    subscriptions(k).clear();
  }
  nsub = 0;
  npsub = 0;
  nssub = 0;
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

bool Client::AllowedWhileSubscribed(const commands::CommandSpec& spec) {
  const std::string& n = spec.parent ? spec.parent->name : spec.name;
  return n == "subscribe" || n == "psubscribe" || n == "ssubscribe" || n == "unsubscribe" ||
         n == "punsubscribe" || n == "sunsubscribe" || n == "ping" || n == "quit" ||
         n == "reset";
}

bool Client::IsTransactionControl(const commands::CommandSpec& spec) {
  const std::string& n = spec.parent ? spec.parent->name : spec.name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

void Client::BlockOn(const std::vector<std::string>& keys, int64_t deadline_ms) {
  block_requested_ = true;
  if (blocked_) return;  // a retry that found nothing keeps its place
  blocked_keys_ = keys;
  blocked_db_ = db();
  block_deadline_ms_ = deadline_ms;
}

void Client::FinishBlocking(const commands::CommandSpec& spec,
                            std::span<const std::string_view> args) {
  if (!block_requested_ || blocked_) return;
  // First time this command blocks: remember it to run it again on wake-up.
  blocked_ = true;
  blocked_spec_ = &spec;
  blocked_args_.assign(args.begin(), args.end());
  blocked_shared_.store(true);
  server_->blocking().Block(this, blocked_db_, blocked_keys_);
  worker_->AddBlocked(this);
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
  Execute(*blocked_spec_, views, reply_);
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

void Client::Execute(const commands::CommandSpec& spec, std::span<const std::string_view> args,
                     protocol::ReplyBuilder& rb) {
  commands::CommandContext ctx{*server_, *this, args, rb, spec};
  last_cmd.store(&spec, std::memory_order_relaxed);
  int64_t start = MonotonicUs();
  int64_t log_before = server_->write_log().offset();
  // A running snapshot must see the old value of anything this command may
  // change in place (storage::SetWriteIntent).
  storage::SetWriteIntent(!(spec.flags & commands::kReadOnly));
  spec.handler(ctx);
  storage::SetWriteIntent(false);
  if (spec.is_write()) wrote_ = true;
  // Inside EXEC the writes reach the log only when the transaction ends, so
  // the offsets replies wait for are taken by the EXEC itself.
  if (exec_log_ == nullptr) {
    int64_t log_now = server_->write_log().offset();
    if (wrote_) {
      wrote_ = false;
      // appendfsync always: the reply waits until the write is on disk.
      if (server_->persistence().sync_replies()) durable_wait_ = log_now;
      // min-replicas-ack: the reply waits for the replicas (DispatchOne).
      if (!primary_link_ && !loader_ && server_->replica_acks().sync_enabled()) {
        sync_offset_ = log_now;
      }
    }
    // WAIT counts replicas against the offset of this client's last command
    // that added to the log, as Redis does.
    if (log_now != log_before) woff_ = log_now;
  }
  int64_t took = MonotonicUs() - start;
  CommandStat& cs = worker_->stats().cmd[spec.id];
  Bump(cs.calls);
  Bump(cs.usec, uint64_t(took));
  if (ctx.failed) Bump(cs.failed);
  MaybeLogSlow(spec, args, took);
  if (block_requested_ && !retrying_) FinishBlocking(spec, args);
}

void Client::BeginMulti() {
  in_multi_ = true;
  multi_error_ = false;
  queued_.clear();
}

void Client::DiscardMulti() {
  in_multi_ = false;
  multi_error_ = false;
  queued_.clear();
  server_->UnwatchAll(this);
}

void Client::Watch(std::string_view key) {
  for (const auto& w : watched_) {
    if (w.db == db() && w.key == key) return;
  }
  storage::Database& d = server_->keyspace().db(db());
  bool expired;
  {
    uint64_t h = HashKey(key);
    storage::Shard& sh = d.ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry* e = sh.table().Find(key, h);
    expired = e != nullptr && sh.IsExpired(e, NowMs());
  }
  watched_.push_back(WatchedKey{db(), std::string(key), expired});
  server_->Watch(this, db(), key);
}

void Client::ExecMulti() {
  protocol::ReplyBuilder& rb = reply_;
  if (multi_error_) {
    DiscardMulti();
    server_->CountError("EXECABORT");
    rb.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  // A watched key that expired since WATCH counts as touched (Redis 7.0).
  bool dirty = watch_dirty_.load();
  int64_t now = NowMs();
  for (const auto& w : watched_) {
    if (dirty || w.expired_at_watch) continue;
    storage::Database& d = server_->keyspace().db(w.db);
    uint64_t h = HashKey(w.key);
    storage::Shard& sh = d.ShardFor(h);
    storage::ShardLock lock(sh);
    storage::Entry* e = sh.table().Find(w.key, h);
    if (e != nullptr && sh.IsExpired(e, now)) dirty = true;
  }
  if (dirty) {
    DiscardMulti();
    rb.NullArray();
    return;
  }
  std::vector<QueuedCommand> cmds;
  cmds.swap(queued_);
  in_multi_ = false;
  // Lock every shard the queued commands touch, in the global order, before
  // the first runs; commands without fixed key positions lock everything.
  storage::LockSet locks;
  bool all = false;
  int db_sim = db();
  for (const auto& q : cmds) {
    const commands::CommandSpec& spec = *q.spec;
    const std::string& top = spec.parent ? spec.parent->name : spec.name;
    if (top == "select") {
      auto d = ParseInt64(q.args[1]);
      if (d && *d >= 0 && *d < server_->keyspace().db_count()) db_sim = int(*d);
      continue;
    }
    bool touches_data = spec.flags & (commands::kWrite | commands::kReadOnly);
    if (!touches_data) continue;
    if (spec.first_key <= 0 || (spec.flags & commands::kMovableKeys) || top == "move" ||
        top == "copy") {
      all = true;
      break;
    }
    std::vector<std::string_view> views(q.args.begin(), q.args.end());
    for (int p : spec.KeyPositions(views)) {
      locks.AddKey(server_->keyspace().db(db_sim), q.args[size_t(p)]);
    }
  }
  if (all) {
    locks.Release();
    for (int d = 0; d < server_->keyspace().db_count(); d++) locks.AddAll(server_->keyspace().db(d));
  }
  locks.Acquire();
  storage::SetTransactionLocks(&locks.shards(), all);
  std::vector<std::pair<int, std::vector<std::string>>> log;
  exec_log_ = &log;
  rb.ArrayHeader(cmds.size());
  for (const auto& q : cmds) {
    std::vector<std::string_view> views(q.args.begin(), q.args.end());
    Execute(*q.spec, views, rb);
  }
  exec_log_ = nullptr;
  if (!log.empty()) server_->write_log().AppendTransaction(log);
  storage::SetTransactionLocks(nullptr, false);
  locks.Release();
  server_->UnwatchAll(this);
}

void Client::MaybeLogSlow(const commands::CommandSpec& spec,
                          std::span<const std::string_view> args, int64_t took_us) {
  int64_t threshold = server_->config().slowlog_log_slower_than();
  if (threshold < 0 || took_us < threshold || (spec.flags & commands::kSkipSlowlog)) return;
  // Credentials never reach the slow log.
  std::vector<std::string_view> shown(args.begin(), args.end());
  const commands::CommandSpec& top = spec.parent ? *spec.parent : spec;
  if (top.name == "auth" || top.name == "hello") {
    for (size_t i = 1; i < shown.size(); i++) shown[i] = "(redacted)";
  }
  std::string client_name;
  {
    std::lock_guard<std::mutex> lock(server_->registry_mu());
    client_name = name;
  }
  server_->slowlog().Add(shown, took_us, addr, std::move(client_name),
                         size_t(std::max<int64_t>(0, server_->config().slowlog_max_len())));
}

void Client::Flush() {
  if (closed_ || raw_transfer_) return;
  // appendfsync always: a write's reply leaves only once the write is on
  // disk; the worker syncs once for all its clients after this round.
  if (durable_wait_ != 0 && out_pos_ < out_.size()) {
    if (server_->persistence().sync_replies() &&
        !server_->persistence().IsDurable(durable_wait_)) {
      worker_->ScheduleFlush(this);
      return;
    }
    durable_wait_ = 0;
  }
  // min-replicas-ack: from the first held reply on, output waits for the
  // replicas' acknowledgements (OnReplicaAcks flushes again).
  size_t limit = ack_holds_.empty() ? out_.size() : ack_holds_.front().begin;
  while (out_pos_ < limit) {
    ssize_t n = write(fd, out_.data() + out_pos_, limit - out_pos_);
    if (n > 0) {
      out_pos_ += size_t(n);
      Bump(worker_->stats().net_out, uint64_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    Close();
    return;
  }
  bool pending = out_pos_ < out_.size();
  // Only output the socket refused asks for EPOLLOUT, not held output.
  bool socket_full = out_pos_ < limit;
  if (!pending) {
    out_pos_ = 0;
    if (out_.capacity() > kKeepOutputCapacity) {
      std::string().swap(out_);
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
  if (replica_link_) {
    replica_link_->Detach();
    replica_link_.reset();
  }
  if (primary_link_) server_->replication().OnPrimaryClientClosed(this);
  if (ack_waiter_) {
    server_->replica_acks().RemoveWaiter(this);
    ack_waiter_ = false;
  }
  if (waiting_replicas_) {
    waiting_replicas_ = false;
    blocked_shared_.store(false);
  }
  server_->UnwatchAll(this);
  UnsubscribeAll();
  if (blocked_) EndBlocking();
  // Out of the registry before the socket closes: once the peer sees the
  // close, CLIENT KILL/LIST must no longer find this client.
  server_->Unregister(this);
  worker_->loop().Remove(fd);
  close(fd);
  worker_->RetireClient(this);
}

// ---------------------------------------------------------------- Replica acks

bool Client::QueuedWrites() const {
  if (!in_multi_) return false;
  for (const QueuedCommand& q : queued_) {
    if (q.spec->is_write()) return true;
  }
  return false;
}

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
  server_->replica_acks().RequestAck(offset);
  UpdateAckWaiter();
}

void Client::WaitForReplicas(int64_t numreplicas, int64_t deadline_ms) {
  waiting_replicas_ = true;
  wait_numreplicas_ = numreplicas;
  wait_offset_ = woff_;
  wait_deadline_ms_ = deadline_ms;
  blocked_shared_.store(true);
  // As Redis: every WAIT that has to wait asks the replicas for an ACK.
  server_->replica_acks().RequestAck(woff_, true);
  UpdateAckWaiter();
}

void Client::EndReplicaWait(std::string_view error) {
  waiting_replicas_ = false;
  blocked_shared_.store(false);
  if (!error.empty()) {
    server_->CountError(error);
    reply_.Error(error);
  } else {
    reply_.Integer(server_->replica_acks().CountAcked(wait_offset_));
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
    if (CountAckedAtLeast(acks, h.offset) < h.needed) {
      if (now_ms < h.deadline_ms) break;
      // Too late: the write stays applied here, but its client must not take
      // it as replicated. Only a write's own reply is replaced.
      std::string msg = SyncTimeoutError(h.needed, h.timeout_ms);
      server_->CountError(msg);
      std::string wire = "-" + msg + "\r\n";
      out_.replace(h.begin, h.end - h.begin, wire);
      size_t old_len = h.end - h.begin;
      for (size_t i = 1; i < ack_holds_.size(); i++) {
        ack_holds_[i].begin = ack_holds_[i].begin - old_len + wire.size();
        ack_holds_[i].end = ack_holds_[i].end - old_len + wire.size();
      }
    }
    ack_holds_.pop_front();
    released = true;
  }
  if (waiting_replicas_) {
    int64_t n = CountAckedAtLeast(acks, wait_offset_);
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
    server_->replica_acks().AddWaiter(this);
  } else {
    server_->replica_acks().RemoveWaiter(this);
  }
}

std::string Client::InfoLine() const {
  int64_t now = NowMs();
  const commands::CommandSpec* cmd = last_cmd.load(std::memory_order_relaxed);
  std::string flags;
  if (link_kind_.load() == 2) flags += "M";
  if (link_kind_.load() == 1) flags += "S";
  if (nsub.load() + npsub.load() + nssub.load() > 0) flags += "P";
  if (blocked_shared_.load()) flags += "b";
  if (is_unix) flags += "U";
  if (flags.empty()) flags = "N";
  size_t qlen = qbuf_len.load(std::memory_order_relaxed);
  size_t qcap = qbuf_cap.load(std::memory_order_relaxed);
  char buf[1024];
  snprintf(buf, sizeof(buf),
           "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%zu "
           "psub=%zu ssub=%zu multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu "
           "rbp=%zu obl=%zu oll=0 omem=0 tot-mem=%zu events=r cmd=%s user=default redir=-1 "
           "resp=%d",
           (unsigned long long)id, addr.c_str(), laddr.c_str(), fd, name.c_str(),
           (long long)((now - created_ms) / 1000),
           (long long)((now - last_interaction_ms.load(std::memory_order_relaxed)) / 1000),
           flags.c_str(), db_.load(std::memory_order_relaxed), nsub.load(), npsub.load(),
           nssub.load(), qlen, qcap > qlen ? qcap - qlen : 0,
           qcap, qlen, obuf_len.load(std::memory_order_relaxed), qcap + sizeof(Client),
           cmd ? cmd->name.c_str() : "NULL", resp_shared_.load(std::memory_order_relaxed));
  return buf;
}

}  // namespace basalt::server
