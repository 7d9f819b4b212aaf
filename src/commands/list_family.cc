// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0 replies,
// propagation and keyspace events. The pop and move logic lives in
// list_ops.{h,cc}, shared with the blocking commands (not registered here).
#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/list_ops.h"
#include "common/status.h"
#include "storage/list_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::ListObject;
using storage::ValueType;

// ---------------------------------------------------------------- Operations
// What each list write does to the keyspace, apart from parsing, propagating,
// notifying and replying: each takes the key(s) whose shard locks the caller
// holds and already-parsed arguments, and returns what the handler needs to
// reply and propagate, or Redis's error. It knows nothing of RESP. The pop
// and move operations (OpPop, OpMove) are in list_ops.h, shared with the
// blocking commands.

// The list at g's key: null when the key is missing, WRONGTYPE for another
// type (looked up as a write: no keyspace hit/miss counting).
StatusOr<ListObject*> FindList(KeyGuard& g) {
  ListObject* l = nullptr;
  if (LookupListForWrite(Locked(g), &l) == ListState::kWrongType) {
    return Status::Error(errors::kWrongType);
  }
  return l;
}

// Deletes the key of a list a command emptied; returns whether it did.
bool DeleteIfEmpty(KeyGuard& g, const ListObject* l) {
  if (l->Size() != 0) return false;
  g.shard().Delete(g.FindLink(false));
  return true;
}

// Pushes `elements` in order at `end` of the list at g's key, creating it
// (with `fill` as its list-max-listpack-size) unless `only_existing`.
// Returns the new length: 0 when `only_existing` and the key is missing
// (nothing changed).
StatusOr<int64_t> OpPush(KeyGuard& g, ListEnd end, bool only_existing,
                         std::span<const std::string_view> elements, int64_t fill) {
  StatusOr<ListObject*> found = FindList(g);
  if (!found.ok()) return found.status();
  ListObject* l = *found;
  if (l == nullptr) {
    if (only_existing) return int64_t{0};
    l = new ListObject(fill);
    g.Add(storage::EntryBuilder::Object(g.key(), ValueType::kList, l, false, 0));
  }
  for (std::string_view v : elements) {
    if (end == ListEnd::kLeft) {
      l->PushFront(v);
    } else {
      l->PushBack(v);
    }
  }
  return int64_t(l->Size());
}

// What LMPOP popped, and from which of its keys.
struct ListMPop {
  size_t index = 0;  // position in `keys` of the list popped from
  ListPop pop;       // !pop.found: no key held a list
};

// Pops up to `count` (>= 1) elements from `end` of the first of `keys` that
// holds a list (FindFirstList's scan: WRONGTYPE when a key of another type
// comes first).
StatusOr<ListMPop> OpLMPop(std::span<const LockedKey> keys, ListEnd end, int64_t count) {
  ListMPop r;
  switch (FindFirstList(keys, &r.index)) {
    case ListState::kMissing:
      return r;
    case ListState::kWrongType:
      return Status::Error(errors::kWrongType);
    case ListState::kList:
      break;
  }
  StatusOr<ListPop> pop = OpPop(keys[r.index], end, count);
  if (!pop.ok()) return pop.status();
  r.pop = std::move(*pop);
  return r;
}

// Replaces the element at `index` (negative counts from the tail).
Status OpLSet(KeyGuard& g, int64_t index, std::string_view element) {
  StatusOr<ListObject*> found = FindList(g);
  if (!found.ok()) return found.status();
  ListObject* l = *found;
  if (l == nullptr) return Status::Error(errors::kNoSuchKey);
  size_t i;
  if (!l->NormalizeIndex(index, &i)) return Status::Error(errors::kIndexOutOfRange);
  l->Set(i, element);
  return Status::Ok();
}

// Inserts `element` before or after the first `pivot`. Returns the new
// length, 0 when the key is missing, -1 when the pivot is not found (0 and
// -1 change nothing).
StatusOr<int64_t> OpLInsert(KeyGuard& g, bool after, std::string_view pivot,
                            std::string_view element) {
  StatusOr<ListObject*> found = FindList(g);
  if (!found.ok()) return found.status();
  ListObject* l = *found;
  if (l == nullptr) return int64_t{0};
  if (!l->InsertAtPivot(pivot, element, after)) return int64_t{-1};
  return int64_t(l->Size());
}

// What LREM removed.
struct ListRem {
  int64_t removed = 0;
  bool deleted = false;  // the list was emptied and its key deleted
};

// Removes up to |count| elements equal to `element` (from the tail when
// count < 0, all of them when 0).
StatusOr<ListRem> OpLRem(KeyGuard& g, int64_t count, std::string_view element) {
  StatusOr<ListObject*> found = FindList(g);
  if (!found.ok()) return found.status();
  ListRem r;
  ListObject* l = *found;
  if (l == nullptr) return r;
  r.removed = int64_t(l->Remove(element, count));
  if (r.removed > 0) r.deleted = DeleteIfEmpty(g, l);
  return r;
}

// What LTRIM did.
struct ListTrim {
  bool found = false;    // the key held a list
  size_t removed = 0;    // elements trimmed from both ends
  bool deleted = false;  // the list was emptied and its key deleted
};

// Keeps only the elements from `start` to `stop` (inclusive, negative counts
// from the tail).
StatusOr<ListTrim> OpLTrim(KeyGuard& g, int64_t start, int64_t stop) {
  StatusOr<ListObject*> found = FindList(g);
  if (!found.ok()) return found.status();
  ListTrim r;
  ListObject* l = *found;
  if (l == nullptr) return r;
  r.found = true;
  int64_t len = int64_t(l->Size());
  int64_t s = start, e = stop;
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
  r.removed = front + back;
  r.deleted = DeleteIfEmpty(g, l);
  return r;
}

// ---------------------------------------------------------------- Handlers

// LPUSH/RPUSH/LPUSHX/RPUSHX: pushes the elements at `end`; the X forms only
// onto an existing list.
void PushGeneric(CommandContext& ctx, ListEnd end, bool only_existing) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> len =
      OpPush(g, end, only_existing, ctx.args.subspan(2), ctx.config().list_max_listpack_size());
  if (!len.ok()) return ctx.Error(len.status().message());
  // LPUSHX/RPUSHX on a missing key change nothing: no event, no propagation.
  if (*len > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(g.key(), PushEvent(end), kNotifyList);
  }
  ctx.reply.Integer(*len);
}
// LPUSH key element [element ...]
void CmdLPush(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, false); }
// RPUSH key element [element ...]
void CmdRPush(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, false); }
// LPUSHX key element [element ...]
void CmdLPushX(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, true); }
// RPUSHX key element [element ...]
void CmdRPushX(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, true); }

void ReplyElements(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.ArrayHeader(items.size());
  for (const auto& s : items) ctx.reply.Bulk(s);
}

// LPOP/RPOP: pops one element, or up to `count` as an array.
void PopGeneric(CommandContext& ctx, ListEnd end) {
  if (ctx.args.size() > 3) return ctx.Error(errors::WrongArity(ctx.spec.name));
  bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < 0) return ctx.Error(errors::kPopCountError);
    count = *v;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ListPop> r = OpPop(Locked(g), end, count);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->found) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  // LPOP key 0 changes nothing and is not propagated.
  if (!r->items.empty()) {
    ctx.PropagateAsIs();
    ctx.Changed(g.key(), PopEvent(end), kNotifyList);
    if (r->deleted) ctx.Changed(g.key(), "del", kNotifyGeneric);
  }
  if (has_count) {
    ReplyElements(ctx, r->items);
  } else {
    ctx.reply.Bulk(r->items[0]);
  }
}
// LPOP key [count]
void CmdLPop(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kLeft); }
// RPOP key [count]
void CmdRPop(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kRight); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdLMPop(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.args[1]);
  if (!numkeys || *numkeys <= 0) return ctx.Error(errors::kNumKeysError);
  // The keys, then the direction: numkeys must leave room for it.
  if (uint64_t(*numkeys) >= ctx.args.size() - 2) return ctx.Error(errors::kSyntax);
  size_t where_idx = 2 + size_t(*numkeys);
  ListEnd end;
  if (!ParseListEnd(ctx.args[where_idx], &end)) return ctx.Error(errors::kSyntax);
  int64_t count = 1;
  bool has_count = false;
  ArgParser p(ctx.args, where_idx + 1);
  while (p.HasNext()) {
    if (!has_count && p.remaining() >= 2 && p.Check("COUNT")) {
      auto v = ParseInt64(p.Next<std::string_view>());
      if (!v || *v <= 0) p.Fail(errors::kCountError);
      count = v.value_or(1);
      has_count = true;
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  storage::Database& db = ctx.db();
  auto keys = ctx.args.subspan(2, size_t(*numkeys));
  storage::LockSet locks;
  for (auto k : keys) locks.AddKey(db, k);
  locks.Acquire();
  std::vector<LockedKey> locked;
  locked.reserve(keys.size());
  for (auto k : keys) locked.push_back(Locked(db, k));
  StatusOr<ListMPop> r = OpLMPop(locked, end, count);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->pop.found) return ctx.reply.NullArray();
  std::string_view key = keys[r->index];
  char buf[24];
  size_t n = FormatInt64(int64_t(r->pop.items.size()), buf);
  ctx.Propagate({end == ListEnd::kLeft ? "LPOP" : "RPOP", key, std::string_view(buf, n)});
  ctx.Changed(key, PopEvent(end), kNotifyList);
  if (r->pop.deleted) ctx.Changed(key, "del", kNotifyGeneric);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key);
  ReplyElements(ctx, r->pop.items);
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
  auto index = ParseInt64(ctx.args[2]);
  if (!index) {
    // The key's errors win over a bad index, as in Redis.
    ListObject* l;
    switch (LookupListForWrite(Locked(g), &l)) {
      case ListState::kMissing:
        return ctx.Error(errors::kNoSuchKey);
      case ListState::kWrongType:
        return ctx.Error(errors::kWrongType);
      case ListState::kList:
        return ctx.Error(errors::kNotInteger);
    }
  }
  Status st = OpLSet(g, *index, ctx.args[3]);
  if (!st.ok()) return ctx.Error(st.message());
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
    return ctx.Error(errors::kSyntax);
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> len = OpLInsert(g, after, ctx.args[3], ctx.args[4]);
  if (!len.ok()) return ctx.Error(len.status().message());
  if (*len > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(g.key(), "linsert", kNotifyList);
  }
  ctx.reply.Integer(*len);
}

// LREM key count element
void CmdLRem(CommandContext& ctx) {
  auto count = IntArg(ctx, ctx.args[2]);
  if (!count) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ListRem> r = OpLRem(g, *count, ctx.args[3]);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->removed > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(g.key(), "lrem", kNotifyList);
    if (r->deleted) ctx.Changed(g.key(), "del", kNotifyGeneric);
  }
  ctx.reply.Integer(r->removed);
}

// LTRIM key start stop
void CmdLTrim(CommandContext& ctx) {
  auto start = IntArg(ctx, ctx.args[2]);
  if (!start) return;
  auto stop = IntArg(ctx, ctx.args[3]);
  if (!stop) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<ListTrim> r = OpLTrim(g, *start, *stop);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->found) {
    // Redis fires "ltrim" even when nothing was removed, but only a change
    // is propagated.
    if (r->removed > 0) ctx.PropagateAsIs();
    ctx.Changed(g.key(), "ltrim", kNotifyList);
    if (r->deleted) ctx.Changed(g.key(), "del", kNotifyGeneric);
  }
  ctx.reply.Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CommandContext& ctx) {
  int64_t rank = 1, count = 0, maxlen = 0;
  bool has_count = false;
  // COUNT and MAXLEN report a value that is not an integer with the same
  // text as a negative one.
  auto non_negative = [](ArgParser& p, const char* error) {
    auto v = ParseInt64(p.Next<std::string_view>());
    if (!v || *v < 0) p.Fail(error);
    return v.value_or(0);
  };
  ArgParser p(ctx.args, 3);
  while (p.HasNext()) {
    if (p.remaining() >= 2 && p.Check("RANK")) {
      rank = p.Next<int64_t>();
      if (p.ok() && rank == 0) p.Fail(errors::kRankZero);
    } else if (p.remaining() >= 2 && p.Check("COUNT")) {
      count = non_negative(p, errors::kCountNegative);
      has_count = true;
    } else if (p.remaining() >= 2 && p.Check("MAXLEN")) {
      maxlen = non_negative(p, errors::kMaxLenNegative);
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
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
    for (size_t pos : found) ctx.reply.Integer(int64_t(pos));
  } else if (found.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(int64_t(found[0]));
  }
}

// LMOVE/RPOPLPUSH: moves one element from `from` of the source list to `to`
// of the destination list.
void MoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddKey(db, src);
  locks.AddKey(db, dst);
  locks.Acquire();
  StatusOr<ListMove> r =
      OpMove(Locked(db, src), Locked(db, dst), from, to, ctx.config().list_max_listpack_size());
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->moved) return ctx.reply.Null();
  ctx.PropagateAsIs();
  ctx.Changed(dst, PushEvent(to), kNotifyList);
  ctx.Changed(src, PopEvent(from), kNotifyList);
  if (r->src_deleted) ctx.Changed(src, "del", kNotifyGeneric);
  ctx.reply.Bulk(r->value);
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void CmdLMove(CommandContext& ctx) {
  ListEnd from, to;
  if (!ParseListEnd(ctx.args[3], &from) || !ParseListEnd(ctx.args[4], &to)) {
    return ctx.Error(errors::kSyntax);
  }
  MoveGeneric(ctx, from, to);
}

// RPOPLPUSH source destination
void CmdRPopLPush(CommandContext& ctx) { MoveGeneric(ctx, ListEnd::kRight, ListEnd::kLeft); }

}  // namespace

void RegisterListFamily(CommandTable& t) {
  const char* g = "list";
  auto add = [&](const char* name, int arity, CommandFlag flags, int first, int last,
                 const char* acl, Handler h) {
    t.Add(Spec(g, name, arity, flags, first, last, first > 0 ? 1 : 0, acl, h));
  };
  add("lpush", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdLPush);
  add("rpush", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdRPush);
  add("lpushx", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdLPushX);
  add("rpushx", -3, kWrite | kDenyOom | kFast, 1, 1, "@write @list @fast", CmdRPushX);
  add("lpop", -2, kWrite | kFast, 1, 1, "@write @list @fast", CmdLPop);
  add("rpop", -2, kWrite | kFast, 1, 1, "@write @list @fast", CmdRPop);
  add("llen", 2, kReadOnly | kFast, 1, 1, "@read @list @fast", CmdLLen);
  add("lrange", 4, kReadOnly, 1, 1, "@read @list @slow", CmdLRange);
  add("lindex", 3, kReadOnly, 1, 1, "@read @list @slow", CmdLIndex);
  add("lset", 4, kWrite | kDenyOom, 1, 1, "@write @list @slow", CmdLSet);
  add("linsert", 5, kWrite | kDenyOom, 1, 1, "@write @list @slow", CmdLInsert);
  add("lrem", 4, kWrite, 1, 1, "@write @list @slow", CmdLRem);
  add("ltrim", 4, kWrite, 1, 1, "@write @list @slow", CmdLTrim);
  add("lpos", -3, kReadOnly, 1, 1, "@read @list @slow", CmdLPos);
  add("lmove", 5, kWrite | kDenyOom, 1, 2, "@write @list @slow", CmdLMove);
  add("rpoplpush", 3, kWrite | kDenyOom, 1, 2, "@write @list @slow", CmdRPopLPush);
  add("lmpop", -4, kWrite | kMovableKeys, 0, 0, "@write @list @slow", CmdLMPop);
}

}  // namespace basalt::commands
