#include "persistence/digest.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <cstring>
#include <string_view>

#include "storage/entry.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/object.h"
#include "storage/set_type.h"
#include "storage/stream_type.h"
#include "storage/zset_type.h"

namespace basalt::persistence {
namespace {

using storage::Entry;
using storage::ValueType;

// Fixed seeds: digests must compare across processes and machines.
constexpr uint64_t kValueSeed = 0x6261736174747631ULL;   // value streams
constexpr uint64_t kKeySeed = 0x62617361746b6579ULL;     // key streams
constexpr uint64_t kMemberSeed = 0x626173616d656d62ULL;  // set members
constexpr uint64_t kFieldSeed = 0x6261736166696c64ULL;   // hash fields
constexpr uint64_t kTailSeed = 0x626173617461696cULL;    // the last 4 bytes

// Type tags, so equal bytes under different types differ.
constexpr uint8_t kTagString = 's', kTagList = 'l', kTagSet = 'S', kTagZSet = 'z', kTagHash = 'h',
                  kTagStream = 'x';

void PutLe64(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(v >> (8 * i));
}

// An XXH3-128 stream with length-prefixed fields.
class Stream {
 public:
  explicit Stream(uint64_t seed) {
    // A state on the stack must be initialized before a seeded reset: that
    // reset skips deriving the seed's secret when the (garbage) state already
    // names the same seed, and then hashes with whatever secret bytes the
    // stack held. The digest of one value then depended on what ran on the
    // thread before it (seen as false differences in the consistency check).
    XXH3_INITSTATE(&state_);
    XXH3_128bits_reset_withSeed(&state_, seed);
  }
  void Bytes(const void* p, size_t n) { XXH3_128bits_update(&state_, p, n); }
  void U64(uint64_t v) {
    uint8_t b[8];
    PutLe64(v, b);
    Bytes(b, sizeof(b));
  }
  void Str(std::string_view s) {
    U64(s.size());
    Bytes(s.data(), s.size());
  }
  void Hash128(XXH128_hash_t h) {
    U64(h.low64);
    U64(h.high64);
  }
  Digest Finish() {
    const XXH128_hash_t h = XXH3_128bits_digest(&state_);
    Digest d;
    PutLe64(h.low64, d.data());
    PutLe64(h.high64, d.data() + 8);
    const uint64_t tail = XXH3_64bits_withSeed(d.data(), 16, kTailSeed);
    for (int i = 0; i < 4; ++i) d[16 + i] = uint8_t(tail >> (8 * i));
    return d;
  }

 private:
  XXH3_state_t state_;
};

// Order-independent accumulation of 128-bit element hashes: a lane-wise sum
// (unlike XOR, two equal elements would not cancel; members are unique anyway).
struct LaneSum {
  uint64_t lo = 0, hi = 0;
  void Add(XXH128_hash_t h) {
    lo += h.low64;
    hi += h.high64;
  }
  XXH128_hash_t value() const { return XXH128_hash_t{lo, hi}; }
};

// A -0 score is +0: the listpack encoding cannot tell them apart.
uint64_t ScoreBits(double score) {
  if (score == 0) score = 0;
  uint64_t bits;
  std::memcpy(&bits, &score, sizeof(bits));
  return bits;
}

void DigestContents(const Entry& e, Stream* s) {
  if (e.type() == ValueType::kString) {
    char buf[32];
    s->Bytes(&kTagString, 1);
    s->Str(e.StringValue(buf));
    return;
  }
  const storage::Object* obj = e.obj();
  switch (e.type()) {
    case ValueType::kList: {
      const auto* list = static_cast<const storage::ListObject*>(obj);
      s->Bytes(&kTagList, 1);
      s->U64(list->Size());
      for (auto it = list->Begin(); it.Valid(); it.Next()) s->Str(it.value());
      return;
    }
    case ValueType::kSet: {
      const auto* set = static_cast<const storage::SetObject*>(obj);
      LaneSum sum;
      set->ForEach([&sum](std::string_view m) {
        sum.Add(XXH3_128bits_withSeed(m.data(), m.size(), kMemberSeed));
        return true;
      });
      s->Bytes(&kTagSet, 1);
      s->U64(set->Size());
      s->Hash128(sum.value());
      return;
    }
    case ValueType::kZSet: {
      // (score, member) order is canonical, so the members are streamed.
      const auto* zset = static_cast<const storage::ZSetObject*>(obj);
      s->Bytes(&kTagZSet, 1);
      s->U64(zset->Size());
      for (auto it = zset->AtRank(0); it.Valid(); it.Next()) {
        s->Str(it.member());
        s->U64(ScoreBits(it.score()));
      }
      return;
    }
    case ValueType::kHash: {
      const auto* hash = static_cast<const storage::HashObject*>(obj);
      LaneSum sum;
      // The field's hash seeds the value's, so (field, value) is one unit.
      hash->ForEach([&sum](std::string_view f, std::string_view v) {
        const uint64_t fh = XXH3_64bits_withSeed(f.data(), f.size(), kFieldSeed);
        sum.Add(XXH3_128bits_withSeed(v.data(), v.size(), fh));
      });
      s->Bytes(&kTagHash, 1);
      s->U64(hash->Size());
      s->Hash128(sum.value());
      return;
    }
    case ValueType::kStream: {
      // Entries in ID order, the stream's IDs and counters, then the groups
      // (by name) with their PELs and consumers.
      const auto* st = static_cast<const storage::StreamObject*>(obj);
      s->Bytes(&kTagStream, 1);
      s->U64(st->Size());
      auto id = [s](const storage::StreamID& i) {
        s->U64(i.ms);
        s->U64(i.seq);
      };
      st->Range(storage::StreamID{}, storage::StreamID::Max(), false,
                [&](const storage::StreamID& i, const storage::StreamObject::Fields& f) {
                  id(i);
                  s->U64(f.size());
                  for (const auto& [k, v] : f) {
                    s->Str(k);
                    s->Str(v);
                  }
                  return true;
                });
      id(st->last_id());
      id(st->max_deleted_id());
      s->U64(st->entries_added());
      s->U64(st->groups().size());
      for (const auto& [name, g] : st->groups()) {
        s->Str(name);
        id(g.last_id);
        s->U64(uint64_t(g.entries_read));
        s->U64(g.pel.size());
        for (const auto& [pid, p] : g.pel) {
          id(pid);
          s->Str(p.consumer);
          s->U64(p.delivery_count);
          s->U64(uint64_t(p.delivery_time));
        }
        s->U64(g.consumers.size());
        for (const auto& [cname, c] : g.consumers) s->Str(cname);
      }
      return;
    }
    case ValueType::kString:
      break;
  }
}

}  // namespace

Digest DigestValue(const storage::Entry& e) {
  Stream s(kValueSeed);
  DigestContents(e, &s);
  return s.Finish();
}

std::string DigestHex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(d.size() * 2, '0');
  for (size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 15];
  }
  return out;
}

void DatasetDigest::Add(int db, const storage::Entry& e) {
  const Digest value = DigestValue(e);
  Stream s(kKeySeed);
  s.U64(uint64_t(int64_t(db)));
  s.Str(e.key());
  s.Bytes(value.data(), value.size());
  const uint8_t has_expire = e.has_expire() ? 1 : 0;
  s.Bytes(&has_expire, 1);
  if (has_expire) s.U64(uint64_t(e.expire_ms()));
  const Digest d = s.Finish();
  uint64_t lo = 0, hi = 0;
  uint32_t tail = 0;
  for (int i = 0; i < 8; ++i) {
    lo |= uint64_t(d[i]) << (8 * i);
    hi |= uint64_t(d[8 + i]) << (8 * i);
  }
  for (int i = 0; i < 4; ++i) tail |= uint32_t(d[16 + i]) << (8 * i);
  lo_ += lo;
  hi_ += hi;
  tail_ += tail;
  ++keys_;
}

void DatasetDigest::Merge(const DatasetDigest& other) {
  lo_ += other.lo_;
  hi_ += other.hi_;
  tail_ += other.tail_;
  keys_ += other.keys_;
}

Digest DatasetDigest::Bytes() const {
  Digest d{};
  if (keys_ == 0) return d;
  PutLe64(lo_, d.data());
  PutLe64(hi_, d.data() + 8);
  for (int i = 0; i < 4; ++i) d[16 + i] = uint8_t(tail_ >> (8 * i));
  return d;
}

}  // namespace basalt::persistence
