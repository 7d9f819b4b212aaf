// The server's side of the consistency check (docs/consistency.md): which
// replicas are Basalt, and the digest-only snapshot in the persistence job
// slot. The check itself is commands/consistency_family.cc.
#include "commands/session.h"
#include "common/strings.h"
#include "persistence/save_jobs.h"
#include "replication/replica_session.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {

void Server::InitConsistency() {
  // CONSISTENCY RESYNC: the drifted replica's link is closed; its PSYNC is
  // then refused a partial resync (StartSync), so it loads a full sync.
  consistency_.SetDisconnector([this](const std::string& addr) {
    bool found = false;
    for (const auto& r : replicas_.List()) {
      if (r->ip() + ":" + std::to_string(r->listening_port()) == addr) {
        r->Disconnect();
        found = true;
      }
    }
    return found;
  });
}

void Server::ReplconfCapa(commands::Session& s, std::string_view capa) {
  if (!EqualsIgnoreCase(capa, "basalt")) return;
  if (!s.is_connection()) return;
  Client* c = static_cast<Client*>(&s);
  if (!c->replica_session()) {
    // The first REPLCONF of a replica creates its session (listening-port
    // normally comes first; none was announced yet if not).
    ReplconfListeningPort(s, 0);
  }
  if (c->replica_session()) c->replica_session()->set_basalt(true);
}

std::vector<std::pair<std::string, bool>> Server::ReplicaPeers() {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& r : replicas_.List()) {
    out.emplace_back(r->ip() + ":" + std::to_string(r->listening_port()), r->basalt());
  }
  return out;
}

std::vector<std::pair<std::string, int64_t>> Server::ForeignBelowPeers() {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& r : replicas_.List()) {
    if (r->basalt() && r->foreign_below() > 0) {
      out.emplace_back(r->ip() + ":" + std::to_string(r->listening_port()), r->foreign_below());
    }
  }
  return out;
}

Status Server::StartDigest(std::function<void(int64_t offset)> at_instant,
                           std::shared_ptr<persistence::EntryVisitor> visitor,
                           std::function<void(Status)> done) {
  return save_jobs_->StartDigest(std::move(at_instant), std::move(visitor), std::move(done));
}

}  // namespace basalt::server
