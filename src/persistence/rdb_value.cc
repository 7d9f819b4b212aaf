#include "persistence/rdb_value.h"

#include "persistence/rdb_stream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/numbers.h"
#include "config/config.h"
#include "persistence/crc64.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/zset_type.h"

namespace basalt::persistence {

using storage::Entry;
using storage::EntryBuilder;
using storage::HashObject;
using storage::ListObject;
using storage::SetObject;
using storage::ValueType;
using storage::ZMemberScore;
using storage::ZSetObject;

namespace {

constexpr size_t kNoLimit = SIZE_MAX;

// ---------------------------------------------------------------------------
// Encoding

// Whether a list node of `count` elements and `bytes` listpack bytes respects
// the fill factor, mirroring ListObject's node limits (Redis's
// list-max-listpack-size semantics: > 0 counts elements, with an 8 KiB
// safety cap; < 0 selects a 4..64 KiB size class).
bool NodeFits(int64_t fill, size_t count, size_t bytes) {
  if (count <= 1) return true;
  if (fill >= 0) return int64_t(count) <= std::clamp<int64_t>(fill, 1, 1 << 15) && bytes <= 8192;
  int64_t level = std::min<int64_t>(-fill, 5);
  return bytes <= (size_t(4096) << (level - 1));
}

void EncodeList(const ListObject& list, RdbEncoder& enc) {
  // First pass: plan the node boundaries, so the node count can be written
  // before the nodes without holding every encoded node in memory.
  struct Node {
    size_t count;
    bool plain;
  };
  std::vector<Node> plan;
  size_t cur_count = 0, cur_bytes = 7;  // listpack header + terminator
  for (auto it = list.Begin(); it.Valid(); it.Next()) {
    std::string_view v = it.value();
    if (v.size() >= kQuicklistPlainThreshold) {
      if (cur_count > 0) plan.push_back({cur_count, false});
      plan.push_back({1, true});
      cur_count = 0;
      cur_bytes = 7;
      continue;
    }
    size_t es = ListpackWriter::EntrySize(v);
    if (cur_count > 0 && !NodeFits(list.fill(), cur_count + 1, cur_bytes + es)) {
      plan.push_back({cur_count, false});
      cur_count = 0;
      cur_bytes = 7;
    }
    cur_count++;
    cur_bytes += es;
  }
  if (cur_count > 0) plan.push_back({cur_count, false});

  enc.Length(plan.size());
  ListpackWriter lp;
  auto it = list.Begin();
  for (const Node& n : plan) {
    if (n.plain) {
      enc.Length(kQuicklistNodePlain);
      enc.String(it.value());
      it.Next();
      continue;
    }
    enc.Length(kQuicklistNodePacked);
    lp.Clear();
    for (size_t i = 0; i < n.count; i++, it.Next()) lp.Add(it.value());
    enc.String(lp.Finish());
  }
}

void EncodeSet(const SetObject& set, RdbEncoder& enc) {
  if (set.is_intset()) {
    std::vector<int64_t> ints;
    ints.reserve(set.Size());
    set.ForEach([&](std::string_view m) {
      ints.push_back(ParseInt64(m).value_or(0));
      return true;
    });
    enc.String(EncodeIntset(ints));
    return;
  }
  enc.Length(set.Size());
  set.ForEach([&](std::string_view m) {
    enc.String(m);
    return true;
  });
}

// A listpack score as Redis stores it: integral values as integers, others
// as the %.17g text (which reads back to the same double). -0 cannot be held
// by a listpack (Basalt stores it as 0 already).
void AddListpackScore(ListpackWriter& lp, double score) {
  if (score == 0) {
    lp.AddInt(0);
  } else if (std::trunc(score) == score && std::fabs(score) < 9007199254740992.0) {  // 2^53
    lp.AddInt(int64_t(score));
  } else {
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.17g", score);
    lp.Add(std::string_view(buf, size_t(n)));
  }
}

void EncodeZSet(const ZSetObject& z, RdbEncoder& enc) {
  if (z.is_listpack()) {
    ListpackWriter lp;
    for (auto it = z.AtRank(0); it.Valid(); it.Next()) {
      lp.Add(it.member());
      AddListpackScore(lp, it.score());
    }
    enc.String(lp.Finish());
    return;
  }
  // Highest first: each loaded element then lands at the head of the skiplist.
  enc.Length(z.Size());
  if (z.Size() == 0) return;
  for (auto it = z.AtRank(z.Size() - 1); it.Valid(); it.Prev()) {
    enc.String(it.member());
    enc.BinaryDouble(it.score());
  }
}

void EncodeHash(const HashObject& h, RdbEncoder& enc) {
  if (h.is_listpack()) {
    ListpackWriter lp;
    h.ForEach([&](std::string_view f, std::string_view v) {
      lp.Add(f);
      lp.Add(v);
    });
    enc.String(lp.Finish());
    return;
  }
  enc.Length(h.Size());
  h.ForEach([&](std::string_view f, std::string_view v) {
    enc.String(f);
    enc.String(v);
  });
}

// ---------------------------------------------------------------------------
// Decoding

Entry* MakeEntry(std::string_view key, ValueType type, std::unique_ptr<storage::Object> obj,
                 bool has_expire, int64_t expire_ms) {
  return EntryBuilder::Object(key, type, obj.release(), has_expire, expire_ms);
}

// Appends listpack or ziplist elements to a list.
void PushItems(ListObject* list, const std::vector<PackedItem>& items) {
  char buf[24];
  for (const PackedItem& it : items) list->PushBack(it.Text(buf));
}

StatusOr<Entry*> DecodeList(uint8_t type, RdbSource& src, std::string_view key, bool has_expire,
                            int64_t expire_ms, const RdbLimits& limits) {
  auto list = std::make_unique<ListObject>(limits.list_max_listpack_size);
  std::string s;
  std::vector<PackedItem> items;
  if (type == kRdbTypeList) {
    uint64_t n;
    if (Status st = ReadLength(src, &n); !st.ok()) return st;
    for (uint64_t i = 0; i < n; i++) {
      if (Status st = ReadString(src, &s); !st.ok()) return st;
      list->PushBack(s);
    }
  } else if (type == kRdbTypeListZiplist) {
    if (Status st = ReadString(src, &s); !st.ok()) return st;
    if (Status st = ParseZiplist(s, &items); !st.ok()) return src.Corrupt(st.message());
    PushItems(list.get(), items);
  } else {  // LIST_QUICKLIST (ziplist nodes) or LIST_QUICKLIST_2
    uint64_t nodes;
    if (Status st = ReadLength(src, &nodes); !st.ok()) return st;
    for (uint64_t i = 0; i < nodes; i++) {
      uint64_t container = kQuicklistNodePacked;
      if (type == kRdbTypeListQuicklist2) {
        if (Status st = ReadLength(src, &container); !st.ok()) return st;
        if (container != kQuicklistNodePlain && container != kQuicklistNodePacked) {
          return src.Corrupt("Unknown quicklist node container " + std::to_string(container));
        }
      }
      if (Status st = ReadString(src, &s); !st.ok()) return st;
      if (container == kQuicklistNodePlain) {
        list->PushBack(s);
        continue;
      }
      items.clear();
      Status st =
          type == kRdbTypeListQuicklist2 ? ParseListpack(s, &items) : ParseZiplist(s, &items);
      if (!st.ok()) return src.Corrupt(st.message());
      // Empty nodes are skipped silently, as Redis does; an empty list as a
      // whole is still an empty key.
      PushItems(list.get(), items);
    }
  }
  if (list->Size() == 0) return static_cast<Entry*>(nullptr);
  return MakeEntry(key, ValueType::kList, std::move(list), has_expire, expire_ms);
}

StatusOr<Entry*> DecodeSet(uint8_t type, RdbSource& src, std::string_view key, bool has_expire,
                           int64_t expire_ms, const RdbLimits& limits) {
  auto set = std::make_unique<SetObject>();
  size_t max_intset = limits.set_max_intset_entries;
  if (type == kRdbTypeSet) {
    uint64_t n;
    if (Status st = ReadLength(src, &n); !st.ok()) return st;
    // Too many members for an intset: start as a hashtable, as Redis does.
    if (n > max_intset) set->ConvertToHashTable();
    std::string m;
    for (uint64_t i = 0; i < n; i++) {
      if (Status st = ReadString(src, &m); !st.ok()) return st;
      if (!set->Add(m, max_intset)) return src.Corrupt("Duplicate set members detected");
    }
  } else {  // SET_INTSET
    std::string blob;
    if (Status st = ReadString(src, &blob); !st.ok()) return st;
    std::vector<int64_t> ints;
    if (Status st = ParseIntset(blob, &ints); !st.ok()) return src.Corrupt(st.message());
    if (ints.size() > max_intset) set->ConvertToHashTable();
    char buf[24];
    for (int64_t v : ints) set->Add(std::string_view(buf, FormatInt64(v, buf)), kNoLimit);
  }
  if (set->Size() == 0) return static_cast<Entry*>(nullptr);
  return MakeEntry(key, ValueType::kSet, std::move(set), has_expire, expire_ms);
}

// Sorts (member, score) pairs into ZSetObject order, rejecting duplicate
// members, and builds the set with the given limits.
StatusOr<std::unique_ptr<ZSetObject>> BuildZSet(RdbSource& src,
                                                std::vector<std::pair<std::string, double>>& in,
                                                const ZSetObject::Limits& limits) {
  std::vector<ZMemberScore> items;
  items.reserve(in.size());
  for (const auto& [m, s] : in) items.push_back({m, s});
  std::sort(items.begin(), items.end(),
            [](const ZMemberScore& a, const ZMemberScore& b) { return a.member < b.member; });
  for (size_t i = 1; i < items.size(); i++) {
    if (items[i].member == items[i - 1].member) {
      return src.Corrupt("Duplicate zset members detected");
    }
  }
  std::sort(items.begin(), items.end(), [](const ZMemberScore& a, const ZMemberScore& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  return ZSetObject::FromSorted(items, limits);
}

std::optional<double> ParseScoreText(std::string_view s) {
  if (s.empty() || s.size() > 300) return std::nullopt;
  char buf[320];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  double d = strtod(buf, &end);
  if (end != buf + s.size()) return std::nullopt;
  return d;
}

StatusOr<Entry*> DecodeZSet(uint8_t type, RdbSource& src, std::string_view key, bool has_expire,
                            int64_t expire_ms, const RdbLimits& limits) {
  std::vector<std::pair<std::string, double>> pairs;
  ZSetObject::Limits zl{limits.zset_max_listpack_entries, limits.zset_max_listpack_value};
  if (type == kRdbTypeZSet || type == kRdbTypeZSet2) {
    uint64_t n;
    if (Status st = ReadLength(src, &n); !st.ok()) return st;
    std::string m;
    for (uint64_t i = 0; i < n; i++) {
      if (Status st = ReadString(src, &m); !st.ok()) return st;
      double score;
      Status st =
          type == kRdbTypeZSet2 ? ReadBinaryDouble(src, &score) : ReadTextDouble(src, &score);
      if (!st.ok()) return st;
      if (std::isnan(score)) return src.Corrupt("Zset with NAN score detected");
      pairs.emplace_back(std::move(m), score);
    }
  } else {  // ZSET_ZIPLIST / ZSET_LISTPACK: member, score, member, score...
    std::string blob;
    if (Status st = ReadString(src, &blob); !st.ok()) return st;
    std::vector<PackedItem> items;
    Status st =
        type == kRdbTypeZSetListpack ? ParseListpack(blob, &items) : ParseZiplist(blob, &items);
    if (!st.ok()) return src.Corrupt(st.message());
    if (items.size() % 2 != 0) return src.Corrupt("Zset listpack with an odd element count");
    char buf[24];
    for (size_t i = 0; i < items.size(); i += 2) {
      double score;
      if (items[i + 1].is_int) {
        score = double(items[i + 1].num);
      } else {
        std::optional<double> d = ParseScoreText(items[i + 1].str);
        if (!d || std::isnan(*d)) return src.Corrupt("Bad zset score");
        score = *d;
      }
      pairs.emplace_back(std::string(items[i].Text(buf)), score);
    }
    // Redis keeps a loaded listpack whatever its element sizes; only the
    // entry count sends it to a skiplist.
    zl.max_value = kNoLimit;
  }
  if (pairs.empty()) return static_cast<Entry*>(nullptr);
  auto z = BuildZSet(src, pairs, zl);
  if (!z.ok()) return z.status();
  return MakeEntry(key, ValueType::kZSet, std::move(*z), has_expire, expire_ms);
}

StatusOr<Entry*> DecodeHash(uint8_t type, RdbSource& src, std::string_view key, bool has_expire,
                            int64_t expire_ms, const RdbLimits& limits) {
  auto hash = std::make_unique<HashObject>();
  storage::HashLimits hl{limits.hash_max_listpack_entries, limits.hash_max_listpack_value};
  if (type == kRdbTypeHash) {
    uint64_t n;
    if (Status st = ReadLength(src, &n); !st.ok()) return st;
    if (n > hl.max_listpack_entries) hash->ConvertToTable();
    std::string f, v;
    for (uint64_t i = 0; i < n; i++) {
      if (Status st = ReadString(src, &f); !st.ok()) return st;
      if (Status st = ReadString(src, &v); !st.ok()) return st;
      // Set converts to a hashtable past the value length limit, as Redis's
      // loader does for each pair.
      if (!hash->Set(f, v, hl)) return src.Corrupt("Duplicate hash fields detected");
    }
  } else {
    std::string blob;
    if (Status st = ReadString(src, &blob); !st.ok()) return st;
    std::vector<std::string_view> kv;
    std::vector<PackedItem> items;
    if (type == kRdbTypeHashZipmap) {
      if (Status st = ParseZipmap(blob, &kv); !st.ok()) return src.Corrupt(st.message());
    } else {
      Status st =
          type == kRdbTypeHashListpack ? ParseListpack(blob, &items) : ParseZiplist(blob, &items);
      if (!st.ok()) return src.Corrupt(st.message());
      if (items.size() % 2 != 0) return src.Corrupt("Hash listpack with an odd element count");
    }
    size_t pairs = (kv.size() + items.size()) / 2;
    if (pairs > hl.max_listpack_entries) hash->ConvertToTable();
    storage::HashLimits keep{kNoLimit, kNoLimit};
    size_t maxlen = 0;
    char fbuf[24], vbuf[24];
    for (size_t i = 0; i < pairs; i++) {
      std::string_view f = kv.empty() ? items[2 * i].Text(fbuf) : kv[2 * i];
      std::string_view v = kv.empty() ? items[2 * i + 1].Text(vbuf) : kv[2 * i + 1];
      maxlen = std::max({maxlen, f.size(), v.size()});
      if (!hash->Set(f, v, keep)) return src.Corrupt("Duplicate hash fields detected");
    }
    // A zipmap is converted like a fresh hash (element sizes count too); a
    // ziplist or listpack is kept unless it has too many entries.
    if (type == kRdbTypeHashZipmap && maxlen > hl.max_listpack_value) hash->ConvertToTable();
  }
  if (hash->Size() == 0) return static_cast<Entry*>(nullptr);
  return MakeEntry(key, ValueType::kHash, std::move(hash), has_expire, expire_ms);
}

}  // namespace

uint8_t RdbTypeOf(const Entry& e) {
  switch (e.type()) {
    case ValueType::kString:
      return kRdbTypeString;
    case ValueType::kList:
      return kRdbTypeListQuicklist2;
    case ValueType::kSet:
      return static_cast<const SetObject*>(e.obj())->is_intset() ? kRdbTypeSetIntset : kRdbTypeSet;
    case ValueType::kZSet:
      return static_cast<const ZSetObject*>(e.obj())->is_listpack() ? kRdbTypeZSetListpack
                                                                    : kRdbTypeZSet2;
    case ValueType::kHash:
      return static_cast<const HashObject*>(e.obj())->is_listpack() ? kRdbTypeHashListpack
                                                                    : kRdbTypeHash;
    case ValueType::kStream:
      break;
  }
  return kRdbTypeStreamListpacks2;
}

void EncodeValuePayload(const Entry& e, RdbEncoder& enc) {
  switch (e.type()) {
    case ValueType::kString: {
      char buf[24];
      enc.String(e.StringValue(buf));
      return;
    }
    case ValueType::kList:
      EncodeList(*static_cast<const ListObject*>(e.obj()), enc);
      return;
    case ValueType::kSet:
      EncodeSet(*static_cast<const SetObject*>(e.obj()), enc);
      return;
    case ValueType::kZSet:
      EncodeZSet(*static_cast<const ZSetObject*>(e.obj()), enc);
      return;
    case ValueType::kHash:
      EncodeHash(*static_cast<const HashObject*>(e.obj()), enc);
      return;
    case ValueType::kStream:
      EncodeStream(*static_cast<const storage::StreamObject*>(e.obj()), enc);
      return;
  }
}

void EncodeValue(const Entry& e, RdbEncoder& enc) {
  enc.Byte(RdbTypeOf(e));
  EncodeValuePayload(e, enc);
}

void EncodeKeyValue(const Entry& e, RdbEncoder& enc) { EncodeKeyValue(e, enc, -1, -1); }

void EncodeKeyValue(const Entry& e, RdbEncoder& enc, int64_t lru_idle_s, int lfu_freq) {
  if (e.has_expire()) {
    enc.Byte(kRdbOpExpireMs);
    enc.Millis(e.expire_ms());
  }
  if (lru_idle_s >= 0) {
    enc.Byte(kRdbOpIdle);
    enc.Length(uint64_t(lru_idle_s));
  } else if (lfu_freq >= 0) {
    enc.Byte(kRdbOpFreq);
    enc.Byte(uint8_t(std::min(lfu_freq, 255)));
  }
  enc.Byte(RdbTypeOf(e));
  enc.String(e.key());
  EncodeValuePayload(e, enc);
}

std::string DumpPayload(const Entry& e, bool compress) {
  std::string out;
  RdbEncoder enc(&out, compress);
  EncodeValue(e, enc);
  enc.Byte(uint8_t(kRdbVersion & 0xFF));
  enc.Byte(uint8_t(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out.data(), out.size());
  WriteRdbChecksum(&out, crc);
  return out;
}

StatusOr<Entry*> DecodeValueOrEmpty(uint8_t type, RdbSource& src, std::string_view key,
                                    bool has_expire, int64_t expire_ms, const RdbLimits& limits) {
  switch (type) {
    case kRdbTypeString: {
      std::string v;
      if (Status st = ReadString(src, &v); !st.ok()) return st;
      return EntryBuilder::String(key, v, has_expire, expire_ms);
    }
    case kRdbTypeList:
    case kRdbTypeListZiplist:
    case kRdbTypeListQuicklist:
    case kRdbTypeListQuicklist2:
      return DecodeList(type, src, key, has_expire, expire_ms, limits);
    case kRdbTypeSet:
    case kRdbTypeSetIntset:
      return DecodeSet(type, src, key, has_expire, expire_ms, limits);
    case kRdbTypeZSet:
    case kRdbTypeZSet2:
    case kRdbTypeZSetZiplist:
    case kRdbTypeZSetListpack:
      return DecodeZSet(type, src, key, has_expire, expire_ms, limits);
    case kRdbTypeHash:
    case kRdbTypeHashZipmap:
    case kRdbTypeHashZiplist:
    case kRdbTypeHashListpack:
      return DecodeHash(type, src, key, has_expire, expire_ms, limits);
    case kRdbTypeModulePreGa:
    case kRdbTypeModule2:
      return src.Corrupt("Module values (RDB type " + std::to_string(type) + ") are not supported");
    case kRdbTypeStreamListpacks:
    case kRdbTypeStreamListpacks2:
      return DecodeStream(type, src, key, has_expire, expire_ms);
    default:
      return src.Corrupt("Unknown RDB type " + std::to_string(type));
  }
}

StatusOr<Entry*> DecodeValue(uint8_t type, RdbSource& src, std::string_view key, bool has_expire,
                             int64_t expire_ms, const RdbLimits& limits) {
  StatusOr<Entry*> e = DecodeValueOrEmpty(type, src, key, has_expire, expire_ms, limits);
  if (e.ok() && *e == nullptr) return src.Corrupt("Empty collection");
  return e;
}

StatusOr<Entry*> RestorePayload(std::string_view payload, std::string_view key, bool has_expire,
                                int64_t expire_ms, const RdbLimits& limits) {
  // Footer: 2-byte RDB version, 8-byte CRC-64 of everything before the CRC.
  if (payload.size() < 10) return Status::Error("ERR DUMP payload version or checksum are wrong");
  const auto* footer = reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - 10);
  int version = footer[0] | footer[1] << 8;
  uint64_t stored = 0;
  for (int i = 0; i < 8; i++) stored |= uint64_t(footer[2 + i]) << (8 * i);
  if (version > kRdbVersion || stored != Crc64(0, payload.data(), payload.size() - 8)) {
    return Status::Error("ERR DUMP payload version or checksum are wrong");
  }
  StringSource src(payload.substr(0, payload.size() - 10));
  src.set_track_crc(false);
  uint8_t type;
  if (!src.Read(&type, 1) || !IsRdbObjectType(type)) return Status::Error("ERR Bad data format");
  StatusOr<Entry*> e = DecodeValue(type, src, key, has_expire, expire_ms, limits);
  if (!e.ok()) return Status::Error("ERR Bad data format");
  if (src.remaining() != 0) {
    storage::FreeEntry(*e);
    return Status::Error("ERR Bad data format");
  }
  return e;
}

RdbLimits RdbLimitsOf(const config::Config& c) {
  RdbLimits l;
  l.hash_max_listpack_entries = size_t(c.hash_max_listpack_entries());
  l.hash_max_listpack_value = size_t(c.hash_max_listpack_value());
  l.set_max_intset_entries = size_t(c.set_max_intset_entries());
  l.zset_max_listpack_entries = size_t(c.zset_max_listpack_entries());
  l.zset_max_listpack_value = size_t(c.zset_max_listpack_value());
  l.list_max_listpack_size = c.list_max_listpack_size();
  l.progress_bytes = uint64_t(c.loading_process_events_interval_bytes());
  return l;
}

}  // namespace basalt::persistence
