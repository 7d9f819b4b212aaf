// Generic key commands: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT
// PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST RENAME RENAMENX COPY MOVE
// KEYS SCAN RANDOMKEY TOUCH SELECT SWAPDB DBSIZE FLUSHDB FLUSHALL.
#include <cctype>
#include <random>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/watch_registry.h"
#include "common/clock.h"
#include "common/glob.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;

// DEL key [key ...] / UNLINK key [key ...]
void DelGeneric(CommandContext& ctx, bool lazy) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    uint64_t h = HashKey(ctx.args[i]);
    storage::Shard& sh = db.ShardFor(h);
    Entry** link = sh.FindLink(ctx.args[i], h, false);
    if (link == nullptr) continue;
    sh.Delete(link, lazy);
    ctx.Changed(ctx.args[i], "del", kNotifyGeneric);
    n++;
  }
  if (n > 0) ctx.PropagateAsIs();
  ctx.reply.Integer(n);
}
void CmdDel(CommandContext& ctx) { DelGeneric(ctx, ctx.config().lazyfree_lazy_user_del()); }
void CmdUnlink(CommandContext& ctx) { DelGeneric(ctx, true); }

// EXISTS key [key ...]
void CmdExists(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    KeyGuard g(db, ctx.args[i]);
    if (g.Find(false) != nullptr) n++;
  }
  ctx.reply.Integer(n);
}

// TOUCH key [key ...]
void CmdTouch(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    KeyGuard g(db, ctx.args[i]);
    if (g.Find(true) != nullptr) n++;
  }
  ctx.reply.Integer(n);
}

// TYPE key
void CmdType(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e = g.Find(false);
  ctx.reply.SimpleString(e == nullptr ? "none" : TypeName(e->type()));
}

// EXPIRE key seconds [NX | XX | GT | LT] (and PEXPIRE, EXPIREAT, PEXPIREAT)
void ExpireGeneric(CommandContext& ctx, int64_t unit, bool relative) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t j = 3; j < ctx.args.size(); j++) {
    std::string_view o = ctx.args[j];
    if (EqualsIgnoreCase(o, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(o, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(o, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(o, "lt")) {
      lt = true;
    } else {
      ctx.Error("ERR Unsupported option " + std::string(o));
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.Error(errors::kExpireNxXxGtLt);
    return;
  }
  if (gt && lt) {
    ctx.Error(errors::kGtLt);
    return;
  }
  auto when = ExpireArgToAbsMs(ctx, ctx.args[2], unit, relative, false);
  if (!when) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry** link = g.FindLink(false);
  if (link == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  Entry* e = *link;
  bool has = e->has_expire();
  int64_t cur = has ? e->expire_ms() : 0;
  if ((nx && has) || (xx && !has) || (gt && (!has || *when <= cur)) ||
      (lt && has && *when >= cur)) {
    ctx.reply.Integer(0);
    return;
  }
  if (*when <= NowMs()) {
    bool lazy = ctx.config().lazyfree_lazy_expire();
    g.shard().Delete(link, lazy);
    ctx.Changed(ctx.args[1], "del", kNotifyGeneric);
    ctx.Propagate({lazy ? "UNLINK" : "DEL", ctx.args[1]});
    ctx.reply.Integer(1);
    return;
  }
  storage::FreeEntryShell(g.shard().Swap(link, EntryBuilder::WithExpire(e, true, *when)));
  ctx.Changed(ctx.args[1], "expire", kNotifyGeneric);
  char buf[24];
  ctx.Propagate({"PEXPIREAT", ctx.args[1], std::string_view(buf, FormatInt64(*when, buf))});
  ctx.reply.Integer(1);
}
void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, 1000, true); }
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, 1, true); }
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 1000, false); }
void CmdPExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 1, false); }

// TTL / PTTL / EXPIRETIME / PEXPIRETIME key
void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e = g.Find(false);
  if (e == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  if (!e->has_expire()) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t t = absolute ? e->expire_ms() : e->expire_ms() - NowMs();
  if (t < 0) t = 0;
  ctx.reply.Integer(ms ? t : (t + 500) / 1000);
}
void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void CmdPTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void CmdExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void CmdPExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

// PERSIST key
void CmdPersist(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry** link = g.FindLink(false);
  if (link == nullptr || !(*link)->has_expire()) {
    ctx.reply.Integer(0);
    return;
  }
  storage::FreeEntryShell(g.shard().Swap(link, EntryBuilder::WithExpire(*link, false, 0)));
  ctx.Changed(ctx.args[1], "persist", kNotifyGeneric);
  ctx.PropagateAsIs();
  ctx.reply.Integer(1);
}

// RENAME key newkey / RENAMENX key newkey
void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddKey(db, src);
  locks.AddKey(db, dst);
  locks.Acquire();
  uint64_t hs = HashKey(src), hd = HashKey(dst);
  storage::Shard& ss = db.ShardFor(hs);
  storage::Shard& ds = db.ShardFor(hd);
  Entry** slink = ss.FindLink(src, hs, false);
  if (slink == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  if (src == dst) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  Entry** dlink = ds.FindLink(dst, hd, false);
  if (dlink != nullptr && nx) {
    ctx.reply.Integer(0);
    return;
  }
  if (dlink != nullptr) ds.Delete(dlink, ctx.config().lazyfree_lazy_server_del());
  // Re-find: deleting may have moved links within a shared shard.
  slink = ss.FindLink(src, hs, false);
  Entry* e = ss.Detach(slink);
  Entry* moved = EntryBuilder::Rekey(e, dst);
  storage::FreeEntryShell(e);
  ds.Add(moved, hd);
  ctx.Changed(src, "rename_from", kNotifyGeneric);
  ctx.Changed(dst, "rename_to", kNotifyGeneric);
  ctx.PropagateAsIs();
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}
void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  int dst_db = ctx.session.db();
  bool replace = false;
  for (size_t j = 3; j < ctx.args.size(); j++) {
    if (EqualsIgnoreCase(ctx.args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "db") && j + 1 < ctx.args.size()) {
      auto d = DbIndexArg(ctx, ctx.args[++j]);
      if (!d) return;
      dst_db = *d;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  if (dst_db == ctx.session.db() && src == dst) {
    ctx.Error(errors::kSameObject);
    return;
  }
  storage::Database& sdb = ctx.db();
  storage::Database& ddb = ctx.host.keyspace().db(dst_db);
  storage::LockSet locks;
  locks.AddKey(sdb, src);
  locks.AddKey(ddb, dst);
  locks.Acquire();
  uint64_t hs = HashKey(src), hd = HashKey(dst);
  Entry* e = sdb.ShardFor(hs).Find(src, hs, false);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  storage::Shard& ds = ddb.ShardFor(hd);
  Entry** dlink = ds.FindLink(dst, hd, false);
  if (dlink != nullptr && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  Entry* copy = EntryBuilder::Clone(e, dst);
  if (dlink != nullptr) {
    ds.Overwrite(dlink, copy);
  } else {
    ds.Add(copy, hd);
  }
  ctx.host.OnKeyChanged(dst_db, dst, "copy_to", kNotifyGeneric);
  ctx.PropagateAsIs();
  ctx.reply.Integer(1);
}

// MOVE key db
void CmdMove(CommandContext& ctx) {
  auto d = DbIndexArg(ctx, ctx.args[2]);
  if (!d) return;
  if (*d == ctx.session.db()) {
    ctx.Error(errors::kSameObject);
    return;
  }
  std::string_view key = ctx.args[1];
  storage::Database& sdb = ctx.db();
  storage::Database& ddb = ctx.host.keyspace().db(*d);
  storage::LockSet locks;
  locks.AddKey(sdb, key);
  locks.AddKey(ddb, key);
  locks.Acquire();
  uint64_t h = HashKey(key);
  storage::Shard& ss = sdb.ShardFor(h);
  storage::Shard& ds = ddb.ShardFor(h);
  Entry** slink = ss.FindLink(key, h, false);
  if (slink == nullptr || ds.FindLink(key, h, false) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ds.Add(ss.Detach(slink), h);
  ctx.Changed(key, "move_from", kNotifyGeneric);
  ctx.host.OnKeyChanged(*d, key, "move_to", kNotifyGeneric);
  ctx.PropagateAsIs();
  ctx.reply.Integer(1);
}

// Calls fn(entry) for every live key of db (KEYS). Locks one shard at a time.
template <typename Fn>
void ForEachLiveKey(storage::Database& db, Fn fn) {
  int64_t now = NowMs();
  for (uint32_t s = 0; s < db.shard_count(); s++) {
    storage::Shard& sh = db.shard(s);
    storage::ShardLock lock(sh);
    uint64_t cursor = 0;
    do {
      cursor = sh.table().Scan(cursor, [&](Entry* e) {
        if (!sh.IsExpired(e, now)) fn(e);
      });
    } while (cursor != 0);
  }
}

// KEYS pattern
void CmdKeys(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  bool all = pattern == "*";
  std::vector<std::string> keys;
  ForEachLiveKey(ctx.db(), [&](Entry* e) {
    std::string_view k = e->key();
    if (all || GlobMatch(pattern, k)) keys.emplace_back(k);
  });
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
// The cursor packs the shard (low bits) and the shard table's own cursor.
void CmdScan(CommandContext& ctx) {
  auto parsed = CursorArg(ctx, ctx.args[1]);
  if (!parsed) return;
  uint64_t cursor = *parsed;
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 2, true, &opts)) return;
  const int64_t count = opts.count;
  storage::Database& db = ctx.db();
  uint32_t nshards = db.shard_count();
  uint32_t shard = uint32_t(cursor % nshards);
  uint64_t tcursor = cursor / nshards;
  std::vector<std::string> keys;
  int64_t now = NowMs();
  int64_t budget = count * 10;
  while (budget > 0 && int64_t(keys.size()) < count) {
    storage::Shard& sh = db.shard(shard);
    {
      storage::ShardLock lock(sh);
      do {
        tcursor = sh.table().Scan(tcursor, [&](Entry* e) {
          if (sh.IsExpired(e, now)) return;
          if (!opts.type.empty() && !EqualsIgnoreCase(opts.type, TypeName(e->type()))) return;
          std::string_view k = e->key();
          if (!opts.Matches(k)) return;
          keys.emplace_back(k);
        });
        budget--;
      } while (tcursor != 0 && budget > 0 && int64_t(keys.size()) < count);
    }
    if (tcursor == 0) {
      if (++shard == nshards) break;
    }
  }
  uint64_t next = (shard == nshards) ? 0 : tcursor * nshards + shard;
  char buf[24];
  int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, size_t(n)));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// RANDOMKEY
void CmdRandomKey(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  thread_local std::mt19937_64 rng(std::random_device{}());
  int64_t now = NowMs();
  for (int attempt = 0; attempt < 100 && db.ApproxSize() > 0; attempt++) {
    // Pick a shard weighted by its size, then a random entry in it.
    size_t total = db.ApproxSize();
    if (total == 0) break;
    size_t pick = rng() % total;
    uint32_t s = 0;
    for (; s < db.shard_count(); s++) {
      size_t n = db.shard(s).approx_size();
      if (pick < n) break;
      pick -= n;
    }
    if (s == db.shard_count()) continue;
    storage::Shard& sh = db.shard(s);
    storage::ShardLock lock(sh);
    Entry* e = sh.table().Random(rng());
    if (e == nullptr || sh.IsExpired(e, now)) continue;
    ctx.reply.Bulk(e->key());
    return;
  }
  ctx.reply.Null();
}

// SELECT index
void CmdSelect(CommandContext& ctx) {
  auto d = ParseInt64(ctx.args[1]);
  if (!d) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  if (*d < 0 || *d >= ctx.host.keyspace().db_count()) {
    ctx.Error(errors::kDbIndexOutOfRange);
    return;
  }
  ctx.session.set_db(int(*d));
  ctx.reply.Ok();
}

// Whether key exists and is not expired, without deleting it: callers hold
// the watch registry lock, which expiry would take again.
// REQUIRES: the key's shard is locked.
bool LiveWithoutExpiring(storage::Database& db, std::string_view key) {
  uint64_t h = HashKey(key);
  storage::Shard& sh = db.ShardFor(h);
  storage::Entry* e = sh.table().Find(key, h);
  return e != nullptr && !sh.IsExpired(e, NowMs());
}

// SWAPDB index1 index2
void CmdSwapDb(CommandContext& ctx) {
  auto a = ParseInt64(ctx.args[1]);
  if (!a) {
    ctx.Error(errors::kInvalidFirstDbIndex);
    return;
  }
  auto b = ParseInt64(ctx.args[2]);
  if (!b) {
    ctx.Error(errors::kInvalidSecondDbIndex);
    return;
  }
  int n = ctx.host.keyspace().db_count();
  if (*a < 0 || *a >= n || *b < 0 || *b >= n) {
    ctx.Error(errors::kDbIndexOutOfRange);
    return;
  }
  if (*a != *b) {
    storage::Database& da = ctx.host.keyspace().db(int(*a));
    storage::Database& dbb = ctx.host.keyspace().db(int(*b));
    storage::LockSet locks;
    locks.AddAll(da);
    locks.AddAll(dbb);
    locks.Acquire();
    // A watched key changes when it exists in either database.
    auto exists_in_either = [&](std::string_view k) {
      return LiveWithoutExpiring(da, k) || LiveWithoutExpiring(dbb, k);
    };
    ctx.host.watches().TouchInDb(int(*a), exists_in_either);
    ctx.host.watches().TouchInDb(int(*b), exists_in_either);
    for (uint32_t s = 0; s < da.shard_count(); s++) da.shard(s).SwapContents(dbb.shard(s));
    ctx.PropagateAsIs();
  }
  ctx.reply.Ok();
}

// DBSIZE
void CmdDbSize(CommandContext& ctx) { ctx.reply.Integer(int64_t(ctx.db().ApproxSize())); }

// Parses the optional ASYNC|SYNC of FLUSHDB/FLUSHALL; nullopt after an error.
std::optional<bool> FlushMode(CommandContext& ctx) {
  bool async = ctx.config().lazyfree_lazy_user_flush();
  if (ctx.args.size() > 2) {
    ctx.Error(errors::kSyntax);
    return std::nullopt;
  }
  if (ctx.args.size() == 2) {
    if (EqualsIgnoreCase(ctx.args[1], "async")) {
      async = true;
    } else if (EqualsIgnoreCase(ctx.args[1], "sync")) {
      async = false;
    } else {
      ctx.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return async;
}

bool LiveWithoutExpiring(storage::Database& db, std::string_view key);

// Marks watchers of keys that exist in db as touched (before a flush).
// REQUIRES: all of db's shards are locked.
void TouchExisting(CommandContext& ctx, storage::Database& db) {
  ctx.host.watches().TouchInDb(db.index(),
                               [&](std::string_view k) { return LiveWithoutExpiring(db, k); });
}

// FLUSHDB [ASYNC | SYNC]
void CmdFlushDb(CommandContext& ctx) {
  auto async = FlushMode(ctx);
  if (!async) return;
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddAll(db);
  locks.Acquire();
  TouchExisting(ctx, db);
  for (uint32_t s = 0; s < db.shard_count(); s++) db.shard(s).Clear(*async);
  ctx.PropagateAsIs();
  ctx.reply.Ok();
}

// FLUSHALL [ASYNC | SYNC]
void CmdFlushAll(CommandContext& ctx) {
  auto async = FlushMode(ctx);
  if (!async) return;
  storage::Keyspace& ks = ctx.host.keyspace();
  storage::LockSet locks;
  for (int d = 0; d < ks.db_count(); d++) locks.AddAll(ks.db(d));
  locks.Acquire();
  for (int d = 0; d < ks.db_count(); d++) {
    TouchExisting(ctx, ks.db(d));
    for (uint32_t s = 0; s < ks.db(d).shard_count(); s++) ks.db(d).shard(s).Clear(*async);
  }
  ctx.PropagateAsIs();
  locks.Release();
  // As Redis does: the running save ends and the now empty dataset is saved
  // when save rules are configured.
  if (!ctx.host.loading()) ctx.admin().AfterFlushAll();
  ctx.reply.Ok();
}

}  // namespace

void RegisterKeysFamily(CommandTable& t) {
  const char* g = "generic";
  t.Add(Spec(g, "del", -2, kWrite, 1, -1, 1, "@keyspace @write @slow", CmdDel));
  t.Add(Spec(g, "unlink", -2, kWrite | kFast, 1, -1, 1, "@keyspace @write @fast", CmdUnlink));
  t.Add(Spec(g, "exists", -2, kReadOnly | kFast, 1, -1, 1, "@keyspace @read @fast", CmdExists));
  t.Add(Spec(g, "touch", -2, kReadOnly | kFast, 1, -1, 1, "@keyspace @read @fast", CmdTouch));
  t.Add(Spec(g, "type", 2, kReadOnly | kFast, 1, 1, 1, "@keyspace @read @fast", CmdType));
  t.Add(Spec(g, "expire", -3, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdExpire));
  t.Add(Spec(g, "pexpire", -3, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdPExpire));
  t.Add(Spec(g, "expireat", -3, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdExpireAt));
  t.Add(Spec(g, "pexpireat", -3, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdPExpireAt));
  t.Add(Spec(g, "ttl", 2, kReadOnly | kFast, 1, 1, 1, "@keyspace @read @fast", CmdTtl));
  t.Add(Spec(g, "pttl", 2, kReadOnly | kFast, 1, 1, 1, "@keyspace @read @fast", CmdPTtl));
  t.Add(
      Spec(g, "expiretime", 2, kReadOnly | kFast, 1, 1, 1, "@keyspace @read @fast", CmdExpireTime));
  t.Add(Spec(g, "pexpiretime", 2, kReadOnly | kFast, 1, 1, 1, "@keyspace @read @fast",
             CmdPExpireTime));
  t.Add(Spec(g, "persist", 2, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdPersist));
  t.Add(Spec(g, "rename", 3, kWrite, 1, 2, 1, "@keyspace @write @slow", CmdRename));
  t.Add(Spec(g, "renamenx", 3, kWrite | kFast, 1, 2, 1, "@keyspace @write @fast", CmdRenameNx));
  t.Add(Spec(g, "copy", -3, kWrite | kDenyOom, 1, 2, 1, "@keyspace @write @slow", CmdCopy));
  t.Add(Spec(g, "move", 3, kWrite | kFast, 1, 1, 1, "@keyspace @write @fast", CmdMove));
  t.Add(Spec(g, "keys", 2, kReadOnly, 0, 0, 0, "@keyspace @read @slow @dangerous", CmdKeys)).tips =
      "request_policy:all_shards nondeterministic_output_order";
  t.Add(Spec(g, "scan", -2, kReadOnly, 0, 0, 0, "@keyspace @read @slow", CmdScan)).tips =
      "nondeterministic_output request_policy:special";
  t.Add(Spec(g, "randomkey", 1, kReadOnly, 0, 0, 0, "@keyspace @read @slow", CmdRandomKey)).tips =
      "request_policy:all_shards nondeterministic_output";
  t.Add(Spec("connection", "select", 2, kLoading | kStale | kFast, 0, 0, 0, "@keyspace @fast",
             CmdSelect));
  t.Add(Spec("server", "swapdb", 3, kWrite | kFast, 0, 0, 0, "@keyspace @write @fast @dangerous",
             CmdSwapDb));
  t.Add(Spec("server", "dbsize", 1, kReadOnly | kFast, 0, 0, 0, "@keyspace @read @fast", CmdDbSize))
      .tips = "request_policy:all_shards response_policy:agg_sum";
  t.Add(Spec("server", "flushdb", -1, kWrite, 0, 0, 0, "@keyspace @write @slow @dangerous",
             CmdFlushDb))
      .tips = "request_policy:all_shards response_policy:all_succeeded";
  t.Add(Spec("server", "flushall", -1, kWrite, 0, 0, 0, "@keyspace @write @slow @dangerous",
             CmdFlushAll))
      .tips = "request_policy:all_shards response_policy:all_succeeded";
}

}  // namespace basalt::commands
