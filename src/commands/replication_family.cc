// Replication commands: REPLCONF PSYNC SYNC ROLE REPLICAOF SLAVEOF.
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"
#include "common/status.h"

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
    } else if (EqualsIgnoreCase(opt, "ip-address") || EqualsIgnoreCase(opt, "capa") ||
               EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted: Basalt always streams diskless (capa eof) and has no filters.
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // From a replica: its processed offset. Never answered.
      auto off = ParseInt64(val);
      if (off) ctx.admin().ReplconfAck(ctx.session, *off);
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

// PSYNC replicationid offset: +CONTINUE from the backlog when the id and
// offset allow it, a full resynchronization otherwise.
void CmdPsync(CommandContext& ctx) {
  Status st = ctx.admin().PrepareSync(ctx.session);
  if (!st.ok()) return ctx.Error(st.message());
  auto offset = ParseInt64(ctx.args[2]);
  if (!offset) return ctx.Error(errors::kNotInteger);
  ctx.admin().StartSync(ctx.session, true, ctx.args[1], *offset);
}

// SYNC
void CmdSync(CommandContext& ctx) {
  Status st = ctx.admin().PrepareSync(ctx.session);
  if (!st.ok()) return ctx.Error(st.message());
  ctx.admin().StartSync(ctx.session, false, "", 0);
}

// REPLICAOF host port | NO ONE (and its old name SLAVEOF)
void CmdReplicaof(CommandContext& ctx) {
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

// ROLE
void CmdRole(CommandContext& ctx) { ctx.admin().WriteRole(ctx.reply); }

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
  t.Add(Spec(g, "role", 1, kNoScript | kLoading | kStale | kFast, 0, 0, 0,
             "@admin @fast @dangerous", CmdRole));
}

}  // namespace basalt::commands
