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
#include <string>
#include <unordered_set>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/glob.h"
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

// SADD key member [member ...]
void CmdSAdd(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  Entry** link = g.FindLink();
  SetObject* set;
  if (link != nullptr) {
    if (!Holds<SetObject>((*link))) {
      ctx.Error(errors::kWrongType);
      return;
    }
    set = ValueAs<SetObject>(*link);
  } else {
    auto obj = std::make_unique<SetObject>();
    set = obj.get();
    g.Add(EntryBuilder::Object(key, ValueType::kSet, obj.release(), false, 0));
  }
  size_t max = MaxIntsetEntries(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) added += set->Add(ctx.args[i], max) ? 1 : 0;
  if (added > 0) {
    ctx.PropagateAsIs();
    ctx.Changed(key, "sadd", kNotifySet);
  }
  ctx.reply.Integer(added);
}

// SREM key member [member ...]
void CmdSRem(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  KeyGuard g(ctx.db(), key);
  Entry** link = g.FindLink();
  if (link == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!Holds<SetObject>((*link))) {
    ctx.Error(errors::kWrongType);
    return;
  }
  SetObject* set = ValueAs<SetObject>(*link);
  int64_t removed = 0;
  for (size_t i = 2; i < ctx.args.size() && set->Size() > 0; i++) {
    removed += set->Remove(ctx.args[i]) ? 1 : 0;
  }
  if (removed > 0) {
    bool emptied = set->Size() == 0;
    if (emptied) g.shard().Delete(link);
    ctx.PropagateAsIs();
    ctx.Changed(key, "srem", kNotifySet);
    if (emptied) ctx.Changed(key, "del", kNotifyGeneric);
  }
  ctx.reply.Integer(removed);
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
  Entry** link = g.FindLink();
  if (link == nullptr) {
    ctx.reply.SetHeader(0);
    return;
  }
  if (!Holds<SetObject>((*link))) {
    ctx.Error(errors::kWrongType);
    return;
  }
  if (*count == 0) {
    ctx.reply.SetHeader(0);
    return;
  }
  SetObject* set = ValueAs<SetObject>(*link);
  size_t size = set->Size();
  if (uint64_t(*count) >= size) {
    // The whole set: reply with it and drop the key; replicas get a DEL.
    ReplyMembers(ctx, *set);
    g.shard().Delete(link, ctx.config().lazyfree_lazy_server_del());
    ctx.Propagate({"DEL", key});
    ctx.Changed(key, "spop", kNotifySet);
    ctx.Changed(key, "del", kNotifyGeneric);
    return;
  }
  size_t n = size_t(*count);
  std::vector<std::string> popped;
  if (n * 5 > size) {
    popped = PickDistinct(*set, n);
    for (const std::string& m : popped) set->Remove(m);
  } else {
    popped.reserve(n);
    for (size_t i = 0; i < n; i++) popped.push_back(set->PopRandom(RandomSeed()));
  }
  ReplyStrings(ctx, popped, true);
  std::vector<std::string_view> cmd;
  cmd.reserve(popped.size() + 2);
  cmd.push_back("SREM");
  cmd.push_back(key);
  for (const std::string& m : popped) cmd.push_back(m);
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
  Entry** link = g.FindLink();
  if (link == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (!Holds<SetObject>((*link))) {
    ctx.Error(errors::kWrongType);
    return;
  }
  SetObject* set = ValueAs<SetObject>(*link);
  std::string m = set->PopRandom(RandomSeed());
  bool emptied = set->Size() == 0;
  if (emptied) g.shard().Delete(link);
  ctx.reply.Bulk(m);
  ctx.Propagate({"SREM", key, m});
  ctx.Changed(key, "spop", kNotifySet);
  if (emptied) ctx.Changed(key, "del", kNotifyGeneric);
}

// SMOVE source destination member
void CmdSMove(CommandContext& ctx) {
  std::string_view src = ctx.args[1], dst = ctx.args[2], member = ctx.args[3];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, ctx.args.subspan(1, 2));
  uint64_t hs = HashKey(src), hd = HashKey(dst);
  storage::Shard& ss = db.ShardFor(hs);
  storage::Shard& ds = db.ShardFor(hd);
  Entry* se = ss.Find(src, hs);
  Entry* de = ds.Find(dst, hd);
  if (se == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!Holds<SetObject>(se) || (de != nullptr && !Holds<SetObject>(de))) {
    ctx.Error(errors::kWrongType);
    return;
  }
  SetObject* sset = ValueAs<SetObject>(se);
  if (se == de) {
    // Same set: nothing moves; the reply only says whether it is a member.
    ctx.reply.Integer(sset->Contains(member) ? 1 : 0);
    return;
  }
  if (!sset->Remove(member)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.Changed(src, "srem", kNotifySet);
  if (sset->Size() == 0) {
    ss.Delete(ss.FindLink(src, hs, false));
    ctx.Changed(src, "del", kNotifyGeneric);
  }
  SetObject* dset;
  if (de == nullptr) {
    auto obj = std::make_unique<SetObject>();
    dset = obj.get();
    ds.Add(EntryBuilder::Object(dst, ValueType::kSet, obj.release(), false, 0), hd);
  } else {
    dset = ValueAs<SetObject>(de);
  }
  bool added = dset->Add(member, MaxIntsetEntries(ctx));
  ctx.PropagateAsIs();
  // As Redis 7.0: a destination that already had the member is not touched
  // (no "sadd" event, WATCH on it survives).
  if (added) ctx.Changed(dst, "sadd", kNotifySet);
  ctx.reply.Integer(1);
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

// Stores `result` at dst (overwriting any value and TTL), or deletes dst when
// the result is empty, then replies with the result's size.
void StoreResult(CommandContext& ctx, storage::Database& db, std::string_view dst,
                 std::unique_ptr<SetObject> result, const char* event) {
  uint64_t h = HashKey(dst);
  storage::Shard& sh = db.ShardFor(h);
  Entry** link = sh.FindLink(dst, h, false);
  if (result != nullptr && result->Size() > 0) {
    int64_t n = int64_t(result->Size());
    Entry* e = EntryBuilder::Object(dst, ValueType::kSet, result.release(), false, 0);
    if (link != nullptr) {
      sh.Overwrite(link, e);
    } else {
      sh.Add(e, h);
    }
    ctx.PropagateAsIs();
    ctx.Changed(dst, event, kNotifySet);
    ctx.reply.Integer(n);
    return;
  }
  if (link != nullptr) {
    sh.Delete(link, ctx.config().lazyfree_lazy_server_del());
    ctx.PropagateAsIs();
    ctx.Changed(dst, "del", kNotifyGeneric);
  }
  ctx.reply.Integer(0);
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
  for (size_t j = 2 + nkeys; j < ctx.args.size(); j++) {
    if (EqualsIgnoreCase(ctx.args[j], "limit") && j + 1 < ctx.args.size()) {
      auto v = ParseInt64(ctx.args[++j]);
      if (!v || *v < 0) {
        ctx.Error(errors::kNegativeLimit);
        return;
      }
      limit = *v;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
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
  std::unique_ptr<SetObject> result;
  if (!AnyNull(sets)) {
    result = std::make_unique<SetObject>();
    size_t max = MaxIntsetEntries(ctx);
    ForEachInIntersection(sets, 0, [&](std::string_view m) { result->Add(m, max); });
  }
  StoreResult(ctx, db, dst, std::move(result), "sinterstore");
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

// SUNION / SDIFF key [key ...] and SUNIONSTORE / SDIFFSTORE destination key [key ...]
void UnionDiffGeneric(CommandContext& ctx, bool diff, bool store) {
  std::string_view dst = store ? ctx.args[1] : std::string_view();
  auto keys = ctx.args.subspan(store ? 2 : 1);
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  LockKeys(locks, db, keys, store ? std::optional<std::string_view>(dst) : std::nullopt);
  std::vector<SetObject*> sets;
  if (!LookupSets(ctx, db, keys, &sets)) return;
  std::unique_ptr<SetObject> result = UnionOrDiff(sets, diff, MaxIntsetEntries(ctx));
  if (!store) {
    ReplyMembers(ctx, *result);
    return;
  }
  StoreResult(ctx, db, dst, std::move(result), diff ? "sdiffstore" : "sunionstore");
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
  t.Add(Spec(g, "smembers", 2, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSMembers)).tips =
      "nondeterministic_output_order";
  t.Add(Spec(g, "srandmember", -2, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSRandMember)).tips =
      "nondeterministic_output";
  t.Add(Spec(g, "spop", -2, kWrite | kFast, 1, 1, 1, "@write @set @fast", CmdSPop)).tips =
      "nondeterministic_output";
  t.Add(Spec(g, "smove", 4, kWrite | kFast, 1, 2, 1, "@write @set @fast", CmdSMove));
  t.Add(Spec(g, "sinter", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSInter)).tips =
      "nondeterministic_output_order";
  CommandSpec& card = t.Add(Spec(g, "sintercard", -3, kReadOnly | kMovableKeys, 0, 0, 0,
                                 "@read @set @slow", CmdSInterCard));
  KeySpec ks;
  ks.flags = "RO ACCESS";
  ks.begin_index = 1;
  ks.keynum = true;
  ks.keynumidx = 0;
  ks.firstkey = 1;
  ks.numstep = 1;
  card.key_specs.push_back(ks);
  t.Add(
      Spec(g, "sinterstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSInterStore));
  t.Add(Spec(g, "sunion", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSUnion)).tips =
      "nondeterministic_output_order";
  t.Add(
      Spec(g, "sunionstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSUnionStore));
  t.Add(Spec(g, "sdiff", -2, kReadOnly, 1, -1, 1, "@read @set @slow", CmdSDiff)).tips =
      "nondeterministic_output_order";
  t.Add(Spec(g, "sdiffstore", -3, kWrite | kDenyOom, 1, -1, 1, "@write @set @slow", CmdSDiffStore));
  t.Add(Spec(g, "sscan", -3, kReadOnly, 1, 1, 1, "@read @set @slow", CmdSScan)).tips =
      "nondeterministic_output";
}

}  // namespace basalt::commands
