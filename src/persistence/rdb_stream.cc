#include "persistence/rdb_stream.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace basalt::persistence {

using storage::StreamGroup;
using storage::StreamID;
using storage::StreamObject;

namespace {

constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

std::string EncodeId(const StreamID& id) {
  std::string k(16, '\0');
  for (int i = 0; i < 8; i++) {
    k[size_t(i)] = char(uint8_t(id.ms >> (56 - 8 * i)));
    k[size_t(8 + i)] = char(uint8_t(id.seq >> (56 - 8 * i)));
  }
  return k;
}

StreamID DecodeId(std::string_view k) {
  StreamID id;
  for (int i = 0; i < 8; i++) {
    id.ms = (id.ms << 8) | uint8_t(k[size_t(i)]);
    id.seq = (id.seq << 8) | uint8_t(k[size_t(8 + i)]);
  }
  return id;
}

Status ReadRawId(RdbSource& src, StreamID* id) {
  char buf[16];
  if (!src.Read(buf, 16)) return src.Corrupt("Truncated stream ID");
  *id = DecodeId(std::string_view(buf, 16));
  return Status::Ok();
}

Status ReadLen2(RdbSource& src, uint64_t* a, uint64_t* b) {
  if (Status st = ReadLength(src, a); !st.ok()) return st;
  return ReadLength(src, b);
}

// One listpack element as an int64 (stream node integers).
bool ItemInt(const PackedItem& it, int64_t* out) {
  if (it.is_int) {
    *out = it.num;
    return true;
  }
  char buf[24];
  std::string_view t = it.Text(buf);
  if (t.empty() || t.size() > 20) return false;
  errno = 0;
  std::string s(t);
  char* end = nullptr;
  long long v = strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno != 0) return false;
  *out = v;
  return true;
}

// Loads one node's listpack into s.
// *last: the greatest ID loaded so far (entries must ascend across nodes too).
Status LoadNodeListpack(RdbSource& src, StreamObject* s, StreamID master, std::string_view blob,
                        StreamID* last, bool* any) {
  std::vector<PackedItem> items;
  if (Status st = ParseListpack(blob, &items); !st.ok()) return src.Corrupt(st.message());
  if (items.empty()) return src.Corrupt("Empty listpack inside stream");
  size_t p = 0;
  auto next_int = [&](int64_t* v) { return p < items.size() && ItemInt(items[p++], v); };
  int64_t live, deleted, nmaster;
  if (!next_int(&live) || !next_int(&deleted) || !next_int(&nmaster) || nmaster < 0 ||
      size_t(nmaster) > items.size()) {
    return src.Corrupt("Bad stream listpack master entry");
  }
  std::vector<std::string> mf;
  std::vector<std::string> bufs;
  char buf[24];
  for (int64_t i = 0; i < nmaster; i++) {
    if (p >= items.size()) return src.Corrupt("Bad stream listpack master entry");
    mf.emplace_back(items[p++].Text(buf));
  }
  int64_t zero;
  if (!next_int(&zero) || zero != 0) return src.Corrupt("Bad stream listpack master terminator");
  s->LoadNode(master, mf);
  int64_t seen_live = 0, seen_deleted = 0;
  std::vector<std::string> texts;
  std::vector<std::string_view> pairs;
  StreamID prev = *last;
  bool have_prev = *any;
  while (p < items.size()) {
    int64_t flags, msd, seqd;
    if (!next_int(&flags) || !next_int(&msd) || !next_int(&seqd)) {
      return src.Corrupt("Bad stream listpack entry");
    }
    StreamID id{master.ms + uint64_t(msd), master.seq + uint64_t(seqd)};
    if (have_prev && !(prev < id)) return src.Corrupt("Stream listpack IDs out of order");
    if (id < master) return src.Corrupt("Stream entry ID below its master ID");
    prev = id;
    have_prev = true;
    texts.clear();
    pairs.clear();
    int64_t nf;
    if (flags & kFlagSameFields) {
      nf = nmaster;
      for (int64_t i = 0; i < nf; i++) {
        if (p >= items.size()) return src.Corrupt("Bad stream listpack entry");
        texts.push_back(mf[size_t(i)]);
        texts.emplace_back(items[p++].Text(buf));
      }
    } else {
      if (!next_int(&nf) || nf < 0 || size_t(nf) * 2 > items.size() - p) {
        return src.Corrupt("Bad stream listpack entry");
      }
      for (int64_t i = 0; i < 2 * nf; i++) texts.emplace_back(items[p++].Text(buf));
    }
    int64_t lp_count;
    if (!next_int(&lp_count)) return src.Corrupt("Bad stream listpack entry");
    int64_t want = (flags & kFlagSameFields) ? nf + 3 : 2 * nf + 4;
    if (lp_count != want) return src.Corrupt("Bad stream listpack entry count");
    for (const auto& t : texts) pairs.push_back(t);
    bool del = flags & kFlagDeleted;
    s->LoadEntry(id, del, pairs);
    (del ? seen_deleted : seen_live)++;
  }
  *last = prev;
  *any = have_prev;
  if (seen_live != live || seen_deleted != deleted) {
    return src.Corrupt("Stream listpack counts do not match its entries");
  }
  return Status::Ok();
}

}  // namespace

void EncodeStream(const StreamObject& s, RdbEncoder& enc) {
  enc.Length(s.node_count());
  ListpackWriter lp;
  s.ForEachRawNode([&](const StreamObject::RawNode& n) {
    lp.Clear();
    lp.AddInt(n.live);
    lp.AddInt(n.deleted);
    lp.AddInt(int64_t(n.master_fields.size()));
    for (auto f : n.master_fields) lp.Add(f);
    lp.AddInt(0);
    for (const auto& e : n.entries) {
      int64_t flags = (e.deleted ? kFlagDeleted : 0) | (e.same_fields ? kFlagSameFields : 0);
      lp.AddInt(flags);
      lp.AddInt(int64_t(e.id.ms - n.master.ms));
      lp.AddInt(int64_t(e.id.seq - n.master.seq));
      int64_t nf = int64_t(e.fields.size());
      if (e.same_fields) {
        for (const auto& [f, v] : e.fields) lp.Add(v);
        lp.AddInt(nf + 3);
      } else {
        lp.AddInt(nf);
        for (const auto& [f, v] : e.fields) {
          lp.Add(f);
          lp.Add(v);
        }
        lp.AddInt(2 * nf + 4);
      }
    }
    std::string key = EncodeId(n.master);
    enc.Length(key.size());
    enc.Raw(key);
    enc.String(lp.Finish());
  });
  enc.Length(s.Size());
  enc.Length(s.last_id().ms);
  enc.Length(s.last_id().seq);
  enc.Length(s.first_id().ms);
  enc.Length(s.first_id().seq);
  enc.Length(s.max_deleted_id().ms);
  enc.Length(s.max_deleted_id().seq);
  enc.Length(s.entries_added());
  enc.Length(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    enc.String(name);
    enc.Length(g.last_id.ms);
    enc.Length(g.last_id.seq);
    enc.Length(uint64_t(g.entries_read));
    enc.Length(g.pel.size());
    for (const auto& [id, p] : g.pel) {
      enc.Raw(EncodeId(id));
      enc.Millis(p.delivery_time);
      enc.Length(p.delivery_count);
    }
    enc.Length(g.consumers.size());
    for (const auto& [cname, c] : g.consumers) {
      enc.String(cname);
      enc.Millis(c.seen_time);
      enc.Length(c.pel.size());
      for (const StreamID& id : c.pel) enc.Raw(EncodeId(id));
    }
  }
}

StatusOr<storage::Entry*> DecodeStream(uint8_t type, RdbSource& src, std::string_view key,
                                       bool has_expire, int64_t expire_ms) {
  auto s = std::make_unique<StreamObject>();
  uint64_t nodes;
  if (Status st = ReadLength(src, &nodes); !st.ok()) return st;
  StreamID prev_master, last_entry;
  bool any_entry = false;
  for (uint64_t i = 0; i < nodes; i++) {
    std::string k, blob;
    if (Status st = ReadString(src, &k); !st.ok()) return st;
    if (k.size() != 16) return src.Corrupt("Stream node key entry is not the size of a stream ID");
    if (Status st = ReadString(src, &blob); !st.ok()) return st;
    StreamID master = DecodeId(k);
    if (i > 0 && !(prev_master < master)) return src.Corrupt("Stream nodes out of order");
    prev_master = master;
    if (Status st = LoadNodeListpack(src, s.get(), master, blob, &last_entry, &any_entry);
        !st.ok()) {
      return st;
    }
  }
  uint64_t length;
  StreamID last, first, maxdel;
  uint64_t entries_added;
  if (Status st = ReadLength(src, &length); !st.ok()) return st;
  if (Status st = ReadLen2(src, &last.ms, &last.seq); !st.ok()) return st;
  bool v2 = type == kRdbTypeStreamListpacks2;
  if (v2) {
    if (Status st = ReadLen2(src, &first.ms, &first.seq); !st.ok()) return st;
    if (Status st = ReadLen2(src, &maxdel.ms, &maxdel.seq); !st.ok()) return st;
    if (Status st = ReadLength(src, &entries_added); !st.ok()) return st;
  }
  if (length != s->Size()) return src.Corrupt("Stream length does not match its entries");
  if (any_entry && last < last_entry) return src.Corrupt("Stream last ID below its entries");
  if (!v2) {
    entries_added = length;
    first = StreamID{};
    s->Range(StreamID{}, StreamID::Max(), false, [&](const StreamID& id, const auto&) {
      first = id;
      return false;
    });
  }
  s->LoadFinish(last, first, maxdel, entries_added);
  uint64_t ngroups;
  if (Status st = ReadLength(src, &ngroups); !st.ok()) return st;
  for (uint64_t i = 0; i < ngroups; i++) {
    std::string name;
    if (Status st = ReadString(src, &name); !st.ok()) return st;
    StreamGroup g;
    if (Status st = ReadLen2(src, &g.last_id.ms, &g.last_id.seq); !st.ok()) return st;
    if (v2) {
      uint64_t er;
      if (Status st = ReadLength(src, &er); !st.ok()) return st;
      g.entries_read = int64_t(er);
    } else {
      g.entries_read = s->EstimateDistanceFromFirstEverEntry(g.last_id);
    }
    uint64_t npel;
    if (Status st = ReadLength(src, &npel); !st.ok()) return st;
    for (uint64_t j = 0; j < npel; j++) {
      StreamID id;
      if (Status st = ReadRawId(src, &id); !st.ok()) return st;
      storage::StreamPending p;
      if (Status st = ReadMillis(src, &p.delivery_time); !st.ok()) return st;
      if (Status st = ReadLength(src, &p.delivery_count); !st.ok()) return st;
      if (!g.pel.emplace(id, std::move(p)).second) return src.Corrupt("Duplicated global PEL entry");
    }
    uint64_t nconsumers;
    if (Status st = ReadLength(src, &nconsumers); !st.ok()) return st;
    std::set<StreamID> assigned;
    for (uint64_t j = 0; j < nconsumers; j++) {
      std::string cname;
      if (Status st = ReadString(src, &cname); !st.ok()) return st;
      storage::StreamConsumer c;
      if (Status st = ReadMillis(src, &c.seen_time); !st.ok()) return st;
      uint64_t n;
      if (Status st = ReadLength(src, &n); !st.ok()) return st;
      for (uint64_t k = 0; k < n; k++) {
        StreamID id;
        if (Status st = ReadRawId(src, &id); !st.ok()) return st;
        auto it = g.pel.find(id);
        if (it == g.pel.end()) return src.Corrupt("Consumer PEL entry not in the group PEL");
        if (!assigned.insert(id).second) return src.Corrupt("Duplicated consumer PEL entry");
        it->second.consumer = cname;
        c.pel.insert(id);
      }
      if (!g.consumers.emplace(std::move(cname), std::move(c)).second) {
        return src.Corrupt("Duplicated consumer name");
      }
    }
    if (assigned.size() != g.pel.size()) return src.Corrupt("Group PEL entry without a consumer");
    if (!s->groups().emplace(std::move(name), std::move(g)).second) {
      return src.Corrupt("Duplicated consumer group name");
    }
  }
  return storage::EntryBuilder::Object(key, storage::ValueType::kStream, s.release(), has_expire,
                                       expire_ms);
}

}  // namespace basalt::persistence
