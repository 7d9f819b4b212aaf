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

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
// ZINCRBY key increment member
void ZAddGeneric(CommandContext& ctx, bool zincrby) {
  int flags = zincrby ? ZSetObject::kAddIncr : 0;
  bool ch = false;
  size_t j = 2;
  if (!zincrby) {
    for (; j < ctx.args.size(); j++) {
      std::string_view o = ctx.args[j];
      if (EqualsIgnoreCase(o, "nx")) {
        flags |= ZSetObject::kAddNX;
      } else if (EqualsIgnoreCase(o, "xx")) {
        flags |= ZSetObject::kAddXX;
      } else if (EqualsIgnoreCase(o, "gt")) {
        flags |= ZSetObject::kAddGT;
      } else if (EqualsIgnoreCase(o, "lt")) {
        flags |= ZSetObject::kAddLT;
      } else if (EqualsIgnoreCase(o, "ch")) {
        ch = true;
      } else if (EqualsIgnoreCase(o, "incr")) {
        flags |= ZSetObject::kAddIncr;
      } else {
        break;
      }
    }
  }
  size_t elements = ctx.args.size() - j;
  if (elements % 2 != 0 || elements == 0) {
    ctx.Error(errors::kSyntax);
    return;
  }
  elements /= 2;
  const bool nx = flags & ZSetObject::kAddNX, xx = flags & ZSetObject::kAddXX;
  const bool gt = flags & ZSetObject::kAddGT, lt = flags & ZSetObject::kAddLT;
  const bool incr = flags & ZSetObject::kAddIncr;
  if (nx && xx) {
    ctx.Error(errors::kXxNx);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.Error(errors::kZAddGtLtNx);
    return;
  }
  if (incr && elements > 1) {
    ctx.Error(errors::kZAddIncrPair);
    return;
  }
  std::vector<double> scores(elements);
  for (size_t i = 0; i < elements; i++) {
    auto s = ParseZScore(ctx.args[j + 2 * i]);
    if (!s) {
      ctx.Error(errors::kNotFloat);
      return;
    }
    scores[i] = *s;
  }
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  Entry* e = g.Find();
  if (e != nullptr && !Holds<ZSetObject>(e)) {
    ctx.Error(errors::kWrongType);
    return;
  }
  ZSetObject::Limits limits = ZSetLimits(ctx);
  ZSetObject* z;
  if (e == nullptr) {
    if (xx) {
      if (incr) {
        ctx.reply.Null();
      } else {
        ctx.reply.Integer(0);
      }
      return;
    }
    // As Redis: the encoding follows the first member's length.
    z = new ZSetObject(ZSetObject::NeedsSkiplist(1, ctx.args[j + 1].size(), limits));
    g.Add(EntryBuilder::Object(key, ValueType::kZSet, z, false, 0));
  } else {
    z = static_cast<ZSetObject*>(e->obj());
  }
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  bool nan = false;
  for (size_t i = 0; i < elements; i++) {
    switch (z->Add(ctx.args[j + 2 * i + 1], scores[i], flags, limits, &score)) {
      case ZSetObject::AddResult::kAdded:
        added++;
        processed++;
        break;
      case ZSetObject::AddResult::kUpdated:
        updated++;
        processed++;
        break;
      case ZSetObject::AddResult::kUnchanged:
        processed++;
        break;
      case ZSetObject::AddResult::kSkipped:
        break;
      case ZSetObject::AddResult::kNaN:
        nan = true;
        break;
    }
    if (nan) break;
  }
  if (added > 0 || updated > 0) {
    ctx.PropagateAsIs();
    // Redis counts one change per member added or updated.
    if (added + updated > 1) ctx.host.AddDirty(added + updated - 1);
    ctx.Changed(key, incr ? "zincr" : "zadd", kNotifyZSet);
  }
  if (nan) {
    ctx.Error(kZNaNResult);
  } else if (incr) {
    if (processed > 0) {
      ctx.reply.Double(score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
}
void CmdZAdd(CommandContext& ctx) { ZAddGeneric(ctx, false); }
void CmdZIncrBy(CommandContext& ctx) { ZAddGeneric(ctx, true); }

// ZREM key member [member ...]
void CmdZRem(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  Entry** link = g.FindLink();
  if (link == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!Holds<ZSetObject>((*link))) {
    ctx.Error(errors::kWrongType);
    return;
  }
  auto* z = static_cast<ZSetObject*>((*link)->obj());
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (z->Remove(ctx.args[i])) deleted++;
    if (z->Size() == 0) break;
  }
  if (deleted > 0) {
    ctx.PropagateAsIs();
    if (deleted > 1) ctx.host.AddDirty(deleted - 1);
    ctx.Changed(key, "zrem", kNotifyZSet);
    if (z->Size() == 0) {
      g.shard().Delete(link);
      ctx.Changed(key, "del", kNotifyGeneric);
    }
  }
  ctx.reply.Integer(deleted);
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
    ctx.Error(kZMinMaxNotFloat);
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
    ctx.Error(kZLexRangeInvalid);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZSetObject* z;
  if (!LookupForRead<ZSetObject>(ctx, g, &z)) return;
  ctx.reply.Integer(z ? int64_t(z->CountInLexRange(range)) : 0);
}

// ZPOPMIN key [count] / ZPOPMAX key [count]
void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  bool had_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (had_count) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < 0) {
      ctx.Error(errors::kPopCountError);
      return;
    }
    count = *v;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ZState st = LookupZSetForWrite(Locked(g), nullptr);
  if (st == ZState::kWrongType) {
    ctx.Error(errors::kWrongType);
    return;
  }
  std::vector<ZPopped> popped;
  if (st == ZState::kZSet && count > 0) {
    ZPopElements(ctx, Locked(g), max, count, ZPopLog::kAsIs, &popped);
  }
  ReplyZPopped(ctx, popped, had_count);
}
void CmdZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
void CmdZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
void CmdZMPop(CommandContext& ctx) {
  auto& a = ctx.args;
  auto numkeys = ParseInt64(a[1]);
  if (!numkeys || *numkeys < 1) {
    ctx.Error(errors::kNumKeysError);
    return;
  }
  if (uint64_t(*numkeys) > a.size() - 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  size_t where_idx = size_t(*numkeys) + 2;
  bool max;
  if (EqualsIgnoreCase(a[where_idx], "min")) {
    max = false;
  } else if (EqualsIgnoreCase(a[where_idx], "max")) {
    max = true;
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  int64_t count = 1;
  size_t j = where_idx + 1;
  if (j < a.size()) {
    if (!EqualsIgnoreCase(a[j], "count") || j + 1 >= a.size()) {
      ctx.Error(errors::kSyntax);
      return;
    }
    auto c = ParseInt64(a[j + 1]);
    if (!c || *c < 1) {
      ctx.Error(errors::kCountError);
      return;
    }
    count = *c;
    j += 2;
    if (j < a.size()) {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  std::vector<LockedKey> keys;
  for (size_t i = 2; i < where_idx; i++) {
    locks.AddKey(db, a[i]);
    keys.push_back(Locked(db, a[i]));
  }
  locks.Acquire();
  size_t idx = 0;
  ZState st = FindFirstZSet(keys, &idx);
  if (st == ZState::kWrongType) {
    ctx.Error(errors::kWrongType);
    return;
  }
  if (st == ZState::kMissing) {
    ctx.reply.NullArray();
    return;
  }
  std::vector<ZPopped> popped;
  ZPopElements(ctx, keys[idx], max, count, ZPopLog::kWithCount, &popped);
  ReplyZMPop(ctx, keys[idx].key, popped);
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
    ctx.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
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
    ctx.Error("ERR at least 1 input key is needed for '" + ctx.spec.name + "' command");
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
  for (size_t j = first + n; j < a.size(); j++) {
    size_t remaining = a.size() - j - 1;  // arguments after this one
    if (op != SetOp::kDiff && !card_only && remaining >= n && EqualsIgnoreCase(a[j], "weights")) {
      for (size_t i = 0; i < n; i++) {
        auto w = ParseZScore(a[++j]);
        if (!w) {
          ctx.Error(kZWeightNotFloat);
          return;
        }
        src[i].weight = *w;
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 1 &&
               EqualsIgnoreCase(a[j], "aggregate")) {
      std::string_view v = a[++j];
      if (EqualsIgnoreCase(v, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(v, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(v, "max")) {
        agg = Aggregate::kMax;
      } else {
        ctx.Error(errors::kSyntax);
        return;
      }
    } else if (!store && !card_only && EqualsIgnoreCase(a[j], "withscores")) {
      withscores = true;
    } else if (card_only && remaining >= 1 && EqualsIgnoreCase(a[j], "limit")) {
      auto l = ParseInt64(a[++j]);
      if (!l || *l < 0) {
        ctx.Error(errors::kNegativeLimit);
        return;
      }
      limit = size_t(*l);
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }

  OwnedItems result = ComputeSetOp(std::move(src), op, agg, card_only ? limit : 0);
  if (card_only) {
    ctx.reply.Integer(int64_t(result.size()));
    return;
  }
  std::vector<ZMemberScore> items;
  items.reserve(result.size());
  for (const auto& [m, s] : result) items.push_back(ZMemberScore{m, s});
  if (!store) {
    ReplyScored(ctx, items, withscores);
    return;
  }
  const char* event = op == SetOp::kUnion   ? "zunionstore"
                      : op == SetOp::kInter ? "zinterstore"
                                            : "zdiffstore";
  StoreZSetResult(ctx, Locked(db, a[1]), items, event);
  ctx.reply.Integer(int64_t(items.size()));
}

void CmdZUnion(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, false, false); }
void CmdZInter(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, false); }
void CmdZDiff(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, false, false); }
void CmdZUnionStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, true, false); }
void CmdZInterStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, true, false); }
void CmdZDiffStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, true, false); }
void CmdZInterCard(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, true); }

}  // namespace

void RegisterZSetFamily(CommandTable& t) {
  const char* g = "sorted-set";
  const char* read_fast = "@read @sortedset @fast";
  const char* write_fast = "@write @sortedset @fast";
  const char* read_slow = "@read @sortedset @slow";
  const char* write_slow = "@write @sortedset @slow";
  // One key at index 1.
  auto one = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h,
                 const char* key_flags) -> CommandSpec& {
    CommandSpec& c = t.Add(Spec(g, name, arity, flags, 1, 1, 1, acl, h));
    c.key_specs = {ZIndexKeySpec(1, key_flags)};
    return c;
  };
  // Keys after a numkeys argument at index 1.
  auto numkeys = [&](const char* name, int arity, CommandFlag flags, const char* acl, Handler h,
                     const char* key_flags) {
    t.Add(Spec(g, name, arity, flags, 0, 0, 0, acl, h)).key_specs = {ZNumKeysSpec(1, key_flags)};
  };
  // A destination, then numkeys at index 2.
  auto store = [&](const char* name, Handler h) {
    t.Add(Spec(g, name, -4, kWrite | kDenyOom | kMovableKeys, 1, 1, 1, write_slow, h)).key_specs = {
        ZIndexKeySpec(1, "OW UPDATE"), ZNumKeysSpec(2, "RO ACCESS")};
  };
  one("zadd", -4, kWrite | kDenyOom | kFast, write_fast, CmdZAdd, "RW UPDATE");
  one("zincrby", 4, kWrite | kDenyOom | kFast, write_fast, CmdZIncrBy, "RW ACCESS UPDATE");
  one("zrem", -3, kWrite | kFast, write_fast, CmdZRem, "RW DELETE");
  one("zcard", 2, kReadOnly | kFast, read_fast, CmdZCard, "RO");
  one("zscore", 3, kReadOnly | kFast, read_fast, CmdZScore, "RO ACCESS");
  one("zmscore", -3, kReadOnly | kFast, read_fast, CmdZMScore, "RO ACCESS");
  one("zrank", 3, kReadOnly | kFast, read_fast, CmdZRank, "RO ACCESS");
  one("zrevrank", 3, kReadOnly | kFast, read_fast, CmdZRevRank, "RO ACCESS");
  one("zcount", 4, kReadOnly | kFast, read_fast, CmdZCount, "RO ACCESS");
  one("zlexcount", 4, kReadOnly | kFast, read_fast, CmdZLexCount, "RO ACCESS");
  one("zpopmin", -2, kWrite | kFast, write_fast, CmdZPopMin, "RW ACCESS DELETE");
  one("zpopmax", -2, kWrite | kFast, write_fast, CmdZPopMax, "RW ACCESS DELETE");
  one("zrandmember", -2, kReadOnly, read_slow, CmdZRandMember, "RO ACCESS").tips =
      "nondeterministic_output";
  one("zscan", -3, kReadOnly, read_slow, CmdZScan, "RO ACCESS").tips = "nondeterministic_output";
  numkeys("zmpop", -4, kWrite | kMovableKeys, write_slow, CmdZMPop, "RW ACCESS DELETE");
  numkeys("zunion", -3, kReadOnly | kMovableKeys, read_slow, CmdZUnion, "RO ACCESS");
  numkeys("zinter", -3, kReadOnly | kMovableKeys, read_slow, CmdZInter, "RO ACCESS");
  numkeys("zdiff", -3, kReadOnly | kMovableKeys, read_slow, CmdZDiff, "RO ACCESS");
  numkeys("zintercard", -3, kReadOnly | kMovableKeys, read_slow, CmdZInterCard, "RO ACCESS");
  store("zunionstore", CmdZUnionStore);
  store("zinterstore", CmdZInterStore);
  store("zdiffstore", CmdZDiffStore);
  RegisterZSetRangeCommands(t);
}

}  // namespace basalt::commands
