// Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
// ZCOUNT ZLEXCOUNT ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN ZUNION ZINTER ZDIFF
// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD. The range commands (ZRANGE
// and friends, ZRANGESTORE, ZREMRANGEBY*) live in zset_range.cc; the shared
// pieces (parsing, pops, replies, storing results) in zset_ops.h.
//
// Writes propagate as Redis 7.0 does: ZADD/ZINCRBY/ZREM/ZPOP*/*STORE as
// sent (scores are deterministic), ZMPOP as ZPOPMIN/ZPOPMAX key <popped>;
// nothing is propagated when nothing changed.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/zset_ops.h"
#include "common/glob.h"
#include "storage/set_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;
using storage::ZMemberScore;
using storage::ZSetObject;

uint64_t Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

// ---------------------------------------------------------------- Operations
// What each sorted-set write does to the keyspace, apart from parsing,
// propagating, notifying and replying: each takes the key(s) whose shard
// locks the caller holds and already-parsed arguments, and returns what the
// handler needs to reply and propagate, or Redis's error. It knows nothing
// of RESP. The pop and store operations (OpZPop, OpStoreZSet) are in
// zset_ops.h, shared with zset_range.cc and the blocking commands.


// What ZREM removed.
struct ZRemResult {
  int64_t removed = 0;
  bool deleted = false;  // the set was emptied and its key deleted
};

// Removes `members` from the sorted set at g's key.
StatusOr<ZRemResult> OpZRem(KeyGuard& g, std::span<const std::string_view> members) {
  ZRemResult r;
  Entry** link = g.FindLink();
  if (link == nullptr) return r;
  if (!Holds<ZSetObject>(*link)) return Status::Error(errors::kWrongType);
  auto* z = ValueAs<ZSetObject>(*link);
  for (std::string_view m : members) {
    if (z->Remove(m)) r.removed++;
    if (z->Size() == 0) break;
  }
  if (z->Size() == 0) {
    g.shard().Delete(link);
    r.deleted = true;
  }
  return r;
}

// What ZMPOP popped, and from which of its keys.
struct ZMPopResult {
  size_t index = 0;  // position in `keys` of the set popped from
  ZPop pop;          // !pop.found: no key held a sorted set
};

// Pops up to `count` (>= 1) members from the first of `keys` that holds a
// sorted set (FindFirstZSet's scan: WRONGTYPE when a key of another type
// comes first).
StatusOr<ZMPopResult> OpZMPop(std::span<const LockedKey> keys, bool max, int64_t count) {
  ZMPopResult r;
  switch (FindFirstZSet(keys, &r.index)) {
    case ZState::kMissing:
      return r;
    case ZState::kWrongType:
      return Status::Error(errors::kWrongType);
    case ZState::kZSet:
      break;
  }
  StatusOr<ZPop> pop = OpZPop(keys[r.index], max, count);
  if (!pop.ok()) return pop.status();
  r.pop = std::move(*pop);
  return r;
}

// ---------------------------------------------------------------- Handlers

// ZADD/ZINCRBY: `flags` are ZSetObject's kAdd* flags, the pairs start at
// args[first]; `ch` makes ZADD count updated members too.
void ZAddGeneric(CommandContext& ctx, int flags, bool ch, size_t first) {
  size_t elements = ctx.args.size() - first;
  if (elements % 2 != 0 || elements == 0) return ctx.Error(errors::kSyntax);
  elements /= 2;
  const bool nx = flags & ZSetObject::kAddNX, xx = flags & ZSetObject::kAddXX;
  const bool gt = flags & ZSetObject::kAddGT, lt = flags & ZSetObject::kAddLT;
  const bool incr = flags & ZSetObject::kAddIncr;
  if (nx && xx) return ctx.Error(errors::kXxNx);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return ctx.Error(errors::kZAddGtLtNx);
  if (incr && elements > 1) return ctx.Error(errors::kZAddIncrPair);
  std::vector<ZAddItem> items(elements);
  for (size_t i = 0; i < elements; i++) {
    auto s = ParseZScore(ctx.args[first + 2 * i]);
    if (!s) return ctx.Error(errors::kNotFloat);
    items[i] = ZAddItem{*s, ctx.args[first + 2 * i + 1]};
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ZAddResult> r = OpZAdd(g, flags, items, ZSetLimits(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->added > 0 || r->updated > 0) {
    ctx.PropagateAsIs();
    // Redis counts one change per member added or updated.
    if (r->added + r->updated > 1) ctx.host.AddDirty(r->added + r->updated - 1);
    ctx.Changed(g.key(), incr ? "zincr" : "zadd", kNotifyZSet);
  }
  if (!incr) return ctx.reply.Integer(ch ? r->added + r->updated : r->added);
  if (r->processed > 0) {
    ctx.reply.Double(r->score);
  } else {
    ctx.reply.Null();
  }
}

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
void CmdZAdd(CommandContext& ctx) {
  int flags = 0;
  bool ch = false;
  // The options come first, in any order; the first other argument is a score.
  ArgParser p(ctx.args, 2);
  for (;;) {
    if (p.Check("NX")) {
      flags |= ZSetObject::kAddNX;
    } else if (p.Check("XX")) {
      flags |= ZSetObject::kAddXX;
    } else if (p.Check("GT")) {
      flags |= ZSetObject::kAddGT;
    } else if (p.Check("LT")) {
      flags |= ZSetObject::kAddLT;
    } else if (p.Check("CH")) {
      ch = true;
    } else if (p.Check("INCR")) {
      flags |= ZSetObject::kAddIncr;
    } else {
      break;
    }
  }
  ZAddGeneric(ctx, flags, ch, ctx.args.size() - p.remaining());
}

// ZINCRBY key increment member
void CmdZIncrBy(CommandContext& ctx) { ZAddGeneric(ctx, ZSetObject::kAddIncr, false, 2); }

// ZREM key member [member ...]
void CmdZRem(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ZRemResult> r = OpZRem(g, ctx.args.subspan(2));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->removed > 0) {
    ctx.PropagateAsIs();
    if (r->removed > 1) ctx.host.AddDirty(r->removed - 1);
    ctx.Changed(g.key(), "zrem", kNotifyZSet);
    if (r->deleted) ctx.Changed(g.key(), "del", kNotifyGeneric);
  }
  ctx.reply.Integer(r->removed);
}

// ZCARD key
void CmdZCard(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.Integer(z ? int64_t(z->Size()) : 0);
}

// ZSCORE key member
void CmdZScore(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  std::optional<double> s;
  if (z != nullptr) s = z->Score(ctx.args[2]);
  if (s) {
    ctx.reply.Double(*s);
  } else {
    ctx.reply.Null();
  }
}

// ZMSCORE key member [member ...]
void CmdZMScore(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::optional<double> s;
    if (z != nullptr) s = z->Score(ctx.args[i]);
    if (s) {
      ctx.reply.Double(*s);
    } else {
      ctx.reply.Null();
    }
  }
}

// ZRANK key member / ZREVRANK key member
void RankGeneric(CommandContext& ctx, bool reverse) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  std::optional<size_t> r;
  if (z != nullptr) r = z->Rank(ctx.args[2], reverse);
  if (r) {
    ctx.reply.Integer(int64_t(*r));
  } else {
    ctx.reply.Null();
  }
}
void CmdZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void CmdZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ZCOUNT key min max
void CmdZCount(CommandContext& ctx) {
  storage::ZScoreRange range;
  if (!ParseZScoreRange(ctx.args[2], ctx.args[3], &range)) {
    ctx.Error(errors::kZMinMaxNotFloat);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.Integer(z ? int64_t(z->CountInRange(range)) : 0);
}

// ZLEXCOUNT key min max
void CmdZLexCount(CommandContext& ctx) {
  storage::ZLexRange range;
  if (!ParseZLexRange(ctx.args[2], ctx.args[3], &range)) {
    ctx.Error(errors::kZLexRangeInvalid);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.Integer(z ? int64_t(z->CountInLexRange(range)) : 0);
}

// Propagates and notifies a pop OpZPop made from `key`; `log_count` writes
// it to the write log as "ZPOPMIN|ZPOPMAX key <popped>" (ZMPOP), otherwise
// as the client sent it.
void PublishZPop(CommandContext& ctx, std::string_view key, bool max, const ZPop& pop,
                 bool log_count) {
  size_t n = pop.items.size();
  if (log_count) {
    char buf[24];
    ctx.Propagate(
        {max ? "ZPOPMAX" : "ZPOPMIN", key, std::string_view(buf, FormatInt64(int64_t(n), buf))});
  } else {
    ctx.PropagateAsIs();
  }
  // Redis counts one change per member popped (rdb_changes_since_last_save).
  if (n > 1) ctx.host.AddDirty(int64_t(n) - 1);
  ctx.Changed(key, ZPopEvent(max), kNotifyZSet);
  if (pop.deleted) ctx.Changed(key, "del", kNotifyGeneric);
}

// ZPOPMIN/ZPOPMAX: pops `count` (1 without the argument) members.
void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  bool had_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (had_count) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < 0) return ctx.Error(errors::kPopCountError);
    count = *v;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ZPop> r = OpZPop(Locked(g), max, count);
  if (!r.ok()) return ctx.Error(r.status().message());
  // A missing key and ZPOPMIN key 0 change nothing and are not propagated.
  if (!r->items.empty()) PublishZPop(ctx, g.key(), max, *r, false);
  ReplyZPopped(ctx, r->items, had_count);
}
// ZPOPMIN key [count]
void CmdZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
// ZPOPMAX key [count]
void CmdZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
void CmdZMPop(CommandContext& ctx) {
  auto& a = ctx.args;
  auto numkeys = ParseInt64(a[1]);
  if (!numkeys || *numkeys < 1) return ctx.Error(errors::kNumKeysError);
  if (uint64_t(*numkeys) > a.size() - 3) return ctx.Error(errors::kSyntax);
  size_t where_idx = size_t(*numkeys) + 2;
  bool max;
  if (EqualsIgnoreCase(a[where_idx], "min")) {
    max = false;
  } else if (EqualsIgnoreCase(a[where_idx], "max")) {
    max = true;
  } else {
    return ctx.Error(errors::kSyntax);
  }
  int64_t count = 1;
  bool has_count = false;
  ArgParser p(a, where_idx + 1);
  while (p.HasNext()) {
    if (!has_count && p.remaining() >= 2 && p.Check("COUNT")) {
      auto c = ParseInt64(p.Next<std::string_view>());
      if (!c || *c < 1) p.Fail(errors::kCountError);
      count = c.value_or(1);
      has_count = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  std::vector<LockedKey> keys;
  for (size_t i = 2; i < where_idx; i++) {
    locks.AddKey(db, a[i]);
    keys.push_back(Locked(db, a[i]));
  }
  locks.Acquire();
  StatusOr<ZMPopResult> r = OpZMPop(keys, max, count);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->pop.found) return ctx.reply.NullArray();
  std::string_view key = keys[r->index].key;
  PublishZPop(ctx, key, max, r->pop, true);
  ReplyZMPop(ctx, key, r->pop.items);
}

// Writes one ZRANDMEMBER element.
void ReplyRandomItem(CommandContext& ctx, const ZMemberScore& m, bool withscores) {
  if (withscores && ctx.reply.resp() >= 3) ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(m.member);
  if (withscores) ctx.reply.Double(m.score);
}

// ZRANDMEMBER key [count [WITHSCORES]]
void CmdZRandMember(CommandContext& ctx) {
  auto& a = ctx.args;
  if (a.size() == 2) {
    KeyGuard g(ctx.db(), a[1]);
    ZSetObject* z;
    if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
    if (z == nullptr) {
      ctx.reply.Null();
      return;
    }
    ctx.reply.Bulk(z->AtRank(Rng() % z->Size()).member());
    return;
  }
  auto count = ParseInt64(a[2]);
  if (!count) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  if (*count == INT64_MIN) {
    ctx.Error(errors::kCountOutOfRange);
    return;
  }
  if (a.size() > 4 || (a.size() == 4 && !EqualsIgnoreCase(a[3], "withscores"))) {
    ctx.Error(errors::kSyntax);
    return;
  }
  const bool withscores = a.size() == 4;
  if (withscores && (*count < -(INT64_MAX / 2) || *count > INT64_MAX / 2)) {
    ctx.Error(errors::kOutOfRange);
    return;
  }
  KeyGuard g(ctx.db(), a[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  if (z == nullptr || *count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  size_t size = z->Size();
  auto header = [&](uint64_t n) {
    ctx.reply.ArrayHeader(withscores && ctx.reply.resp() < 3 ? n * 2 : n);
  };
  if (*count < 0) {
    // With repetitions: |count| independent uniform picks.
    uint64_t n = uint64_t(-*count);
    header(n);
    if (z->is_listpack()) {
      std::vector<ZMemberScore> all;
      z->AppendAll(&all);
      for (uint64_t i = 0; i < n; i++) ReplyRandomItem(ctx, all[Rng() % size], withscores);
    } else {
      for (uint64_t i = 0; i < n; i++) {
        auto it = z->AtRank(Rng() % size);
        ReplyRandomItem(ctx, ZMemberScore{it.member(), it.score()}, withscores);
      }
    }
    return;
  }
  uint64_t n = uint64_t(*count);
  if (n >= size) {
    // The whole set, from the highest score down (as Redis 7.0 replies).
    header(size);
    for (auto it = z->AtRank(size - 1); it.Valid(); it.Prev()) {
      ReplyRandomItem(ctx, ZMemberScore{it.member(), it.score()}, withscores);
    }
    return;
  }
  header(n);
  if (n * 3 > size || z->is_listpack()) {
    // Many of them: shuffle the first n of a copy of all members.
    std::vector<ZMemberScore> all;
    z->AppendAll(&all);
    for (size_t i = 0; i < n; i++) {
      size_t k = i + size_t(Rng() % (size - i));
      std::swap(all[i], all[k]);
      ReplyRandomItem(ctx, all[i], withscores);
    }
    return;
  }
  // Few of them: random ranks until n distinct ones.
  std::unordered_set<size_t> seen;
  while (seen.size() < n) {
    size_t r = size_t(Rng() % size);
    if (!seen.insert(r).second) continue;
    auto it = z->AtRank(r);
    ReplyRandomItem(ctx, ZMemberScore{it.member(), it.score()}, withscores);
  }
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
void CmdZScan(CommandContext& ctx) {
  auto& a = ctx.args;
  auto parsed = CursorArg(ctx, a[2]);
  if (!parsed) return;
  uint64_t cursor = *parsed;
  KeyGuard g(ctx.db(), a[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  if (z == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, false, &opts)) return;
  std::vector<std::pair<std::string_view, std::string>> items;
  uint64_t next = z->Scan(cursor, size_t(opts.count), &items);
  std::erase_if(items, [&](const auto& p) { return !opts.Matches(p.first); });
  char buf[24];
  int n = snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, size_t(n)));
  ctx.reply.ArrayHeader(items.size() * 2);
  for (const auto& [m, s] : items) {
    ctx.reply.Bulk(m);
    ctx.reply.Bulk(s);
  }
}

// --- ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD ---

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of a set operation: a sorted set, a plain set (every member
// scores 1), or nothing (a missing key).
struct OpSource {
  const ZSetObject* z = nullptr;
  const storage::SetObject* s = nullptr;
  double weight = 1;

  size_t size() const { return z ? z->Size() : s ? s->Size() : 0; }
  // Calls fn(member, score) for every member while it returns true.
  template <typename Fn>
  void ForEach(Fn fn) const {
    if (z != nullptr) {
      for (auto it = z->AtRank(0); it.Valid(); it.Next()) {
        if (!fn(it.member(), it.score())) return;
      }
    } else if (s != nullptr) {
      s->ForEach([&](std::string_view m) { return fn(m, 1.0); });
    }
  }
  bool Find(std::string_view m, double* score) const {
    if (z != nullptr) {
      auto v = z->Score(m);
      if (v) *score = *v;
      return v.has_value();
    }
    if (s != nullptr && s->Contains(m)) {
      *score = 1.0;
      return true;
    }
    return false;
  }
};

// Redis's rules: a weighted score that is NaN (0 * inf) counts as 0, and so
// does a sum of +inf and -inf.
inline double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

inline void AggregateInto(double* target, double v, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += v;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      if (v < *target) *target = v;
      break;
    case Aggregate::kMax:
      if (v > *target) *target = v;
      break;
  }
}

using OwnedItems = std::vector<std::pair<std::string, double>>;

void SortItems(OwnedItems* items) {
  std::sort(items->begin(), items->end(), [](const auto& x, const auto& y) {
    return x.second < y.second || (x.second == y.second && x.first < y.first);
  });
}

// Computes the operation, sorted by (score, member). A `limit` (> 0) stops
// an intersection early and leaves it unsorted: ZINTERCARD only counts.
OwnedItems ComputeSetOp(std::vector<OpSource> src, SetOp op, Aggregate agg, size_t limit) {
  OwnedItems out;
  if (op == SetOp::kDiff) {
    const OpSource& base = src[0];
    base.ForEach([&](std::string_view m, double score) {
      double unused;
      for (size_t i = 1; i < src.size(); i++) {
        if (src[i].Find(m, &unused)) return true;
      }
      out.emplace_back(std::string(m), score);
      return true;
    });
    SortItems(&out);
    return out;
  }
  // Smallest inputs first, as Redis orders them (it decides the order in
  // which float scores are summed).
  std::stable_sort(src.begin(), src.end(),
                   [](const OpSource& x, const OpSource& y) { return x.size() < y.size(); });
  if (op == SetOp::kInter) {
    if (src[0].size() == 0) return out;
    src[0].ForEach([&](std::string_view m, double score) {
      double acc = Weighted(score, src[0].weight);
      for (size_t i = 1; i < src.size(); i++) {
        double other;
        if (!src[i].Find(m, &other)) return true;
        // Unlike the first input's, these products are not cleaned of NaN
        // (Redis does not): a NaN makes SUM 0 and is ignored by MIN/MAX.
        AggregateInto(&acc, other * src[i].weight, agg);
      }
      out.emplace_back(std::string(m), acc);
      return limit == 0 || out.size() < limit;
    });
    if (limit == 0) SortItems(&out);
    return out;
  }
  std::unordered_map<std::string, double> acc;
  for (const OpSource& s : src) {
    s.ForEach([&](std::string_view m, double score) {
      double v = Weighted(score, s.weight);
      auto [it, inserted] = acc.try_emplace(std::string(m), v);
      if (!inserted) AggregateInto(&it->second, v, agg);
      return true;
    });
  }
  out.reserve(acc.size());
  for (auto& [m, s] : acc) out.emplace_back(m, s);
  SortItems(&out);
  return out;
}

// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
// ZINTER ... (same) / ZDIFF numkeys key [key ...] [WITHSCORES]
// ZUNIONSTORE / ZINTERSTORE destination numkeys key ... [WEIGHTS ...] [AGGREGATE ...]
// ZDIFFSTORE destination numkeys key [key ...]
// ZINTERCARD numkeys key [key ...] [LIMIT limit]
void SetOpGeneric(CommandContext& ctx, SetOp op, bool store, bool card_only) {
  auto& a = ctx.args;
  const size_t numkeys_idx = store ? 2 : 1;
  auto numkeys = ParseInt64(a[numkeys_idx]);
  if (!numkeys) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  if (*numkeys < 1) {
    ctx.Error(errors::kZInputKeyNeededPrefix + ctx.spec.name + errors::kZInputKeyNeededSuffix);
    return;
  }
  if (uint64_t(*numkeys) > a.size() - numkeys_idx - 1) {
    ctx.Error(errors::kSyntax);
    return;
  }
  const size_t n = size_t(*numkeys);
  const size_t first = numkeys_idx + 1;
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  if (store) locks.AddKey(db, a[1]);
  for (size_t i = 0; i < n; i++) locks.AddKey(db, a[first + i]);
  locks.Acquire();

  std::vector<OpSource> src(n);
  for (size_t i = 0; i < n; i++) {
    uint64_t h = HashKey(a[first + i]);
    Entry* e = db.ShardFor(h).Find(a[first + i], h);
    CountHit(ctx, a[first + i], e != nullptr);
    if (e == nullptr) continue;
    if (Holds<ZSetObject>(e)) {
      src[i].z = static_cast<const ZSetObject*>(e->obj());
    } else if (Holds<storage::SetObject>(e)) {
      src[i].s = static_cast<const storage::SetObject*>(e->obj());
    } else {
      ctx.Error(errors::kWrongType);
      return;
    }
  }
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  size_t limit = 0;
  // The options are parsed after the keys are looked up: a key of another
  // type wins over a syntax error, as in Redis.
  ArgParser p(a, first + n);
  while (p.HasNext()) {
    size_t after = p.remaining() - 1;  // arguments after this one
    if (op != SetOp::kDiff && !card_only && after >= n && p.Check("WEIGHTS")) {
      for (size_t i = 0; i < n && p.ok(); i++) {
        auto w = ParseZScore(p.Next<std::string_view>());
        if (!w) p.Fail(errors::kZWeightNotFloat);
        src[i].weight = w.value_or(1);
      }
    } else if (op != SetOp::kDiff && !card_only && after >= 1 && p.Check("AGGREGATE")) {
      std::string_view v = p.Next<std::string_view>();
      if (EqualsIgnoreCase(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        p.Fail(errors::kSyntax);
      }
    } else if (!store && !card_only && p.Check("WITHSCORES")) {
      withscores = true;
    } else if (card_only && after >= 1 && p.Check("LIMIT")) {
      auto l = ParseInt64(p.Next<std::string_view>());
      if (!l || *l < 0) p.Fail(errors::kNegativeLimit);
      limit = size_t(l.value_or(0));
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());

  OwnedItems result = ComputeSetOp(std::move(src), op, agg, card_only ? limit : 0);
  if (card_only) return ctx.reply.Integer(int64_t(result.size()));
  std::vector<ZMemberScore> items;
  items.reserve(result.size());
  for (const auto& [m, s] : result) items.push_back(ZMemberScore{m, s});
  if (!store) return ReplyScored(ctx, items, withscores);
  std::string_view dst = a[1];
  FinishZStore(ctx, dst, OpStoreZSet(Locked(db, dst), items, ZSetLimits(ctx)),
               op == SetOp::kUnion   ? "zunionstore"
               : op == SetOp::kInter ? "zinterstore"
                                     : "zdiffstore");
  ctx.reply.Integer(int64_t(items.size()));
}

// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
void CmdZUnion(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, false, false); }
// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
void CmdZInter(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, false); }
// ZDIFF numkeys key [key ...] [WITHSCORES]
void CmdZDiff(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, false, false); }
// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
void CmdZUnionStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, true, false); }
// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
void CmdZInterStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, true, false); }
// ZDIFFSTORE destination numkeys key [key ...]
void CmdZDiffStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, true, false); }
// ZINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdZInterCard(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, true); }

}  // namespace

void RegisterZSetFamily(CommandTable& t) {
  const char* g = "sorted-set";
  const char* read_fast = "@read @sortedset @fast";
  const char* write_fast = "@write @sortedset @fast";
  const char* read_slow = "@read @sortedset @slow";
  const char* write_slow = "@write @sortedset @slow";
  // One key at index 1.
  auto one = [&](const char* name, int arity, CommandFlag flags, const char* acl,
                 Handler h) -> CommandSpec& {
    return t.Add(Spec(g, name, arity, flags, 1, 1, 1, acl, h));
  };
  // Keys after a numkeys argument at index 1.
  auto numkeys = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h) {
    t.Add(Spec(g, name, arity, flags, 0, 0, 0, acl, h));
  };
  // A destination, then numkeys at index 2.
  auto store = [&](const char* name, Handler h) {
    t.Add(Spec(g, name, -4, kWrite | kDenyOom | kMovableKeys, 1, 1, 1, write_slow, h));
  };
  one("zadd", -4, kWrite | kDenyOom | kFast, write_fast, CmdZAdd);
  one("zincrby", 4, kWrite | kDenyOom | kFast, write_fast, CmdZIncrBy);
  one("zrem", -3, kWrite | kFast, write_fast, CmdZRem);
  one("zcard", 2, kReadOnly | kFast, read_fast, CmdZCard);
  one("zscore", 3, kReadOnly | kFast, read_fast, CmdZScore);
  one("zmscore", -3, kReadOnly | kFast, read_fast, CmdZMScore);
  one("zrank", 3, kReadOnly | kFast, read_fast, CmdZRank);
  one("zrevrank", 3, kReadOnly | kFast, read_fast, CmdZRevRank);
  one("zcount", 4, kReadOnly | kFast, read_fast, CmdZCount);
  one("zlexcount", 4, kReadOnly | kFast, read_fast, CmdZLexCount);
  one("zpopmin", -2, kWrite | kFast, write_fast, CmdZPopMin);
  one("zpopmax", -2, kWrite | kFast, write_fast, CmdZPopMax);
  one("zrandmember", -2, kReadOnly, read_slow, CmdZRandMember);
  one("zscan", -3, kReadOnly, read_slow, CmdZScan);
  numkeys("zmpop", -4, kWrite | kMovableKeys, write_slow, CmdZMPop);
  numkeys("zunion", -3, kReadOnly | kMovableKeys, read_slow, CmdZUnion);
  numkeys("zinter", -3, kReadOnly | kMovableKeys, read_slow, CmdZInter);
  numkeys("zdiff", -3, kReadOnly | kMovableKeys, read_slow, CmdZDiff);
  numkeys("zintercard", -3, kReadOnly | kMovableKeys, read_slow, CmdZInterCard);
  store("zunionstore", CmdZUnionStore);
  store("zinterstore", CmdZInterStore);
  store("zdiffstore", CmdZDiffStore);
  RegisterZSetRangeCommands(t);
}

}  // namespace basalt::commands
