#include "server/replication_hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "config/config.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/rdb_format.h"
#include "persistence/save_jobs.h"
#include "persistence/snapshot.h"
#include "server/client.h"
#include "server/server.h"
#include "storage/keyspace.h"

namespace basalt::server {
namespace {

// A full sync's snapshot, as the save jobs write it, into replication's sink.
class FullSyncSinkAdapter final : public persistence::SnapshotSink {
 public:
  explicit FullSyncSinkAdapter(std::shared_ptr<replication::FullSyncSink> sink)
      : sink_(std::move(sink)) {}
  Status Write(std::string_view bytes) override { return sink_->Write(bytes); }

 private:
  std::shared_ptr<replication::FullSyncSink> sink_;
};

bool KeyspaceEmpty(storage::Keyspace& ks) {
  for (int d = 0; d < ks.db_count(); d++) {
    for (uint32_t i = 0; i < ks.db(d).shard_count(); i++) {
      if (ks.db(d).shard(i).approx_size() > 0) return false;
    }
  }
  return true;
}

// Copies the primary's snapshot from the socket into `path`: `limit` bytes
// (a `$<len>` transfer), or everything up to the 40-byte `mark` (`$EOF:`),
// which is not written. Nothing follows the mark until this replica sends
// its first ACK, so the transfer is over when what arrived ends with it.
Status ReceiveSyncFile(int fd, uint64_t limit, const std::string& mark, int timeout_ms,
                       const std::string& path, const std::function<void(uint64_t)>& progress) {
  int out = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (out < 0) {
    return Status::Error("Opening the temp file needed for MASTER <-> REPLICA synchronization: " +
                         std::string(std::strerror(errno)));
  }
  std::vector<char> buf(1 << 16);
  std::string held;  // the last bytes, which may be the mark (EOF mode)
  uint64_t got = 0;
  Status st = Status::Ok();
  auto write_all = [&](const char* p, size_t n) -> bool {
    while (n > 0) {
      ssize_t w = ::write(out, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        st = Status::Error("Write error writing the DB from master to disk: " +
                           std::string(std::strerror(errno)));
        return false;
      }
      p += w;
      n -= size_t(w);
    }
    return true;
  };
  const bool eof_mode = !mark.empty();
  while (eof_mode || got < limit) {
    size_t want = buf.size();
    if (!eof_mode) want = size_t(std::min<uint64_t>(want, limit - got));
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0) {
      st = Status::Error("Timeout receiving bulk data from MASTER");
      break;
    }
    if (r < 0 && errno == EINTR) continue;
    ssize_t n = ::read(fd, buf.data(), want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      st = Status::Error(n == 0 ? "connection lost" : std::strerror(errno));
      st = Status::Error("I/O error trying to sync with MASTER: " + st.message());
      break;
    }
    got += uint64_t(n);
    if (progress) progress(got);
    if (!eof_mode) {
      if (!write_all(buf.data(), size_t(n))) break;
      continue;
    }
    held.append(buf.data(), size_t(n));
    if (held.size() > mark.size()) {
      size_t flush = held.size() - mark.size();
      if (!write_all(held.data(), flush)) break;
      held.erase(0, flush);
    }
    if (held == mark) break;
  }
  if (st.ok() && ::fsync(out) != 0) st = Status::Error(std::strerror(errno));
  ::close(out);
  return st;
}

}  // namespace

config::Config& ReplicationHooks::config() { return server_.config(); }
replication::WriteLog& ReplicationHooks::write_log() { return server_.write_log(); }
size_t ReplicationHooks::worker_count() const { return server_.workers().size(); }

replication::WorkerThread& ReplicationHooks::worker(size_t index) {
  return *server_.workers()[index];
}

int ReplicationHooks::listening_port() const {
  // Over tls-replication a replica announces its TLS port (as Redis).
  const config::Config& cfg = server_.config();
  if (cfg.tls_replication() && cfg.tls_port() != 0) return int(cfg.tls_port());
  return server_.tcp_port_bound();
}
void ReplicationHooks::UpdateExpiryEnabled() { server_.UpdateExpiryEnabled(); }

replication::Connection* ReplicationHooks::AttachPrimaryClient(replication::WorkerThread& w, int fd,
                                                               uint64_t gen, int db,
                                                               std::string addr,
                                                               std::string laddr) {
  Worker* worker = server_.workers()[size_t(w.index())].get();
  server_.CountPrimaryLinkClient();
  auto* c = new Client(&server_, worker, fd, server_.NextClientId(), std::move(addr),
                       std::move(laddr), false);
  c->set_primary_link(gen);
  c->set_db(db);
  worker->AddClient(c);
  return c;
}

bool ReplicationHooks::snapshot_running() { return server_.save_jobs().snapshot_running(); }

Status ReplicationHooks::StartFullSyncSnapshot(std::function<void(int64_t)> at_instant,
                                               std::shared_ptr<replication::FullSyncSink> sink,
                                               std::function<void(Status)> done) {
  return server_.save_jobs().StartReplicaSync(
      std::move(at_instant), std::make_shared<FullSyncSinkAdapter>(std::move(sink)),
      std::move(done));
}

Status ReplicationHooks::LoadFromPrimary(int fd, uint64_t limit, uint64_t total, int timeout_ms,
                                         std::function<void(uint64_t)> progress,
                                         replication::LoadedSnapshot* loaded) {
  using DisklessLoad = config::Config::DisklessLoad;
  const config::Config& cfg = server_.config();
  DisklessLoad mode = cfg.repl_diskless_load();
  // repl-diskless-load: "disabled" stores the snapshot in a file first, so
  // the old dataset stays until the transfer is complete; "on-empty-db"
  // parses it from the socket only when there is nothing to lose.
  bool from_socket = mode == DisklessLoad::kSwapdb ||
                     (mode == DisklessLoad::kOnEmptyDb && KeyspaceEmpty(server_.keyspace()));
  if (!from_socket)
    return LoadFromPrimaryViaFile(fd, limit, timeout_ms, std::move(progress), loaded);
  persistence::FdSource src(fd, limit, timeout_ms);
  persistence::ReplicationAux aux;
  if (mode == DisklessLoad::kSwapdb) {
    Status st = server_.dataset_loader().LoadFromPrimarySwapdb(src, &aux, std::move(progress));
    if (!st.ok()) return st;
    server_.tracker().Flushed();  // the dataset was replaced
    loaded->stream_db = aux.stream_db;
    loaded->read_past.assign(src.buffered());
    return Status::Ok();
  }
  // A full sync empties the dataset: tracking clients forget everything (Redis).
  server_.tracker().Flushed();
  Status st = server_.dataset_loader().LoadFromPrimary(src, total, &aux, std::move(progress));
  if (!st.ok()) return st;
  loaded->stream_db = aux.stream_db;
  loaded->read_past.assign(src.buffered());
  return Status::Ok();
}

Status ReplicationHooks::LoadFromPrimaryViaFile(int fd, uint64_t limit, int timeout_ms,
                                                std::function<void(uint64_t)> progress,
                                                replication::LoadedSnapshot* loaded) {
  const config::Config& cfg = server_.config();
  // Redis's name for the file being received: temp-<unix time>.<pid>.rdb,
  // in `dir` (the working directory).
  std::string tmp =
      "temp-" + std::to_string(NowMs() / 1000) + "." + std::to_string(getpid()) + ".rdb";
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: storing the RDB from master on disk (%s)",
      tmp.c_str());
  Status st = ReceiveSyncFile(fd, limit, loaded->eof_mark, timeout_ms, tmp, progress);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  std::string dbfile = cfg.dbfilename();
  if (::rename(tmp.c_str(), dbfile.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::Error("Failed trying to rename the temp DB into " + dbfile +
                         " in MASTER <-> REPLICA synchronization: " + why);
  }
  int file = ::open(dbfile.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0) return Status::Error("Can't open " + dbfile + ": " + std::strerror(errno));
  struct stat sb {};
  uint64_t size = ::fstat(file, &sb) == 0 ? uint64_t(sb.st_size) : 0;
  Log(LogLevel::kNotice, "MASTER <-> REPLICA sync: Loading DB in memory");
  persistence::FdSource src(file);
  persistence::ReplicationAux aux;
  server_.tracker().Flushed();
  st = server_.dataset_loader().LoadFromPrimary(src, size, &aux, nullptr);
  ::close(file);
  // rdb-del-sync-files: without RDB or AOF persistence the file was only
  // the vehicle of the sync; it goes once loaded (or failed to).
  if (cfg.rdb_del_sync_files() && cfg.save().empty() && !cfg.appendonly()) {
    Log(LogLevel::kNotice,
        "Removing the RDB file obtained from the master. This replica has "
        "persistence disabled");
    ::unlink(dbfile.c_str());
  }
  if (!st.ok()) return st;
  loaded->stream_db = aux.stream_db;
  loaded->read_past = loaded->eof_mark;  // consumed here; the caller checks it
  return Status::Ok();
}

StatusOr<std::string> ReplicationHooks::BgRewriteAof() {
  return server_.save_jobs().BgRewriteAof();
}

void ReplicationHooks::SetFailoverPause(bool on) { server_.SetFailoverPause(on); }

void ReplicationHooks::ReplicaStreamStarted() { server_.executor().ReplicateAllUsers(); }

void ReplicationHooks::WaitPersisted(int64_t offset) {
  persistence::AofWriter& aof = server_.aof_writer();
  if (aof.sync_replies()) aof.WaitDurable(offset);
}

}  // namespace basalt::server
