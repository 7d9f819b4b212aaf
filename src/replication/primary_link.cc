// Role's link thread, the replica side of Redis's PSYNC protocol: connect,
// handshake (PING, AUTH, REPLCONF, PSYNC), a full sync's snapshot loaded
// from the socket, and the socket handed over to worker 0 as the primary
// client. See role.h.
#include "replication/role.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/numbers.h"
#include "common/socket_util.h"
#include "common/split_args.h"
#include "config/config.h"
#include "replication/blocking_io.h"
#include "replication/connection.h"
#include "replication/server_hooks.h"
#include "replication/write_log.h"
#include "tls/link_proxy.h"

namespace basalt::replication {

using config::Config;

namespace {

std::string SockName(int fd, bool peer) {
  // Over tls-replication the socket is our end of the TLS link's pair: the
  // names are the TCP connection's.
  std::string link = tls::LinkAddress(fd, peer);
  if (!link.empty()) return link;
  return SocketAddress(fd, peer);
}

// The handshake's blocking conversation with the primary: one command out,
// one line back, each within the deadline, and given up at once when the
// socket is shut down by a newer REPLICAOF.
class Conn {
 public:
  Conn(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {}

  Status Send(std::initializer_list<std::string_view> args) {
    std::string out;
    std::vector<std::string_view> v(args);
    replication::WriteLog::EncodeCommand(v, &out);
    return WriteFully(fd_, out, timeout_ms_, "master");
  }

  // A line without its CR LF. Byte by byte: nothing past the line is taken
  // from the socket, so what follows (an RDB, the stream) stays there.
  StatusOr<std::string> ReadLine() {
    std::string line;
    for (;;) {
      Status st = ReadFully(fd_, 1, &line, timeout_ms_, "master");
      if (!st.ok()) return st;
      if (line.back() == '\n') {
        line.pop_back();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (line.size() > 64 * 1024) return Status::Error("Reply line from the master too long");
    }
  }

  // A reply line, skipping the empty lines a primary sends to keep the
  // link alive while it prepares a snapshot.
  StatusOr<std::string> ReadReply() {
    for (;;) {
      auto line = ReadLine();
      if (!line.ok() || !line.value().empty()) return line;
    }
  }

 private:
  int fd_;
  int timeout_ms_;
};

bool IsIgnorableAuthReply(const std::string& line) {
  // Redis's replica goes on when the primary asks for a password it was not
  // given: the PSYNC then fails with a clear error.
  return line.starts_with("-NOAUTH") || line.starts_with("-NOPERM") ||
         line.starts_with("-ERR operation not permitted");
}

}  // namespace

// ------------------------------------------------------------ link thread

void Role::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (fenced_until_ms_ != 0) {
      int64_t now = NowMs();
      if (now < fenced_until_ms_) {
        cv_.wait_for(lock, std::chrono::milliseconds(fenced_until_ms_ - now));
        continue;
      }
      fenced_until_ms_ = 0;
      Log(LogLevel::kNotice, "FENCE expired: reconnecting to the primary");
    }
    if (host_.empty() || attached_) {
      cv_.wait(lock);
      continue;
    }
    uint64_t gen = generation_.load();
    std::string host = host_;
    int port = port_;
    state_ = LinkState::kConnecting;
    lock.unlock();
    Status st = SyncOnce(gen, host, port);
    lock.lock();
    if (sync_fd_ >= 0) {
      ::close(sync_fd_);
      sync_fd_ = -1;
    }
    if (!st.ok() && generation_.load() == gen &&
        failover_psync_.load() == int(FailoverPsync::kPending)) {
      // The handover of a FAILOVER failed before the target answered.
      failover_psync_.store(int(FailoverPsync::kRejected));
    }
    if (!st.ok() && !stop_ && generation_.load() == gen) {
      Log(LogLevel::kWarning, "Replication with MASTER %s:%d: %s", host.c_str(), port,
          st.message().c_str());
      state_ = LinkState::kConnect;
      cv_.wait_for(lock, std::chrono::seconds(1),
                   [&] { return stop_ || generation_.load() != gen; });
    }
  }
}

Status Role::SyncOnce(uint64_t gen, const std::string& host, int port) {
  const Config& cfg = hooks_.config();
  int timeout_ms = int(std::min<int64_t>(cfg.repl_timeout(), 3600)) * 1000;
  auto fd_or = ConnectTcp(host, port, timeout_ms);
  if (!fd_or.ok())
    return Status::Error("Error condition on socket for SYNC: " + fd_or.status().message());
  int fd = fd_or.value();
  if (cfg.tls_replication()) {
    // tls-replication: the link's TLS runs on its own thread; this side
    // talks clear text to it (see tls/link_proxy.h).
    auto link = tls::StartClientLink(fd, timeout_ms, host + ":" + std::to_string(port));
    if (!link.ok()) {
      return Status::Error("Error condition on socket for SYNC: " + link.status().message());
    }
    fd = link.value();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || generation_.load() != gen) {
      ::close(fd);
      return Status::Ok();
    }
    sync_fd_ = fd;  // closed by Run(); shut down by a newer REPLICAOF
    state_ = LinkState::kHandshake;
  }
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync started");
  Conn conn(fd, timeout_ms);
  Status st = conn.Send({"PING"});
  if (!st.ok()) return st;
  auto line = conn.ReadReply();
  if (!line.ok()) return line.status();
  if (line.value().starts_with("-") && !IsIgnorableAuthReply(line.value())) {
    return Status::Error("Error reply to PING from master: '" + line.value() + "'");
  }
  std::string auth = cfg.masterauth();
  if (!auth.empty()) {
    std::string user = cfg.masteruser();
    st = user.empty() ? conn.Send({"AUTH", auth}) : conn.Send({"AUTH", user, auth});
    if (!st.ok()) return st;
    line = conn.ReadReply();
    if (!line.ok()) return line.status();
    if (line.value().starts_with("-")) {
      return Status::Error("Unable to AUTH to MASTER: " + line.value());
    }
  }
  int64_t my_port = cfg.replica_announce_port();
  if (my_port == 0) my_port = hooks_.listening_port();
  std::string port_str = std::to_string(my_port);
  st = conn.Send({"REPLCONF", "listening-port", port_str});
  if (!st.ok()) return st;
  line = conn.ReadReply();
  if (!line.ok()) return line.status();
  if (line.value().starts_with("-")) {
    Log(LogLevel::kNotice, "(Non critical) Master does not understand REPLCONF listening-port: %s",
        line.value().c_str());
  }
  std::string announce_ip = cfg.replica_announce_ip();
  if (!announce_ip.empty()) {
    st = conn.Send({"REPLCONF", "ip-address", announce_ip});
    if (!st.ok()) return st;
    line = conn.ReadReply();
    if (!line.ok()) return line.status();
  }
  st = conn.Send({"REPLCONF", "capa", "eof", "capa", "psync2", "capa", "basalt"});
  if (!st.ok()) return st;
  line = conn.ReadReply();
  if (!line.ok()) return line.status();

  std::string my_replid;
  int64_t my_offset;
  int my_db = stream_db();
  bool history;
  bool failover;
  {
    std::lock_guard<std::mutex> lock(mu_);
    my_replid = replid_;
    my_offset = hooks_.write_log().offset();
    history = have_history_;
    failover = generation_.load() == gen && failover_psync_.load() == int(FailoverPsync::kPending);
  }
  std::string psync_id = history ? my_replid : "?";
  std::string psync_off = history ? std::to_string(my_offset + 1) : "-1";
  // A coordinated failover's handover: `PSYNC <replid> <offset> FAILOVER`
  // makes the target promote itself before it answers (as Redis 6.2+).
  st = failover ? conn.Send({"PSYNC", psync_id, psync_off, "FAILOVER"})
                : conn.Send({"PSYNC", psync_id, psync_off});
  if (!st.ok()) return st;
  line = conn.ReadReply();
  if (!line.ok()) return line.status();
  const std::string& reply = line.value();
  if (failover) {
    bool accepted = reply.starts_with("+CONTINUE") || reply.starts_with("+FULLRESYNC");
    int expected = int(FailoverPsync::kPending);
    failover_psync_.compare_exchange_strong(
        expected, int(accepted ? FailoverPsync::kAccepted : FailoverPsync::kRejected));
    if (!accepted) {
      return Status::Error("The failover target rejected the PSYNC FAILOVER request: " + reply);
    }
  }
  if (reply.starts_with("+CONTINUE")) {
    std::string new_id = reply.size() > 10 ? reply.substr(10) : "";
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (generation_.load() != gen) return Status::Ok();
      if (new_id.size() == 40 && new_id != replid_) {
        // The primary was promoted: our history continues under its new id.
        replid2_ = replid_;
        second_offset_ = hooks_.write_log().offset() + 1;
        replid_ = new_id;
      }
    }
    if (new_id.size() == 40 && new_id != my_replid) DisconnectReplicas();
    LogEvent(
        LogLevel::kNotice, "resync",
        {{"side", "replica"}, {"kind", "partial"}, {"primary", host + ":" + std::to_string(port)}},
        "Successful partial resynchronization with master; MASTER <-> "
        "REPLICA sync: Master accepted a Partial Resynchronization.");
    AttachPrimaryClient(fd, gen, "", my_db);
    return Status::Ok();
  }
  if (reply.starts_with("+FULLRESYNC")) {
    // +FULLRESYNC <replid> <offset>
    std::vector<std::string> parts = SplitArgs(reply).value_or(std::vector<std::string>{});
    if (parts.size() != 3 || parts[1].size() != 40) {
      return Status::Error("Bad +FULLRESYNC reply from master: '" + reply + "'");
    }
    auto off = ParseInt64(parts[2]);
    if (!off || *off < 0) return Status::Error("Bad +FULLRESYNC offset: '" + reply + "'");
    LogEvent(LogLevel::kNotice, "resync",
             {{"side", "replica"},
              {"kind", "full"},
              {"primary", host + ":" + std::to_string(port)},
              {"replid", parts[1]},
              {"offset", parts[2]}},
             "Full resync from master: %s:%lld", parts[1].c_str(), (long long)*off);
    std::string leftover;
    int db = 0;
    st = FullSync(fd, gen, parts[1], *off, &leftover, &db);
    if (!st.ok()) return st;
    AttachPrimaryClient(fd, gen, std::move(leftover), db);
    return Status::Ok();
  }
  if (reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING")) {
    return Status::Error("Master is currently unable to PSYNC but should be in the future: " +
                         reply);
  }
  return Status::Error("Unexpected reply to PSYNC from master: " + reply);
}

Status Role::FullSync(int fd, uint64_t gen, const std::string& replid, int64_t offset,
                      std::string* leftover, int* stream_db) {
  const Config& cfg = hooks_.config();
  int timeout_ms = int(std::min<int64_t>(cfg.repl_timeout(), 3600)) * 1000;
  Conn conn(fd, timeout_ms);
  auto line = conn.ReadReply();
  if (!line.ok()) return line.status();
  const std::string& header = line.value();
  if (header.starts_with("-")) return Status::Error("MASTER aborted replication: " + header);
  if (!header.starts_with("$")) {
    return Status::Error("Bad protocol from MASTER, the first byte is not '$': '" + header + "'");
  }
  std::string mark;
  uint64_t limit = UINT64_MAX;
  if (header.starts_with("$EOF:")) {
    mark = header.substr(5);
    if (mark.size() != 40) return Status::Error("Bad $EOF mark from MASTER: '" + header + "'");
  } else {
    auto len = ParseInt64(std::string_view(header).substr(1));
    if (!len || *len < 0) return Status::Error("Bad bulk length from MASTER: '" + header + "'");
    limit = uint64_t(*len);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || generation_.load() != gen) return Status::Error("replication target changed");
    state_ = LinkState::kSync;
    sync_total_ = mark.empty() ? int64_t(limit) : -1;
    // The dataset is about to be replaced: if the load fails, what is left
    // matches no offset, and the next attempt must not ask to continue.
    have_history_ = false;
  }
  sync_read_.store(0);
  last_io_ms_.store(NowMs());
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: receiving %s from master to memory",
      mark.empty() ? (std::to_string(limit) + " bytes").c_str() : "streamed RDB");
  // Our own replicas' data is about to be replaced: they resync after us.
  DisconnectReplicas();
  LoadedSnapshot loaded;
  loaded.eof_mark = mark;
  Status st = hooks_.LoadFromPrimary(
      fd, limit, mark.empty() ? limit : 0, timeout_ms,
      [this](uint64_t n) {
        sync_read_.store(int64_t(n));
        last_io_ms_.store(NowMs());
      },
      &loaded);
  if (!st.ok())
    return Status::Error("Failed trying to load the MASTER synchronization DB: " + st.message());
  if (!mark.empty()) {
    // The snapshot ends with the mark; what the source read past the RDB
    // is its start.
    std::string tail = std::move(loaded.read_past);
    if (tail.size() < mark.size()) {
      Status st = ReadFully(fd, mark.size() - tail.size(), &tail, timeout_ms, "master");
      if (!st.ok()) return Status::Error("Reading the EOF mark: " + st.message());
    }
    if (tail.compare(0, mark.size(), mark) != 0) {
      return Status::Error("The RDB from MASTER does not end with its EOF mark");
    }
    *leftover = tail.substr(mark.size());
  }
  {
    std::lock_guard<std::mutex> apply(apply_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    replid_ = replid;
    replid2_ = kNoReplid;
    second_offset_ = -1;
    have_history_ = true;
    hooks_.write_log().ResetOffset(offset);
    read_offset_.store(offset);
  }
  *stream_db = loaded.stream_db;
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Finished with success");
  if (hooks_.config().appendonly()) {
    // The AOF still holds the old dataset: a rewrite makes it this one.
    auto r = hooks_.BgRewriteAof();
    if (!r.ok())
      Log(LogLevel::kWarning, "AOF rewrite after the sync: %s", r.status().message().c_str());
  }
  return Status::Ok();
}

void Role::AttachPrimaryClient(int fd, uint64_t gen, std::string leftover, int db) {
  WorkerThread* w = &hooks_.worker(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || generation_.load() != gen) return;  // Run() closes sync_fd_
    sync_fd_ = -1;                                   // the client owns the socket from here
    attached_ = true;
    state_ = LinkState::kConnected;
  }
  last_io_ms_.store(NowMs());
  stream_db_.store(db);
  std::string addr = SockName(fd, true), laddr = SockName(fd, false);
  w->Post([this, w, fd, gen, db, addr, laddr, leftover = std::move(leftover)] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_ || generation_.load() != gen || !attached_) {
        ::close(fd);
        if (generation_.load() == gen) attached_ = false;
        cv_.notify_all();
        return;
      }
    }
    Connection* c = hooks_.AttachPrimaryClient(*w, fd, gen, db, addr, laddr);
    {
      std::lock_guard<std::mutex> lock(mu_);
      primary_client_ = c;
      primary_worker_ = w;
    }
    last_ack_ms_ = 0;
    c->StartStream(leftover);
    SendAck(c);
  });
}

}  // namespace basalt::replication
