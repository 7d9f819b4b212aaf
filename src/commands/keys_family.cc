// Generic key commands: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT
// PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST RENAME RENAMENX COPY MOVE
// KEYS SCAN RANDOMKEY TOUCH SELECT SWAPDB DBSIZE FLUSHDB FLUSHALL.
#include <cctype>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/tracking.h"
#include "commands/watch_registry.h"
#include "common/clock.h"
#include "common/glob.h"
#include "common/status.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;

// ---------------------------------------------------------------- Operations
// What each write does to the keyspace, apart from parsing, notifying,
// propagating and replying: each takes keys (or databases) whose shard locks
// the caller holds and already-parsed values, and returns what the handler
// needs, or the error text from errors.h. None knows RESP.

// Deletes each of keys that exists (lazily: freed off-thread when large);
// returns the ones deleted, in order. A key named twice is deleted once.
// REQUIRES: the shards of every key are locked.
StatusOr<std::vector<std::string_view>> OpDel(storage::Database& db,
                                              std::span<const std::string_view> keys, bool lazy) {
  std::vector<std::string_view> deleted;
  for (std::string_view key : keys) {
    uint64_t h = HashKey(key);
    storage::Shard& sh = db.ShardFor(h);
    Entry** link = sh.FindLink(key, h, false);
    if (link == nullptr) continue;
    sh.Delete(link, lazy);
    deleted.push_back(key);
  }
  return deleted;
}

// EXPIRE's NX | XX | GT | LT.
struct ExpireConditions {
  bool nx = false, xx = false, gt = false, lt = false;
};

// What EXPIRE did.
enum class ExpireOutcome { kNotSet, kSet, kDeleted };

// Sets key's expire time to when_ms (absolute) if the conditions allow it; a
// time not after now deletes the key instead (lazily when `lazy`), as Redis
// does. A missing key, or one the conditions exclude (GT counts no TTL as
// infinite, LT as larger than any time), is left alone.
StatusOr<ExpireOutcome> OpExpire(KeyGuard& g, int64_t when_ms, ExpireConditions c, bool lazy) {
  Entry** link = g.FindLink(false);
  if (link == nullptr) return ExpireOutcome::kNotSet;
  Entry* e = *link;
  bool has = e->has_expire();
  int64_t cur = has ? e->expire_ms() : 0;
  if ((c.nx && has) || (c.xx && !has) || (c.gt && (!has || when_ms <= cur)) ||
      (c.lt && has && when_ms >= cur)) {
    return ExpireOutcome::kNotSet;
  }
  if (when_ms <= NowMs()) {
    g.shard().Delete(link, lazy);
    return ExpireOutcome::kDeleted;
  }
  storage::FreeEntryShell(g.shard().Swap(link, EntryBuilder::WithExpire(e, true, when_ms)));
  return ExpireOutcome::kSet;
}

// Removes key's TTL; returns whether it had one.
StatusOr<bool> OpPersist(KeyGuard& g) {
  Entry** link = g.FindLink(false);
  if (link == nullptr || !(*link)->has_expire()) return false;
  storage::FreeEntryShell(g.shard().Swap(link, EntryBuilder::WithExpire(*link, false, 0)));
  return true;
}

// Renames src to dst, replacing dst (deleted lazily when `lazy`) unless nx;
// returns whether it renamed: not when src == dst, nor under nx when dst
// exists. A missing src is "no such key", checked first.
// REQUIRES: the shards of src and dst are locked.
StatusOr<bool> OpRename(storage::Database& db, std::string_view src, std::string_view dst, bool nx,
                        bool lazy) {
  uint64_t hs = HashKey(src), hd = HashKey(dst);
  storage::Shard& ss = db.ShardFor(hs);
  storage::Shard& ds = db.ShardFor(hd);
  Entry** slink = ss.FindLink(src, hs, false);
  if (slink == nullptr) return Status::Error(errors::kNoSuchKey);
  if (src == dst) return false;
  Entry** dlink = ds.FindLink(dst, hd, false);
  if (dlink != nullptr && nx) return false;
  if (dlink != nullptr) ds.Delete(dlink, lazy);
  // Re-find: deleting may have moved links within a shared shard.
  slink = ss.FindLink(src, hs, false);
  Entry* e = ss.Detach(slink);
  Entry* moved = EntryBuilder::Rekey(e, dst);
  storage::FreeEntryShell(e);
  ds.Add(moved, hd);
  return true;
}

// Copies src of sdb to dst of ddb, TTL included, replacing an existing dst
// only with `replace`; returns whether it copied (not when src is missing).
// REQUIRES: the shards of src in sdb and dst in ddb are locked.
StatusOr<bool> OpCopy(storage::Database& sdb, std::string_view src, storage::Database& ddb,
                      std::string_view dst, bool replace) {
  uint64_t hs = HashKey(src), hd = HashKey(dst);
  Entry* e = sdb.ShardFor(hs).Find(src, hs, false);
  if (e == nullptr) return false;
  storage::Shard& ds = ddb.ShardFor(hd);
  Entry** dlink = ds.FindLink(dst, hd, false);
  if (dlink != nullptr && !replace) return false;
  Entry* copy = EntryBuilder::Clone(e, dst);
  if (dlink != nullptr) {
    ds.Overwrite(dlink, copy);
  } else {
    ds.Add(copy, hd);
  }
  return true;
}

// Moves key from sdb to ddb; returns whether it moved (not when the key is
// missing from sdb or already in ddb).
// REQUIRES: the key's shards in both databases are locked.
StatusOr<bool> OpMove(storage::Database& sdb, storage::Database& ddb, std::string_view key) {
  uint64_t h = HashKey(key);
  storage::Shard& ss = sdb.ShardFor(h);
  storage::Shard& ds = ddb.ShardFor(h);
  Entry** slink = ss.FindLink(key, h, false);
  if (slink == nullptr || ds.FindLink(key, h, false) != nullptr) return false;
  ds.Add(ss.Detach(slink), h);
  return true;
}

// Exchanges the contents of two databases.
// REQUIRES: every shard of both is locked.
StatusOr<bool> OpSwapDb(storage::Database& a, storage::Database& b) {
  for (uint32_t s = 0; s < a.shard_count(); s++) a.shard(s).SwapContents(b.shard(s));
  return true;
}

// Empties db (freeing off-thread when `async`).
// REQUIRES: every shard of db is locked.
StatusOr<bool> OpFlushDb(storage::Database& db, bool async) {
  for (uint32_t s = 0; s < db.shard_count(); s++) db.shard(s).Clear(async);
  return true;
}

// ---------------------------------------------------------------- Handlers

// DEL key [key ...] / UNLINK key [key ...]
void DelGeneric(CommandContext& ctx, bool lazy) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  StatusOr<std::vector<std::string_view>> r = OpDel(db, ctx.args.subspan(1), lazy);
  if (!r.ok()) return ctx.Error(r.status().message());
  for (std::string_view key : *r) ctx.Changed(key, "del", kNotifyGeneric);
  if (!r->empty()) ctx.PropagateAsIs();
  ctx.reply.Integer(int64_t(r->size()));
}
// DEL key [key ...]
void CmdDel(CommandContext& ctx) { DelGeneric(ctx, ctx.config().lazyfree_lazy_user_del()); }
// UNLINK key [key ...]
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
  ExpireConditions c;
  ArgParser p(ctx.args, 3);
  while (p.HasNext()) {
    if (p.Check("NX")) {
      c.nx = true;
    } else if (p.Check("XX")) {
      c.xx = true;
    } else if (p.Check("GT")) {
      c.gt = true;
    } else if (p.Check("LT")) {
      c.lt = true;
    } else {
      p.Fail(errors::UnsupportedOption(p.Next<std::string_view>()));
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  if (c.nx && (c.xx || c.gt || c.lt)) {
    ctx.Error(errors::kExpireNxXxGtLt);
    return;
  }
  if (c.gt && c.lt) {
    ctx.Error(errors::kGtLt);
    return;
  }
  auto when = ExpireArgToAbsMs(ctx, ctx.args[2], unit, relative, false);
  if (!when) return;
  std::string_view key = ctx.args[1];
  bool lazy = ctx.config().lazyfree_lazy_expire();
  KeyGuard g(ctx.db(), key);
  StatusOr<ExpireOutcome> r = OpExpire(g, *when, c, lazy);
  if (!r.ok()) return ctx.Error(r.status().message());
  switch (*r) {
    case ExpireOutcome::kNotSet:
      ctx.reply.Integer(0);
      return;
    case ExpireOutcome::kDeleted:
      ctx.Changed(key, "del", kNotifyGeneric);
      ctx.Propagate({lazy ? "UNLINK" : "DEL", key});
      break;
    case ExpireOutcome::kSet: {
      ctx.Changed(key, "expire", kNotifyGeneric);
      // As Redis: PEXPIREAT with the absolute time, the options as sent.
      char buf[24];
      std::vector<std::string_view> out = {"PEXPIREAT", key,
                                           std::string_view(buf, FormatInt64(*when, buf))};
      out.insert(out.end(), ctx.args.begin() + 3, ctx.args.end());
      ctx.Propagate(out);
      break;
    }
  }
  ctx.reply.Integer(1);
}
// EXPIRE key seconds [NX | XX | GT | LT]
void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, 1000, true); }
// PEXPIRE key milliseconds [NX | XX | GT | LT]
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, 1, true); }
// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 1000, false); }
// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
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
// TTL key
void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
// PTTL key
void CmdPTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
// EXPIRETIME key
void CmdExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
// PEXPIRETIME key
void CmdPExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

// PERSIST key
void CmdPersist(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<bool> r = OpPersist(g);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!*r) {
    ctx.reply.Integer(0);
    return;
  }
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
  StatusOr<bool> r = OpRename(db, src, dst, nx, ctx.config().lazyfree_lazy_server_del());
  if (!r.ok()) return ctx.Error(r.status().message());
  if (*r) {
    ctx.Changed(src, "rename_from", kNotifyGeneric);
    ctx.Changed(dst, "rename_to", kNotifyGeneric);
    ctx.PropagateAsIs();
  }
  if (nx) {
    ctx.reply.Integer(*r ? 1 : 0);
  } else {
    ctx.reply.Ok();
  }
}
// RENAME key newkey
void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }
// RENAMENX key newkey
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  int dst_db = ctx.session.db();
  bool replace = false;
  ArgParser p(ctx.args, 3);
  while (p.HasNext()) {
    if (p.Check("REPLACE")) {
      replace = true;
    } else if (p.remaining() >= 2 && p.Check("DB")) {
      int64_t d = p.Next<int64_t>();
      if (p.ok() && (d < INT32_MIN || d > INT32_MAX)) {
        p.Fail(errors::kIntOutOfRange);
      } else if (p.ok() && (d < 0 || d >= ctx.host.keyspace().db_count())) {
        p.Fail(errors::kDbIndexOutOfRange);
      }
      dst_db = int(d);
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
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
  StatusOr<bool> r = OpCopy(sdb, src, ddb, dst, replace);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!*r) {
    ctx.reply.Integer(0);
    return;
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
  StatusOr<bool> r = OpMove(sdb, ddb, key);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!*r) {
    ctx.reply.Integer(0);
    return;
  }
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
  auto d = DbIndexArg(ctx, ctx.args[1]);
  if (!d) return;
  ctx.session.set_db(*d);
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
  // Each index is read as a C int; anything else (not a number, or past int's
  // range) names the argument.
  auto as_int = [](std::string_view s) -> std::optional<int64_t> {
    auto v = ParseInt64(s);
    if (v && (*v < INT32_MIN || *v > INT32_MAX)) return std::nullopt;
    return v;
  };
  auto a = as_int(ctx.args[1]);
  if (!a) {
    ctx.Error(errors::kInvalidFirstDbIndex);
    return;
  }
  auto b = as_int(ctx.args[2]);
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
    StatusOr<bool> r = OpSwapDb(da, dbb);
    if (!r.ok()) return ctx.Error(r.status().message());
    // A client blocked on a key that now exists in its database is served.
    ctx.host.WakeBlockedInDb(int(*a));
    ctx.host.WakeBlockedInDb(int(*b));
  }
  // Swapping a database with itself changes nothing, yet Redis 7.0 logs it too.
  ctx.PropagateAsIs();
  ctx.reply.Ok();
}

// DBSIZE
void CmdDbSize(CommandContext& ctx) { ctx.reply.Integer(int64_t(ctx.db().ApproxSize())); }

// Parses the optional ASYNC|SYNC of FLUSHDB/FLUSHALL; nullopt after an error.
std::optional<bool> FlushMode(CommandContext& ctx) {
  bool async = ctx.config().lazyfree_lazy_user_flush();
  ArgParser p(ctx.args, 1);
  if (p.Check("ASYNC")) {
    async = true;
  } else if (p.Check("SYNC")) {
    async = false;
  }
  if (p.HasNext()) p.Fail(errors::kSyntax);
  if (!p.ok()) {
    ctx.Error(p.error());
    return std::nullopt;
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
  StatusOr<bool> r = OpFlushDb(db, *async);
  if (!r.ok()) return ctx.Error(r.status().message());
  // As Redis: every tracking client forgets everything, whatever the db.
  if (TrackingHub* t = ctx.host.tracking()) t->Flushed();
  ctx.host.WakeBlockedInDb(db.index());  // XREADGROUP waits end (stream gone)
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
    StatusOr<bool> r = OpFlushDb(ks.db(d), *async);
    if (!r.ok()) return ctx.Error(r.status().message());
  }
  if (TrackingHub* t = ctx.host.tracking()) t->Flushed();
  for (int d = 0; d < ks.db_count(); d++) ctx.host.WakeBlockedInDb(d);
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
  t.Add(Spec(g, "keys", 2, kReadOnly, 0, 0, 0, "@keyspace @read @slow @dangerous", CmdKeys));
  t.Add(Spec(g, "scan", -2, kReadOnly, 0, 0, 0, "@keyspace @read @slow", CmdScan));
  t.Add(Spec(g, "randomkey", 1, kReadOnly, 0, 0, 0, "@keyspace @read @slow", CmdRandomKey));
  t.Add(Spec("connection", "select", 2, kLoading | kStale | kFast, 0, 0, 0, "@fast @connection",
             CmdSelect));
  t.Add(Spec("server", "swapdb", 3, kWrite | kFast, 0, 0, 0, "@keyspace @write @fast @dangerous",
             CmdSwapDb));
  t.Add(Spec("server", "dbsize", 1, kReadOnly | kFast, 0, 0, 0, "@keyspace @read @fast", CmdDbSize));
  t.Add(Spec("server", "flushdb", -1, kWrite, 0, 0, 0, "@keyspace @write @slow @dangerous",
             CmdFlushDb));
  t.Add(Spec("server", "flushall", -1, kWrite, 0, 0, 0, "@keyspace @write @slow @dangerous",
             CmdFlushAll));
}

}  // namespace basalt::commands
