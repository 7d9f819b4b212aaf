// Replication commands: REPLCONF PSYNC SYNC ROLE REPLICAOF SLAVEOF FAILOVER.
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"
#include "common/status.h"
#include "replication/failover.h"

namespace basalt::commands {
namespace {

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
      ctx.admin().ReplconfListeningPort(ctx.session, int(*port));
    } else if (EqualsIgnoreCase(opt, "capa")) {
      // Accepted: Basalt always streams diskless (capa eof); "basalt" marks
      // a replica that understands the consistency check's marker.
      ctx.admin().ReplconfCapa(ctx.session, val);
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      ctx.admin().ReplconfIpAddress(ctx.session, val);
    } else if (EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted: Basalt always streams diskless (capa eof) and has no filters.
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // From a replica: its processed offset. Never answered. A Basalt
      // replica adds BASALT-FOREIGN <n> (non-Basalt replicas below it).
      auto off = ParseInt64(val);
      if (off) ctx.admin().ReplconfAck(ctx.session, *off);
      for (size_t k = j + 2; k + 1 < ctx.args.size(); k += 2) {
        if (!EqualsIgnoreCase(ctx.args[k], "basalt-foreign")) continue;
        if (auto n = ParseInt64(ctx.args[k + 1]); n && *n >= 0) {
          ctx.admin().ReplconfForeignBelow(ctx.session, *n);
        }
      }
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      // From our primary: the primary client acknowledges after every batch
      // it applies, this one included. Never answered.
      return;
    } else {
      ctx.Error(errors::UnknownReplconfOption(opt));
      return;
    }
  }
  ctx.reply.Ok();
}

// PSYNC replicationid offset [FAILOVER]: +CONTINUE from the backlog when the
// id and offset allow it, a full resynchronization otherwise. FAILOVER (sent
// by a primary handing over in a coordinated failover) first promotes this
// replica, whose replid must be the one sent.
void CmdPsync(CommandContext& ctx) {
  if (ctx.args.size() > 3 && EqualsIgnoreCase(ctx.args[3], "failover")) {
    Status st = ctx.admin().AcceptFailoverPsync(ctx.session, ctx.args[1]);
    if (!st.ok()) return ctx.Error(st.message());
  }
  if (ctx.admin().failover_active()) return ctx.Error(errors::kSyncDuringFailover);
  Status st = ctx.admin().PrepareSync(ctx.session);
  if (!st.ok()) return ctx.Error(st.message());
  auto offset = ParseInt64(ctx.args[2]);
  if (!offset) return ctx.Error(errors::kNotInteger);
  ctx.admin().StartSync(ctx.session, true, ctx.args[1], *offset);
}

// SYNC
void CmdSync(CommandContext& ctx) {
  if (ctx.admin().failover_active()) return ctx.Error(errors::kSyncDuringFailover);
  Status st = ctx.admin().PrepareSync(ctx.session);
  if (!st.ok()) return ctx.Error(st.message());
  ctx.admin().StartSync(ctx.session, false, "", 0);
}

// REPLICAOF host port | NO ONE (and its old name SLAVEOF)
void CmdReplicaof(CommandContext& ctx) {
  if (ctx.admin().failover_active()) return ctx.Error(errors::kReplicaofDuringFailover);
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    ctx.admin().Promote();
    ctx.reply.Ok();
    return;
  }
  auto port = ParseInt64(ctx.args[2]);
  if (!port || *port < 0 || *port > 65535) {
    ctx.Error(errors::kInvalidMasterPort);
    return;
  }
  ctx.reply.SimpleString(ctx.admin().SetPrimary(ctx.args[1], int(*port)));
}

// FENCE milliseconds (Basalt): a replica stops applying its primary's stream
// until REPLICAOF, a promotion or the time passes (0 lifts it). Sent by a
// Basalt sentinel to every replica before it reads their offsets to choose
// the one to promote (docs/failover.md, "The fence").
void CmdFence(CommandContext& ctx) {
  auto ms = ParseInt64(ctx.args[1]);
  if (!ms || *ms < 0) return ctx.Error(errors::kNotInteger);
  if (!ctx.admin().Fence(*ms)) return ctx.Error("ERR FENCE is only valid on a replica");
  ctx.reply.Ok();
}

// ROLE
void CmdRole(CommandContext& ctx) { ctx.admin().WriteRole(ctx.reply); }

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]
// Each option at most once; ABORT with no other (redis-server answers a
// syntax error otherwise). The state machine is replication/failover.h.
void CmdFailover(CommandContext& ctx) {
  replication::FailoverRequest req;
  const auto& args = ctx.args;
  for (size_t j = 1; j < args.size(); j++) {
    std::string_view opt = args[j];
    bool more1 = j + 1 < args.size(), more2 = j + 2 < args.size();
    if (EqualsIgnoreCase(opt, "to") && more2 && !req.has_target && !req.abort) {
      auto port = ParseInt64(args[j + 2]);
      if (!port) return ctx.Error(errors::kNotInteger);
      req.has_target = true;
      req.host = std::string(args[j + 1]);
      req.port = *port;
      j += 2;
    } else if (EqualsIgnoreCase(opt, "timeout") && more1 && req.timeout_ms == 0 && !req.abort) {
      auto ms = ParseInt64(args[j + 1]);
      if (!ms) return ctx.Error(errors::kNotInteger);
      if (*ms <= 0) return ctx.Error(errors::kFailoverTimeout);
      req.timeout_ms = *ms;
      j++;
    } else if (EqualsIgnoreCase(opt, "force") && !req.force && !req.abort) {
      req.force = true;
    } else if (EqualsIgnoreCase(opt, "abort") && !req.abort && !req.has_target && !req.force &&
               req.timeout_ms == 0) {
      req.abort = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  Status st = ctx.admin().Failover(req);
  if (!st.ok()) return ctx.Error(st.message());
  ctx.reply.Ok();
}

}  // namespace

void RegisterReplicationFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "replconf", -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy, 0, 0, 0,
             "@admin @slow @dangerous", CmdReplconf));
  t.Add(Spec(g, "psync", -3, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0,
             "@admin @slow @dangerous", CmdPsync));
  t.Add(Spec(g, "sync", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0,
             "@admin @slow @dangerous", CmdSync));
  t.Add(Spec(g, "replicaof", 3, kAdmin | kNoScript | kStale | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdReplicaof));
  t.Add(Spec(g, "slaveof", 3, kAdmin | kNoScript | kStale | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdReplicaof));
  t.Add(Spec(g, "failover", -1, kAdmin | kNoScript | kStale, 0, 0, 0, "@admin @slow @dangerous",
             CmdFailover));
  t.Add(Spec(g, "fence", 2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
             "@admin @slow @dangerous", CmdFence));
  t.Add(Spec(g, "role", 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0,
             "@admin @fast @dangerous", CmdRole));
}

}  // namespace basalt::commands
