// Server's side of the command layer's interfaces (commands/host.h): the
// admission state the executor reads and the Admin operations (clients,
// replication, persistence, INFO) the admin families call.
#include <mutex>

#include "commands/session.h"
#include "common/logging.h"
#include "persistence/aof_writer.h"
#include "persistence/dataset_loader.h"
#include "persistence/info_fields.h"
#include "persistence/save_jobs.h"
#include "protocol/reply_builder.h"
#include "replication/ack_tracker.h"
#include "replication/failover.h"
#include "replication/replica_session.h"
#include "replication/role.h"
#include "server/client.h"
#include "server/info.h"
#include "server/server.h"

namespace basalt::server {
namespace {

// The Client behind a session, or null for a session without a connection.
Client* ConnectionOf(commands::Session& s) {
  return s.is_connection() ? static_cast<Client*>(&s) : nullptr;
}

// The replica session of the connection c, created on its first REPLCONF/SYNC.
replication::ReplicaSession& SessionOf(Server& server, Client& c) {
  auto& session = c.replica_session();
  if (!session) {
    session = std::make_shared<replication::ReplicaSession>(
        server.replication_hooks(), server.replication_role(), server.ack_tracker(),
        server.replicas(), &c);
  }
  return *session;
}

}  // namespace

// ---------------------------------------------------------------- Admission

bool Server::loading() const { return dataset_loader_->loading(); }
std::string Server::PersistenceWriteRefusal() const {
  std::string refusal = save_jobs_->WriteRefusal();
  return refusal.empty() ? aof_writer_->WriteRefusal() : refusal;
}
// Called where a write is admitted or refused: a refusal counts (metrics).
std::string Server::ReplicasWriteRefusal() const {
  return ack_tracker_->WriteRefusal(/*count=*/true);
}
bool Server::is_replica() const { return replication_role_->is_replica(); }
bool Server::primary_link_up() const { return replication_role_->link_up(); }

// ---------------------------------------------------------------- Clients

void Server::ForEachSession(const std::function<void(commands::Session&)>& fn) {
  std::lock_guard<std::mutex> lock(registry_mu_);
  for (auto& [id, c] : registry_) fn(*c);
}

void Server::KillSession(commands::Session& s) {
  if (Client* c = ConnectionOf(s)) KillClient(c);
}

bool Server::UnblockSession(uint64_t id, bool error) {
  bool found = false;
  ForEachClient([&](Client* c) {
    if (c->id != id || !c->blocked_shared_.load()) return;
    found = true;
    Worker* w = c->worker();
    w->loop().Post([w, id, error] {
      if (Client* t = w->FindClient(id)) {
        t->UnblockWith(error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : "");
      }
    });
  });
  return found;
}

// ---------------------------------------------------------------- Replication

void Server::ReplconfListeningPort(commands::Session& s, int port) {
  if (Client* c = ConnectionOf(s)) SessionOf(*this, *c).set_listening_port(port);
}

void Server::ReplconfIpAddress(commands::Session& s, std::string_view ip) {
  Client* c = ConnectionOf(s);
  // Only during the handshake: from PSYNC on other threads read the address.
  if (c == nullptr || c->link_kind_.load() != 0 || ip.empty()) return;
  SessionOf(*this, *c).set_announced_ip(std::string(ip));
}

void Server::ReplconfAck(commands::Session& s, int64_t offset) {
  Client* c = ConnectionOf(s);
  if (c != nullptr && c->replica_session()) c->replica_session()->Ack(offset);
}

void Server::ReplconfForeignBelow(commands::Session& s, int64_t n) {
  Client* c = ConnectionOf(s);
  if (c != nullptr && c->replica_session()) c->replica_session()->set_foreign_below(n);
}

Status Server::PrepareSync(commands::Session& s) {
  Client* c = ConnectionOf(s);
  if (c == nullptr) return Status::Error("ERR SYNC needs a client connection");
  if (replication_role_->is_replica() && !replication_role_->link_up()) {
    return Status::Error("NOMASTERLINK Can't SYNC while not connected with my master");
  }
  // Replies already queued must reach the socket before the snapshot does.
  c->Flush();
  if (c->replica_session() &&
      c->replica_session()->state() != replication::ReplicaSession::State::kWaitBgsave) {
    return Status::Error("ERR Replica already synchronizing or synchronized");
  }
  return Status::Ok();
}

void Server::StartSync(commands::Session& s, bool psync, std::string_view replid, int64_t offset) {
  Client* c = ConnectionOf(s);
  if (c == nullptr) return;
  replication::Role& role = *replication_role_;
  // CONSISTENCY RESYNC asked for a full sync of this replica (drifted data).
  const replication::ReplicaSession& rs = SessionOf(*this, *c);
  const bool forced =
      consistency_.TakeForcedFullSync(rs.ip() + ":" + std::to_string(rs.listening_port()));
  const std::string who = rs.ip() + ":" + std::to_string(rs.listening_port());
  std::string why = forced ? "consistency repair" : !psync ? "SYNC (no PSYNC)" : "";
  if (psync && !forced) {
    why = role.WhyNotContinue(replid, offset);
    if (why.empty() && SessionOf(*this, *c).StartPartialSync(offset - 1, role.replid())) {
      role.sync_partial_ok.fetch_add(1);
      c->link_kind_.store(1);
      replicas_.Add(c->replica_session());
      LogEvent(LogLevel::kNotice, "resync",
               {{"side", "primary"}, {"kind", "partial"}, {"replica", who},
                {"offset", std::to_string(offset)}},
               "Replica %s continues partially from offset %lld", who.c_str(),
               (long long)offset);
      return;
    }
    if (why.empty()) why = "the backlog moved on meanwhile";
    if (replid != "?") role.sync_partial_err.fetch_add(1);
  }
  LogEvent(LogLevel::kNotice, "resync",
           {{"side", "primary"}, {"kind", "full"}, {"replica", who}, {"reason", why},
            {"requested_replid", std::string(replid)}, {"requested_offset", std::to_string(offset)}},
           "Replica %s takes a full sync: %s", who.c_str(), why.c_str());
  SessionOf(*this, *c).StartFullSync(psync);
  role.sync_full.fetch_add(1);
  c->link_kind_.store(1);
  // Counted as a replica from its SYNC/PSYNC on, as in Redis.
  replicas_.Add(c->replica_session());
}

std::string Server::SetPrimary(std::string_view host, int port) {
  return replication_role_->SetPrimary(std::string(host), port);
}

void Server::Promote() { replication_role_->Promote(); }

bool Server::Fence(int64_t ms) { return replication_role_->Fence(ms); }

Status Server::Failover(const replication::FailoverRequest& req) { return failover_->Handle(req); }

Status Server::AcceptFailoverPsync(commands::Session& s, std::string_view replid) {
  Client* c = ConnectionOf(s);
  return failover_->AcceptPsync(replid, c != nullptr ? c->InfoLine() : std::string());
}

bool Server::failover_active() const { return failover_->active(); }

void Server::WriteRole(protocol::ReplyBuilder& rb) {
  if (replication_role_->is_replica()) {
    replication::ReplicaSideInfo info = replication_role_->Info();
    rb.ArrayHeader(5);
    rb.Bulk("slave");
    rb.Bulk(info.host);
    rb.Integer(info.port);
    rb.Bulk(info.state);
    rb.Integer(info.link_up ? info.applied_offset : -1);
    return;
  }
  std::vector<std::shared_ptr<replication::ReplicaSession>> online;
  for (auto& r : replicas_.List()) {
    if (r->state() == replication::ReplicaSession::State::kOnline) online.push_back(r);
  }
  rb.ArrayHeader(3);
  rb.Bulk("master");
  rb.Integer(write_log_.offset());
  rb.ArrayHeader(online.size());
  for (auto& r : online) {
    rb.ArrayHeader(3);
    rb.Bulk(r->ip());
    rb.Bulk(std::to_string(r->listening_port()));
    rb.Bulk(std::to_string(r->ack_offset()));
  }
}

int64_t Server::CountAcked(int64_t offset) { return ack_tracker_->CountAcked(offset); }

bool Server::WaitForReplicas(commands::Session& s, int64_t numreplicas, int64_t deadline_ms) {
  Client* c = ConnectionOf(s);
  if (c == nullptr) return false;
  c->WaitForReplicas(numreplicas, deadline_ms);
  return true;
}

// ---------------------------------------------------------------- Persistence

Status Server::Save() { return save_jobs_->Save(); }
StatusOr<std::string> Server::Bgsave(bool schedule, bool in_exec) {
  return save_jobs_->Bgsave(schedule, in_exec);
}
StatusOr<std::string> Server::BgRewriteAof(bool in_exec) {
  return save_jobs_->BgRewriteAof(in_exec);
}
// DEBUG RELOAD: save (unless !save), empty the keyspace (unless !flush), load
// the file (replacing duplicates when merge).
Status Server::DebugReload(bool save, bool flush, bool merge) {
  if (save) {
    Status st = save_jobs_->Save();
    if (!st.ok()) return st;
  }
  // Emptying the dataset first is a flush to tracking clients (Redis).
  if (flush) tracking_.Flushed();
  return dataset_loader_->Reload(flush, merge);
}
int64_t Server::lastsave() const { return save_jobs_->lastsave(); }
void Server::AfterFlushAll() { save_jobs_->AfterFlushAll(); }

// ---------------------------------------------------------------- INFO

void Server::ChangeReplicationIds() { replication_role_->ChangeReplicationIds(); }

commands::ServerMemory Server::MemoryFigures() {
  commands::ServerMemory m;
  m.startup = startup_memory_;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (auto& [id, c] : registry_) {
      size_t bytes = sizeof(Client) + c->qbuf_cap.load(std::memory_order_relaxed) +
                     c->obuf_len.load(std::memory_order_relaxed);
      if (c->link_kind_.load(std::memory_order_relaxed) == 1) {
        m.clients_replicas += bytes;
        m.replica_output += c->obuf_len.load(std::memory_order_relaxed);
      } else {
        m.clients_normal += bytes;
      }
    }
  }
  persistence::InfoFields aof;
  aof_writer().FillInfo(&aof);
  m.aof_buffer = size_t(aof.aof_buffer_length);
  return m;
}

std::string Server::Info(std::span<const std::string_view> sections) {
  return BuildInfo(*this, sections);
}

}  // namespace basalt::server
