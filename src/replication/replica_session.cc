#include "replication/replica_session.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "config/config.h"
#include "replication/ack_tracker.h"
#include "replication/blocking_io.h"
#include "replication/connection.h"
#include "replication/role.h"
#include "replication/server_hooks.h"
#include "tls/transport.h"

namespace basalt::replication {

using config::Config;

namespace {

// Takes a full sync's snapshot from the snapshot thread. Diskless: the reply
// and the snapshot go straight to the replica's socket, framed by the
// `$EOF:<mark>` ... `<mark>` of Redis's diskless format. On disk
// (repl-diskless-sync no): the snapshot goes to a file while the socket gets
// a newline every second (Redis's keep-alive), then `$<size>` and the file.
// The socket is its own descriptor (a dup), so the worker closing the client
// never leaves this writing to a reused fd.
class ReplicaSink final : public FullSyncSink {
 public:
  // `tls`: the connection's TLS session, written through from this thread
  // while the connection leaves it alone (raw transfer); it owns its socket.
  ReplicaSink(int fd, std::shared_ptr<tls::Transport> tls, std::string disk_path)
      : fd_(tls ? -1 : dup(fd)), tls_(std::move(tls)), path_(std::move(disk_path)) {
    if (!path_.empty()) {
      file_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    }
  }
  ~ReplicaSink() override {
    if (fd_ >= 0) close(fd_);
    if (file_ >= 0) {
      close(file_);
      ::unlink(path_.c_str());
    }
  }
  bool disk() const { return !path_.empty(); }
  void set_preamble(std::string p) { preamble_ = std::move(p); }

  Status Write(std::string_view bytes) override {
    if (!preamble_.empty()) {
      std::string p;
      p.swap(preamble_);
      Status st = WriteAll(p);
      if (!st.ok()) return st;
      last_keepalive_ms_ = NowMs();
    }
    if (!disk()) return WriteAll(bytes);
    if (file_ < 0) return Status::Error("can't create the sync file " + path_);
    while (!bytes.empty()) {
      ssize_t n = ::write(file_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return Status::Error("error writing the sync file: " + std::string(strerror(errno)));
      bytes.remove_prefix(size_t(n));
    }
    int64_t now = NowMs();
    if (now - last_keepalive_ms_ >= 1000) {
      last_keepalive_ms_ = now;
      return WriteAll("\n");
    }
    return Status::Ok();
  }

  // After the snapshot: the end mark, or the file with its length.
  Status Finish(const std::string& mark) {
    if (!disk()) return WriteAll(mark);
    off_t size = lseek(file_, 0, SEEK_END);
    if (size < 0 || lseek(file_, 0, SEEK_SET) != 0)
      return Status::Error("can't read the sync file");
    Status st = WriteAll("$" + std::to_string(size) + "\r\n");
    std::string buf(1 << 16, '\0');
    while (st.ok()) {
      ssize_t n = ::read(file_, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Error("error reading the sync file");
      if (n == 0) break;
      st = WriteAll(std::string_view(buf.data(), size_t(n)));
    }
    return st;
  }

  Status WriteAll(std::string_view bytes) {
    if (tls_ != nullptr) return tls_->WriteFully(bytes, 60000, "replica");
    if (fd_ < 0) return Status::Error("dup failed");
    return WriteFully(fd_, bytes, 60000, "replica");
  }

 private:
  int fd_;
  std::shared_ptr<tls::Transport> tls_;
  std::string path_;
  int file_ = -1;
  int64_t last_keepalive_ms_ = 0;
  std::string preamble_;
};

std::string RandomMark() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s(40, '0');
  for (char& c : s) c = kHex[rd() % 16];
  return s;
}

}  // namespace

ReplicaSession::ReplicaSession(ServerHooks& hooks, const Role& role, AckTracker& acks,
                               ReplicaRegistry& replicas, Connection* conn)
    : hooks_(hooks),
      role_(role),
      acks_(acks),
      replicas_(replicas),
      conn_(conn),
      worker_(&conn->owner()) {
  std::string addr(conn->address());
  auto colon = addr.rfind(':');
  ip_ = colon == std::string::npos ? addr : addr.substr(0, colon);
  last_ack_ms_.store(NowMs());
}

ReplicaSession::~ReplicaSession() = default;

void ReplicaSession::StartFullSync(bool psync) {
  psync_ = psync;
  // repl-diskless-sync-delay: Redis's pause before a diskless sync (there, to
  // let more replicas share one fork); kept so timing matches what is set.
  wait_since_ms_ = NowMs();
  delay_released_ = false;
  waiting_ = true;
  // From here on the snapshot (or keep-alives) own the socket's output.
  conn_->set_raw_transfer(true);
  if (!TryStartSnapshot()) {
    Log(LogLevel::kNotice, "Replica %s:%d asks for synchronization; %s", ip_.c_str(),
        listening_port(),
        Delayed() ? "delaying it by repl-diskless-sync-delay"
                  : "waiting for the running snapshot to end");
  }
}

bool ReplicaSession::Delayed() const {
  // The delay in force now counts (CONFIG SET applies to replicas waiting).
  const Config& cfg = hooks_.config();
  if (!cfg.repl_diskless_sync() || delay_released_.load()) return false;
  // Synchronous mode with fewer replicas online than min-replicas-ack: every
  // write now waits for a replica, so the delay would only stretch the time
  // the primary cannot acknowledge anything (right after a failover, say).
  // Each replica gets its own forkless snapshot; there is nothing to share.
  if (cfg.min_replicas_ack() > 0 && replicas_.OnlineCount() < cfg.min_replicas_ack()) return false;
  return NowMs() < wait_since_ms_.load() + cfg.repl_diskless_sync_delay() * 1000;
}

void ReplicaSession::WaitTick() {
  if (!waiting_ || conn_ == nullptr) return;
  if (TryStartSnapshot()) return;
  int64_t now = NowMs();
  if (now - last_keepalive_ms_ >= 1000) {
    // Redis's keep-alive while the primary prepares the sync: an empty line.
    last_keepalive_ms_ = now;
    if (auto t = conn_->tls_transport()) {
      // Only into a socket with room (POLLOUT means several KB): a TLS record
      // cut short would have to be retried with the same bytes, and the next
      // write here is the snapshot's.
      pollfd p{t->fd(), POLLOUT, 0};
      if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) t->Write("\n", 1);
    } else {
      ssize_t ignored = ::write(conn_->socket_fd(), "\n", 1);
      (void)ignored;
    }
  }
}

bool ReplicaSession::TryStartSnapshot() {
  // repl-diskless-sync-max-replicas: enough replicas wait, no need to wait
  // for more (Redis starts its one shared transfer then; here each replica
  // has its own snapshot, taken one after the other).
  int64_t max_waiting = hooks_.config().repl_diskless_sync_max_replicas();
  if (max_waiting > 0 && Delayed() && replicas_.ReleaseWaitingIfAtLeast(max_waiting)) {
    Log(LogLevel::kNotice, "%lld replicas wait: starting the sync before repl-diskless-sync-delay",
        (long long)max_waiting);
  }
  if (Delayed() || hooks_.snapshot_running()) return false;
  std::string mark = RandomMark();
  bool disk = !hooks_.config().repl_diskless_sync();
  std::string path;
  if (disk) {
    path = "temp-repl-" + std::to_string(getpid()) + "-" +
           std::to_string(conn_->connection_id()) + ".rdb";
  }
  auto sink = std::make_shared<ReplicaSink>(conn_->socket_fd(), conn_->tls_transport(), path);
  std::weak_ptr<ReplicaSession> weak = weak_from_this();
  WorkerThread* worker = worker_;
  std::string replid = role_.replid();
  bool psync = psync_;
  Status st = hooks_.StartFullSyncSnapshot(
      [&](int64_t offset) {
        // The instant: the replica's stream starts exactly here.
        hooks_.write_log().AddTap(this);
        {
          std::lock_guard<std::mutex> lock(mu_);
          tapped_ = true;
        }
        std::string pre;
        if (psync) pre = "+FULLRESYNC " + replid + " " + std::to_string(offset) + "\r\n";
        if (!disk) pre += "$EOF:" + mark + "\r\n";
        sink->set_preamble(std::move(pre));
        ack_offset_.store(0);
      },
      sink,
      [sink, mark, weak, worker](Status result) {
        if (result.ok()) result = sink->Finish(mark);
        bool ok = result.ok();
        bool on_disk = sink->disk();
        worker->Post([weak, ok, on_disk] {
          if (auto session = weak.lock()) session->TransferDone(ok, on_disk);
        });
      });
  if (!st.ok()) return false;  // another snapshot started first: wait more
  hooks_.ReplicaStreamStarted();  // its tap is in: it sees what this appends
  waiting_ = false;
  state_.store(State::kSendBulk);
  Log(LogLevel::kNotice, "Replica %s:%d asks for synchronization; starting a %s full sync",
      ip_.c_str(), listening_port(), disk ? "disk-based" : "diskless");
  return true;
}

bool ReplicaSession::StartPartialSync(int64_t from, const std::string& replid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = true;
    tapped_ = true;
  }
  if (!hooks_.write_log().AddTapFrom(this, from)) {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = false;
    tapped_ = false;
    return false;
  }
  // The backlog waits in pending_ for a Pump on this thread, which runs
  // after this command: the reply goes out first.
  conn_->AppendRaw("+CONTINUE " + replid + "\r\n");
  hooks_.ReplicaStreamStarted();
  ApplyNodelay();
  state_.store(State::kOnline);
  last_ack_ms_.store(NowMs());
  ack_offset_.store(from);
  Log(LogLevel::kNotice,
      "Partial resynchronization request from %s:%d accepted. Sending %lld "
      "bytes of backlog starting from offset %lld.",
      ip_.c_str(), listening_port(), (long long)(hooks_.write_log().offset() - from),
      (long long)(from + 1));
  return true;
}

void ReplicaSession::Disconnect() {
  std::weak_ptr<ReplicaSession> weak = weak_from_this();
  worker_->Post([weak] {
    auto session = weak.lock();
    if (session && session->conn_ != nullptr) session->conn_->Close();
  });
}

void ReplicaSession::TransferDone(bool ok, bool on_disk) {
  if (conn_ == nullptr) return;
  conn_->set_raw_transfer(false);
  if (!ok) {
    conn_->Close();
    return;
  }
  if (on_disk) {
    // A replica that knows the length needs no ACK to find the end.
    transfer_done_ = true;
    GoOnline();
    return;
  }
  // A diskless replica finds the end of the snapshot by its last 40 bytes, so
  // the stream may only follow once it has loaded it and sent its first ACK.
  transfer_done_ = true;
  last_ack_ms_.store(NowMs());
}

void ReplicaSession::ApplyNodelay() {
  // repl-disable-tcp-nodelay: fewer, bigger packets to the replica once the
  // sync is over (Redis's trade of latency for bandwidth).
  int on = hooks_.config().repl_disable_tcp_nodelay() ? 0 : 1;
  setsockopt(conn_->socket_fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

void ReplicaSession::GoOnline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = true;
  }
  ApplyNodelay();
  state_.store(State::kOnline);
  Log(LogLevel::kNotice, "Synchronization with replica %s:%d succeeded", ip_.c_str(),
      listening_port());
  Pump();
}

void ReplicaSession::OnAppend(std::string_view bytes, int64_t) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.append(bytes);
  if (online_ && !posted_) {
    posted_ = true;
    std::weak_ptr<ReplicaSession> weak = weak_from_this();
    worker_->Post([weak] {
      if (auto session = weak.lock()) session->Pump();
    });
  }
}

void ReplicaSession::Pump() {
  std::string data;
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_ = false;
    data.swap(pending_);
  }
  if (conn_ == nullptr || data.empty()) return;
  conn_->AppendRaw(data);
  conn_->Flush();
  CheckOutputLimit();
}

void ReplicaSession::CheckOutputLimitSoon() {
  std::weak_ptr<ReplicaSession> weak = weak_from_this();
  worker_->Post([weak] {
    if (auto session = weak.lock()) session->CheckOutputLimit();
  });
}

bool ReplicaSession::CheckOutputLimit() {
  if (conn_ == nullptr) return false;
  size_t waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting = pending_.size();
  }
  // What the log handed over but the socket has not taken yet counts too.
  waiting += conn_->output_pending();
  Config::ObufLimit limit =
      hooks_.config().client_output_buffer_limit(Config::ObufClass::kReplica);
  bool over = limit.hard > 0 && waiting > size_t(limit.hard);
  if (limit.soft > 0 && waiting > size_t(limit.soft)) {
    int64_t now = NowMs();
    if (obuf_soft_since_ms_ == 0) {
      obuf_soft_since_ms_ = now;
    } else if (now - obuf_soft_since_ms_ > limit.soft_seconds * 1000) {
      over = true;
    }
  } else {
    obuf_soft_since_ms_ = 0;
  }
  if (!over) return false;
  if (MarkDropping()) {
    Log(LogLevel::kWarning,
        "Client id=%llu addr=%s (replica %s:%d, %zu bytes waiting) scheduled to be closed ASAP "
        "for overcoming of output buffer limits.",
        (unsigned long long)conn_->connection_id(), std::string(conn_->address()).c_str(),
        ip_.c_str(), listening_port(), waiting);
    Disconnect();
  }
  return true;
}

void ReplicaSession::Ack(int64_t offset) {
  // Acknowledgements only move forward (a reordered or stale ACK is ignored).
  if (offset > ack_offset_.load()) ack_offset_.store(offset);
  int64_t now = NowMs();
  int64_t prev = last_ack_ms_.exchange(now);
  bool was_online = state_.load() == State::kOnline;
  if (transfer_done_ && !was_online) GoOnline();
  // The good/online counts change only when a replica comes online or was
  // silent for a while; other ACKs just wake whoever waits.
  acks_.OnAck(!was_online || now - prev >= 1000);
}

void ReplicaSession::Detach() {
  bool tapped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tapped = tapped_;
    tapped_ = false;
    online_ = false;
  }
  if (tapped) hooks_.write_log().RemoveTap(this);
  conn_ = nullptr;
  replicas_.Remove(this);
}

// ---------------------------------------------------------------- ReplicaRegistry

void ReplicaRegistry::Add(std::shared_ptr<ReplicaSession> r) {
  std::lock_guard<std::mutex> lock(mu_);
  replicas_.push_back(std::move(r));
  count_.store(replicas_.size(), std::memory_order_relaxed);
}

void ReplicaRegistry::Remove(ReplicaSession* r) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(replicas_, [r](const auto& p) { return p.get() == r; });
  count_.store(replicas_.size(), std::memory_order_relaxed);
}

bool ReplicaRegistry::ReleaseWaitingIfAtLeast(int64_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (const auto& r : replicas_) n += r->waiting_.load() ? 1 : 0;
  if (n < max) return false;
  for (const auto& r : replicas_) {
    if (r->waiting_.load()) r->delay_released_.store(true);
  }
  return true;
}

std::vector<std::shared_ptr<ReplicaSession>> ReplicaRegistry::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return replicas_;
}

int64_t ReplicaRegistry::OnlineCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (const auto& r : replicas_) n += r->state() == ReplicaSession::State::kOnline ? 1 : 0;
  return n;
}

int64_t ReplicaRegistry::ForeignReplicas() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (const auto& r : replicas_) n += r->basalt() ? r->foreign_below() : 1;
  return n;
}

}  // namespace basalt::replication
