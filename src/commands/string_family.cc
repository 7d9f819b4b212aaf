// String commands: GET SET SETNX SETEX PSETEX GETEX GETDEL GETSET MGET MSET
// MSETNX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE
// SUBSTR LCS. Each write propagates a deterministic command to the write log
// (relative expiries become absolute PXAT/PEXPIREAT times).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/clock.h"
#include "common/status.h"

namespace basalt::commands {
namespace {

using storage::Encoding;
using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;

void StoreString(KeyGuard& g, Entry** link, std::string_view value, bool has_exp, int64_t exp) {
  Entry* e = EntryBuilder::String(g.key(), value, has_exp, exp);
  if (link != nullptr) {
    g.shard().Overwrite(link, e);
  } else {
    g.Add(e);
  }
}

// Turns a string entry into a heap-buffer string (in place for the table),
// so APPEND/SETRANGE grow it in amortized O(1). Returns the new entry.
Entry* MakeMutable(KeyGuard& g, Entry** link, size_t min_cap) {
  Entry* e = *link;
  if (e->encoding() == Encoding::kRawHeap) return e;
  char buf[32];
  std::string_view v = e->StringValue(buf);
  storage::HeapString* h = storage::NewHeapString(v, min_cap);
  Entry* n =
      EntryBuilder::HeapStr(g.key(), h, e->has_expire(), e->has_expire() ? e->expire_ms() : 0);
  g.shard().Overwrite(link, n);
  return n;
}

std::string CopyValue(const Entry* e) {
  char buf[32];
  return std::string(e->StringValue(buf));
}

// The options SET and GETEX share, parsed as Redis 7.0 does.
struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  bool has_expire = false;
  int64_t expire_abs_ms = 0;
  // The expire option as parsed, before ResolveExpire turns it into expire_abs_ms.
  int expire_flag = 0;
  std::string_view expire_arg;
};

enum Flag { kNX = 1, kXX = 2, kGET = 4, kKEEPTTL = 8, kPERSIST = 16, kEX = 32, kPX = 64,
            kEXAT = 128, kPXAT = 256 };

// Parses SET's (is_set) or GETEX's options from args[first] on; on error
// replies and returns false. A keyword that does not fit the ones before it
// (NX after XX, KEEPTTL after EX, ...) is a syntax error, as in Redis; the
// expire time is checked only once every option parsed (by ResolveExpire,
// which resolve_expire=false leaves to the caller).
bool ResolveExpire(CommandContext& ctx, SetOptions* o);
bool ParseSetOptions(CommandContext& ctx, size_t first, bool is_set, SetOptions* o,
                     bool resolve_expire = true) {
  int flags = 0;
  std::string_view expire_arg;
  const int kAnyExpire = kEX | kPX | kEXAT | kPXAT;
  ArgParser p(ctx.args, first);
  // Consumes EX | PX | EXAT | PXAT and returns its flag, or 0.
  auto expire_keyword = [&p]() -> int {
    if (p.Check("EX")) return kEX;
    if (p.Check("PX")) return kPX;
    if (p.Check("EXAT")) return kEXAT;
    if (p.Check("PXAT")) return kPXAT;
    return 0;
  };
  while (p.HasNext()) {
    int f = 0;
    if (is_set && !(flags & kXX) && p.Check("NX")) {
      flags |= kNX;
    } else if (is_set && !(flags & kNX) && p.Check("XX")) {
      flags |= kXX;
    } else if (is_set && p.Check("GET")) {
      flags |= kGET;
    } else if (is_set && !(flags & (kPERSIST | kAnyExpire)) && p.Check("KEEPTTL")) {
      flags |= kKEEPTTL;
    } else if (!is_set && !(flags & (kKEEPTTL | kAnyExpire)) && p.Check("PERSIST")) {
      flags |= kPERSIST;
    } else if (p.remaining() >= 2 && (f = expire_keyword()) != 0) {
      if (flags & (kKEEPTTL | kPERSIST | (kAnyExpire & ~f))) {
        p.Fail(errors::kSyntax);
      } else {
        flags |= f;
        expire_arg = p.Next<std::string_view>();
      }
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) {
    ctx.Error(p.error());
    return false;
  }
  o->nx = flags & kNX;
  o->xx = flags & kXX;
  o->get = flags & kGET;
  o->keepttl = flags & kKEEPTTL;
  o->persist = flags & kPERSIST;
  o->expire_flag = flags & kAnyExpire;
  o->expire_arg = expire_arg;
  return resolve_expire ? ResolveExpire(ctx, o) : true;
}

// Checks the expire value ParseSetOptions kept and sets expire_abs_ms; on
// error replies and returns false.
bool ResolveExpire(CommandContext& ctx, SetOptions* o) {
  if (o->expire_flag == 0) return true;
  bool seconds = o->expire_flag & (kEX | kEXAT);
  bool relative = o->expire_flag & (kEX | kPX);
  auto ms = ExpireArgToAbsMs(ctx, o->expire_arg, seconds ? 1000 : 1, relative, true);
  if (!ms) return false;
  o->has_expire = true;
  o->expire_abs_ms = *ms;
  return true;
}

// ---------------------------------------------------------------- Operations
// What each write does to the keyspace, apart from parsing and replying: each
// takes a key whose shard lock the caller holds (or a database whose shards
// of the named keys it holds) and returns what the handler replies and
// propagates, or the error; none knows RESP (the pattern for new commands: an
// Op* per storage change, a Cmd* that parses, calls it, notifies, propagates
// and replies).

// What SET did: whether it stored the value and, with GET, the value it
// replaced (nullopt: the key was missing).
struct SetResult {
  bool stored = false;
  std::optional<std::string> old;
};

// Stores value at key as SET (and SETNX, SETEX, PSETEX, GETSET) does with
// options o. With GET another type is WRONGTYPE, checked before NX/XX;
// without it any value is replaced. KEEPTTL keeps the old expire time.
StatusOr<SetResult> OpSet(KeyGuard& g, std::string_view value, const SetOptions& o) {
  Entry** link = g.FindLink();
  Entry* old = link ? *link : nullptr;
  SetResult r;
  if (o.get && old != nullptr) {
    if (!Holds<Entry>(old)) return Status::Error(errors::kWrongType);
    r.old = CopyValue(old);
  }
  if ((o.nx && old != nullptr) || (o.xx && old == nullptr)) return r;
  bool has_exp = o.has_expire;
  int64_t exp = o.expire_abs_ms;
  if (o.keepttl && old != nullptr && old->has_expire()) {
    has_exp = true;
    exp = old->expire_ms();
  }
  StoreString(g, link, value, has_exp, exp);
  r.stored = true;
  return r;
}

// What GETEX did to the key besides reading it.
enum class GetExChange { kNone, kDeleted, kExpire, kPersist };
struct GetExResult {
  std::optional<std::string> value;  // nullopt: the key was missing
  GetExChange change = GetExChange::kNone;
};

// Reads the string at key and applies GETEX's expire option o: an expire
// time in the past deletes the key, as Redis does; PERSIST changes only a
// key that has a TTL.
StatusOr<GetExResult> OpGetEx(KeyGuard& g, const SetOptions& o) {
  Entry** link = g.FindLink();
  Entry* e = link ? *link : nullptr;
  GetExResult r;
  if (e == nullptr) return r;
  if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
  r.value = CopyValue(e);
  if (o.has_expire) {
    if (o.expire_abs_ms <= NowMs()) {
      g.shard().Delete(link);
      r.change = GetExChange::kDeleted;
      return r;
    }
    storage::FreeEntryShell(
        g.shard().Swap(link, EntryBuilder::WithExpire(e, true, o.expire_abs_ms)));
    r.change = GetExChange::kExpire;
  } else if (o.persist && e->has_expire()) {
    storage::FreeEntryShell(g.shard().Swap(link, EntryBuilder::WithExpire(e, false, 0)));
    r.change = GetExChange::kPersist;
  }
  return r;
}

// Deletes the string at key and returns its value (nullopt: missing).
StatusOr<std::optional<std::string>> OpGetDel(KeyGuard& g) {
  Entry** link = g.FindLink();
  Entry* e = link ? *link : nullptr;
  if (e == nullptr) return std::optional<std::string>();
  if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
  std::optional<std::string> value = CopyValue(e);
  g.shard().Delete(link);
  return value;
}

// Stores each key/value pair of kvs (key, value, key, value, ...) without a
// TTL; with nx, none when any of the keys exists. Returns whether it stored.
// REQUIRES: the shards of every key are locked.
StatusOr<bool> OpMSet(storage::Database& db, std::span<const std::string_view> kvs, bool nx) {
  if (nx) {
    for (size_t i = 0; i < kvs.size(); i += 2) {
      uint64_t h = HashKey(kvs[i]);
      if (db.ShardFor(h).Find(kvs[i], h, false) != nullptr) return false;
    }
  }
  for (size_t i = 0; i < kvs.size(); i += 2) {
    std::string_view key = kvs[i];
    uint64_t h = HashKey(key);
    storage::Shard& sh = db.ShardFor(h);
    Entry** link = sh.FindLink(key, h, false);
    Entry* e = EntryBuilder::String(key, kvs[i + 1], false, 0);
    if (link != nullptr) {
      sh.Overwrite(link, e);
    } else {
      sh.Add(e, h);
    }
  }
  return true;
}

// Appends add to the string at key (created when missing); returns the new
// length. A result longer than max_len is refused.
StatusOr<int64_t> OpAppend(KeyGuard& g, std::string_view add, uint64_t max_len) {
  Entry** link = g.FindLink();
  if (link == nullptr) {
    StoreString(g, nullptr, add, false, 0);
    return int64_t(add.size());
  }
  Entry* e = *link;
  if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
  char buf[32];
  size_t cur = e->StringValue(buf).size();
  if (cur + add.size() > max_len) return Status::Error(errors::kStringTooLong);
  e = MakeMutable(g, link, cur + add.size());
  storage::HeapString* h = storage::GrowHeapString(e->heap_string(), cur + add.size());
  memcpy(h->data() + h->len, add.data(), add.size());
  h->len += add.size();
  e->set_heap_string(h);
  return int64_t(h->len);
}

// Overwrites the string at key from byte offset on with value, zero-padding
// (and creating the key) as needed; returns the new length. An empty value
// changes nothing and returns the current length. A result longer than
// max_len is refused.
StatusOr<int64_t> OpSetRange(KeyGuard& g, uint64_t offset, std::string_view value,
                             uint64_t max_len) {
  Entry** link = g.FindLink();
  Entry* e = link ? *link : nullptr;
  if (e != nullptr && !Holds<Entry>(e)) return Status::Error(errors::kWrongType);
  char buf[32];
  size_t cur = e == nullptr ? 0 : e->StringValue(buf).size();
  if (value.empty()) return int64_t(cur);
  if (offset + value.size() > max_len) return Status::Error(errors::kStringTooLong);
  size_t need = std::max(cur, size_t(offset) + value.size());
  if (e == nullptr) {
    storage::HeapString* h = storage::NewHeapString("", need);
    memset(h->data(), 0, need);
    h->len = need;
    memcpy(h->data() + offset, value.data(), value.size());
    g.Add(EntryBuilder::HeapStr(g.key(), h, false, 0));
  } else {
    e = MakeMutable(g, link, need);
    storage::HeapString* h = storage::GrowHeapString(e->heap_string(), need);
    if (need > h->len) memset(h->data() + h->len, 0, need - h->len);
    h->len = std::max(h->len, need);
    memcpy(h->data() + offset, value.data(), value.size());
    e->set_heap_string(h);
  }
  return int64_t(need);
}

// Adds delta to the integer at key (0 when missing), keeping its TTL.
StatusOr<int64_t> OpIncrBy(KeyGuard& g, int64_t delta) {
  Entry** link = g.FindLink();
  Entry* e = link ? *link : nullptr;
  int64_t cur = 0;
  if (e != nullptr) {
    if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
    if (e->IsInt()) {
      cur = e->IntValue();
    } else {
      char buf[32];
      auto v = ParseInt64(e->StringValue(buf));
      if (!v) return Status::Error(errors::kNotInteger);
      cur = *v;
    }
  }
  if ((cur < 0 && delta < 0 && delta < INT64_MIN - cur) ||
      (cur > 0 && delta > 0 && delta > INT64_MAX - cur)) {
    return Status::Error(errors::kOverflow);
  }
  int64_t result = cur + delta;
  if (e != nullptr && e->IsInt()) {
    e->SetIntValue(result);
  } else if (e != nullptr) {
    g.shard().Overwrite(link, EntryBuilder::Int(g.key(), result, e->has_expire(),
                                                e->has_expire() ? e->expire_ms() : 0));
  } else {
    g.Add(EntryBuilder::Int(g.key(), result, false, 0));
  }
  return result;
}

// Adds incr to the number at key (0 when missing), keeping its TTL; returns
// the new value as Redis formats it.
StatusOr<std::string> OpIncrByFloat(KeyGuard& g, long double incr) {
  Entry** link = g.FindLink();
  Entry* e = link ? *link : nullptr;
  long double cur = 0;
  if (e != nullptr) {
    if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
    char buf[32];
    auto v = ParseLongDouble(e->StringValue(buf));
    if (!v) return Status::Error(errors::kNotFloat);
    cur = *v;
  }
  long double result = cur + incr;
  if (std::isnan(result) || std::isinf(result)) return Status::Error(errors::kNanOrInf);
  auto text = FormatLongDoubleHuman(result);
  if (!text) return Status::Error(errors::kNotFloat);
  bool has_exp = e != nullptr && e->has_expire();
  Entry* n = EntryBuilder::String(g.key(), *text, has_exp, has_exp ? e->expire_ms() : 0, false);
  if (link != nullptr) {
    g.shard().Overwrite(link, n);
  } else {
    g.Add(n);
  }
  return std::move(*text);
}

// ---------------------------------------------------------------- Handlers

void ReplyOptionalBulk(CommandContext& ctx, const std::optional<std::string>& v) {
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// GET key
void CmdGet(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ReplyStringValue(ctx, e);
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
//     EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
void CmdSet(CommandContext& ctx) {
  SetOptions o;
  // Plain SET (the hot case) has no options to parse.
  if (ctx.args.size() > 3 && !ParseSetOptions(ctx, 3, true, &o)) return;
  std::string_view key = ctx.args[1], value = ctx.args[2];
  KeyGuard g(ctx.db(), key);
  StatusOr<SetResult> r = OpSet(g, value, o);
  // GET reads the key as GET does: a keyspace hit or miss (an error means the
  // key exists with another type).
  if (o.get) CountHit(ctx, key, !r.ok() || r->old.has_value());
  if (!r.ok()) return ctx.Error(r.status().message());
  if (o.get) ReplyOptionalBulk(ctx, r->old);
  if (!r->stored) {
    if (!o.get) ctx.reply.Null();
    return;
  }
  ctx.Changed(key, "set", kNotifyString);
  if (o.has_expire) ctx.Changed(key, "expire", kNotifyGeneric);
  if (o.has_expire) {
    char buf[24];
    std::string_view ms(buf, FormatInt64(o.expire_abs_ms, buf));
    ctx.Propagate({"SET", key, value, "PXAT", ms});
  } else if (o.keepttl) {
    ctx.Propagate({"SET", key, value, "KEEPTTL"});
  } else {
    ctx.Propagate({"SET", key, value});
  }
  if (!o.get) ctx.reply.Ok();
}

// SETNX key value
void CmdSetNx(CommandContext& ctx) {
  SetOptions o;
  o.nx = true;
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<SetResult> r = OpSet(g, ctx.args[2], o);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->stored) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.Changed(ctx.args[1], "set", kNotifyString);
  ctx.Propagate({"SET", ctx.args[1], ctx.args[2]});
  ctx.reply.Integer(1);
}

// SETEX key seconds value / PSETEX key milliseconds value
void SetExGeneric(CommandContext& ctx, int64_t unit) {
  auto ms = ExpireArgToAbsMs(ctx, ctx.args[2], unit, true, true);
  if (!ms) return;
  SetOptions o;
  o.has_expire = true;
  o.expire_abs_ms = *ms;
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<SetResult> r = OpSet(g, ctx.args[3], o);
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.Changed(ctx.args[1], "set", kNotifyString);
  ctx.Changed(ctx.args[1], "expire", kNotifyGeneric);
  char buf[24];
  std::string_view when(buf, FormatInt64(*ms, buf));
  ctx.Propagate({"SET", ctx.args[1], ctx.args[3], "PXAT", when});
  ctx.reply.Ok();
}
// SETEX key seconds value
void CmdSetEx(CommandContext& ctx) { SetExGeneric(ctx, 1000); }
// PSETEX key milliseconds value
void CmdPSetEx(CommandContext& ctx) { SetExGeneric(ctx, 1); }

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | PERSIST]
void CmdGetEx(CommandContext& ctx) {
  SetOptions o;
  if (!ParseSetOptions(ctx, 2, false, &o, false)) return;
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  // As in Redis, the expire value is checked only once the key is known to
  // hold a string: a missing key answers nil and another type WRONGTYPE first.
  if (o.expire_flag != 0) {
    Entry** link = g.FindLink();
    if (link != nullptr && Holds<Entry>(*link) && !ResolveExpire(ctx, &o)) {
      CountHit(ctx, key, true);
      return;
    }
  }
  StatusOr<GetExResult> r = OpGetEx(g, o);
  // Only an existing key can be of the wrong type: an error is a hit.
  CountHit(ctx, key, !r.ok() || r->value.has_value());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyOptionalBulk(ctx, r->value);
  switch (r->change) {
    case GetExChange::kNone:
      break;
    case GetExChange::kDeleted:
      ctx.Changed(key, "del", kNotifyGeneric);
      ctx.Propagate({ctx.config().lazyfree_lazy_expire() ? "UNLINK" : "DEL", key});
      break;
    case GetExChange::kExpire: {
      ctx.Changed(key, "expire", kNotifyGeneric);
      char buf[24];
      ctx.Propagate({"PEXPIREAT", key, std::string_view(buf, FormatInt64(o.expire_abs_ms, buf))});
      break;
    }
    case GetExChange::kPersist:
      ctx.Changed(key, "persist", kNotifyGeneric);
      ctx.Propagate({"PERSIST", key});
      break;
  }
}

// GETDEL key
void CmdGetDel(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  StatusOr<std::optional<std::string>> r = OpGetDel(g);
  CountHit(ctx, key, !r.ok() || r->has_value());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyOptionalBulk(ctx, *r);
  if (!r->has_value()) return;
  ctx.Changed(key, "del", kNotifyGeneric);
  ctx.Propagate({"DEL", key});
}

// GETSET key value
void CmdGetSet(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  SetOptions o;
  o.get = true;
  KeyGuard g(ctx.db(), key);
  StatusOr<SetResult> r = OpSet(g, ctx.args[2], o);
  CountHit(ctx, key, !r.ok() || r->old.has_value());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyOptionalBulk(ctx, r->old);
  ctx.Changed(key, "set", kNotifyString);
  ctx.Propagate({"SET", key, ctx.args[2]});
}

// MGET key [key ...]
void CmdMGet(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  ctx.reply.ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); i++) {
    uint64_t h = HashKey(ctx.args[i]);
    Entry* e = db.ShardFor(h).Find(ctx.args[i], h);
    CountHit(ctx, ctx.args[i], e != nullptr);
    if (e == nullptr || !Holds<Entry>(e)) {
      ctx.reply.Null();
    } else {
      ReplyStringValue(ctx, e);
    }
  }
}

// MSET key value [key value ...] / MSETNX key value [key value ...]
void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.Error(errors::WrongArity(ctx.spec.name));
    return;
  }
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i += 2) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  StatusOr<bool> r = OpMSet(db, ctx.args.subspan(1), nx);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!*r) {
    ctx.reply.Integer(0);
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) ctx.Changed(ctx.args[i], "set", kNotifyString);
  if (nx) {
    // MSETNX replicates as MSET: the existence check already happened here.
    std::vector<std::string_view> cmd(ctx.args.begin(), ctx.args.end());
    cmd[0] = "MSET";
    ctx.Propagate(cmd);
    ctx.reply.Integer(1);
  } else {
    ctx.PropagateAsIs();
    ctx.reply.Ok();
  }
}
// MSET key value [key value ...]
void CmdMSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
// MSETNX key value [key value ...]
void CmdMSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

// APPEND key value
void CmdAppend(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> r = OpAppend(g, ctx.args[2], uint64_t(ctx.config().proto_max_bulk_len()));
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.Changed(ctx.args[1], "append", kNotifyString);
  ctx.PropagateAsIs();
  ctx.reply.Integer(*r);
}

// STRLEN key
void CmdStrlen(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  char buf[32];
  ctx.reply.Integer(e == nullptr ? 0 : int64_t(e->StringValue(buf).size()));
}

// INCR/DECR/INCRBY/DECRBY: adds `delta` to the integer value of key.
void IncrGeneric(CommandContext& ctx, int64_t delta) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> r = OpIncrBy(g, delta);
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.Changed(ctx.args[1], "incrby", kNotifyString);
  ctx.PropagateAsIs();
  ctx.reply.Integer(*r);
}
// INCR key
void CmdIncr(CommandContext& ctx) { IncrGeneric(ctx, 1); }
// DECR key
void CmdDecr(CommandContext& ctx) { IncrGeneric(ctx, -1); }
// INCRBY key increment
void CmdIncrBy(CommandContext& ctx) {
  auto d = IntArg(ctx, ctx.args[2]);
  if (d) IncrGeneric(ctx, *d);
}
// DECRBY key decrement
void CmdDecrBy(CommandContext& ctx) {
  auto d = IntArg(ctx, ctx.args[2]);
  if (!d) return;
  if (*d == INT64_MIN) {
    ctx.Error(errors::kDecrOverflow);
    return;
  }
  IncrGeneric(ctx, -*d);
}

// INCRBYFLOAT key increment
void CmdIncrByFloat(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  auto incr = ParseLongDouble(ctx.args[2]);
  if (!incr) {
    // A key of another type is reported before a bad increment, as Redis does.
    Entry* e = g.Find();
    return ctx.Error(e != nullptr && !Holds<Entry>(e) ? errors::kWrongType : errors::kNotFloat);
  }
  StatusOr<std::string> r = OpIncrByFloat(g, *incr);
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.Changed(ctx.args[1], "incrbyfloat", kNotifyString);
  // Replicas must not redo floating-point arithmetic: send the result.
  ctx.Propagate({"SET", ctx.args[1], *r, "KEEPTTL"});
  ctx.reply.Bulk(*r);
}

// GETRANGE key start end (and SUBSTR)
void CmdGetRange(CommandContext& ctx) {
  auto start = IntArg(ctx, ctx.args[2]);
  if (!start) return;
  auto end = IntArg(ctx, ctx.args[3]);
  if (!end) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  if (e == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  char buf[32];
  std::string_view s = e->StringValue(buf);
  int64_t len = int64_t(s.size());
  int64_t a = *start, b = *end;
  if (a < 0 && b < 0 && a > b) {
    ctx.reply.Bulk("");
    return;
  }
  if (a < 0) a = len + a;
  if (b < 0) b = len + b;
  if (a < 0) a = 0;
  if (b < 0) b = 0;
  if (b >= len) b = len - 1;
  if (a > b || len == 0) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(s.substr(size_t(a), size_t(b - a + 1)));
}

// SETRANGE key offset value
void CmdSetRange(CommandContext& ctx) {
  auto offset = IntArg(ctx, ctx.args[2]);
  if (!offset) return;
  if (*offset < 0) {
    ctx.Error(errors::kOffsetOutOfRange);
    return;
  }
  std::string_view value = ctx.args[3];
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> r =
      OpSetRange(g, uint64_t(*offset), value, uint64_t(ctx.config().proto_max_bulk_len()));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!value.empty()) {
    ctx.Changed(ctx.args[1], "setrange", kNotifyString);
    ctx.PropagateAsIs();
  }
  ctx.reply.Integer(*r);
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
void CmdLcs(CommandContext& ctx) {
  std::string a, b;
  {
    storage::Database& db = ctx.db();
    storage::LockSet locks;
    locks.AddKey(db, ctx.args[1]);
    locks.AddKey(db, ctx.args[2]);
    locks.Acquire();
    Entry* ea = nullptr;
    Entry* eb = nullptr;
    for (int i = 1; i <= 2; i++) {
      uint64_t h = HashKey(ctx.args[i]);
      Entry* e = db.ShardFor(h).Find(ctx.args[i], h);
      (i == 1 ? ea : eb) = e;
    }
    if ((ea && !Holds<Entry>(ea)) || (eb && !Holds<Entry>(eb))) {
      ctx.Error(errors::kLcsNotStrings);
      return;
    }
    char buf[32];
    if (ea) a = std::string(ea->StringValue(buf));
    if (eb) b = std::string(eb->StringValue(buf));
  }
  // Redis checks the keys' types before it reads the options.
  bool get_len = false, get_idx = false, with_len = false;
  int64_t min_len = 0;
  ArgParser p(ctx.args, 3);
  while (p.HasNext()) {
    if (p.Check("IDX")) {
      get_idx = true;
    } else if (p.Check("LEN")) {
      get_len = true;
    } else if (p.Check("WITHMATCHLEN")) {
      with_len = true;
    } else if (p.remaining() >= 2 && p.Check("MINMATCHLEN")) {
      int64_t v = p.Next<int64_t>();
      min_len = v < 0 ? 0 : v;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  if (get_idx && get_len) {
    ctx.Error(errors::kLcsLenAndIdx);
    return;
  }
  uint64_t cells = uint64_t(a.size() + 1) * uint64_t(b.size() + 1);
  if (cells * sizeof(uint32_t) > uint64_t(ctx.config().proto_max_bulk_len()) ||
      cells > UINT32_MAX) {
    ctx.Error(errors::kLcsTooLarge);
    return;
  }
  size_t alen = a.size(), blen = b.size();
  std::vector<uint32_t> dp(cells, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return dp[j * (alen + 1) + i]; };
  for (size_t i = 1; i <= alen; i++) {
    for (size_t j = 1; j <= blen; j++) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  uint32_t total = at(alen, blen);
  if (get_len) {
    ctx.reply.Integer(total);
    return;
  }
  // Walk back from the end, collecting the LCS and its matching ranges.
  std::string lcs(total, '\0');
  size_t idx = total;
  struct Match {
    size_t a0, a1, b0, b1;
  };
  std::vector<Match> matches;
  bool in_range = false;
  Match cur{};
  size_t i = alen, j = blen;
  auto emit = [&] {
    if (in_range && cur.a1 - cur.a0 + 1 >= size_t(min_len)) matches.push_back(cur);
    in_range = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      lcs[--idx] = a[i - 1];
      if (in_range && cur.a0 == i && cur.b0 == j) {
        cur.a0 = i - 1;
        cur.b0 = j - 1;
      } else {
        emit();
        cur = Match{i - 1, i - 1, j - 1, j - 1};
        in_range = true;
      }
      i--;
      j--;
    } else if (at(i - 1, j) > at(i, j - 1)) {
      i--;
    } else {
      j--;
    }
  }
  emit();
  if (!get_idx) {
    ctx.reply.Bulk(lcs);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(matches.size());
  for (const Match& m : matches) {
    ctx.reply.ArrayHeader(with_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(int64_t(m.a0));
    ctx.reply.Integer(int64_t(m.a1));
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(int64_t(m.b0));
    ctx.reply.Integer(int64_t(m.b1));
    if (with_len) ctx.reply.Integer(int64_t(m.a1 - m.a0 + 1));
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

}  // namespace

void RegisterStringFamily(CommandTable& t) {
  t.Add(Spec("string", "get", 2, kReadOnly | kFast, 1, 1, 1, "@read @string @fast", CmdGet));
  t.Add(Spec("string", "set", -3, kWrite | kDenyOom, 1, 1, 1, "@write @string @slow", CmdSet));
  t.Add(Spec("string", "setnx", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdSetNx));
  t.Add(Spec("string", "setex", 4, kWrite | kDenyOom, 1, 1, 1, "@write @string @slow", CmdSetEx));
  t.Add(Spec("string", "psetex", 4, kWrite | kDenyOom, 1, 1, 1, "@write @string @slow", CmdPSetEx));
  t.Add(Spec("string", "getex", -2, kWrite | kFast, 1, 1, 1, "@write @string @fast", CmdGetEx));
  t.Add(Spec("string", "getdel", 2, kWrite | kFast, 1, 1, 1, "@write @string @fast", CmdGetDel));
  t.Add(Spec("string", "getset", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdGetSet));
  t.Add(Spec("string", "mget", -2, kReadOnly | kFast, 1, -1, 1, "@read @string @fast", CmdMGet));
  t.Add(Spec("string", "mset", -3, kWrite | kDenyOom, 1, -1, 2, "@write @string @slow", CmdMSet));
  t.Add(
      Spec("string", "msetnx", -3, kWrite | kDenyOom, 1, -1, 2, "@write @string @slow", CmdMSetNx));
  t.Add(Spec("string", "append", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdAppend));
  t.Add(Spec("string", "strlen", 2, kReadOnly | kFast, 1, 1, 1, "@read @string @fast", CmdStrlen));
  t.Add(Spec("string", "incr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdIncr));
  t.Add(Spec("string", "decr", 2, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdDecr));
  t.Add(Spec("string", "incrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdIncrBy));
  t.Add(Spec("string", "decrby", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdDecrBy));
  t.Add(Spec("string", "incrbyfloat", 3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @string @fast",
             CmdIncrByFloat));
  t.Add(Spec("string", "getrange", 4, kReadOnly, 1, 1, 1, "@read @string @slow", CmdGetRange));
  t.Add(Spec("string", "substr", 4, kReadOnly, 1, 1, 1, "@read @string @slow", CmdGetRange));
  t.Add(Spec("string", "setrange", 4, kWrite | kDenyOom, 1, 1, 1, "@write @string @slow",
             CmdSetRange));
  t.Add(Spec("string", "lcs", -3, kReadOnly, 1, 2, 1, "@read @string @slow", CmdLcs));
}

}  // namespace basalt::commands
