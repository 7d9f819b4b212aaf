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
#include <span>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/status.h"
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

// Redis's error unless e holds an HLL: another type gets the generic
// WRONGTYPE, a string that is not an HLL the HLL-specific one.
Status CheckHll(const Entry* e) {
  if (!Holds<Entry>(e)) return Status::Error(errors::kWrongType);
  char buf[32];
  if (e->IsInt() || !hll::IsHll(e->StringValue(buf))) return Status::Error(errors::kNotHll);
  return Status::Ok();
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

// ---------------------------------------------------------------- Operations
// What each HLL write does to the keyspace, apart from parsing, notifying,
// propagating and replying: each takes a key whose shard lock the caller
// holds (or the locked database) and already-parsed values, and returns what
// the handler needs, or the error text (errors.h, or the HLL layer's
// corruption error). None knows RESP.

// Adds elements to the HLL at key (created empty when missing); returns the
// number of changes Redis counts: one for a created key and one per element
// that raised a register. Registers set before a corrupt run was met stay
// set, exactly as Redis leaves them.
StatusOr<int64_t> OpPfAdd(KeyGuard& g, std::span<const std::string_view> elements,
                          size_t sparse_max_bytes) {
  Entry** link = g.FindLink();
  int64_t updated = 0;
  if (link == nullptr) {
    link = AddEmptyHll(g.shard(), g.key(), g.hash());
    updated = 1;
  } else {
    Status s = CheckHll(*link);
    if (!s.ok()) return s;
    MakeMutable(g.shard(), link);
  }
  EntryBuffer b(g.shard(), link);
  for (std::string_view element : elements) {
    auto r = hll::Add(b, element, sparse_max_bytes);
    if (!r.ok()) return r.status();
    updated += *r ? 1 : 0;
  }
  if (updated > 0) hll::InvalidateCache(b.data());
  return updated;
}

// What single-key PFCOUNT found: whether the key exists, the cardinality,
// and whether it refreshed the cached value in the header (a change).
struct PfCountResult {
  bool found = false;
  int64_t cardinality = 0;
  bool refreshed = false;
};

// The cardinality of the HLL at key, from its cache when valid; otherwise
// estimated and cached. The value is unshared into a raw string either way,
// as Redis does.
StatusOr<PfCountResult> OpPfCount(KeyGuard& g) {
  Entry** link = g.FindLink();
  PfCountResult r;
  if (link == nullptr) return r;
  r.found = true;
  Status s = CheckHll(*link);
  if (!s.ok()) return s;
  Entry* e = MakeMutable(g.shard(), link);
  std::string_view v = ValueOf(e);
  if (hll::CacheValid(v)) {
    r.cardinality = int64_t(hll::CachedCardinality(v));
    return r;
  }
  auto est = hll::Estimate(v);
  if (!est.ok()) return est.status();
  hll::SetCachedCardinality(e->heap_string()->data(), *est);
  r.cardinality = int64_t(*est);
  r.refreshed = true;
  return r;
}

// Stores the union `max` of PFMERGE's inputs at dest (created empty when
// missing): dense when any input was, otherwise sparse until the register
// updates (in index order, as Redis applies them) outgrow it.
// REQUIRES: dest's shard is locked; an existing dest is an HLL.
StatusOr<bool> OpPfMerge(storage::Database& db, std::string_view dest, const hll::Registers& max,
                         bool any_dense, size_t sparse_max_bytes) {
  uint64_t hash = HashKey(dest);
  storage::Shard& shard = db.ShardFor(hash);
  Entry** link = shard.FindLink(dest, hash);
  if (link != nullptr) {
    MakeMutable(shard, link);
  } else {
    link = AddEmptyHll(shard, dest, hash);
  }
  EntryBuffer b(shard, link);
  if (any_dense) {
    auto r = hll::ToDense(b);
    if (!r.ok()) return r.status();
  }
  for (uint32_t i = 0; i < hll::kRegisters; i++) {
    if (max[i] == 0) continue;
    auto r = hll::SetRegister(b, i, max[i], sparse_max_bytes);
    if (!r.ok()) return r.status();
  }
  hll::InvalidateCache(b.data());
  return true;
}

enum class PfDebugSub { kGetReg, kToDense, kDecode, kEncoding, kUnknown };

// What PFDEBUG found or did.
struct PfDebugResult {
  bool sparse = false;             // the encoding before any conversion
  bool converted = false;          // GETREG, TODENSE: turned dense (a change)
  std::vector<uint8_t> registers;  // GETREG
  std::string decoded;             // DECODE
};

// PFDEBUG's work on the HLL at key: a missing key is "no such key"; the
// value is unshared into a raw string before the subcommand runs (even an
// unknown one, which the handler reports), as Redis does.
StatusOr<PfDebugResult> OpPfDebug(KeyGuard& g, PfDebugSub sub) {
  Entry** link = g.FindLink();
  if (link == nullptr) return Status::Error(errors::kNoKey);
  Status s = CheckHll(*link);
  if (!s.ok()) return s;
  MakeMutable(g.shard(), link);
  EntryBuffer b(g.shard(), link);
  PfDebugResult r;
  r.sparse = hll::EncodingOf(b.view()) == hll::Encoding::kSparse;
  switch (sub) {
    case PfDebugSub::kGetReg:
    case PfDebugSub::kToDense: {
      auto converted = hll::ToDense(b);
      if (!converted.ok()) return converted.status();
      r.converted = *converted;
      if (sub == PfDebugSub::kGetReg) {
        const uint8_t* regs = reinterpret_cast<const uint8_t*>(b.data()) + hll::kHeaderSize;
        r.registers.resize(hll::kRegisters);
        for (uint32_t i = 0; i < hll::kRegisters; i++) r.registers[i] = hll::DenseGet(regs, i);
      }
      break;
    }
    case PfDebugSub::kDecode:
      if (!r.sparse) return Status::Error(errors::kNotSparse);
      r.decoded = hll::DecodeSparse(b.view());
      break;
    case PfDebugSub::kEncoding:
    case PfDebugSub::kUnknown:
      break;
  }
  return r;
}

// ---------------------------------------------------------------- Handlers

// PFADD key [element [element ...]]
void CmdPfAdd(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<int64_t> r = OpPfAdd(g, ctx.args.subspan(2), SparseMaxBytes(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  // Redis counts a created key and each element that raised a register as
  // one change each (rdb_changes_since_last_save, save points).
  if (*r > 0) {
    ctx.PropagateAsIs();
    ctx.host.AddDirty(*r - 1);
    ctx.Changed(g.key(), "pfadd", kNotifyString);
  }
  ctx.reply.Integer(*r > 0 ? 1 : 0);
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
    Status s = CheckHll(*link);
    if (s.ok()) {
      char buf[32];
      s = hll::MergeMax((*link)->StringValue(buf), max.get());
    }
    if (!s.ok()) return ctx.Error(s.message());
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
  StatusOr<PfCountResult> r = OpPfCount(g);
  // Only an existing key can fail: an error is a hit.
  CountHit(ctx, ctx.args[1], !r.ok() || r->found);
  if (!r.ok()) return ctx.Error(r.status().message());
  if (r->refreshed) {
    ctx.PropagateAsIs();
    // Redis marks the key modified (WATCH, client tracking) but publishes no
    // keyspace event: class 0 matches no notify-keyspace-events flag.
    ctx.Changed(g.key(), "", 0);
  }
  ctx.reply.Integer(r->cardinality);
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
void CmdPfMerge(CommandContext& ctx) {
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 1; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();
  // The inputs are read (and counted as keyspace hits or misses) up to the
  // first bad one; an existing destination is one of them.
  auto max = std::make_unique<hll::Registers>();
  max->fill(0);
  bool any_dense = false;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    Entry** link = FindIn(db, ctx.args[i]);
    CountHit(ctx, ctx.args[i], link != nullptr);
    if (link == nullptr) continue;
    Status s = CheckHll(*link);
    if (s.ok()) {
      char buf[32];
      std::string_view v = (*link)->StringValue(buf);
      if (hll::EncodingOf(v) == hll::Encoding::kDense) any_dense = true;
      s = hll::MergeMax(v, max.get());
    }
    if (!s.ok()) return ctx.Error(s.message());
  }
  std::string_view dest = ctx.args[1];
  StatusOr<bool> r = OpPfMerge(db, dest, *max, any_dense, SparseMaxBytes(ctx));
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.PropagateAsIs();
  ctx.Changed(dest, "pfadd", kNotifyString);
  ctx.reply.Ok();
}

// PFDEBUG <GETREG | DECODE | ENCODING | TODENSE> key
void CmdPfDebug(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  ArgParser p(ctx.args, 1);
  PfDebugSub sub = PfDebugSub::kUnknown;
  if (p.Check("GETREG")) {
    sub = PfDebugSub::kGetReg;
  } else if (p.Check("TODENSE")) {
    sub = PfDebugSub::kToDense;
  } else if (p.Check("DECODE")) {
    sub = PfDebugSub::kDecode;
  } else if (p.Check("ENCODING")) {
    sub = PfDebugSub::kEncoding;
  }
  KeyGuard g(ctx.db(), ctx.args[2]);
  StatusOr<PfDebugResult> r = OpPfDebug(g, sub);
  if (!r.ok()) return ctx.Error(r.status().message());
  switch (sub) {
    case PfDebugSub::kGetReg:
      if (r->converted) ctx.PropagateAsIs();
      ctx.reply.ArrayHeader(r->registers.size());
      for (uint8_t reg : r->registers) ctx.reply.Integer(reg);
      break;
    case PfDebugSub::kToDense:
      if (r->converted) ctx.PropagateAsIs();
      ctx.reply.Integer(r->converted ? 1 : 0);
      break;
    case PfDebugSub::kDecode:
      ctx.reply.Bulk(r->decoded);
      break;
    case PfDebugSub::kEncoding:
      ctx.reply.SimpleString(r->sparse ? "sparse" : "dense");
      break;
    case PfDebugSub::kUnknown:
      ctx.Error(errors::UnknownPfDebugSubcommand(name));
      break;
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
