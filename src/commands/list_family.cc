// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0 replies,
// propagation and keyspace events. The pop and move logic lives in
// list_ops.{h,cc}, shared with the blocking commands (not registered here).
#include <algorithm>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/list_ops.h"
#include "storage/list_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::ListObject;
using storage::ValueType;

// Looks up a list for a write command (no hit/miss counting): list_ops's
// LookupListForWrite, with the WRONGTYPE reply.
bool LookupListWrite(CommandContext& ctx, KeyGuard& g, ListObject** out) {
  *out = nullptr;
  if (LookupListForWrite(Locked(g), out) == ListState::kWrongType) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  return true;
}

// Deletes the key of a list emptied by a command, firing "del".
void DeleteIfEmpty(CommandContext& ctx, KeyGuard& g, ListObject* l) {
  if (l->Size() != 0) return;
  g.shard().Delete(g.FindLink(false));
  ctx.Changed(g.key(), "del", kNotifyGeneric);
}

// LPUSH key element [element ...] / RPUSH ... / LPUSHX ... / RPUSHX ...
void PushGeneric(CommandContext& ctx, ListEnd end, bool only_existing) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    if (only_existing) {
      ctx.reply.Integer(0);
      return;
    }
    l = new ListObject(ctx.config().list_max_listpack_size());
    g.Add(storage::EntryBuilder::Object(g.key(), ValueType::kList, l, false, 0));
  }
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (end == ListEnd::kLeft) {
      l->PushFront(ctx.args[i]);
    } else {
      l->PushBack(ctx.args[i]);
    }
  }
  ctx.PropagateAsIs();
  ctx.Changed(g.key(), end == ListEnd::kLeft ? "lpush" : "rpush", kNotifyList);
  ctx.reply.Integer(int64_t(l->Size()));
}
void CmdLPush(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, false); }
void CmdRPush(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, false); }
void CmdLPushX(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, true); }
void CmdRPushX(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, true); }

void ReplyElements(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(items.size());
  for (const auto& s : items) ctx.reply.Bulk(s);
}

// LPOP key [count] / RPOP key [count]
void PopGeneric(CommandContext& ctx, ListEnd end) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::WrongArity(ctx.spec.name));
    return;
  }
  bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < 0) {
      ctx.Error(errors::kPopCountError);
      return;
    }
    count = *v;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (count == 0) {
    // LPOP key 0 changes nothing and is not propagated.
    ctx.reply.ArrayHeader(0);
    return;
  }
  std::vector<std::string> items;
  PopElements(ctx, g, end, count, PopLog::kAsIs, &items);
  if (has_count) {
    ReplyElements(ctx, items);
  } else {
    ctx.reply.Bulk(items[0]);
  }
}
void CmdLPop(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kLeft); }
void CmdRPop(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kRight); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdLMPop(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.args[1]);
  if (!numkeys || *numkeys <= 0) {
    ctx.Error(errors::kNumKeysError);
    return;
  }
  // The keys, then the direction: numkeys must leave room for it.
  size_t where_idx = 2;
  if (uint64_t(*numkeys) >= ctx.args.size() - 2) {
    ctx.Error(errors::kSyntax);
    return;
  }
  where_idx += size_t(*numkeys);
  ListEnd end;
  if (!ParseListEnd(ctx.args[where_idx], &end)) {
    ctx.Error(errors::kSyntax);
    return;
  }
  int64_t count = 1;
  bool has_count = false;
  for (size_t i = where_idx + 1; i < ctx.args.size(); i++) {
    if (!has_count && EqualsIgnoreCase(ctx.args[i], "count") && i + 1 < ctx.args.size()) {
      auto v = ParseInt64(ctx.args[++i]);
      if (!v || *v <= 0) {
        ctx.Error(errors::kCountError);
        return;
      }
      count = *v;
      has_count = true;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  storage::Database& db = ctx.db();
  auto keys = ctx.args.subspan(2, size_t(*numkeys));
  storage::LockSet locks;
  for (auto k : keys) locks.AddKey(db, k);
  locks.Acquire();
  std::vector<LockedKey> locked;
  locked.reserve(keys.size());
  for (auto k : keys) locked.push_back(Locked(db, k));
  size_t idx = 0;
  switch (FindFirstList(locked, &idx)) {
    case ListState::kMissing:
      ctx.reply.NullArray();
      return;
    case ListState::kWrongType:
      ctx.Error(errors::kWrongType);
      return;
    case ListState::kList:
      break;
  }
  std::vector<std::string> items;
  PopElements(ctx, locked[idx], end, count, PopLog::kWithCount, &items);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(keys[idx]);
  ReplyElements(ctx, items);
}

// LLEN key
void CmdLLen(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupForRead<ListObject>(ctx, g, &l)) return;
  ctx.reply.Integer(l == nullptr ? 0 : int64_t(l->Size()));
}

// LRANGE key start stop
void CmdLRange(CommandContext& ctx) {
  auto start = IntArg(ctx, ctx.args[2]);
  if (!start) return;
  auto stop = IntArg(ctx, ctx.args[3]);
  if (!stop) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupForRead<ListObject>(ctx, g, &l)) return;
  int64_t len = l == nullptr ? 0 : int64_t(l->Size());
  int64_t s = *start, e = *stop;
  if (s < 0) s += len;
  if (e < 0) e += len;
  if (s < 0) s = 0;
  if (s > e || s >= len) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  if (e >= len) e = len - 1;
  size_t n = size_t(e - s + 1);
  ctx.reply.ArrayHeader(n);
  // Walk from whichever end is nearer the range.
  if (size_t(s) <= size_t(len - 1 - e)) {
    auto it = l->IteratorAt(size_t(s), true);
    for (size_t i = 0; i < n; i++, it.Next()) ctx.reply.Bulk(it.value());
  } else {
    std::vector<std::string_view> items(n);
    auto it = l->IteratorAt(size_t(e), false);
    for (size_t i = n; i-- > 0; it.Next()) items[i] = it.value();
    for (auto v : items) ctx.reply.Bulk(v);
  }
}

// LINDEX key index
void CmdLIndex(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupForRead<ListObject>(ctx, g, &l)) return;
  if (l == nullptr) {
    ctx.reply.Null();
    return;
  }
  auto index = IntArg(ctx, ctx.args[2]);
  if (!index) return;
  size_t i;
  if (!l->NormalizeIndex(*index, &i)) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(l->At(i));
}

// LSET key index element
void CmdLSet(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  auto index = IntArg(ctx, ctx.args[2]);
  if (!index) return;
  size_t i;
  if (!l->NormalizeIndex(*index, &i)) {
    ctx.Error(errors::kIndexOutOfRange);
    return;
  }
  l->Set(i, ctx.args[3]);
  ctx.PropagateAsIs();
  ctx.Changed(g.key(), "lset", kNotifyList);
  ctx.reply.Ok();
}

// LINSERT key BEFORE|AFTER pivot element
void CmdLInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.args[2], "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "before")) {
    after = false;
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!l->InsertAtPivot(ctx.args[3], ctx.args[4], after)) {
    ctx.reply.Integer(-1);
    return;
  }
  ctx.PropagateAsIs();
  ctx.Changed(g.key(), "linsert", kNotifyList);
  ctx.reply.Integer(int64_t(l->Size()));
}

// LREM key count element
void CmdLRem(CommandContext& ctx) {
  auto count = IntArg(ctx, ctx.args[2]);
  if (!count) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  size_t removed = l->Remove(ctx.args[3], *count);
  if (removed > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(g.key(), "lrem", kNotifyList);
    DeleteIfEmpty(ctx, g, l);
  }
  ctx.reply.Integer(int64_t(removed));
}

// LTRIM key start stop
void CmdLTrim(CommandContext& ctx) {
  auto start = IntArg(ctx, ctx.args[2]);
  if (!start) return;
  auto stop = IntArg(ctx, ctx.args[3]);
  if (!stop) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupListWrite(ctx, g, &l)) return;
  if (l == nullptr) {
    ctx.reply.Ok();
    return;
  }
  int64_t len = int64_t(l->Size());
  int64_t s = *start, e = *stop;
  if (s < 0) s += len;
  if (e < 0) e += len;
  if (s < 0) s = 0;
  size_t front, back;
  if (s > e || s >= len) {
    front = size_t(len);
    back = 0;
  } else {
    if (e >= len) e = len - 1;
    front = size_t(s);
    back = size_t(len - e - 1);
  }
  l->TrimEnds(front, back);
  // Redis fires "ltrim" even when nothing was removed, but only a change is
  // propagated.
  if (front + back > 0) ctx.PropagateAsIs();
  ctx.Changed(g.key(), "ltrim", kNotifyList);
  DeleteIfEmpty(ctx, g, l);
  ctx.reply.Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CommandContext& ctx) {
  int64_t rank = 1, count = 0, maxlen = 0;
  bool has_count = false;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    std::string_view opt = ctx.args[i];
    bool has_value = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "rank") && has_value) {
      auto v = IntArg(ctx, ctx.args[++i]);
      if (!v) return;
      if (*v == 0) {
        ctx.Error(errors::kRankZero);
        return;
      }
      rank = *v;
    } else if (EqualsIgnoreCase(opt, "count") && has_value) {
      auto v = ParseInt64(ctx.args[++i]);
      if (!v || *v < 0) {
        ctx.Error(errors::kCountNegative);
        return;
      }
      count = *v;
      has_count = true;
    } else if (EqualsIgnoreCase(opt, "maxlen") && has_value) {
      auto v = ParseInt64(ctx.args[++i]);
      if (!v || *v < 0) {
        ctx.Error(errors::kMaxLenNegative);
        return;
      }
      maxlen = *v;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  ListObject* l;
  if (!LookupForRead<ListObject>(ctx, g, &l)) return;
  std::vector<size_t> found;
  if (l != nullptr) {
    // RANK -N starts from the tail; INT64_MIN has no positive counterpart and
    // takes the first match from the tail, as in Redis.
    bool from_tail = rank < 0;
    size_t skip = rank == INT64_MIN ? 0 : size_t(from_tail ? -rank : rank) - 1;
    found =
        l->Positions(ctx.args[2], skip, has_count ? size_t(count) : 1, size_t(maxlen), from_tail);
  }
  if (has_count) {
    ctx.reply.ArrayHeader(found.size());
    for (size_t p : found) ctx.reply.Integer(int64_t(p));
  } else if (found.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(int64_t(found[0]));
  }
}

void MoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddKey(db, src);
  locks.AddKey(db, dst);
  locks.Acquire();
  std::string value;
  switch (MoveElement(ctx, Locked(db, src), Locked(db, dst), from, to, {}, &value)) {
    case MoveResult::kNoSource:
      ctx.reply.Null();
      return;
    case MoveResult::kWrongType:
      ctx.Error(errors::kWrongType);
      return;
    case MoveResult::kMoved:
      ctx.reply.Bulk(value);
      return;
  }
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void CmdLMove(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseListEnd(ctx.args[3], &from) || !ParseListEnd(ctx.args[4], &to)) {
    ctx.Error(errors::kSyntax);
    return;
  }
  MoveGeneric(ctx, from, to);
}

// RPOPLPUSH source destination
void CmdRPopLPush(CommandContext& ctx) { MoveGeneric(ctx, ListEnd::kRight, ListEnd::kLeft); }

// Key specifications as COMMAND INFO reports them.
KeySpec IndexKey(int index, const char* flags) {
  KeySpec ks;
  ks.flags = flags;
  ks.begin_index = index;
  ks.lastkey = 0;
  ks.keystep = 1;
  ks.limit = 0;
  return ks;
}

}  // namespace

void RegisterListFamily(CommandTable& t) {
  const char* g = "list";
  auto add = [&](const char* name, int arity, CommandFlag flags, int first, int last,
                 const char* acl, Handler h, std::vector<KeySpec> specs) {
    CommandSpec& c = t.Add(Spec(g, name, arity, flags, first, last, first > 0 ? 1 : 0, acl, h));
    c.key_specs = std::move(specs);
    return &c;
  };
  const char* kInsert = "RW INSERT";
  const char* kPopSpec = "RW ACCESS DELETE";
  add("lpush", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdLPush,
      {IndexKey(1, kInsert)});
  add("rpush", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdRPush,
      {IndexKey(1, kInsert)});
  add("lpushx", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdLPushX,
      {IndexKey(1, kInsert)});
  add("rpushx", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdRPushX,
      {IndexKey(1, kInsert)});
  add("lpop", -2, kWrite | kFast, 1, 1, "@write @list @fast", CmdLPop, {IndexKey(1, kPopSpec)});
  add("rpop", -2, kWrite | kFast, 1, 1, "@write @list @fast", CmdRPop, {IndexKey(1, kPopSpec)});
  add("llen", 2, kReadOnly | kFast, 1, 1, "@read @list @fast", CmdLLen, {IndexKey(1, "RO")});
  add("lrange", 4, kReadOnly, 1, 1, "@read @list @slow", CmdLRange, {IndexKey(1, "RO ACCESS")});
  add("lindex", 3, kReadOnly, 1, 1, "@read @list @slow", CmdLIndex, {IndexKey(1, "RO ACCESS")});
  add("lset", 4, kWrite | kDenyOom, 1, 1, "@write @list @slow", CmdLSet,
      {IndexKey(1, "RW UPDATE")});
  add("linsert", 5, kWrite | kDenyOom, 1, 1, "@write @list @slow", CmdLInsert,
      {IndexKey(1, kInsert)});
  add("lrem", 4, kWrite, 1, 1, "@write @list @slow", CmdLRem, {IndexKey(1, "RW DELETE")});
  add("ltrim", 4, kWrite, 1, 1, "@write @list @slow", CmdLTrim, {IndexKey(1, "RW DELETE")});
  add("lpos", -3, kReadOnly, 1, 1, "@read @list @slow", CmdLPos, {IndexKey(1, "RO ACCESS")});
  add("lmove", 5, kWrite | kDenyOom, 1, 2, "@write @list @slow", CmdLMove,
      {IndexKey(1, kPopSpec), IndexKey(2, kInsert)});
  add("rpoplpush", 3, kWrite | kDenyOom, 1, 2, "@write @list @slow", CmdRPopLPush,
      {IndexKey(1, kPopSpec), IndexKey(2, kInsert)});
  KeySpec numkeys;
  numkeys.flags = kPopSpec;
  numkeys.begin_index = 1;
  numkeys.keynum = true;
  numkeys.keynumidx = 0;
  numkeys.firstkey = 1;
  numkeys.numstep = 1;
  add("lmpop", -4, kWrite | kMovableKeys, 0, 0, "@write @list @slow", CmdLMPop, {numkeys});
}

}  // namespace basalt::commands
