// Bitmap and bit-field commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
// BITFIELD_RO. They work on string values; a string they modify is kept in a
// growable heap buffer (OBJECT ENCODING "raw"), as Redis unshares it into a
// raw sds. The bit-level work lives in the pure helpers of bitops.h.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/bitops.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/status.h"

namespace basalt::commands {

// ---- Pure helpers (bitops.h) ----

namespace bitops {

std::optional<uint64_t> ParseBitOffset(std::string_view arg, int hash_bits, int64_t max_bytes) {
  bool positional = hash_bits > 0 && !arg.empty() && arg[0] == '#';
  auto v = ParseInt64(positional ? arg.substr(1) : arg);
  if (!v) return std::nullopt;
  int64_t off = *v;
  // Redis multiplies in signed 64 bits and lets the product wrap; reproduce
  // that (in unsigned arithmetic, which is defined) so "#N" accepts and
  // rejects the same N.
  if (positional) off = int64_t(uint64_t(off) * uint64_t(hash_bits));
  if (off < 0 || (off >> 3) >= max_bytes) return std::nullopt;
  return uint64_t(off);
}

std::optional<FieldType> ParseFieldType(std::string_view arg) {
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u')) return std::nullopt;
  FieldType t;
  t.is_signed = arg[0] == 'i';
  auto bits = ParseInt64(arg.substr(1));
  if (!bits || *bits < 1 || *bits > (t.is_signed ? 64 : 63)) return std::nullopt;
  t.bits = int(*bits);
  return t;
}

int GetBit(std::string_view s, uint64_t offset) {
  uint64_t byte = offset >> 3;
  if (byte >= s.size()) return 0;
  return (uint8_t(s[byte]) >> (7 - (offset & 7))) & 1;
}

int SetBit(char* data, uint64_t offset, int value) {
  uint8_t* p = reinterpret_cast<uint8_t*>(data) + (offset >> 3);
  uint8_t mask = uint8_t(1u << (7 - (offset & 7)));
  int old = (*p & mask) ? 1 : 0;
  *p = value ? uint8_t(*p | mask) : uint8_t(*p & ~mask);
  return old;
}

BitRange ResolveRange(int64_t start, int64_t end, uint64_t len, bool bit_units,
                      bool reject_negative_reversed) {
  // len <= proto-max-bulk-len + 8, so the bit count fits easily.
  int64_t total = int64_t(bit_units ? len * 8 : len);
  if (reject_negative_reversed && start < 0 && end < 0 && start > end) return {};
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return {};
  BitRange r;
  r.empty = false;
  r.first = bit_units ? uint64_t(start) : uint64_t(start) * 8;
  r.last = bit_units ? uint64_t(end) : uint64_t(end) * 8 + 7;
  return r;
}

BitRange WholeRange(uint64_t len) {
  BitRange r;
  if (len == 0) return r;
  r.empty = false;
  r.first = 0;
  r.last = len * 8 - 1;
  return r;
}

namespace {

uint64_t PopcountBytes(const uint8_t* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    count += std::popcount(w);
  }
  for (; i < n; i++) count += std::popcount(p[i]);
  return count;
}

// Mask of the bits of a byte from bit `from` (0 = most significant) to the end.
uint8_t MaskFrom(uint64_t from) { return uint8_t(0xFFu >> (from & 7)); }
// Mask of the bits of a byte from the start up to bit `to` inclusive.
uint8_t MaskTo(uint64_t to) { return uint8_t(0xFFu << (7 - (to & 7))); }

}  // namespace

uint64_t CountBits(std::string_view s, BitRange r) {
  if (r.empty) return 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  uint64_t fb = r.first >> 3, lb = r.last >> 3;
  if (fb == lb) return std::popcount(uint8_t(p[fb] & MaskFrom(r.first) & MaskTo(r.last)));
  return std::popcount(uint8_t(p[fb] & MaskFrom(r.first))) +
         std::popcount(uint8_t(p[lb] & MaskTo(r.last))) + PopcountBytes(p + fb + 1, lb - fb - 1);
}

int64_t FindBit(std::string_view s, int bit, BitRange r) {
  if (r.empty) return -1;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  uint64_t pos = r.first;
  // Leading bits up to a byte boundary.
  for (; pos <= r.last && (pos & 7) != 0; pos++) {
    if (GetBit(s, pos) == bit) return int64_t(pos);
  }
  if (pos > r.last) return -1;
  // Whole bytes that cannot contain the bit are skipped a word at a time.
  uint64_t byte = pos >> 3;
  uint64_t end = (r.last + 1) >> 3;  // bytes [byte, end) lie wholly in the range
  const uint64_t skip_word = bit ? 0 : ~uint64_t(0);
  const uint8_t skip_byte = bit ? 0 : 0xFF;
  while (byte + 8 <= end) {
    uint64_t w;
    memcpy(&w, p + byte, 8);
    if (w != skip_word) break;
    byte += 8;
  }
  while (byte < end && p[byte] == skip_byte) byte++;
  // At most one byte holding the bit, or the partial last byte.
  for (pos = byte * 8; pos <= r.last; pos++) {
    if (GetBit(s, pos) == bit) return int64_t(pos);
  }
  return -1;
}

std::string BitOp(BitOpKind op, std::span<const std::string_view> sources) {
  size_t maxlen = 0, minlen = SIZE_MAX;
  for (std::string_view src : sources) {
    maxlen = std::max(maxlen, src.size());
    minlen = std::min(minlen, src.size());
  }
  std::string out(maxlen, '\0');
  if (sources.empty() || maxlen == 0) return out;
  uint8_t* o = reinterpret_cast<uint8_t*>(out.data());
  if (op == BitOpKind::kNot) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(sources[0].data());
    for (size_t i = 0; i < maxlen; i++) o[i] = uint8_t(~p[i]);
    return out;
  }
  // A missing key arrives as an empty view with a null data pointer.
  if (!sources[0].empty()) memcpy(o, sources[0].data(), sources[0].size());
  for (size_t k = 1; k < sources.size(); k++) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(sources[k].data());
    size_t n = sources[k].size();
    switch (op) {
      case BitOpKind::kAnd:
        for (size_t i = 0; i < n; i++) o[i] &= p[i];
        break;
      case BitOpKind::kOr:
        for (size_t i = 0; i < n; i++) o[i] |= p[i];
        break;
      case BitOpKind::kXor:
        for (size_t i = 0; i < n; i++) o[i] ^= p[i];
        break;
      case BitOpKind::kNot:
        break;
    }
  }
  // AND with a source that ended early: those bytes are zero.
  if (op == BitOpKind::kAnd) memset(o + minlen, 0, maxlen - minlen);
  return out;
}

uint64_t GetField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; i++) v = (v << 1) | uint64_t(GetBit(s, offset + uint64_t(i)));
  return v;
}

int64_t ToSigned(uint64_t raw, int bits) {
  if (bits == 64) return int64_t(raw);
  uint64_t sign = uint64_t(1) << (bits - 1);
  raw &= (sign << 1) - 1;
  return int64_t(raw ^ sign) - int64_t(sign);
}

void SetField(char* data, uint64_t offset, int bits, uint64_t value) {
  for (int i = 0; i < bits; i++) {
    SetBit(data, offset + uint64_t(i), int((value >> (bits - 1 - i)) & 1));
  }
}

namespace {

uint64_t UnsignedMax(int bits) { return (uint64_t(1) << bits) - 1; }  // bits <= 63
int64_t SignedMax(int bits) { return bits == 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1; }

// Applies the overflow policy to a result that left the type's range in
// direction `up` (or not, when !overflow). `wrapped` is the value reduced
// modulo 2^bits into the type.
FieldResult Resolve(FieldType t, bool overflow, bool up, int64_t exact, int64_t wrapped,
                    Overflow ov) {
  FieldResult r;
  if (!overflow) {
    r.value = exact;
    return r;
  }
  switch (ov) {
    case Overflow::kWrap:
      r.value = wrapped;
      break;
    case Overflow::kSat:
      if (t.is_signed) {
        r.value = up ? SignedMax(t.bits) : -SignedMax(t.bits) - 1;
      } else {
        r.value = up ? int64_t(UnsignedMax(t.bits)) : 0;
      }
      break;
    case Overflow::kFail:
      r.failed = true;
      break;
  }
  return r;
}

}  // namespace

FieldResult FieldSet(FieldType t, int64_t v, Overflow ov) {
  if (!t.is_signed) {
    // The value is taken as its 64-bit two's complement pattern: a negative
    // SET overflows upward (SAT stores the maximum), as in Redis.
    uint64_t u = uint64_t(v);
    bool up = u > UnsignedMax(t.bits);
    return Resolve(t, up, up, v, int64_t(u & UnsignedMax(t.bits)), ov);
  }
  if (t.bits == 64) return Resolve(t, false, false, v, v, ov);
  int64_t max = SignedMax(t.bits), min = -max - 1;
  // Redis decides the direction by comparing against max - v computed in
  // wrapping 64-bit arithmetic; for v below max - INT64_MAX that difference
  // wraps negative and the overflow counts as upward (SAT stores the maximum).
  bool up = v > max || v < max - INT64_MAX;
  bool down = !up && v < min;
  return Resolve(t, up || down, up, v, ToSigned(uint64_t(v), t.bits), ov);
}

FieldResult FieldIncr(FieldType t, int64_t old, int64_t incr, Overflow ov) {
  uint64_t wrapped_sum = uint64_t(old) + uint64_t(incr);
  bool out64 = (incr > 0 && old > INT64_MAX - incr) || (incr < 0 && old < INT64_MIN - incr);
  int64_t sum = out64 ? 0 : old + incr;
  if (!t.is_signed) {
    uint64_t max = UnsignedMax(t.bits);
    bool up = (out64 && incr > 0) || (!out64 && sum > int64_t(max));
    bool down = !out64 && sum < 0;
    return Resolve(t, up || down, up, sum, int64_t(wrapped_sum & max), ov);
  }
  int64_t max = SignedMax(t.bits), min = -max - 1;
  bool up = out64 ? incr > 0 : sum > max;
  bool down = out64 ? incr < 0 : sum < min;
  return Resolve(t, up || down, up, sum, ToSigned(wrapped_sum, t.bits), ov);
}

}  // namespace bitops

// ---- Commands ----

namespace {

using storage::Encoding;
using storage::Entry;
using storage::EntryBuilder;
using storage::HeapString;
using storage::ValueType;

std::optional<uint64_t> OffsetArg(CommandContext& ctx, std::string_view arg, int hash_bits) {
  auto off = bitops::ParseBitOffset(arg, hash_bits, ctx.config().proto_max_bulk_len());
  if (!off) ctx.Error(errors::kBitOffsetError);
  return off;
}

// Turns a string entry into a heap-buffer string (in place for the table),
// so bit writes modify it in amortized O(1). Returns the new entry.
Entry* MakeMutable(KeyGuard& g, Entry** link, size_t min_cap) {
  Entry* e = *link;
  if (e->encoding() == Encoding::kRawHeap) return e;
  char buf[32];
  std::string_view v = e->StringValue(buf);
  HeapString* h = storage::NewHeapString(v, std::max(min_cap, v.size()));
  Entry* n =
      EntryBuilder::HeapStr(g.key(), h, e->has_expire(), e->has_expire() ? e->expire_ms() : 0);
  g.shard().Overwrite(link, n);
  return n;
}

// The writable buffer of a string that the bit commands are about to modify,
// at least `len` bytes long (zero padded), creating the key if missing.
struct WritableString {
  HeapString* h = nullptr;
  bool grown = false;  // created, or lengthened: a change even if no bit flips
};

// Mirrors what Redis does before a bit write: the value is unshared into a
// raw string even when the write turns out to change nothing. Another type is
// WRONGTYPE.
Status PrepareWrite(KeyGuard& g, size_t len, WritableString* out) {
  Entry** link = g.FindLink();
  if (link == nullptr) {
    HeapString* h = storage::NewHeapString("", len);
    memset(h->data(), 0, len);
    h->len = len;
    g.Add(EntryBuilder::HeapStr(g.key(), h, false, 0));
    out->h = h;
    out->grown = true;
    return Status::Ok();
  }
  if (!Holds<Entry>((*link))) return Status::Error(errors::kWrongType);
  Entry* e = MakeMutable(g, link, len);
  HeapString* h = e->heap_string();
  if (h->len < len) {
    h = storage::GrowHeapString(h, len);
    memset(h->data() + h->len, 0, len - h->len);
    h->len = len;
    e->set_heap_string(h);
    out->grown = true;
  }
  out->h = h;
  return Status::Ok();
}

enum class FieldOpKind { kGet, kSet, kIncrBy };

struct FieldOp {
  FieldOpKind kind;
  bitops::FieldType type;
  uint64_t offset;
  int64_t arg;  // SET value or INCRBY increment
  bitops::Overflow overflow;
};

// ---------------------------------------------------------------- Operations
// What each bitmap write does to the keyspace, apart from parsing, notifying,
// propagating and replying: each takes a key whose shard lock the caller
// holds (or the locked database) and already-parsed values, and returns what
// the handler needs, or the error text from errors.h. None knows RESP.

// What SETBIT did: the bit's previous value, and whether the string changed
// (a bit flipped, or the string was created or lengthened).
struct SetBitResult {
  int old = 0;
  bool changed = false;
};

// Sets the bit at offset of the string at key to value (0 or 1).
StatusOr<SetBitResult> OpSetBit(KeyGuard& g, uint64_t offset, int value) {
  WritableString w;
  Status s = PrepareWrite(g, size_t(offset >> 3) + 1, &w);
  if (!s.ok()) return s;
  SetBitResult r;
  r.old = bitops::SetBit(w.h->data(), offset, value);
  r.changed = w.grown || r.old != value;
  return r;
}

// What BITOP did to its destination.
enum class BitOpChange { kNone, kStored, kDeleted };
struct BitOpResult {
  int64_t len = 0;  // the result's length in bytes
  BitOpChange change = BitOpChange::kNone;
};

// Stores op over sources at dest: as a raw string without a TTL, as Redis's
// BITOP stores it, or, when the result is empty, deletes dest (lazily when
// `lazy`). Missing sources arrive as empty views.
// REQUIRES: the shards of dest and the sources are locked.
StatusOr<BitOpResult> OpBitOp(storage::Database& db, std::string_view dest, bitops::BitOpKind op,
                              std::span<const std::string_view> sources, bool lazy) {
  std::string result = bitops::BitOp(op, sources);
  BitOpResult r;
  r.len = int64_t(result.size());
  uint64_t h = HashKey(dest);
  storage::Shard& sh = db.ShardFor(h);
  Entry** link = sh.FindLink(dest, h);
  if (!result.empty()) {
    HeapString* hs = storage::NewHeapString(result, result.size());
    Entry* e = EntryBuilder::HeapStr(dest, hs, false, 0);
    if (link != nullptr) {
      sh.Overwrite(link, e);
    } else {
      sh.Add(e, h);
    }
    r.change = BitOpChange::kStored;
  } else if (link != nullptr) {
    sh.Delete(link, lazy);
    r.change = BitOpChange::kDeleted;
  }
  return r;
}

// What BITFIELD's writes did: one reply per operation (nullopt: failed under
// OVERFLOW FAIL), how many operations changed the string, and whether it was
// created or grown.
struct BitFieldResult {
  std::vector<std::optional<int64_t>> replies;
  int64_t changes = 0;
  bool grown = false;
};

int64_t FieldValue(bitops::FieldType t, uint64_t raw) {
  return t.is_signed ? bitops::ToSigned(raw, t.bits) : int64_t(raw);
}

// Runs BITFIELD's operations in order on the string at key, first making it
// at least end_byte long. GET replies the field, SET its old value, INCRBY
// its new value.
StatusOr<BitFieldResult> OpBitField(KeyGuard& g, std::span<const FieldOp> ops, uint64_t end_byte) {
  WritableString w;
  Status st = PrepareWrite(g, size_t(end_byte), &w);
  if (!st.ok()) return st;
  std::string_view s(w.h->data(), w.h->len);
  BitFieldResult res;
  res.grown = w.grown;
  res.replies.reserve(ops.size());
  for (const FieldOp& op : ops) {
    uint64_t old = bitops::GetField(s, op.offset, op.type.bits);
    if (op.kind == FieldOpKind::kGet) {
      res.replies.push_back(FieldValue(op.type, old));
      continue;
    }
    bitops::FieldResult r;
    if (op.kind == FieldOpKind::kSet) {
      r = bitops::FieldSet(op.type, op.arg, op.overflow);
    } else {
      r = bitops::FieldIncr(op.type, FieldValue(op.type, old), op.arg, op.overflow);
    }
    if (r.failed) {
      res.replies.push_back(std::nullopt);
      continue;
    }
    uint64_t mask = op.type.bits == 64 ? ~uint64_t(0) : (uint64_t(1) << op.type.bits) - 1;
    uint64_t raw = uint64_t(r.value) & mask;
    bitops::SetField(w.h->data(), op.offset, op.type.bits, raw);
    // Redis counts an operation as a change when it altered the field or
    // when the string had to be created or grown for this command.
    if (w.grown || raw != old) res.changes++;
    res.replies.push_back(FieldValue(op.type, op.kind == FieldOpKind::kSet ? old : raw));
  }
  return res;
}

// ---------------------------------------------------------------- Handlers

// SETBIT key offset value
void CmdSetBit(CommandContext& ctx) {
  auto offset = OffsetArg(ctx, ctx.args[2], 0);
  if (!offset) return;
  auto value = ParseInt64(ctx.args[3]);
  if (!value || (*value != 0 && *value != 1)) {
    ctx.Error(errors::kBitValueError);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StatusOr<SetBitResult> r = OpSetBit(g, *offset, int(*value));
  if (!r.ok()) return ctx.Error(r.status().message());
  // Redis propagates and notifies only when the string actually changed.
  if (r->changed) {
    ctx.PropagateAsIs();
    ctx.Changed(ctx.args[1], "setbit", kNotifyString);
  }
  ctx.reply.Integer(r->old);
}

// GETBIT key offset
void CmdGetBit(CommandContext& ctx) {
  auto offset = OffsetArg(ctx, ctx.args[2], 0);
  if (!offset) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  char buf[32];
  ctx.reply.Integer(bitops::GetBit(e->StringValue(buf), *offset));
}

// Consumes BYTE | BIT (true for BIT); anything else is a syntax error.
bool UnitArg(ArgParser& p) {
  if (p.Check("BIT")) return true;
  if (!p.Check("BYTE")) p.Fail(errors::kSyntax);
  return false;
}

// BITCOUNT key [start end [BYTE | BIT]]
void CmdBitCount(CommandContext& ctx) {
  // Redis 7.0 looks the key up before parsing the range: a missing key
  // answers 0 whatever the other arguments are.
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  char buf[32];
  std::string_view s = e->StringValue(buf);
  size_t argc = ctx.args.size();
  bitops::BitRange range;
  if (argc == 4 || argc == 5) {
    ArgParser p(ctx.args, 2);
    int64_t start = p.Next<int64_t>();
    int64_t end = p.Next<int64_t>();
    bool bit_units = p.HasNext() && UnitArg(p);
    if (!p.ok()) return ctx.Error(p.error());
    range = bitops::ResolveRange(start, end, s.size(), bit_units, true);
  } else if (argc == 2) {
    range = bitops::WholeRange(s.size());
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  ctx.reply.Integer(int64_t(bitops::CountBits(s, range)));
}

// BITPOS key bit [start [end [BYTE | BIT]]]
void CmdBitPos(CommandContext& ctx) {
  auto bit = IntArg(ctx, ctx.args[2]);
  if (!bit) return;
  if (*bit != 0 && *bit != 1) {
    ctx.Error(errors::kBitArgError);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  Entry* e;
  if (!LookupForRead<Entry>(ctx, g, &e)) return;
  if (e == nullptr) {
    // A missing key is an infinite run of zero bits.
    ctx.reply.Integer(*bit ? -1 : 0);
    return;
  }
  char buf[32];
  std::string_view s = e->StringValue(buf);
  size_t argc = ctx.args.size();
  bool end_given = false;
  bitops::BitRange range;
  if (argc >= 4 && argc <= 6) {
    ArgParser p(ctx.args, 3);
    int64_t start = p.Next<int64_t>();
    // Redis checks BYTE | BIT before it parses end.
    bool bit_units = false;
    if (p.ok() && argc == 6) {
      ArgParser unit(ctx.args, 5);
      bit_units = UnitArg(unit);
      if (!unit.ok()) p.Fail(unit.error());
    }
    int64_t end = -1;
    if (argc >= 5) {
      end = p.Next<int64_t>();
      end_given = true;
    }
    if (!p.ok()) return ctx.Error(p.error());
    range = bitops::ResolveRange(start, end, s.size(), bit_units, false);
  } else if (argc == 3) {
    range = bitops::WholeRange(s.size());
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  int64_t pos = bitops::FindBit(s, int(*bit), range);
  // Looking for a clear bit without an explicit end treats the string as
  // padded with zeros: the answer is the first bit past the range.
  if (pos < 0 && *bit == 0 && !end_given && !range.empty) pos = int64_t(range.last + 1);
  ctx.reply.Integer(pos);
}

// BITOP AND | OR | XOR | NOT destkey key [key ...]
void CmdBitOp(CommandContext& ctx) {
  ArgParser p(ctx.args, 1);
  bitops::BitOpKind op = bitops::BitOpKind::kAnd;
  if (p.Check("AND")) {
    op = bitops::BitOpKind::kAnd;
  } else if (p.Check("OR")) {
    op = bitops::BitOpKind::kOr;
  } else if (p.Check("XOR")) {
    op = bitops::BitOpKind::kXor;
  } else if (p.Check("NOT")) {
    op = bitops::BitOpKind::kNot;
  } else {
    ctx.Error(errors::kSyntax);
    return;
  }
  if (op == bitops::BitOpKind::kNot && ctx.args.size() != 4) {
    ctx.Error(errors::kBitopNotError);
    return;
  }
  std::string_view dest = ctx.args[2];
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 2; i < ctx.args.size(); i++) locks.AddKey(db, ctx.args[i]);
  locks.Acquire();

  // The sources are read (and counted as keyspace hits or misses) up to the
  // first of another type.
  size_t nsrc = ctx.args.size() - 3;
  std::vector<std::array<char, 32>> bufs(nsrc);  // text of int-encoded sources
  std::vector<std::string_view> sources(nsrc);
  for (size_t i = 0; i < nsrc; i++) {
    std::string_view key = ctx.args[3 + i];
    uint64_t h = HashKey(key);
    Entry* e = db.ShardFor(h).Find(key, h);
    CountHit(ctx, key, e != nullptr);
    if (e == nullptr) continue;  // a missing key is an empty string
    if (!Holds<Entry>(e)) {
      ctx.Error(errors::kWrongType);
      return;
    }
    sources[i] = e->StringValue(bufs[i].data());
  }
  StatusOr<BitOpResult> r = OpBitOp(db, dest, op, sources, ctx.config().lazyfree_lazy_server_del());
  if (!r.ok()) return ctx.Error(r.status().message());
  switch (r->change) {
    case BitOpChange::kStored:
      ctx.PropagateAsIs();
      ctx.Changed(dest, "set", kNotifyString);
      break;
    case BitOpChange::kDeleted:
      ctx.PropagateAsIs();
      ctx.Changed(dest, "del", kNotifyGeneric);
      break;
    case BitOpChange::kNone:
      // An empty result with no destination to delete changes nothing: Redis
      // does not propagate it.
      break;
  }
  ctx.reply.Integer(r->len);
}

// Parses the BITFIELD subcommands from args[2]; replies an error and returns
// false on the first bad one. *writes tells whether any SET/INCRBY appeared,
// *end_byte the string length the writes need.
bool ParseFieldOps(CommandContext& ctx, std::vector<FieldOp>* ops, bool* writes,
                   uint64_t* end_byte) {
  bitops::Overflow overflow = bitops::Overflow::kWrap;
  *writes = false;
  *end_byte = 0;
  const int64_t max_bytes = ctx.config().proto_max_bulk_len();
  ArgParser p(ctx.args, 2);
  while (p.HasNext()) {
    FieldOp op{};
    // remaining() counts the subcommand itself.
    if (p.remaining() >= 3 && p.Check("GET")) {
      op.kind = FieldOpKind::kGet;
    } else if (p.remaining() >= 4 && p.Check("SET")) {
      op.kind = FieldOpKind::kSet;
    } else if (p.remaining() >= 4 && p.Check("INCRBY")) {
      op.kind = FieldOpKind::kIncrBy;
    } else if (p.remaining() >= 2 && p.Check("OVERFLOW")) {
      if (p.Check("WRAP")) {
        overflow = bitops::Overflow::kWrap;
      } else if (p.Check("SAT")) {
        overflow = bitops::Overflow::kSat;
      } else if (p.Check("FAIL")) {
        overflow = bitops::Overflow::kFail;
      } else {
        p.Fail(errors::kOverflowTypeError);
      }
      continue;
    } else {
      p.Fail(errors::kSyntax);
      break;
    }
    auto type = bitops::ParseFieldType(p.Next<std::string_view>());
    if (!type) {
      p.Fail(errors::kFieldTypeError);
      break;
    }
    auto offset = bitops::ParseBitOffset(p.Next<std::string_view>(), type->bits, max_bytes);
    if (!offset) {
      p.Fail(errors::kBitOffsetError);
      break;
    }
    op.type = *type;
    op.offset = *offset;
    op.overflow = overflow;
    if (op.kind != FieldOpKind::kGet) {
      *writes = true;
      *end_byte = std::max(*end_byte, ((op.offset + uint64_t(type->bits) - 1) >> 3) + 1);
      op.arg = p.Next<int64_t>();
    }
    ops->push_back(op);
  }
  if (!p.ok()) {
    ctx.Error(p.error());
    return false;
  }
  return true;
}

// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL]
//     SET encoding offset value | INCRBY encoding offset increment ...]
// BITFIELD_RO key [GET encoding offset ...]
void BitFieldGeneric(CommandContext& ctx, bool read_only_cmd) {
  std::vector<FieldOp> ops;
  bool writes;
  uint64_t end_byte;
  if (!ParseFieldOps(ctx, &ops, &writes, &end_byte)) return;
  KeyGuard g(ctx.db(), ctx.args[1]);
  if (!writes) {
    Entry* e;
    if (!LookupForRead<Entry>(ctx, g, &e)) return;
    char buf[32];
    std::string_view s = e == nullptr ? std::string_view() : e->StringValue(buf);
    ctx.reply.ArrayHeader(ops.size());
    for (const FieldOp& op : ops) {
      ctx.reply.Integer(FieldValue(op.type, bitops::GetField(s, op.offset, op.type.bits)));
    }
    return;
  }
  if (read_only_cmd) {
    ctx.Error(errors::kBitfieldRoError);
    return;
  }
  StatusOr<BitFieldResult> r = OpBitField(g, ops, end_byte);
  if (!r.ok()) return ctx.Error(r.status().message());
  ctx.reply.ArrayHeader(r->replies.size());
  for (const std::optional<int64_t>& v : r->replies) {
    if (v) {
      ctx.reply.Integer(*v);
    } else {
      ctx.reply.Null();
    }
  }
  if (r->changes > 0) {
    ctx.PropagateAsIs();
    // Redis's dirty counter grows by one per changing operation.
    ctx.host.AddDirty(r->changes - 1);
    ctx.Changed(ctx.args[1], "setbit", kNotifyString);
  } else if (r->grown) {
    // Every write failed under OVERFLOW FAIL but the key was still created or
    // zero-padded. Redis neither propagates nor notifies here, leaving its
    // replicas without the key; we propagate so replicas and the AOF match.
    ctx.PropagateAsIs();
  }
}

// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] ...]
void CmdBitField(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
// BITFIELD_RO key [GET encoding offset ...]
void CmdBitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

}  // namespace

void RegisterBitopsFamily(CommandTable& t) {
  t.Add(Spec("bitmap", "setbit", 4, kWrite | kDenyOom, 1, 1, 1, "@write @bitmap @slow", CmdSetBit));
  t.Add(Spec("bitmap", "getbit", 3, kReadOnly | kFast, 1, 1, 1, "@read @bitmap @fast", CmdGetBit));
  t.Add(Spec("bitmap", "bitcount", -2, kReadOnly, 1, 1, 1, "@read @bitmap @slow", CmdBitCount));
  t.Add(Spec("bitmap", "bitpos", -3, kReadOnly, 1, 1, 1, "@read @bitmap @slow", CmdBitPos));
  t.Add(Spec("bitmap", "bitop", -4, kWrite | kDenyOom, 2, -1, 1, "@write @bitmap @slow", CmdBitOp));
  t.Add(Spec("bitmap", "bitfield", -2, kWrite | kDenyOom, 1, 1, 1, "@write @bitmap @slow",
             CmdBitField));
  t.Add(Spec("bitmap", "bitfield_ro", -2, kReadOnly | kFast, 1, 1, 1, "@read @bitmap @fast",
             CmdBitFieldRo));
}

}  // namespace basalt::commands
