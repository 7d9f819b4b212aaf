// Sorted-set range commands: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES)
// ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
// ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX. All of the
// ZRANGE forms go through one parser with the option rules Redis 7.0
// applies (which options each form accepts, and in which order errors win).
#include <algorithm>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/zset_ops.h"
#include "common/status.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::ValueType;
using storage::ZMemberScore;
using storage::ZSetObject;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Turns Redis-style rank arguments (negative counts from the end) into an
// inclusive [start, end] within [0, size); false when the range is empty.
bool ClampRanks(int64_t start, int64_t end, size_t size, size_t* s, size_t* e) {
  int64_t len = int64_t(size);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  if (end >= len) end = len - 1;
  *s = size_t(start);
  *e = size_t(end);
  return true;
}

// The members a range selects, in reply order (descending when reverse).
struct RangeQuery {
  RangeType type = RangeType::kRank;
  bool reverse = false;
  int64_t start = 0, end = 0;  // kRank
  storage::ZScoreRange score;  // kScore
  storage::ZLexRange lex;      // kLex
  int64_t offset = 0, limit = -1;
};

void CollectRange(const ZSetObject& z, const RangeQuery& q, std::vector<ZMemberScore>* out) {
  auto step = [&](ZSetObject::Iter& it) {
    if (q.reverse) {
      it.Prev();
    } else {
      it.Next();
    }
  };
  if (q.type == RangeType::kRank) {
    size_t s, e;
    if (!ClampRanks(q.start, q.end, z.Size(), &s, &e)) return;
    size_t n = e - s + 1;
    out->reserve(n);
    auto it = z.AtRank(q.reverse ? z.Size() - 1 - s : s);
    for (; n > 0 && it.Valid(); n--, step(it)) out->push_back({it.member(), it.score()});
    return;
  }
  if (q.offset < 0) return;
  ZSetObject::Iter it = q.type == RangeType::kScore ? z.FirstInRange(q.score, q.reverse)
                                                    : z.FirstInLexRange(q.lex, q.reverse);
  for (int64_t skip = q.offset; skip > 0 && it.Valid(); skip--) step(it);
  int64_t left = q.limit;
  for (; it.Valid() && left != 0; step(it), left--) {
    bool inside;
    if (q.type == RangeType::kScore) {
      inside = q.reverse ? q.score.AboveMin(it.score()) : q.score.BelowMax(it.score());
    } else {
      inside = q.reverse ? q.lex.AboveMin(it.member()) : q.lex.BelowMax(it.member());
    }
    if (!inside) break;
    out->push_back({it.member(), it.score()});
  }
}

// ---------------------------------------------------------------- Operations
// What ZRANGESTORE and ZREMRANGEBY* do to the keyspace, apart from parsing,
// propagating, notifying and replying (see zset_family.cc).

// Stores `items` (a range in reply order: descending when `reverse`) at dst
// as ZRANGESTORE does. Redis builds the destination by inserting the
// members in reply order into a set that starts as a listpack (unless a
// rank range already exceeds zset-max-listpack-entries) and converts when
// the next insert would exceed the limits; members inserted before that
// lose a -0 score.
ZStored OpZRangeStore(const LockedKey& dst, std::vector<ZMemberScore> items, bool rank_range,
                      bool reverse, const ZSetObject::Limits& lim) {
  size_t convert_at = items.size();
  if (rank_range && items.size() > lim.max_entries) convert_at = 0;
  for (size_t i = 0; i < convert_at; i++) {
    if (i + 1 > lim.max_entries || items[i].member.size() > lim.max_value) convert_at = i;
  }
  for (size_t i = 0; i < convert_at; i++) {
    if (items[i].score == 0) items[i].score = 0.0;
  }
  if (reverse) std::reverse(items.begin(), items.end());
  return OpStoreZSet(dst, items, lim);
}

// What ZREMRANGEBY* removed.
struct ZRemRangeResult {
  size_t removed = 0;
  bool deleted = false;  // the set was emptied and its key deleted
};

// Removes the members `q` selects (its type, and its start/end, score or lex
// range; offset, limit and direction are not used) from the sorted set at
// g's key.
StatusOr<ZRemRangeResult> OpZRemRange(KeyGuard& g, const RangeQuery& q) {
  ZRemRangeResult r;
  Entry** link = g.FindLink();
  if (link == nullptr) return r;
  if (!Holds<ZSetObject>(*link)) return Status::Error(errors::kWrongType);
  auto* z = ValueAs<ZSetObject>(*link);
  if (q.type == RangeType::kRank) {
    size_t s, e;
    if (ClampRanks(q.start, q.end, z->Size(), &s, &e)) r.removed = z->RemoveRangeByRank(s, e);
  } else if (q.type == RangeType::kScore) {
    r.removed = z->RemoveRangeByScore(q.score);
  } else {
    r.removed = z->RemoveRangeByLex(q.lex);
  }
  if (z->Size() == 0) {
    g.shard().Delete(link);
    r.deleted = true;
  }
  return r;
}

// ---------------------------------------------------------------- Handlers

// The shared body of every ZRANGE form. `key_idx` is the source key's
// position; `store` means ZRANGESTORE (destination at args[1]). A form
// that fixes the range type or direction passes it; kAuto lets the
// BYSCORE/BYLEX/REV options choose.
void ZRangeGeneric(CommandContext& ctx, size_t key_idx, bool store, RangeType type, Direction dir) {
  auto& a = ctx.args;
  size_t min_idx = key_idx + 1, max_idx = key_idx + 2;
  bool withscores = false, has_limit = false;
  RangeQuery q;
  ArgParser p(a, key_idx + 3);
  while (p.HasNext()) {
    if (!store && p.Check("WITHSCORES")) {
      withscores = true;
    } else if (p.remaining() >= 3 && p.Check("LIMIT")) {
      q.offset = p.Next<int64_t>();
      q.limit = p.Next<int64_t>();
      has_limit = true;
    } else if (dir == Direction::kAuto && p.Check("REV")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && p.Check("BYLEX")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && p.Check("BYSCORE")) {
      type = RangeType::kScore;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis tells "no LIMIT" by a count of -1, so LIMIT <any offset> -1 is
  // accepted by a rank range (and its offset ignored).
  if (has_limit && q.limit == -1 && type == RangeType::kRank) {
    has_limit = false;
    q.offset = 0;
  }
  if (has_limit && type == RangeType::kRank) return ctx.Error(errors::kZLimitNeedsByScoreOrLex);
  if (withscores && type == RangeType::kLex) {
    ctx.Error(errors::kWithScoresByLex);
    return;
  }
  q.type = type;
  q.reverse = dir == Direction::kReverse;
  // Score and lex ranges are given max first when reversed.
  if (q.reverse && type != RangeType::kRank) std::swap(min_idx, max_idx);
  switch (type) {
    case RangeType::kRank: {
      auto s = IntArg(ctx, a[min_idx]);
      if (!s) return;
      auto e = IntArg(ctx, a[max_idx]);
      if (!e) return;
      q.start = *s;
      q.end = *e;
      break;
    }
    case RangeType::kScore:
      if (!ParseZScoreRange(a[min_idx], a[max_idx], &q.score)) {
        ctx.Error(errors::kZMinMaxNotFloat);
        return;
      }
      break;
    case RangeType::kLex:
      if (!ParseZLexRange(a[min_idx], a[max_idx], &q.lex)) {
        ctx.Error(errors::kZLexRangeInvalid);
        return;
      }
      break;
    case RangeType::kAuto:
      break;
  }

  storage::Database& db = ctx.db();
  std::string_view key = a[key_idx];
  std::vector<ZMemberScore> items;
  if (!store) {
    KeyGuard g(db, key);
    Entry* e = g.Find();
    CountHit(ctx, key, e != nullptr);
    if (e != nullptr) {
      if (!Holds<ZSetObject>(e)) {
        ctx.Error(errors::kWrongType);
        return;
      }
      CollectRange(*static_cast<const ZSetObject*>(e->obj()), q, &items);
    }
    ReplyScored(ctx, items, withscores);
    return;
  }
  storage::LockSet locks;
  std::string_view dst = a[1];
  locks.AddKey(db, dst);
  locks.AddKey(db, key);
  locks.Acquire();
  uint64_t h = HashKey(key);
  Entry* e = db.ShardFor(h).Find(key, h);
  CountHit(ctx, key, e != nullptr);
  if (e != nullptr) {
    if (!Holds<ZSetObject>(e)) return ctx.Error(errors::kWrongType);
    CollectRange(*ValueAs<ZSetObject>(e), q, &items);
  }
  size_t stored = items.size();
  FinishZStore(ctx, dst,
               OpZRangeStore(Locked(db, dst), std::move(items), type == RangeType::kRank,
                             q.reverse, ZSetLimits(ctx)),
               "zrangestore");
  ctx.reply.Integer(int64_t(stored));
}

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
void CmdZRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
void CmdZRangeStore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
// ZREVRANGE key start stop [WITHSCORES]
void CmdZRevRange(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
void CmdZRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
void CmdZRevRangeByScore(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
// ZRANGEBYLEX key min max [LIMIT offset count]
void CmdZRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
// ZREVRANGEBYLEX key max min [LIMIT offset count]
void CmdZRevRangeByLex(CommandContext& ctx) {
  ZRangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ZREMRANGEBYRANK/ZREMRANGEBYSCORE/ZREMRANGEBYLEX: removes the members of a
// rank, score or lex range.
void RemRangeGeneric(CommandContext& ctx, RangeType type) {
  auto& a = ctx.args;
  RangeQuery q;
  q.type = type;
  const char* event;
  if (type == RangeType::kRank) {
    auto s = IntArg(ctx, a[2]);
    if (!s) return;
    auto e = IntArg(ctx, a[3]);
    if (!e) return;
    q.start = *s;
    q.end = *e;
    event = "zremrangebyrank";
  } else if (type == RangeType::kScore) {
    if (!ParseZScoreRange(a[2], a[3], &q.score)) return ctx.Error(errors::kZMinMaxNotFloat);
    event = "zremrangebyscore";
  } else {
    if (!ParseZLexRange(a[2], a[3], &q.lex)) return ctx.Error(errors::kZLexRangeInvalid);
    event = "zremrangebylex";
  }
  KeyGuard g(ctx.db(), a[1]);
  StatusOr<ZRemRangeResult> r = OpZRemRange(g, q);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->removed > 0) {
    ctx.PropagateAsIs();
    if (r->removed > 1) ctx.host.AddDirty(int64_t(r->removed) - 1);
    ctx.Changed(g.key(), event, kNotifyZSet);
    if (r->deleted) ctx.Changed(g.key(), "del", kNotifyGeneric);
  }
  ctx.reply.Integer(int64_t(r->removed));
}
// ZREMRANGEBYRANK key start stop
void CmdZRemRangeByRank(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kRank); }
// ZREMRANGEBYSCORE key min max
void CmdZRemRangeByScore(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kScore); }
// ZREMRANGEBYLEX key min max
void CmdZRemRangeByLex(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kLex); }

}  // namespace

void RegisterZSetRangeCommands(CommandTable& t) {
  const char* g = "sorted-set";
  const char* read = "@read @sortedset @slow";
  const char* write = "@write @sortedset @slow";
  auto add = [&](const char* name, int arity, CommandFlag flags, int last, const char* acl,
                 Handler h) { t.Add(Spec(g, name, arity, flags, 1, last, 1, acl, h)); };
  add("zrange", -4, kReadOnly, 1, read, CmdZRange);
  add("zrangestore", -5, kWrite | kDenyOom, 2, write, CmdZRangeStore);
  add("zrevrange", -4, kReadOnly, 1, read, CmdZRevRange);
  add("zrangebyscore", -4, kReadOnly, 1, read, CmdZRangeByScore);
  add("zrevrangebyscore", -4, kReadOnly, 1, read, CmdZRevRangeByScore);
  add("zrangebylex", -4, kReadOnly, 1, read, CmdZRangeByLex);
  add("zrevrangebylex", -4, kReadOnly, 1, read, CmdZRevRangeByLex);
  add("zremrangebyrank", 4, kWrite, 1, write, CmdZRemRangeByRank);
  add("zremrangebyscore", 4, kWrite, 1, write, CmdZRemRangeByScore);
  add("zremrangebylex", 4, kWrite, 1, write, CmdZRemRangeByLex);
}

}  // namespace basalt::commands
