// Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP
// SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
//
// Values are storage::SetObject (intset / hashtable, converted where Redis 7.0
// converts). Random choices are propagated as the exact change: SPOP becomes
// SREM of the popped members, or DEL when it took the whole set (as Redis 7.0
// does). The *STORE commands overwrite the destination whatever its type and
// delete it when the result is empty. Multi-key commands lock every shard
// involved (storage::LockSet) before the first lookup.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/glob.h"
#include "common/status.h"
#include "storage/set_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::SetObject;
using storage::ValueType;

// Basalt-only guard: Redis 7.0 builds any SRANDMEMBER reply however large
// (a count of -2^63+1 exhausts memory); we refuse replies past proto-max-bulk-len.

uint64_t RandomSeed() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

size_t MaxIntsetEntries(CommandContext& ctx) {
  int64_t v = ctx.config().set_max_intset_entries();
  return v < 0 ? 0 : size_t(v);
}

// Looks up every key (their shards must be locked); missing keys give null.
// Counts keyspace hits and misses, the *STORE commands' sources included, as
// Redis 7.0 does. Replies WRONGTYPE and returns false if any key holds another
// type: all keys are checked before a missing one empties the result, so
// "SINTER missing wrongtype" is an error, as in Redis 7.0.
bool LookupSets(CommandContext& ctx, storage::Database& db, std::span<const std::string_view> keys,
                std::vector<SetObject*>* out) {
  out->clear();
  for (std::string_view k : keys) {
    uint64_t h = HashKey(k);
    Entry* e = db.ShardFor(h).Find(k, h);
    CountHit(ctx, k, e != nullptr);
    if (e != nullptr && !Holds<SetObject>(e)) {
      ctx.Error(errors::kWrongType);
      return false;
    }
    out->push_back(e == nullptr ? nullptr : ValueAs<SetObject>(e));
  }
  return true;
}

// Locks the shards of keys, and of `extra` when given (a destination key).
void LockKeys(storage::LockSet& locks, storage::Database& db,
              std::span<const std::string_view> keys,
              std::optional<std::string_view> extra = std::nullopt) {
  for (std::string_view k : keys) locks.AddKey(db, k);
  if (extra) locks.AddKey(db, *extra);
  locks.Acquire();
}

// A RESP3 set (RESP2 array) of every member.
void ReplyMembers(CommandContext& ctx, const SetObject& s) {
  ctx.reply.SetHeader(s.Size());
  s.ForEach([&](std::string_view m) {
    ctx.reply.Bulk(m);
    return true;
  });
}

void ReplyStrings(CommandContext& ctx, const std::vector<std::string>& v, bool as_set) {
  if (as_set) {
    ctx.reply.SetHeader(v.size());
  } else {
    ctx.reply.ArrayHeader(v.size());
  }
  for (const std::string& m : v) ctx.reply.Bulk(m);
}

// `count` distinct members chosen uniformly. REQUIRES: count < s.Size().
std::vector<std::string> PickDistinct(const SetObject& s, size_t count) {
  size_t size = s.Size();
  std::vector<std::string> out;
  if (count * 3 > size) {
    // Most of the set: a partial shuffle of a snapshot beats rejection sampling.
    out = s.Members();
    for (size_t i = 0; i < count; i++) {
      size_t j = i + size_t(RandomSeed() % (size - i));
      std::swap(out[i], out[j]);
    }
    out.resize(count);
    return out;
  }
  std::unordered_set<std::string> seen;
  char buf[storage::kSetIntBufSize];
  while (out.size() < count) {
    std::string_view m = s.RandomMember(RandomSeed(), buf);
    if (seen.emplace(m).second) out.emplace_back(m);
  }
  return out;
}

// Calls fn(member) for each member of the intersection of `sets` (none null),
// walking the smallest set; stops after `limit` members when limit > 0.
template <typename Fn>
void ForEachInIntersection(std::vector<SetObject*> sets, size_t limit, Fn fn) {
  std::stable_sort(sets.begin(), sets.end(),
                   [](const SetObject* a, const SetObject* b) { return a->Size() < b->Size(); });
  const SetObject* first = sets[0];
  size_t found = 0;
  first->ForEach([&](std::string_view m) {
    for (size_t j = 1; j < sets.size(); j++) {
      if (sets[j] != first && !sets[j]->Contains(m)) return true;
    }
    fn(m);
    found++;
    return limit == 0 || found < limit;
  });
}

bool AnyNull(const std::vector<SetObject*>& sets) {
  return std::find(sets.begin(), sets.end(), nullptr) != sets.end();
}

// The union, or the difference sets[0] - sets[1] - ..., of sets (null = empty),
// built by adding members to a fresh set so its encoding follows Redis's.
std::unique_ptr<SetObject> UnionOrDiff(const std::vector<SetObject*>& sets, bool diff,
                                       size_t max_intset) {
  auto result = std::make_unique<SetObject>();
  auto add = [&](std::string_view m) {
    result->Add(m, max_intset);
    return true;
  };
  if (!diff) {
    for (const SetObject* s : sets) {
      if (s != nullptr) s->ForEach(add);
    }
    return result;
  }
  const SetObject* first = sets[0];
  if (first == nullptr) return result;
  // Redis 7.0 picks between (1) testing each member of the first set against
  // the others and (2) copying the first set and removing the others' members,
  // by estimated work. The choice shows in the stored encoding: (2) converts
  // to a hashtable whenever the first set alone would, even if the final
  // result would fit an intset.
  uint64_t work_test = 0, work_copy = 0;
  for (const SetObject* s : sets) {
    if (s == nullptr) continue;
    work_test += first->Size();
    work_copy += s->Size();
  }
  work_test /= 2;
  if (work_test <= work_copy) {
    std::vector<const SetObject*> others;
    for (size_t j = 1; j < sets.size(); j++) {
      if (sets[j] != nullptr) others.push_back(sets[j]);
    }
    // Largest first: a member is most likely to be found there.
    std::stable_sort(others.begin(), others.end(),
                     [](const SetObject* a, const SetObject* b) { return a->Size() > b->Size(); });
    first->ForEach([&](std::string_view m) {
      for (const SetObject* o : others) {
        if (o->Contains(m)) return true;
      }
      result->Add(m, max_intset);
      return true;
    });
    return result;
  }
  first->ForEach(add);
  for (size_t j = 1; j < sets.size() && result->Size() > 0; j++) {
    if (sets[j] == nullptr) continue;
    sets[j]->ForEach([&](std::string_view m) {
      result->Remove(m);
      return result->Size() > 0;
    });
  }
  return result;
}

// ---------------------------------------------------------------- Operations
// What the set writes do to the keyspace, apart from parsing and replying:
// each takes keys whose shard locks the caller holds (and, for the *STORE
// commands, the source sets the handler looked up) plus already-parsed
// arguments, and returns what the handler replies and propagates, or the
// Redis error. None knows RESP.

// Adds members, creating the set if missing; returns how many were new.
StatusOr<int64_t> OpSAdd(KeyGuard& g, std::span<const std::string_view> members,
                         size_t max_intset) {
  Entry** link = g.FindLink();
  SetObject* set;
  if (link != nullptr) {
    if (!Holds<SetObject>(*link)) return Status::Error(errors::kWrongType);
    set = ValueAs<SetObject>(*link);
  } else {
    auto obj = std::make_unique<SetObject>();
    set = obj.get();
    g.Add(EntryBuilder::Object(g.key(), ValueType::kSet, obj.release(), false, 0));
  }
  int64_t added = 0;
  for (std::string_view m : members) added += set->Add(m, max_intset) ? 1 : 0;
  return added;
}

struct RemoveResult {
  int64_t removed = 0;
  bool emptied = false;  // the last member went, and the key with it
};

// Removes members; deletes the key when the set becomes empty.
StatusOr<RemoveResult> OpSRem(KeyGuard& g, std::span<const std::string_view> members) {
  RemoveResult r;
  Entry** link = g.FindLink();
  if (link == nullptr) return r;
  if (!Holds<SetObject>(*link)) return Status::Error(errors::kWrongType);
  SetObject* set = ValueAs<SetObject>(*link);
  for (size_t i = 0; i < members.size() && set->Size() > 0; i++) {
    r.removed += set->Remove(members[i]) ? 1 : 0;
  }
  if (r.removed > 0 && set->Size() == 0) {
    g.shard().Delete(link);
    r.emptied = true;
  }
  return r;
}

struct PopOneResult {
  std::string member;
  bool emptied = false;  // it was the last member, and the key went with it
};

// Pops one random member; nullopt when the key is missing.
StatusOr<std::optional<PopOneResult>> OpSPop(KeyGuard& g) {
  Entry** link = g.FindLink();
  if (link == nullptr) return std::optional<PopOneResult>();
  if (!Holds<SetObject>(*link)) return Status::Error(errors::kWrongType);
  SetObject* set = ValueAs<SetObject>(*link);
  PopOneResult r;
  r.member = set->PopRandom(RandomSeed());
  if (set->Size() == 0) {
    g.shard().Delete(link);
    r.emptied = true;
  }
  return std::optional<PopOneResult>(std::move(r));
}

struct PopResult {
  std::vector<std::string> popped;  // in the order to reply with
  bool took_all = false;            // the whole set, and the key with it
};

// Pops `count` distinct random members (the whole set, deleting the key, when
// count >= its size). Nothing for a missing key or a count of 0.
StatusOr<PopResult> OpSPopCount(KeyGuard& g, uint64_t count, bool lazy_free) {
  PopResult r;
  Entry** link = g.FindLink();
  if (link == nullptr) return r;
  if (!Holds<SetObject>(*link)) return Status::Error(errors::kWrongType);
  if (count == 0) return r;
  SetObject* set = ValueAs<SetObject>(*link);
  size_t size = set->Size();
  if (count >= size) {
    r.popped = set->Members();
    r.took_all = true;
    g.shard().Delete(link, lazy_free);
    return r;
  }
  size_t n = size_t(count);
  if (n * 5 > size) {
    r.popped = PickDistinct(*set, n);
    for (const std::string& m : r.popped) set->Remove(m);
  } else {
    r.popped.reserve(n);
    for (size_t i = 0; i < n; i++) r.popped.push_back(set->PopRandom(RandomSeed()));
  }
  return r;
}

struct MoveResult {
  int64_t reply = 0;         // 1 when member was moved (or is in the set, when src is dst)
  bool moved = false;        // the keyspace changed
  bool src_emptied = false;  // the source lost its last member and was deleted
  bool dst_added = false;    // the destination did not have the member yet
};

// Moves member from the set at src to the set at dst (created if missing).
StatusOr<MoveResult> OpSMove(LockedKey src, LockedKey dst, std::string_view member,
                             size_t max_intset) {
  MoveResult r;
  Entry* se = src.shard.Find(src.key, src.hash);
  Entry* de = dst.shard.Find(dst.key, dst.hash);
  if (se == nullptr) return r;
  if (!Holds<SetObject>(se) || (de != nullptr && !Holds<SetObject>(de))) {
    return Status::Error(errors::kWrongType);
  }
  SetObject* sset = ValueAs<SetObject>(se);
  if (se == de) {
    // Same set: nothing moves; the reply only says whether it is a member.
    r.reply = sset->Contains(member) ? 1 : 0;
    return r;
  }
  if (!sset->Remove(member)) return r;
  r.reply = 1;
  r.moved = true;
  if (sset->Size() == 0) {
    src.shard.Delete(src.shard.FindLink(src.key, src.hash, false));
    r.src_emptied = true;
  }
  SetObject* dset;
  if (de == nullptr) {
    auto obj = std::make_unique<SetObject>();
    dset = obj.get();
    dst.shard.Add(EntryBuilder::Object(dst.key, ValueType::kSet, obj.release(), false, 0),
                  dst.hash);
  } else {
    dset = ValueAs<SetObject>(de);
  }
  r.dst_added = dset->Add(member, max_intset);
  return r;
}

struct StoreResult {
  int64_t stored = 0;    // the cardinality of the stored set
  bool deleted = false;  // an empty result deleted an existing destination
};

// Stores `result` at dst (overwriting any value and TTL), or deletes dst when
// the result is empty.
StoreResult StoreSet(LockedKey dst, std::unique_ptr<SetObject> result, bool lazy_free) {
  StoreResult r;
  Entry** link = dst.shard.FindLink(dst.key, dst.hash, false);
  if (result != nullptr && result->Size() > 0) {
    r.stored = int64_t(result->Size());
    Entry* e = EntryBuilder::Object(dst.key, ValueType::kSet, result.release(), false, 0);
    if (link != nullptr) {
      dst.shard.Overwrite(link, e);
    } else {
      dst.shard.Add(e, dst.hash);
    }
  } else if (link != nullptr) {
    dst.shard.Delete(link, lazy_free);
    r.deleted = true;
  }
  return r;
}

// Stores the intersection of `sets` (null = missing, so empty) at dst.
StatusOr<StoreResult> OpSInterStore(LockedKey dst, const std::vector<SetObject*>& sets,
                                    size_t max_intset, bool lazy_free) {
  std::unique_ptr<SetObject> result;
  if (!AnyNull(sets)) {
    result = std::make_unique<SetObject>();
    ForEachInIntersection(sets, 0, [&](std::string_view m) { result->Add(m, max_intset); });
  }
  return StoreSet(dst, std::move(result), lazy_free);
}

// Stores the union, or the difference sets[0] - sets[1] - ..., of `sets` at dst.
StatusOr<StoreResult> OpSUnionDiffStore(LockedKey dst, const std::vector<SetObject*>& sets,
                                        bool diff, size_t max_intset, bool lazy_free) {
  return StoreSet(dst, UnionOrDiff(sets, diff, max_intset), lazy_free);
}

// ---------------------------------------------------------------- Handlers

// SADD key member [member ...]
void CmdSAdd(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  StatusOr<int64_t> added = OpSAdd(g, ctx.args.subspan(2), MaxIntsetEntries(ctx));
  if (!added.ok()) return ctx.Error(added.status().message());
  if (*added > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(key, "sadd", kNotifySet);
  }
  ctx.reply.Integer(*added);
}

// SREM key member [member ...]
void CmdSRem(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  StatusOr<RemoveResult> r = OpSRem(g, ctx.args.subspan(2));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->removed > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(key, "srem", kNotifySet);
    if (r->emptied) ctx.Changed(key, "del", kNotifyGeneric);
  }
  ctx.reply.Integer(r->removed);
}

// SCARD key
void CmdSCard(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  ctx.reply.Integer(set == nullptr ? 0 : int64_t(set->Size()));
}

// SISMEMBER key member
void CmdSIsMember(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[2]) ? 1 : 0);
}

// SMISMEMBER key member [member ...]
void CmdSMIsMember(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[i]) ? 1 : 0);
  }
}

// SMEMBERS key
void CmdSMembers(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  if (set == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  ReplyMembers(ctx, *set);
}

// SRANDMEMBER key count: distinct members for count > 0, |count| draws with
// repetition for count < 0.
void SRandMemberWithCount(CommandContext& ctx) {
  auto count = ParseInt64(ctx.args[2]);
  if (!count) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  if (*count == INT64_MIN) {
    ctx.Error(errors::kCountOutOfRange);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  if (set == nullptr || *count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  char buf[storage::kSetIntBufSize];
  if (*count < 0) {
    uint64_t n = uint64_t(-*count);
    // Estimate the reply from a small sample of member lengths.
    uint64_t sample_bytes = 0;
    for (int i = 0; i < 8; i++) sample_bytes += set->RandomMember(RandomSeed(), buf).size();
    uint64_t per_member = sample_bytes / 8 + 16;  // "$<len>\r\n...\r\n"
    uint64_t limit = uint64_t(std::max<int64_t>(ctx.config().proto_max_bulk_len(), 1));
    if (n > limit / per_member) {
      ctx.Error(errors::kRandReplyTooLarge);
      return;
    }
    ctx.reply.ArrayHeader(n);
    for (uint64_t i = 0; i < n; i++) ctx.reply.Bulk(set->RandomMember(RandomSeed(), buf));
    return;
  }
  if (uint64_t(*count) >= set->Size()) {
    ctx.reply.ArrayHeader(set->Size());
    set->ForEach([&](std::string_view m) {
      ctx.reply.Bulk(m);
      return true;
    });
    return;
  }
  ReplyStrings(ctx, PickDistinct(*set, size_t(*count)), false);
}

// SRANDMEMBER key [count]
void CmdSRandMember(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 3) {
    SRandMemberWithCount(ctx);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  if (set == nullptr) {
    ctx.reply.Null();
    return;
  }
  char buf[storage::kSetIntBufSize];
  ctx.reply.Bulk(set->RandomMember(RandomSeed(), buf));
}

// SPOP key count
void SPopWithCount(CommandContext& ctx) {
  auto count = ParseInt64(ctx.args[2]);
  if (!count || *count < 0) {
    ctx.Error(errors::kPopCountError);
    return;
  }
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  StatusOr<PopResult> r = OpSPopCount(g, uint64_t(*count), ctx.config().lazyfree_lazy_server_del());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyStrings(ctx, r->popped, true);
  if (r->popped.empty()) return;
  if (r->took_all) {
    // The whole set went: replicas get a DEL.
    ctx.Propagate({"DEL", key});
    ctx.Changed(key, "spop", kNotifySet);
    ctx.Changed(key, "del", kNotifyGeneric);
    return;
  }
  std::vector<std::string_view> cmd;
  cmd.reserve(r->popped.size() + 2);
  cmd.push_back("SREM");
  cmd.push_back(key);
  for (const std::string& m : r->popped) cmd.push_back(m);
  ctx.Propagate(cmd);
  ctx.Changed(key, "spop", kNotifySet);
}

// SPOP key [count]
void CmdSPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 3) {
    SPopWithCount(ctx);
    return;
  }
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  StatusOr<std::optional<PopOneResult>> r = OpSPop(g);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!r->has_value()) {
    ctx.reply.Null();
    return;
  }
  const PopOneResult& p = **r;
  ctx.reply.Bulk(p.member);
  ctx.Propagate({"SREM", key, p.member});
  ctx.Changed(key, "spop", kNotifySet);
  if (p.emptied) ctx.Changed(key, "del", kNotifyGeneric);
}

// SMOVE source destination member
void CmdSMove(CommandContext& ctx) {
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, ctx.args.subspan(1, 2));
  StatusOr<MoveResult> r =
      OpSMove(Locked(db, src), Locked(db, dst), ctx.args[3], MaxIntsetEntries(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->moved) {
    ctx.Changed(src, "srem", kNotifySet);
    if (r->src_emptied) ctx.Changed(src, "del", kNotifyGeneric);
    ctx.PropagateAsIs();
    // As Redis 7.0: a destination that already had the member is not touched
    // (no "sadd" event, WATCH on it survives).
    if (r->dst_added) ctx.Changed(dst, "sadd", kNotifySet);
  }
  ctx.reply.Integer(r->reply);
}

// Notifies, propagates and replies for a *STORE command's result at dst.
void ReplyStored(CommandContext& ctx, std::string_view dst, const StoreResult& r,
                 const char* event) {
  if (r.stored > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(dst, event, kNotifySet);
  } else if (r.deleted) {
    ctx.PropagateAsIs();
    ctx.Changed(dst, "del", kNotifyGeneric);
  }
  ctx.reply.Integer(r.stored);
}

// SINTER key [key ...]
void CmdSInter(CommandContext& ctx) {
  auto keys = ctx.args.subspan(1);
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, keys);
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, db, keys, &sets)) return;
  if (AnyNull(sets)) {
    ctx.reply.SetHeader(0);
    return;
  }
  std::vector<std::string> out;
  ForEachInIntersection(sets, 0, [&](std::string_view m) { out.emplace_back(m); });
  ReplyStrings(ctx, out, true);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdSInterCard(CommandContext& ctx) {
  auto numkeys = ParseInt64(ctx.args[1]);
  if (!numkeys || *numkeys < 1) {
    ctx.Error(errors::kNumKeysError);
    return;
  }
  if (uint64_t(*numkeys) > ctx.args.size() - 2) {
    ctx.Error(errors::kTooManyKeys);
    return;
  }
  size_t nkeys = size_t(*numkeys);
  int64_t limit = 0;
  ArgParser p(ctx.args, 2 + nkeys);
  while (p.HasNext()) {
    if (p.remaining() >= 2 && p.Check("LIMIT")) {
      // As Redis 7.0, a LIMIT that is not an integer is "can't be negative" too.
      auto v = ParseInt64(p.Next<std::string_view>());
      if (!v || *v < 0) {
        p.Fail(errors::kNegativeLimit);
      } else {
        limit = *v;
      }
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) return ctx.Error(p.error());
  auto keys = ctx.args.subspan(2, nkeys);
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, keys);
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, db, keys, &sets)) return;
  if (AnyNull(sets)) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t n = 0;
  ForEachInIntersection(sets, size_t(limit), [&](std::string_view) { n++; });
  ctx.reply.Integer(n);
}

// SINTERSTORE destination key [key ...]
void CmdSInterStore(CommandContext& ctx) {
  std::string_view dst = ctx.args[1];
  auto keys = ctx.args.subspan(2);
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, keys, dst);
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, db, keys, &sets)) return;
  StatusOr<StoreResult> r = OpSInterStore(Locked(db, dst), sets, MaxIntsetEntries(ctx),
                                          ctx.config().lazyfree_lazy_server_del());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyStored(ctx, dst, *r, "sinterstore");
}

// SUNION / SDIFF key [key ...] and SUNIONSTORE / SDIFFSTORE destination key [key ...]
void UnionDiffGeneric(CommandContext& ctx, bool diff, bool store) {
  std::string_view dst = store ? ctx.args[1] : std::string_view();
  auto keys = ctx.args.subspan(store ? 2 : 1);
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, keys, store ? std::optional<std::string_view>(dst) : std::nullopt);
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, db, keys, &sets)) return;
  if (!store) {
    ReplyMembers(ctx, *UnionOrDiff(sets, diff, MaxIntsetEntries(ctx)));
    return;
  }
  StatusOr<StoreResult> r = OpSUnionDiffStore(Locked(db, dst), sets, diff, MaxIntsetEntries(ctx),
                                              ctx.config().lazyfree_lazy_server_del());
  if (!r.ok()) return ctx.Error(r.status().message());
  ReplyStored(ctx, dst, *r, diff ? "sdiffstore" : "sunionstore");
}
void CmdSUnion(CommandContext& ctx) { UnionDiffGeneric(ctx, false, false); }
void CmdSUnionStore(CommandContext& ctx) { UnionDiffGeneric(ctx, false, true); }
void CmdSDiff(CommandContext& ctx) { UnionDiffGeneric(ctx, true, false); }
void CmdSDiffStore(CommandContext& ctx) { UnionDiffGeneric(ctx, true, true); }

// SSCAN key cursor [MATCH pattern] [COUNT count]
void CmdSScan(CommandContext& ctx) {
  auto cursor = CursorArg(ctx, ctx.args[2]);
  if (!cursor) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  SetObject* set;
  if (!LookupForRead<SetObject>(ctx, g, &set)) return;
  if (set == nullptr) {
    // Redis answers a missing key before looking at the options.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, false, &opts)) return;
  std::vector<std::string> found;
  uint64_t next = set->Scan(*cursor, size_t(opts.count), [&](std::string_view m) {
    // As Redis, COUNT bounds the members visited, before MATCH filters them.
    if (opts.Matches(m)) found.emplace_back(m);
  });
  char buf[24];
  int n = snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, size_t(n)));
  ReplyStrings(ctx, found, false);
}

}  // namespace

void RegisterSetFamily(CommandTable& t) {
  const char* g = "set";
  t.Add(Spec(g, "sadd", -3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @set @fast", CmdSAdd));
  t.Add(Spec(g, "srem", -3, kWrite | kFast, 1, 1, 1, "@write @set @fast", CmdSRem));
  t.Add(Spec(g, "scard", 2, kReadOnly | kFast, 1, 1, 1, "@read @set @fast", CmdSCard));
  t.Add(Spec(g, "sismember", 3, kReadOnly | kFast, 1, 1, 1, "@read @set @fast", CmdSIsMember));
  t.Add(Spec(g, "smismember", -3, kReadOnly | kFast, 1, 1, 1, "@read @set @fast", CmdSMIsMember));
  t.Add(Spec(g, "smembers", 2, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSMembers));
  t.Add(Spec(g, "srandmember", -2, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSRandMember));
  t.Add(Spec(g, "spop", -2, kWrite | kFast, 1, 1, 1, "@write @set @fast", CmdSPop));
  t.Add(Spec(g, "smove", 4, kWrite | kFast, 1, 2, 1, "@write @set @fast", CmdSMove));
  t.Add(Spec(g, "sinter", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSInter));
  t.Add(Spec(g, "sintercard", -3, kReadOnly | kMovableKeys, 0, 0, 0, "@read @set @slow",
             CmdSInterCard));
  t.Add(
      Spec(g, "sinterstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSInterStore));
  t.Add(Spec(g, "sunion", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSUnion));
  t.Add(
      Spec(g, "sunionstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSUnionStore));
  t.Add(Spec(g, "sdiff", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSDiff));
  t.Add(Spec(g, "sdiffstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSDiffStore));
  t.Add(Spec(g, "sscan", -3, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSScan));
}

}  // namespace basalt::commands
