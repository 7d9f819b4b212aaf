// Replication commands: REPLCONF PSYNC SYNC ROLE REPLICAOF SLAVEOF.
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"
#include "server/client.h"
#include "server/replica_link.h"
#include "server/replication.h"
#include "server/server.h"

namespace basalt::commands {
namespace {

server::ReplicaLink& LinkOf(CommandContext& ctx) {
  auto& link = ctx.client.replica_link();
  if (!link) link = std::make_shared<server::ReplicaLink>(ctx.server, &ctx.client);
  return *link;
}

// REPLCONF <option> <value> [<option> <value> ...]
void CmdReplconf(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.Error(errors::kSyntax);
    return;
  }
  for (size_t j = 1; j < ctx.args.size(); j += 2) {
    std::string_view opt = ctx.args[j];
    std::string_view val = ctx.args[j + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      auto port = ParseInt64(val);
      if (!port) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      LinkOf(ctx).set_listening_port(int(*port));
    } else if (EqualsIgnoreCase(opt, "ip-address") || EqualsIgnoreCase(opt, "capa") ||
               EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted: Basalt always streams diskless (capa eof) and has no filters.
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // From a replica: its processed offset. Never answered.
      auto off = ParseInt64(val);
      if (off && ctx.client.replica_link()) ctx.client.replica_link()->Ack(*off);
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // From our primary: the primary client acknowledges after every batch
      // it applies, this one included. Never answered.
      return;
    } else {
      ctx.Error("ERR Unrecognized REPLCONF option: " + std::string(opt));
      return;
    }
  }
  ctx.reply.Ok();
}

void StartSync(CommandContext& ctx, bool psync) {
  server::Replication& repl = ctx.server.replication();
  if (repl.is_replica() && !repl.link_up()) {
    ctx.Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  // Replies already queued must reach the socket before the snapshot does.
  ctx.client.Flush();
  if (ctx.client.replica_link() &&
      ctx.client.replica_link()->state() != server::ReplicaLink::State::kWaitBgsave) {
    ctx.Error("ERR Replica already synchronizing or synchronized");
    return;
  }
  if (psync) {
    std::string_view replid = ctx.args[1];
    auto offset = ParseInt64(ctx.args[2]);
    if (!offset) {
      ctx.Error(errors::kNotInteger);
      return;
    }
    if (repl.CanContinue(replid, *offset) &&
        LinkOf(ctx).StartPartialSync(*offset - 1, repl.replid())) {
      repl.sync_partial_ok.fetch_add(1);
      ctx.client.link_kind_.store(1);
      ctx.server.AddReplica(ctx.client.replica_link());
      return;
    }
    if (replid != "?") repl.sync_partial_err.fetch_add(1);
  }
  LinkOf(ctx).StartFullSync(psync);
  repl.sync_full.fetch_add(1);
  ctx.client.link_kind_.store(1);
  // Counted as a replica from its SYNC/PSYNC on, as in Redis.
  ctx.server.AddReplica(ctx.client.replica_link());
}

// PSYNC replicationid offset: +CONTINUE from the backlog when the id and
// offset allow it, a full resynchronization otherwise.
void CmdPsync(CommandContext& ctx) { StartSync(ctx, true); }

// SYNC
void CmdSync(CommandContext& ctx) { StartSync(ctx, false); }

// REPLICAOF host port | NO ONE (and its old name SLAVEOF)
void CmdReplicaof(CommandContext& ctx) {
  server::Replication& repl = ctx.server.replication();
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    repl.Promote();
    ctx.reply.Ok();
    return;
  }
  auto port = ParseInt64(ctx.args[2]);
  if (!port || *port < 0 || *port > 65535) {
    ctx.Error("ERR Invalid master port");
    return;
  }
  std::string r = repl.SetPrimary(std::string(ctx.args[1]), int(*port));
  ctx.reply.SimpleString(r);
}

// ROLE
void CmdRole(CommandContext& ctx) {
  server::Replication& repl = ctx.server.replication();
  if (repl.is_replica()) {
    server::ReplicaSideInfo info = repl.Info();
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(info.host);
    ctx.reply.Integer(info.port);
    ctx.reply.Bulk(info.state);
    ctx.reply.Integer(info.link_up ? info.applied_offset : -1);
    return;
  }
  auto replicas = ctx.server.Replicas();
  std::vector<std::shared_ptr<server::ReplicaLink>> online;
  for (auto& r : replicas) {
    if (r->state() == server::ReplicaLink::State::kOnline) online.push_back(r);
  }
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(ctx.server.write_log().offset());
  ctx.reply.ArrayHeader(online.size());
  for (auto& r : online) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(r->ip());
    ctx.reply.Bulk(std::to_string(r->listening_port()));
    ctx.reply.Bulk(std::to_string(r->ack_offset()));
  }
}

}  // namespace

void RegisterReplicationFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "replconf", -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy, 0, 0, 0,
             "@admin @slow", CmdReplconf));
  t.Add(Spec(g, "psync", -3, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0,
             "@admin @slow @dangerous", CmdPsync));
  t.Add(Spec(g, "sync", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0,
             "@admin @slow @dangerous", CmdSync));
  t.Add(Spec(g, "replicaof", 3, kAdmin | kNoScript | kStale | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdReplicaof));
  t.Add(Spec(g, "slaveof", 3, kAdmin | kNoScript | kStale | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdReplicaof));
  t.Add(Spec(g, "role", 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0, "@admin @fast @dangerous",
             CmdRole));
}

}  // namespace basalt::commands
