// Hash commands: HSET HSETNX HMSET HGET HMGET HGETALL HDEL HLEN HEXISTS HKEYS
// HVALS HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN, with Redis 7.0.15's
// replies, errors, encoding conversions (storage/hash_type.h) and keyspace
// events. Writes propagate as sent, except HINCRBYFLOAT, which propagates the
// result as HSET so replicas never redo floating-point arithmetic.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/glob.h"
#include "common/status.h"
#include "storage/hash_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::HashObject;
using storage::ValueType;

storage::HashLimits Limits(CommandContext& ctx) {
  const auto& c = ctx.config();
  storage::HashLimits l;
  l.max_listpack_entries = size_t(std::max<int64_t>(0, c.hash_max_listpack_entries()));
  l.max_listpack_value = size_t(std::max<int64_t>(0, c.hash_max_listpack_value()));
  return l;
}

// The hash at link, or a new empty one added under the guarded key. Only
// call once the command can no longer fail, so no empty hash is left behind.
HashObject* HashForWrite(KeyGuard& g, Entry** link) {
  if (link != nullptr) return ValueAs<HashObject>(*link);
  auto* h = new HashObject();
  g.Add(EntryBuilder::Object(g.key(), ValueType::kHash, h, false, 0));
  return h;
}

void ReplyArityError(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

// ---------------------------------------------------------------- Operations
// What the hash writes do to the keyspace, apart from parsing and replying:
// each takes a key whose shard lock the caller holds and already-parsed
// arguments, and returns what the handler replies and propagates, or the
// Redis error (WRONGTYPE before anything else). None knows RESP.

// The hash at the guarded key: null when missing, WRONGTYPE for another type.
StatusOr<Entry**> FindHashLink(KeyGuard& g) {
  Entry** link = g.FindLink();
  if (link != nullptr && !Holds<HashObject>(*link)) return Status::Error(errors::kWrongType);
  return link;
}

// Sets each (field, value) pair of `pairs`, creating the hash if missing;
// returns the number of fields that were new.
StatusOr<int64_t> OpHSet(KeyGuard& g, std::span<const std::string_view> pairs,
                         const storage::HashLimits& limits) {
  StatusOr<Entry**> link = FindHashLink(g);
  if (!link.ok()) return link.status();
  HashObject* h = HashForWrite(g, *link);
  int64_t created = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (h->Set(pairs[i], pairs[i + 1], limits)) created++;
  }
  return created;
}

// Sets field to value unless the field exists; returns whether it was set.
StatusOr<bool> OpHSetNx(KeyGuard& g, std::string_view field, std::string_view value,
                        const storage::HashLimits& limits) {
  StatusOr<Entry**> link = FindHashLink(g);
  if (!link.ok()) return link.status();
  if (*link != nullptr && ValueAs<HashObject>(**link)->Contains(field)) return false;
  HashForWrite(g, *link)->Set(field, value, limits);
  return true;
}

struct HDelResult {
  int64_t deleted = 0;
  bool emptied = false;  // the last field went, and the key with it
};

// Deletes `fields`; deletes the key when the hash becomes empty.
StatusOr<HDelResult> OpHDel(KeyGuard& g, std::span<const std::string_view> fields) {
  StatusOr<Entry**> link = FindHashLink(g);
  if (!link.ok()) return link.status();
  HDelResult r;
  if (*link == nullptr) return r;
  HashObject* h = ValueAs<HashObject>(**link);
  for (std::string_view f : fields) {
    if (h->Delete(f)) r.deleted++;
  }
  if (r.deleted > 0 && h->Size() == 0) {
    g.shard().Delete(*link);
    r.emptied = true;
  }
  return r;
}

// Adds delta to the integer in field (0 when missing); returns the new value.
StatusOr<int64_t> OpHIncrBy(KeyGuard& g, std::string_view field, int64_t delta,
                            const storage::HashLimits& limits) {
  StatusOr<Entry**> link = FindHashLink(g);
  if (!link.ok()) return link.status();
  int64_t cur = 0;
  if (*link != nullptr) {
    if (auto v = ValueAs<HashObject>(**link)->Get(field)) {
      auto parsed = ParseInt64(*v);
      if (!parsed) return Status::Error(errors::kHashNotInteger);
      cur = *parsed;
    }
  }
  if ((delta < 0 && cur < 0 && delta < INT64_MIN - cur) ||
      (delta > 0 && cur > 0 && delta > INT64_MAX - cur)) {
    return Status::Error(errors::kOverflow);
  }
  int64_t result = cur + delta;
  char buf[24];
  std::string_view text(buf, FormatInt64(result, buf));
  HashForWrite(g, *link)->Set(field, text, limits);
  return result;
}

// Adds incr (finite) to the number in field (0 when missing); returns the new
// value as Redis formats it.
StatusOr<std::string> OpHIncrByFloat(KeyGuard& g, std::string_view field, long double incr,
                                     const storage::HashLimits& limits) {
  StatusOr<Entry**> link = FindHashLink(g);
  if (!link.ok()) return link.status();
  long double cur = 0;
  if (*link != nullptr) {
    if (auto v = ValueAs<HashObject>(**link)->Get(field)) {
      auto parsed = ParseLongDouble(*v);
      if (!parsed) return Status::Error(errors::kHashNotFloat);
      cur = *parsed;
    }
  }
  long double result = cur + incr;
  if (std::isnan(result) || std::isinf(result)) return Status::Error(errors::kNanOrInf);
  auto text = FormatLongDoubleHuman(result);
  if (!text) return Status::Error(errors::kHashNotFloat);
  HashForWrite(g, *link)->Set(field, *text, limits);
  return std::move(*text);
}

// ---------------------------------------------------------------- Handlers

// HSET key field value [field value ...] / HMSET key field value [field value ...]
void HSetGeneric(CommandContext& ctx, bool hmset) {
  if (ctx.args.size() % 2 != 0) {
    ReplyArityError(ctx);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> created = OpHSet(g, ctx.args.subspan(2), Limits(ctx));
  if (!created.ok()) return ctx.Error(created.status().message());
  ctx.PropagateAsIs();
  ctx.Changed(ctx.args[1], "hset", kNotifyHash);
  if (hmset) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Integer(*created);
  }
}
void CmdHSet(CommandContext& ctx) { HSetGeneric(ctx, false); }
void CmdHMSet(CommandContext& ctx) { HSetGeneric(ctx, true); }

// HSETNX key field value
void CmdHSetNx(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<bool> set = OpHSetNx(g, ctx.args[2], ctx.args[3], Limits(ctx));
  if (!set.ok()) return ctx.Error(set.status().message());
  if (!*set) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.PropagateAsIs();
  ctx.Changed(ctx.args[1], "hset", kNotifyHash);
  ctx.reply.Integer(1);
}

// HDEL key field [field ...]
void CmdHDel(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<HDelResult> r = OpHDel(g, ctx.args.subspan(2));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->deleted > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(ctx.args[1], "hdel", kNotifyHash);
    if (r->emptied) ctx.Changed(ctx.args[1], "del", kNotifyGeneric);
  }
  ctx.reply.Integer(r->deleted);
}

// HINCRBY key field increment
void CmdHIncrBy(CommandContext& ctx) {
  auto incr = IntArg(ctx, ctx.args[3]);
  if (!incr) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> r = OpHIncrBy(g, ctx.args[2], *incr, Limits(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.PropagateAsIs();
  ctx.Changed(ctx.args[1], "hincrby", kNotifyHash);
  ctx.reply.Integer(*r);
}

// HINCRBYFLOAT key field increment
void CmdHIncrByFloat(CommandContext& ctx) {
  // A bad increment is reported before a key of another type, as Redis does.
  auto incr = ParseLongDouble(ctx.args[3]);
  if (!incr) {
    ctx.Error(errors::kNotFloat);
    return;
  }
  if (std::isnan(*incr) || std::isinf(*incr)) {
    ctx.Error(errors::kIncrNanOrInf);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<std::string> text = OpHIncrByFloat(g, ctx.args[2], *incr, Limits(ctx));
  if (!text.ok()) return ctx.Error(text.status().message());
  // Replicas must not redo floating-point arithmetic: send the result.
  ctx.Propagate({"HSET", ctx.args[1], ctx.args[2], *text});
  ctx.Changed(ctx.args[1], "hincrbyfloat", kNotifyHash);
  ctx.reply.Bulk(*text);
}

// HGET key field
void CmdHGet(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  auto v = h ? h->Get(ctx.args[2]) : std::nullopt;
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// HMGET key field [field ...]
void CmdHMGet(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    auto v = h ? h->Get(ctx.args[i]) : std::nullopt;
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

// HLEN key
void CmdHLen(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  ctx.reply.Integer(h ? int64_t(h->Size()) : 0);
}

// HSTRLEN key field
void CmdHStrlen(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  auto v = h ? h->Get(ctx.args[2]) : std::nullopt;
  ctx.reply.Integer(v ? int64_t(v->size()) : 0);
}

// HEXISTS key field
void CmdHExists(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  ctx.reply.Integer(h != nullptr && h->Contains(ctx.args[2]) ? 1 : 0);
}

// HGETALL key / HKEYS key / HVALS key
void GetAllGeneric(CommandContext& ctx, bool keys, bool values) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  size_t n = h ? h->Size() : 0;
  if (keys && values) {
    ctx.reply.MapHeader(n);
  } else {
    ctx.reply.ArrayHeader(n);
  }
  if (h == nullptr) return;
  protocol::ReplyBuilder& r = ctx.reply;
  h->ForEach([&](std::string_view f, std::string_view v) {
    if (keys) r.Bulk(f);
    if (values) r.Bulk(v);
  });
}
void CmdHGetAll(CommandContext& ctx) { GetAllGeneric(ctx, true, true); }
void CmdHKeys(CommandContext& ctx) { GetAllGeneric(ctx, true, false); }
void CmdHVals(CommandContext& ctx) { GetAllGeneric(ctx, false, true); }

uint64_t RandomSeed() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

// HRANDFIELD key [count [WITHVALUES]]
void CmdHRandField(CommandContext& ctx) {
  bool with_count = ctx.args.size() >= 3;
  bool with_values = false;
  int64_t count = 1;
  if (with_count) {
    ArgParser p(ctx.args, 2);
    count = p.Next<int64_t>();
    if (p.ok() && count == INT64_MIN) p.Fail(errors::kCountOutOfRange);
    if (p.HasNext()) {
      // WITHVALUES must be the last argument.
      if (p.remaining() == 1 && p.Check("WITHVALUES")) {
        with_values = true;
        // Twice the count must fit the reply's element count.
        if (count < -INT64_MAX / 2 || count > INT64_MAX / 2) p.Fail(errors::kOutOfRange);
      } else {
        p.Fail(errors::kSyntax);
      }
    }
    if (!p.ok()) return ctx.Error(p.error());
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  if (!with_count) {
    if (h == nullptr) {
      ctx.reply.Null();
      return;
    }
    h->RandomPairs(1, false, RandomSeed(),
                   [&](std::string_view f, std::string_view) { ctx.reply.Bulk(f); });
    return;
  }
  if (h == nullptr || count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  bool unique = count > 0;
  uint64_t n = unique ? uint64_t(count) : uint64_t(-count);
  if (unique && n > h->Size()) n = h->Size();
  protocol::ReplyBuilder& r = ctx.reply;
  bool pairs_as_arrays = with_values && r.resp() >= 3;
  r.ArrayHeader(with_values && !pairs_as_arrays ? n * 2 : n);
  h->RandomPairs(n, unique, RandomSeed(), [&](std::string_view f, std::string_view v) {
    if (pairs_as_arrays) r.ArrayHeader(2);
    r.Bulk(f);
    if (with_values) r.Bulk(v);
  });
}


// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHScan(CommandContext& ctx) {
  auto parsed = CursorArg(ctx, ctx.args[2]);
  if (!parsed) return;
  uint64_t cursor = *parsed;
  KeyGuard g(ctx.db(), ctx.args[1]);
  HashObject* h;
  if (!LookupForRead<HashObject>(ctx, g, &h)) return;
  if (h == nullptr) {
    // Redis answers an empty scan before looking at the options.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, false, &opts)) return;
  std::vector<std::string_view> items;
  uint64_t next = h->Scan(cursor, size_t(opts.count), [&](std::string_view f, std::string_view v) {
    if (!opts.Matches(f)) return;
    items.push_back(f);
    items.push_back(v);
  });
  char buf[24];
  int len = snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, size_t(len)));
  ctx.reply.BulkArray(items);
}

}  // namespace

void RegisterHashFamily(CommandTable& t) {
  const char* g = "hash";
  t.Add(Spec(g, "hset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hash @fast", CmdHSet));
  t.Add(Spec(g, "hsetnx", 4, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hash @fast", CmdHSetNx));
  t.Add(Spec(g, "hmset", -4, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hash @fast", CmdHMSet));
  t.Add(Spec(g, "hget", 3, kReadOnly | kFast, 1, 1, 1, "@read @hash @fast", CmdHGet));
  t.Add(Spec(g, "hmget", -3, kReadOnly | kFast, 1, 1, 1, "@read @hash @fast", CmdHMGet));
  t.Add(Spec(g, "hgetall", 2, kReadOnly, 1, 1, 1, "@read @hash @slow", CmdHGetAll));
  t.Add(Spec(g, "hdel", -3, kWrite | kFast, 1, 1, 1, "@write @hash @fast", CmdHDel));
  t.Add(Spec(g, "hlen", 2, kReadOnly | kFast, 1, 1, 1, "@read @hash @fast", CmdHLen));
  t.Add(Spec(g, "hexists", 3, kReadOnly | kFast, 1, 1, 1, "@read @hash @fast", CmdHExists));
  t.Add(Spec(g, "hkeys", 2, kReadOnly, 1, 1, 1, "@read @hash @slow", CmdHKeys));
  t.Add(Spec(g, "hvals", 2, kReadOnly, 1, 1, 1, "@read @hash @slow", CmdHVals));
  t.Add(
      Spec(g, "hincrby", 4, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hash @fast", CmdHIncrBy));
  t.Add(Spec(g, "hincrbyfloat", 4, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hash @fast",
             CmdHIncrByFloat));
  t.Add(Spec(g, "hstrlen", 3, kReadOnly | kFast, 1, 1, 1, "@read @hash @fast", CmdHStrlen));
  t.Add(Spec(g, "hrandfield", -2, kReadOnly, 1, 1, 1, "@read @hash @slow", CmdHRandField));
  t.Add(Spec(g, "hscan", -3, kReadOnly, 1, 1, 1, "@read @hash @slow", CmdHScan));
}

}  // namespace basalt::commands
