// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
//
// An HLL is an ordinary string in Redis 7.0's format (storage/hyperloglog.h),
// so GET/SET/DUMP/RDB carry it unchanged and a Redis-built value works here.
// A value being updated lives in a growable heap buffer (Encoding::kRawHeap),
// which Redis also does ("unsharing" the string), so OBJECT ENCODING turns
// "raw" after PFADD, PFMERGE, PFDEBUG and single-key PFCOUNT, as in Redis.
//
// Propagation, as Redis 7.0 does it: PFADD as is when a register changed or the
// key was created; PFMERGE always as is; PFCOUNT of one key as is when it
// refreshed the cached cardinality in the header (the bytes changed, so
// replicas and the AOF must see it even though PFCOUNT is a read command);
// PFDEBUG GETREG/TODENSE as is when they converted the value to dense.
// Keyspace event: "pfadd" (class $) for PFADD and PFMERGE alike.
#include <memory>
#include <string>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "storage/hyperloglog.h"

namespace basalt::commands {
namespace {

using storage::Encoding;
using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;
namespace hll = storage::hll;

// hll-sparse-max-bytes. The directive has no Config accessor yet, so this is
// Redis's default; replace with ctx.config().hll_sparse_max_bytes()
// once it exists.
size_t SparseMaxBytes(CommandContext& ctx) { return size_t(ctx.config().hll_sparse_max_bytes()); }

// Replies Redis's error and returns false unless e holds an HLL: another type
// gets the generic WRONGTYPE, a string that is not an HLL the HLL-specific one.
bool CheckHll(CommandContext& ctx, const Entry* e) {
  if (!Holds<Entry>(e)) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  char buf[32];
  if (e->IsInt() || !hll::IsHll(e->StringValue(buf))) {
    ctx.Error(errors::kNotHll);
    return false;
  }
  return true;
}

std::string_view ValueOf(const Entry* e) {
  const storage::HeapString* h = e->heap_string();
  return {const_cast<storage::HeapString*>(h)->data(), h->len};
}

// Moves the string of *link into a growable heap buffer, keeping key and TTL.
// REQUIRES: the shard lock is held and *link is a string.
Entry* MakeMutable(storage::Shard& shard, Entry** link) {
  Entry* e = *link;
  if (e->encoding() == Encoding::kRawHeap) return e;
  char buf[32];
  std::string_view v = e->StringValue(buf);
  storage::HeapString* h = storage::NewHeapString(v, v.size());
  Entry* n =
      EntryBuilder::HeapStr(e->key(), h, e->has_expire(), e->has_expire() ? e->expire_ms() : 0);
  shard.Overwrite(link, n);
  return n;
}

// Adds a key holding an empty HLL, as PFADD and PFMERGE create it; returns its link.
Entry** AddEmptyHll(storage::Shard& shard, std::string_view key, uint64_t hash) {
  std::string v = hll::NewSparse();
  shard.Add(EntryBuilder::HeapStr(key, storage::NewHeapString(v, v.size()), false, 0), hash);
  return shard.FindLink(key, hash);
}

// The HLL in the heap buffer of *link, as an hll::Buffer.
// REQUIRES: the shard lock is held, *link is kRawHeap, and the shard's table
// is not modified while the buffer is in use (link must stay valid).
class EntryBuffer final : public hll::Buffer {
 public:
  EntryBuffer(storage::Shard& shard, Entry** link) : shard_(shard), link_(link) {}
  char* data() override { return heap()->data(); }
  size_t size() const override { return heap()->len; }
  void Resize(size_t n) override {
    storage::HeapString* h = heap();
    if (n <= h->cap) {
      h->len = n;
      return;
    }
    if (n < hll::kDenseSize) {
      h = storage::GrowHeapString(h, n);
      h->len = n;
      (*link_)->set_heap_string(h);
      return;
    }
    // Turning dense: the size is final, so allocate exactly rather than let
    // the buffer double (a dense HLL is 12 KB; millions of keys are common).
    storage::HeapString* exact = storage::NewHeapString({h->data(), h->len}, n);
    exact->len = n;
    Entry* e = *link_;
    shard_.Overwrite(link_, EntryBuilder::HeapStr(e->key(), exact, e->has_expire(),
                                                  e->has_expire() ? e->expire_ms() : 0));
  }

 private:
  storage::HeapString* heap() const { return (*link_)->heap_string(); }

  storage::Shard& shard_;
  Entry** link_;
};

Entry** FindIn(storage::Database& db, std::string_view key) {
  uint64_t h = HashKey(key);
  return db.ShardFor(h).FindLink(key, h);
}

// PFADD key [element [element ...]]
void CmdPfAdd(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry** link = g.FindLink();
  // Redis counts a created key and each element that raised a register as
  // one change each (rdb_changes_since_last_save, save points).
  int64_t updated = 0;
  if (link == nullptr) {
    link = AddEmptyHll(g.shard(), g.key(), g.hash());
    updated = 1;
  } else {
    if (!CheckHll(ctx, *link)) return;
    MakeMutable(g.shard(), link);
  }
  EntryBuffer b(g.shard(), link);
  size_t max_bytes = SparseMaxBytes(ctx);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    auto r = hll::Add(b, ctx.args[i], max_bytes);
    if (!r.ok()) {
      // Registers set before the corrupt run was met stay set, unpropagated,
      // exactly as Redis leaves them.
      ctx.Error(r.status().message());
      return;
    }
    updated += *r ? 1 : 0;
  }
  if (updated > 0) {
    hll::InvalidateCache(b.data());
    ctx.PropagateAsIs();
    ctx.host.AddDirty(updated - 1);
    ctx.Changed(g.key(), "pfadd", kNotifyString);
  }
  ctx.reply.Integer(updated > 0 ? 1 : 0);
}

// PFCOUNT over several keys: the estimate of their union, nothing cached.
void PfCountUnion(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  auto max = std::make_unique<hll::Registers>();
  max->fill(0);
  for (size_t i = 1; i < ctx.args.size(); i++) {
    Entry** link = FindIn(db, ctx.args[i]);
    CountHit(ctx, ctx.args[i], link != nullptr);
    if (link == nullptr) continue;
    if (!CheckHll(ctx, *link)) return;
    char buf[32];
    Status s = hll::MergeMax((*link)->StringValue(buf), max.get());
    if (!s.ok()) {
      ctx.Error(s.message());
      return;
    }
  }
  ctx.reply.Integer(int64_t(hll::EstimateRegisters(*max)));
}

// PFCOUNT key [key ...]
void CmdPfCount(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    PfCountUnion(ctx);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry** link = g.FindLink();
  CountHit(ctx, ctx.args[1], link != nullptr);
  if (link == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (!CheckHll(ctx, *link)) return;
  Entry* e = MakeMutable(g.shard(), link);
  std::string_view v = ValueOf(e);
  if (hll::CacheValid(v)) {
    ctx.reply.Integer(int64_t(hll::CachedCardinality(v)));
    return;
  }
  auto est = hll::Estimate(v);
  if (!est.ok()) {
    ctx.Error(est.status().message());
    return;
  }
  hll::SetCachedCardinality(e->heap_string()->data(), *est);
  ctx.PropagateAsIs();
  // Redis marks the key modified (WATCH, client tracking) but publishes no
  // keyspace event: class 0 matches no notify-keyspace-events flag.
  ctx.Changed(g.key(), "", 0);
  ctx.reply.Integer(int64_t(*est));
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
void CmdPfMerge(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  auto max = std::make_unique<hll::Registers>();
  max->fill(0);
  bool any_dense = false;
  // An existing destination is one of the inputs.
  for (size_t i = 1; i < ctx.args.size(); i++) {
    Entry** link = FindIn(db, ctx.args[i]);
    CountHit(ctx, ctx.args[i], link != nullptr);
    if (link == nullptr) continue;
    if (!CheckHll(ctx, *link)) return;
    char buf[32];
    std::string_view v = (*link)->StringValue(buf);
    if (hll::EncodingOf(v) == hll::Encoding::kDense) any_dense = true;
    Status s = hll::MergeMax(v, max.get());
    if (!s.ok()) {
      ctx.Error(s.message());
      return;
    }
  }
  std::string_view dest = ctx.args[1];
  uint64_t hash = HashKey(dest);
  storage::Shard& shard = db.ShardFor(hash);
  Entry** link = shard.FindLink(dest, hash);
  if (link != nullptr) {
    MakeMutable(shard, link);
  } else {
    link = AddEmptyHll(shard, dest, hash);
  }
  EntryBuffer b(shard, link);
  // The result is dense when any input was; otherwise it stays sparse until
  // the register updates (in index order, as Redis applies them) outgrow it.
  if (any_dense) {
    auto r = hll::ToDense(b);
    if (!r.ok()) {
      ctx.Error(r.status().message());
      return;
    }
  }
  size_t max_bytes = SparseMaxBytes(ctx);
  for (uint32_t i = 0; i < hll::kRegisters; i++) {
    if ((*max)[i] == 0) continue;
    auto r = hll::SetRegister(b, i, (*max)[i], max_bytes);
    if (!r.ok()) {
      ctx.Error(r.status().message());
      return;
    }
  }
  hll::InvalidateCache(b.data());
  ctx.PropagateAsIs();
  ctx.Changed(dest, "pfadd", kNotifyString);
  ctx.reply.Ok();
}

// PFDEBUG <GETREG | DECODE | ENCODING | TODENSE> key
void CmdPfDebug(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  KeyGuard g(ctx.db(), ctx.args[2]);
  Entry** link = g.FindLink();
  if (link == nullptr) {
    ctx.Error(errors::kNoKey);
    return;
  }
  if (!CheckHll(ctx, *link)) return;
  MakeMutable(g.shard(), link);
  EntryBuffer b(g.shard(), link);
  bool sparse = hll::EncodingOf(b.view()) == hll::Encoding::kSparse;
  if (EqualsIgnoreCase(sub, "getreg") || EqualsIgnoreCase(sub, "todense")) {
    bool getreg = EqualsIgnoreCase(sub, "getreg");
    auto converted = hll::ToDense(b);
    if (!converted.ok()) {
      ctx.Error(converted.status().message());
      return;
    }
    if (*converted) ctx.PropagateAsIs();
    if (!getreg) {
      ctx.reply.Integer(*converted ? 1 : 0);
      return;
    }
    const uint8_t* regs = reinterpret_cast<const uint8_t*>(b.data()) + hll::kHeaderSize;
    ctx.reply.ArrayHeader(hll::kRegisters);
    for (uint32_t i = 0; i < hll::kRegisters; i++) ctx.reply.Integer(hll::DenseGet(regs, i));
  } else if (EqualsIgnoreCase(sub, "decode")) {
    if (!sparse) {
      ctx.Error(errors::kNotSparse);
      return;
    }
    ctx.reply.Bulk(hll::DecodeSparse(b.view()));
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.SimpleString(sparse ? "sparse" : "dense");
  } else {
    ctx.Error("ERR Unknown PFDEBUG subcommand '" + std::string(sub) + "'");
  }
}

// PFSELFTEST
void CmdPfSelfTest(CommandContext& ctx) {
  Status s = hll::SelfTest();
  if (!s.ok()) {
    ctx.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterHllFamily(CommandTable& t) {
  const char* g = "hyperloglog";
  t.Add(Spec(g, "pfadd", -2, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @hyperloglog @fast",
             CmdPfAdd));
  t.Add(Spec(g, "pfcount", -2, kReadOnly, 1, -1, 1, "@read @hyperloglog @slow", CmdPfCount));
  t.Add(
      Spec(g, "pfmerge", -2, kWrite | kDenyOom, 1, -1, 1, "@write @hyperloglog @slow", CmdPfMerge));
  t.Add(Spec(g, "pfdebug", 3, kWrite | kDenyOom | kAdmin, 2, 2, 1,
             "@write @hyperloglog @admin @slow @dangerous", CmdPfDebug));
  t.Add(Spec(g, "pfselftest", 1, kAdmin, 0, 0, 0, "@hyperloglog @admin @slow @dangerous",
             CmdPfSelfTest));
}

}  // namespace basalt::commands
