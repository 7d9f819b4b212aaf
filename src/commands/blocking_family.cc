// Blocking commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX
// BZMPOP.
//
// Each handler first tries exactly what the non-blocking command does (the
// shared operations in list_ops.h / zset_ops.h: same reply data, same write
// log entry, same events). If nothing is there, the client blocks
// (Client::BlockOn) and the server runs the handler again when one of the
// keys changes (server/blocking.h); inside MULTI/EXEC a blocking command
// never waits and answers as if it timed out.
#include <cmath>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/list_ops.h"
#include "commands/zset_ops.h"
#include "common/clock.h"

namespace basalt::commands {
namespace {

// Parses a blocking timeout in seconds (fractions allowed) into an absolute
// deadline in ms; 0 means no deadline. Replies Redis's error on failure.
std::optional<int64_t> TimeoutArg(CommandContext& ctx, std::string_view arg) {
  auto v = ParseLongDouble(arg);
  if (!v) {
    ctx.Error(errors::kTimeoutNotFloat);
    return std::nullopt;
  }
  if (*v < 0) {
    ctx.Error(errors::kTimeoutNegative);
    return std::nullopt;
  }
  long double ms = *v * 1000.0L;
  if (ms > static_cast<long double>(INT64_MAX / 2)) {
    ctx.Error(errors::kTimeoutOutOfRange);
    return std::nullopt;
  }
  int64_t t = static_cast<int64_t>(std::ceil(ms));
  return t == 0 ? 0 : NowMs() + t;
}

// Inside EXEC the command must not wait (Redis answers as if it timed out).
bool MustNotBlock(CommandContext& ctx) {
  return !ctx.session.can_block() || ctx.session.exec_log() != nullptr;
}

void Block(CommandContext& ctx, std::vector<std::string> keys, int64_t deadline) {
  ctx.session.BlockOn(keys, deadline);
}

// BLPOP key [key ...] timeout / BRPOP key [key ...] timeout
void BPopGeneric(CommandContext& ctx, ListEnd end) {
  auto deadline = TimeoutArg(ctx, ctx.args.back());
  if (!deadline) return;
  storage::Database& db = ctx.db();
  std::vector<std::string_view> names(ctx.args.begin() + 1, ctx.args.end() - 1);
  {
    storage::LockSet locks;
    for (auto k : names) locks.AddKey(db, k);
    locks.Acquire();
    std::vector<LockedKey> keys;
    for (auto k : names) keys.push_back(Locked(db, k));
    size_t idx = 0;
    ListState st = FindFirstList(keys, &idx, ctx.session.retrying_blocked());
    if (st == ListState::kWrongType) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (st == ListState::kList) {
      std::vector<std::string> out;
      PopElements(ctx, keys[idx], end, 1, PopLog::kSingle, &out);
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(names[idx]);
      ctx.reply.Bulk(out[0]);
      return;
    }
  }
  if (MustNotBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  Block(ctx, std::vector<std::string>(names.begin(), names.end()), *deadline);
}
void CmdBLPop(CommandContext& ctx) { BPopGeneric(ctx, ListEnd::kLeft); }
void CmdBRPop(CommandContext& ctx) { BPopGeneric(ctx, ListEnd::kRight); }

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and
// BRPOPLPUSH source destination timeout.
void BMoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to, std::string_view timeout,
                  std::span<const std::string_view> log_args) {
  auto deadline = TimeoutArg(ctx, timeout);
  if (!deadline) return;
  storage::Database& db = ctx.db();
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  {
    storage::LockSet locks;
    locks.AddKey(db, src);
    locks.AddKey(db, dst);
    locks.Acquire();
    std::string moved;
    // A woken client waits on: a source that now holds another type is
    // passed over (a destination of another type still answers WRONGTYPE).
    storage::ListObject* unused;
    bool src_other_type = ctx.session.retrying_blocked() &&
                          LookupListForWrite(Locked(db, src), &unused) == ListState::kWrongType;
    switch (src_other_type ? MoveResult::kNoSource
                           : MoveElement(ctx, Locked(db, src), Locked(db, dst), from, to, log_args,
                                         &moved)) {
      case MoveResult::kMoved:
        ctx.reply.Bulk(moved);
        return;
      case MoveResult::kWrongType:
        ctx.Error(errors::kWrongType);
        return;
      case MoveResult::kNoSource:
        break;
    }
  }
  if (MustNotBlock(ctx)) {
    ctx.reply.Null();
    return;
  }
  Block(ctx, {std::string(src)}, *deadline);
}

void CmdBLMove(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseListEnd(ctx.args[3], &from) || !ParseListEnd(ctx.args[4], &to)) {
    ctx.Error(errors::kSyntax);
    return;
  }
  std::string_view log[] = {"LMOVE", ctx.args[1], ctx.args[2], ctx.args[3], ctx.args[4]};
  BMoveGeneric(ctx, from, to, ctx.args[5], log);
}

void CmdBRPopLPush(CommandContext& ctx) {
  std::string_view log[] = {"RPOPLPUSH", ctx.args[1], ctx.args[2]};
  BMoveGeneric(ctx, ListEnd::kRight, ListEnd::kLeft, ctx.args[3], log);
}

// Parses "numkeys key [key ...] <where> [COUNT count]" starting at args[first]
// (BLMPOP/BZMPOP). `where_ok` validates the direction word.
struct MPopArgs {
  std::vector<std::string_view> keys;
  std::string_view where;
  int64_t count = 1;
};
bool ParseMPop(CommandContext& ctx, size_t first, bool (*where_ok)(std::string_view),
               MPopArgs* out) {
  auto n = ParseInt64(ctx.args[first]);
  if (!n || *n <= 0) {
    ctx.Error(errors::kNumKeysError);
    return false;
  }
  size_t where_idx = first + 1 + size_t(*n);
  if (*n > int64_t(ctx.args.size()) || where_idx >= ctx.args.size()) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  out->keys.assign(ctx.args.begin() + long(first) + 1, ctx.args.begin() + long(where_idx));
  out->where = ctx.args[where_idx];
  if (!where_ok(out->where)) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  // [COUNT count], once.
  ArgParser p(ctx.args, where_idx + 1);
  bool have_count = false;
  while (p.HasNext()) {
    if (!have_count && p.remaining() >= 2 && p.Check("count")) {
      auto c = ParseInt64(p.Next<std::string_view>());
      if (!c || *c <= 0) {
        ctx.Error(errors::kCountError);
        return false;
      }
      out->count = *c;
      have_count = true;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

bool ListWhere(std::string_view w) {
  return EqualsIgnoreCase(w, "left") || EqualsIgnoreCase(w, "right");
}
bool ZSetWhere(std::string_view w) {
  return EqualsIgnoreCase(w, "min") || EqualsIgnoreCase(w, "max");
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdBLMPop(CommandContext& ctx) {
  // Redis reads numkeys, the keys, the side and COUNT before the timeout.
  MPopArgs a;
  if (!ParseMPop(ctx, 2, ListWhere, &a)) return;
  auto deadline = TimeoutArg(ctx, ctx.args[1]);
  if (!deadline) return;
  ListEnd end = EqualsIgnoreCase(a.where, "left") ? ListEnd::kLeft : ListEnd::kRight;
  storage::Database& db = ctx.db();
  {
    storage::LockSet locks;
    for (auto k : a.keys) locks.AddKey(db, k);
    locks.Acquire();
    std::vector<LockedKey> keys;
    for (auto k : a.keys) keys.push_back(Locked(db, k));
    size_t idx = 0;
    ListState st = FindFirstList(keys, &idx, ctx.session.retrying_blocked());
    if (st == ListState::kWrongType) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (st == ListState::kList) {
      std::vector<std::string> out;
      PopElements(ctx, keys[idx], end, a.count, PopLog::kWithCount, &out);
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(a.keys[idx]);
      ctx.reply.ArrayHeader(out.size());
      for (const auto& e : out) ctx.reply.Bulk(e);
      return;
    }
  }
  if (MustNotBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  Block(ctx, std::vector<std::string>(a.keys.begin(), a.keys.end()), *deadline);
}

// BZPOPMIN key [key ...] timeout / BZPOPMAX key [key ...] timeout
void BZPopGeneric(CommandContext& ctx, bool max) {
  auto deadline = TimeoutArg(ctx, ctx.args.back());
  if (!deadline) return;
  storage::Database& db = ctx.db();
  std::vector<std::string_view> names(ctx.args.begin() + 1, ctx.args.end() - 1);
  {
    storage::LockSet locks;
    for (auto k : names) locks.AddKey(db, k);
    locks.Acquire();
    std::vector<LockedKey> keys;
    for (auto k : names) keys.push_back(Locked(db, k));
    size_t idx = 0;
    ZState st = FindFirstZSet(keys, &idx, ctx.session.retrying_blocked());
    if (st == ZState::kWrongType) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (st == ZState::kZSet) {
      std::vector<ZPopped> out;
      ZPopElements(ctx, keys[idx], max, 1, ZPopLog::kSingle, &out);
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(names[idx]);
      ctx.reply.Bulk(out[0].member);
      ctx.reply.Double(out[0].score);
      return;
    }
  }
  if (MustNotBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  Block(ctx, std::vector<std::string>(names.begin(), names.end()), *deadline);
}
void CmdBZPopMin(CommandContext& ctx) { BZPopGeneric(ctx, false); }
void CmdBZPopMax(CommandContext& ctx) { BZPopGeneric(ctx, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
void CmdBZMPop(CommandContext& ctx) {
  // Redis reads numkeys, the keys, the side and COUNT before the timeout.
  MPopArgs a;
  if (!ParseMPop(ctx, 2, ZSetWhere, &a)) return;
  auto deadline = TimeoutArg(ctx, ctx.args[1]);
  if (!deadline) return;
  bool max = EqualsIgnoreCase(a.where, "max");
  storage::Database& db = ctx.db();
  {
    storage::LockSet locks;
    for (auto k : a.keys) locks.AddKey(db, k);
    locks.Acquire();
    std::vector<LockedKey> keys;
    for (auto k : a.keys) keys.push_back(Locked(db, k));
    size_t idx = 0;
    ZState st = FindFirstZSet(keys, &idx, ctx.session.retrying_blocked());
    if (st == ZState::kWrongType) {
      ctx.Error(errors::kWrongType);
      return;
    }
    if (st == ZState::kZSet) {
      std::vector<ZPopped> out;
      ZPopElements(ctx, keys[idx], max, a.count, ZPopLog::kWithCount, &out);
      ReplyZMPop(ctx, a.keys[idx], out);
      return;
    }
  }
  if (MustNotBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  Block(ctx, std::vector<std::string>(a.keys.begin(), a.keys.end()), *deadline);
}

}  // namespace

void RegisterBlockingFamily(CommandTable& t) {
  t.Add(Spec("list", "blpop", -3, kWrite | kNoScript | kBlocking, 1, -2, 1,
             "@write @list @slow @blocking", CmdBLPop));
  t.Add(Spec("list", "brpop", -3, kWrite | kNoScript | kBlocking, 1, -2, 1,
             "@write @list @slow @blocking", CmdBRPop));
  t.Add(Spec("list", "blmove", 6, kWrite | kDenyOom | kNoScript | kBlocking, 1, 2, 1,
             "@write @list @slow @blocking", CmdBLMove));
  t.Add(Spec("list", "brpoplpush", 4, kWrite | kDenyOom | kNoScript | kBlocking, 1, 2, 1,
             "@write @list @slow @blocking", CmdBRPopLPush));
  t.Add(Spec("list", "blmpop", -5, kWrite | kBlocking | kMovableKeys, 0, 0, 0,
             "@write @list @slow @blocking", CmdBLMPop));
  t.Add(Spec("sorted_set", "bzpopmin", -3, kWrite | kNoScript | kBlocking | kFast, 1, -2, 1,
             "@write @sortedset @fast @blocking", CmdBZPopMin));
  t.Add(Spec("sorted_set", "bzpopmax", -3, kWrite | kNoScript | kBlocking | kFast, 1, -2, 1,
             "@write @sortedset @fast @blocking", CmdBZPopMax));
  t.Add(Spec("sorted_set", "bzmpop", -5, kWrite | kBlocking | kMovableKeys, 0, 0, 0,
             "@write @sortedset @slow @blocking", CmdBZMPop));
}

}  // namespace basalt::commands
