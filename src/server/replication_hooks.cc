#include "server/replication_hooks.h"

#include <string_view>
#include <utility>

#include "persistence/dataset_loader.h"
#include "persistence/rdb_format.h"
#include "persistence/save_jobs.h"
#include "persistence/snapshot.h"
#include "server/client.h"
#include "server/server.h"

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
  persistence::FdSource src(fd, limit, timeout_ms);
  persistence::ReplicationAux aux;
  // A full sync empties the dataset: tracking clients forget everything (Redis).
  server_.tracker().Flushed();
  Status st = server_.dataset_loader().LoadFromPrimary(src, total, &aux, std::move(progress));
  if (!st.ok()) return st;
  loaded->stream_db = aux.stream_db;
  loaded->read_past.assign(src.buffered());
  return Status::Ok();
}

StatusOr<std::string> ReplicationHooks::BgRewriteAof() {
  return server_.save_jobs().BgRewriteAof();
}

void ReplicationHooks::SetFailoverPause(bool on) { server_.SetFailoverPause(on); }

}  // namespace basalt::server
