// Persistence commands: SAVE BGSAVE BGREWRITEAOF DUMP RESTORE.
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/clock.h"
#include "common/numbers.h"
#include "persistence/rdb_value.h"

namespace basalt::commands {
namespace {

// SAVE
void CmdSave(CommandContext& ctx) {
  Status st = ctx.admin().Save();
  if (!st.ok()) {
    ctx.Error(st.message());
    return;
  }
  ctx.reply.Ok();
}

// BGSAVE [SCHEDULE]
void CmdBgsave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.args.size() > 1) {
    if (ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "schedule")) {
      schedule = true;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  auto r = ctx.admin().Bgsave(schedule, ctx.session.exec_log() != nullptr);
  if (!r.ok()) {
    ctx.Error(r.status().message());
    return;
  }
  ctx.reply.SimpleString(*r);
}

// BGREWRITEAOF
void CmdBgRewriteAof(CommandContext& ctx) {
  auto r = ctx.admin().BgRewriteAof(ctx.session.exec_log() != nullptr);
  if (!r.ok()) {
    ctx.Error(r.status().message());
    return;
  }
  ctx.reply.SimpleString(*r);
}

// DUMP key
void CmdDump(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  storage::Entry* e = g.Find(true);
  CountHit(ctx, ctx.args[1], e != nullptr);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(persistence::DumpPayload(*e, ctx.config().rdbcompression()));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < ctx.args.size(); j++) {
    std::string_view o = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(o, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(o, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(o, "idletime") && more && freq == -1) {
      auto v = IntArg(ctx, ctx.args[++j]);
      if (!v) return;
      if (*v < 0) {
        ctx.Error(errors::kInvalidIdletime);
        return;
      }
      idle = *v;
    } else if (EqualsIgnoreCase(o, "freq") && more && idle == -1) {
      auto v = IntArg(ctx, ctx.args[++j]);
      if (!v) return;
      if (*v < 0 || *v > 255) {
        ctx.Error(errors::kInvalidFreq);
        return;
      }
      freq = *v;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  storage::Entry** link = g.FindLink(false);
  if (link != nullptr && !replace) {
    ctx.Error(errors::kBusyKey);
    return;
  }
  auto ttl = IntArg(ctx, ctx.args[2]);
  if (!ttl) return;
  if (*ttl < 0) {
    ctx.Error(errors::kInvalidTtl);
    return;
  }
  int64_t expire_ms = 0;
  if (*ttl > 0) expire_ms = absttl ? *ttl : NowMs() + *ttl;
  auto restored = persistence::RestorePayload(ctx.args[3], ctx.args[1], *ttl > 0, expire_ms,
                                              persistence::RdbLimitsOf(ctx.config()));
  if (!restored.ok()) {
    ctx.Error(restored.status().message());
    return;
  }
  storage::Entry* e = *restored;
  if (*ttl > 0 && expire_ms <= NowMs()) {
    // Already expired: the key is gone (a replaced one too), as in Redis.
    storage::FreeEntry(e);
    if (link != nullptr) {
      g.shard().Delete(link);
      std::string_view del[2] = {"DEL", ctx.args[1]};
      ctx.Propagate(del);
      ctx.Changed(ctx.args[1], "del", kNotifyGeneric);
    }
    ctx.reply.Ok();
    return;
  }
  if (link != nullptr) {
    g.shard().Overwrite(link, e);
  } else {
    g.Add(e);
  }
  if (idle >= 0 || freq >= 0) {
    uint32_t field = e->lru();
    if (freq >= 0 && storage::LfuMode()) {
      field = (field & 0xFFFF00) | uint32_t(freq);
    } else if (idle >= 0 && !storage::LfuMode()) {
      field = (storage::LruClock() - uint32_t(idle)) & 0xFFFFFF;
    }
    e->set_lru(field);
  }
  // Replicas and the AOF get an absolute expire time, so a replay later
  // restores the same deadline.
  char ms[24];
  std::vector<std::string_view> prop = {"RESTORE", ctx.args[1], "0", ctx.args[3], "REPLACE"};
  if (*ttl > 0) {
    prop[2] = std::string_view(ms, FormatInt64(expire_ms, ms));
    prop.push_back("ABSTTL");
  }
  ctx.Propagate(prop);
  ctx.Changed(ctx.args[1], "restore", kNotifyGeneric);
  ctx.reply.Ok();
}

}  // namespace

void RegisterPersistenceFamily(CommandTable& t) {
  const char* g = "server";
  t.Add(Spec(g, "save", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, 0, 0, 0,
             "@admin @slow @dangerous", CmdSave));
  t.Add(Spec(g, "bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdBgsave));
  t.Add(Spec(g, "bgrewriteaof", 1, kAdmin | kNoScript | kNoAsyncLoading, 0, 0, 0,
             "@admin @slow @dangerous", CmdBgRewriteAof));
  t.Add(Spec("generic", "dump", 2, kReadOnly, 1, 1, 1, "@keyspace @read @slow", CmdDump));
  t.Add(Spec("generic", "restore", -4, kWrite | kDenyOom, 1, 1, 1,
             "@keyspace @write @slow @dangerous", CmdRestore));
}

}  // namespace basalt::commands
