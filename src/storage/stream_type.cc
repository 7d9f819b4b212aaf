#include "storage/stream_type.h"

#include <climits>
#include <cstring>

namespace basalt::storage {
namespace {

constexpr uint8_t kFlagDeleted = 1;
constexpr uint8_t kFlagSameFields = 2;
constexpr size_t kMaxNodeBytes = size_t(1) << 30;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  out->push_back(char(uint8_t(v)));
}
uint64_t GetVarint(const std::string& b, size_t* off) {
  uint64_t v = 0;
  int shift = 0;
  while (true) {
    uint8_t c = uint8_t(b[(*off)++]);
    v |= uint64_t(c & 0x7F) << shift;
    if (!(c & 0x80)) break;
    shift += 7;
  }
  return v;
}
uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t UnZigZag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }
void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}
std::string_view GetString(const std::string& b, size_t* off) {
  uint64_t len = GetVarint(b, off);
  std::string_view s(b.data() + *off, len);
  *off += len;
  return s;
}

// Size of one listpack element (encoding, data, backlen) as Redis encodes
// it: canonical int64 text is stored as an integer.
size_t LpBacklen(size_t l) {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}
size_t LpIntSize(int64_t v) {
  size_t l;
  if (v >= 0 && v <= 127) {
    l = 1;
  } else if (v >= -4096 && v <= 4095) {
    l = 2;
  } else if (v >= -32768 && v <= 32767) {
    l = 3;
  } else if (v >= -8388608 && v <= 8388607) {
    l = 4;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    l = 5;
  } else {
    l = 9;
  }
  return l + LpBacklen(l);
}
bool LpCanonicalInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = s[0] == '-';
  if (neg) i = 1;
  if (i >= s.size()) return false;
  if (s[i] == '0' && (s.size() - i > 1 || neg)) return false;
  uint64_t v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = uint64_t(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > uint64_t(INT64_MAX) + 1) return false;
    *out = v == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(v);
  } else {
    if (v > uint64_t(INT64_MAX)) return false;
    *out = int64_t(v);
  }
  return true;
}
size_t LpStrSize(std::string_view s) {
  int64_t v;
  if (LpCanonicalInt(s, &v)) return LpIntSize(v);
  size_t l = s.size() < 64 ? 1 + s.size() : s.size() < 4096 ? 2 + s.size() : 5 + s.size();
  return l + LpBacklen(l);
}

}  // namespace

size_t StreamObject::LpBytes(const Node& n) {
  return 6 + 1 + LpIntSize(n.live) + LpIntSize(n.deleted) + n.lp_rest;
}

void StreamObject::LpAddMaster(Node* n, const std::vector<std::string_view>& fields) {
  n->lp_rest += LpIntSize(int64_t(fields.size())) + LpIntSize(0);
  for (auto f : fields) n->lp_rest += LpStrSize(f);
}

void StreamObject::LpAddEntry(Node* n, StreamID master, StreamID id, bool same,
                              const std::vector<std::string_view>& pairs) {
  size_t nf = pairs.size() / 2;
  size_t b = LpIntSize(0) + LpIntSize(int64_t(id.ms - master.ms)) +
             LpIntSize(int64_t(id.seq - master.seq));
  if (same) {
    for (size_t i = 0; i < nf; i++) b += LpStrSize(pairs[2 * i + 1]);
    b += LpIntSize(int64_t(nf) + 3);
  } else {
    b += LpIntSize(int64_t(nf));
    for (auto p : pairs) b += LpStrSize(p);
    b += LpIntSize(2 * int64_t(nf) + 4);
  }
  n->lp_rest += b;
}

bool StreamID::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) return false;
    ms++;
    seq = 0;
  } else {
    seq++;
  }
  return true;
}

bool StreamID::Decr() {
  if (seq == 0) {
    if (ms == 0) return false;
    ms--;
    seq = UINT64_MAX;
  } else {
    seq--;
  }
  return true;
}

std::string StreamID::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

namespace {
bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}
}  // namespace

bool ParseStreamID(std::string_view s, uint64_t missing_seq, StreamID* out, bool* seq_given) {
  size_t dash = s.find('-');
  StreamID id;
  if (dash == std::string_view::npos) {
    if (!ParseU64(s, &id.ms)) return false;
    id.seq = missing_seq;
    if (seq_given) *seq_given = false;
  } else {
    if (!ParseU64(s.substr(0, dash), &id.ms) || !ParseU64(s.substr(dash + 1), &id.seq)) {
      return false;
    }
    if (seq_given) *seq_given = true;
  }
  *out = id;
  return true;
}

size_t StreamObject::MemoryUsage() const {
  size_t total = sizeof(*this);
  for (const auto& [id, n] : nodes_) total += 64 + n.buf.capacity();
  for (const auto& [name, g] : groups_) {
    total += 96 + name.size() + g.pel.size() * (64 + 32);
    for (const auto& [cname, c] : g.consumers) total += 96 + cname.size() + c.pel.size() * 48;
  }
  return total;
}

std::unique_ptr<Object> StreamObject::Clone() const {
  auto s = std::make_unique<StreamObject>();
  s->nodes_ = nodes_;
  s->length_ = length_;
  s->last_id_ = last_id_;
  s->first_id_ = first_id_;
  s->max_deleted_id_ = max_deleted_id_;
  s->entries_added_ = entries_added_;
  s->groups_ = groups_;
  return s;
}

void StreamObject::MasterFields(const Node& n, std::vector<std::string_view>* out) {
  out->clear();
  size_t off = 0;
  uint64_t count = GetVarint(n.buf, &off);
  for (uint64_t i = 0; i < count; i++) out->push_back(GetString(n.buf, &off));
}

size_t StreamObject::Decode(const Node& n, const StreamID& master, size_t off, StreamID* id,
                            bool* deleted, Fields* fields,
                            std::vector<std::string_view>* master_f) {
  const std::string& b = n.buf;
  uint8_t flags = uint8_t(b[off++]);
  uint64_t dms = GetVarint(b, &off);
  int64_t dseq = UnZigZag(GetVarint(b, &off));
  id->ms = master.ms + dms;
  id->seq = master.seq + uint64_t(dseq);
  *deleted = flags & kFlagDeleted;
  if (fields) fields->clear();
  if (flags & kFlagSameFields) {
    for (size_t i = 0; i < master_f->size(); i++) {
      std::string_view v = GetString(b, &off);
      if (fields) fields->emplace_back((*master_f)[i], v);
    }
  } else {
    uint64_t nf = GetVarint(b, &off);
    for (uint64_t i = 0; i < nf; i++) {
      std::string_view f = GetString(b, &off);
      std::string_view v = GetString(b, &off);
      if (fields) fields->emplace_back(f, v);
    }
  }
  return off;
}

void StreamObject::Append(StreamID id, const std::vector<std::string_view>& pairs,
                          const StreamLimits& lim) {
  size_t nf = pairs.size() / 2;
  // Redis compares the node's listpack bytes plus the raw field and value
  // lengths with stream-node-max-bytes.
  size_t totelelen = 0;
  for (auto p : pairs) totelelen += p.size();
  Node* node = nullptr;
  StreamID master;
  if (!nodes_.empty()) {
    auto it = std::prev(nodes_.end());
    Node& last = it->second;
    size_t max_bytes = lim.max_bytes == 0 || lim.max_bytes > kMaxNodeBytes ? kMaxNodeBytes
                                                                           : lim.max_bytes;
    if (LpBytes(last) + totelelen >= max_bytes) {
      TrimCapacity(&last.buf);
    } else if (lim.max_entries != 0 && last.live + last.deleted >= lim.max_entries) {
      TrimCapacity(&last.buf);
    } else {
      node = &last;
      master = it->first;
    }
  }
  if (node == nullptr) {
    master = id;
    node = &nodes_[id];
    PutVarint(&node->buf, nf);
    std::vector<std::string_view> mf;
    for (size_t i = 0; i < nf; i++) {
      PutString(&node->buf, pairs[2 * i]);
      mf.push_back(pairs[2 * i]);
    }
    node->header_end = node->buf.size();
    LpAddMaster(node, mf);
  }
  // Same fields as the master entry? (compared in place: no allocation)
  size_t hoff = 0;
  bool same = GetVarint(node->buf, &hoff) == nf;
  for (size_t i = 0; same && i < nf; i++) same = GetString(node->buf, &hoff) == pairs[2 * i];
  std::string& b = node->buf;
  b.push_back(char(same ? kFlagSameFields : 0));
  PutVarint(&b, id.ms - master.ms);
  PutVarint(&b, ZigZag(int64_t(id.seq - master.seq)));
  if (!same) {
    PutVarint(&b, nf);
    for (size_t i = 0; i < nf; i++) {
      PutString(&b, pairs[2 * i]);
      PutString(&b, pairs[2 * i + 1]);
    }
  } else {
    for (size_t i = 0; i < nf; i++) PutString(&b, pairs[2 * i + 1]);
  }
  LpAddEntry(node, master, id, same, pairs);
  node->live++;
  length_++;
  if (length_ == 1) first_id_ = id;
  last_id_ = id;
  entries_added_++;
}

bool StreamObject::Delete(StreamID id) {
  if (nodes_.empty() || id < nodes_.begin()->first) return false;
  auto it = std::prev(nodes_.upper_bound(id));
  Node& n = it->second;
  std::vector<std::string_view> mf;
  MasterFields(n, &mf);
  size_t off = n.header_end;
  while (off < n.buf.size()) {
    StreamID cur;
    bool del;
    size_t start = off;
    off = Decode(n, it->first, off, &cur, &del, nullptr, &mf);
    if (cur == id) {
      if (del) return false;
      n.buf[start] = char(uint8_t(n.buf[start]) | kFlagDeleted);
      n.live--;
      n.deleted++;
      length_--;
      if (n.live == 0) nodes_.erase(it);
      if (id == first_id_) UpdateFirstId();
      return true;
    }
    if (cur > id) return false;
  }
  return false;
}

bool StreamObject::Get(StreamID id, Fields* out) const {
  bool found = false;
  Range(id, id, false, [&](const StreamID&, const Fields& f) {
    found = true;
    if (out) *out = f;
    return false;
  });
  return found;
}

void StreamObject::Range(StreamID start, StreamID end, bool rev, const Visitor& v) const {
  if (nodes_.empty() || start > end) return;
  std::vector<std::string_view> mf;
  Fields fields;
  // The first node that may hold `start`: the last one whose master <= start.
  auto first = nodes_.upper_bound(start);
  if (first != nodes_.begin()) --first;
  auto stop = nodes_.upper_bound(end);
  if (!rev) {
    for (auto it = first; it != stop; ++it) {
      const Node& n = it->second;
      MasterFields(n, &mf);
      size_t off = n.header_end;
      while (off < n.buf.size()) {
        StreamID cur;
        bool del;
        off = Decode(n, it->first, off, &cur, &del, &fields, &mf);
        if (cur > end) return;
        if (del || cur < start) continue;
        if (!v(cur, fields)) return;
      }
    }
    return;
  }
  std::vector<size_t> offs;
  for (auto it = stop; it != first;) {
    --it;
    const Node& n = it->second;
    MasterFields(n, &mf);
    offs.clear();
    size_t off = n.header_end;
    while (off < n.buf.size()) {
      offs.push_back(off);
      StreamID cur;
      bool del;
      off = Decode(n, it->first, off, &cur, &del, nullptr, &mf);
    }
    for (size_t i = offs.size(); i-- > 0;) {
      StreamID cur;
      bool del;
      Decode(n, it->first, offs[i], &cur, &del, &fields, &mf);
      if (cur < start) return;
      if (del || cur > end) continue;
      if (!v(cur, fields)) return;
    }
  }
}

void StreamObject::UpdateFirstId() {
  if (length_ == 0) {
    first_id_ = StreamID{};
    return;
  }
  Range(StreamID{}, StreamID::Max(), false, [&](const StreamID& id, const Fields&) {
    first_id_ = id;
    return false;
  });
}

template <typename Trim>
int64_t StreamObject::TrimGeneric(bool approx, int64_t limit, Trim trim) {
  // trim.done(): nothing more to remove; trim.whole(node): the whole node
  // may go; trim.stop(id): the first entry to keep inside a node.
  int64_t removed = 0;
  std::vector<std::string_view> mf;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    if (trim.done()) break;
    Node& n = it->second;
    if (limit != 0 && removed + int64_t(n.live) > limit) break;
    if (trim.whole(it->first, n)) {
      removed += n.live;
      length_ -= n.live;
      it = nodes_.erase(it);
      continue;
    }
    if (approx) break;
    MasterFields(n, &mf);
    size_t off = n.header_end;
    while (off < n.buf.size()) {
      StreamID cur;
      bool del;
      size_t start = off;
      off = Decode(n, it->first, off, &cur, &del, nullptr, &mf);
      if (trim.stop(cur)) break;
      if (!del) {
        n.buf[start] = char(uint8_t(n.buf[start]) | kFlagDeleted);
        n.live--;
        n.deleted++;
        length_--;
        removed++;
      }
    }
    if (n.live == 0) nodes_.erase(it);
    break;
  }
  if (removed > 0) UpdateFirstId();
  return removed;
}

int64_t StreamObject::TrimMaxLen(uint64_t maxlen, bool approx, int64_t limit) {
  struct T {
    StreamObject* s;
    uint64_t maxlen;
    bool done() const { return s->length_ <= maxlen; }
    bool whole(const StreamID&, const Node& n) const { return s->length_ - n.live >= maxlen; }
    bool stop(const StreamID&) const { return s->length_ <= maxlen; }
  };
  return TrimGeneric(approx, limit, T{this, maxlen});
}

int64_t StreamObject::TrimMinId(StreamID minid, bool approx, int64_t limit) {
  struct T {
    StreamObject* s;
    StreamID minid;
    bool done() const { return false; }
    bool whole(const StreamID& master, const Node& n) const {
      // The node's last ID (deleted or not) below minid: drop it whole.
      std::vector<std::string_view> mf;
      MasterFields(n, &mf);
      size_t off = n.header_end;
      StreamID cur;
      while (off < n.buf.size()) {
        bool del;
        off = Decode(n, master, off, &cur, &del, nullptr, &mf);
      }
      return cur < minid;
    }
    bool stop(const StreamID& id) const { return id >= minid; }
  };
  return TrimGeneric(approx, limit, T{this, minid});
}

StreamGroup* StreamObject::FindGroup(std::string_view name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

bool StreamObject::RangeHasTombstones(StreamID start, StreamID end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t StreamObject::EstimateDistanceFromFirstEverEntry(StreamID id) const {
  if (entries_added_ == 0) return 0;
  if (length_ == 0 && id <= last_id_) return int64_t(entries_added_);
  if (id == last_id_) return int64_t(entries_added_);
  if (id > last_id_) return kInvalidEntriesRead;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return int64_t(entries_added_ - length_);
    if (id == first_id_) return int64_t(entries_added_ - length_ + 1);
  }
  return kInvalidEntriesRead;
}

std::optional<int64_t> StreamObject::Lag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(g.last_id, StreamID::Max())) {
    return int64_t(entries_added_) - g.entries_read;
  }
  int64_t read = EstimateDistanceFromFirstEverEntry(g.last_id);
  if (read == kInvalidEntriesRead) return std::nullopt;
  return int64_t(entries_added_) - read;
}

bool StreamObject::CheckInvariants() const {
  size_t live = 0;
  StreamID prev;
  bool have_prev = false;
  std::vector<std::string_view> mf;
  for (const auto& [master, n] : nodes_) {
    if (n.live == 0) return false;
    MasterFields(n, &mf);
    size_t off = n.header_end;
    uint32_t l = 0, d = 0;
    while (off < n.buf.size()) {
      StreamID cur;
      bool del;
      off = Decode(n, master, off, &cur, &del, nullptr, &mf);
      if (have_prev && !(prev < cur)) return false;
      prev = cur;
      have_prev = true;
      (del ? d : l)++;
    }
    if (l != n.live || d != n.deleted) return false;
    live += l;
  }
  return live == length_ && (!have_prev || !(last_id_ < prev));
}

void StreamObject::ForEachRawNode(const std::function<void(const RawNode&)>& f) const {
  RawNode rn;
  for (const auto& [master, n] : nodes_) {
    rn.master = master;
    MasterFields(n, &rn.master_fields);
    rn.live = n.live;
    rn.deleted = n.deleted;
    rn.entries.clear();
    size_t off = n.header_end;
    while (off < n.buf.size()) {
      RawEntry e;
      e.same_fields = uint8_t(n.buf[off]) & kFlagSameFields;
      off = Decode(n, master, off, &e.id, &e.deleted, &e.fields, &rn.master_fields);
      rn.entries.push_back(std::move(e));
    }
    f(rn);
  }
}

void StreamObject::LoadNode(StreamID master, const std::vector<std::string>& master_fields) {
  Node& n = nodes_[master];
  n = Node{};
  PutVarint(&n.buf, master_fields.size());
  for (const auto& f : master_fields) PutString(&n.buf, f);
  n.header_end = n.buf.size();
  std::vector<std::string_view> mf(master_fields.begin(), master_fields.end());
  LpAddMaster(&n, mf);
}

void StreamObject::LoadEntry(StreamID id, bool deleted,
                             const std::vector<std::string_view>& pairs) {
  auto it = std::prev(nodes_.end());
  Node& n = it->second;
  const StreamID& master = it->first;
  std::vector<std::string_view> mf;
  MasterFields(n, &mf);
  size_t nf = pairs.size() / 2;
  bool same = mf.size() == nf;
  for (size_t i = 0; same && i < nf; i++) same = mf[i] == pairs[2 * i];
  uint8_t flags = (same ? kFlagSameFields : 0) | (deleted ? kFlagDeleted : 0);
  std::string& b = n.buf;
  b.push_back(char(flags));
  PutVarint(&b, id.ms - master.ms);
  PutVarint(&b, ZigZag(int64_t(id.seq - master.seq)));
  if (!same) {
    PutVarint(&b, nf);
    for (size_t i = 0; i < nf; i++) {
      PutString(&b, pairs[2 * i]);
      PutString(&b, pairs[2 * i + 1]);
    }
  } else {
    for (size_t i = 0; i < nf; i++) PutString(&b, pairs[2 * i + 1]);
  }
  LpAddEntry(&n, master, id, same, pairs);
  if (deleted) {
    n.deleted++;
  } else {
    n.live++;
    length_++;
  }
}

void StreamObject::LoadFinish(StreamID last_id, StreamID first_id, StreamID max_deleted,
                              uint64_t entries_added) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (it->second.live == 0) {
      it = nodes_.erase(it);
    } else {
      TrimCapacity(&it->second.buf);
      ++it;
    }
  }
  last_id_ = last_id;
  first_id_ = first_id;
  max_deleted_id_ = max_deleted;
  entries_added_ = entries_added;
}

}  // namespace basalt::storage
