#include "storage/list_type.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include <liblzf/lzf.h>

namespace basalt::storage {
namespace {

// Redis caps count-bounded nodes at 8 KiB and a count fill at 2^15.
constexpr size_t kCountFillByteCap = 8192;
constexpr int64_t kMaxCountFill = 1 << 15;

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t PutVarint(size_t v, uint8_t* out) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = uint8_t(v | 0x80);
    v >>= 7;
  }
  out[n++] = uint8_t(v);
  return n;
}

size_t GetVarint(const uint8_t* p, size_t* v) {
  size_t r = 0;
  int shift = 0;
  size_t n = 0;
  for (;;) {
    uint8_t b = p[n++];
    r |= size_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  *v = r;
  return n;
}

// The back length is written so that it reads from its last byte towards the
// front: the last byte holds the lowest 7 bits, a set high bit means more
// (higher) bits are in the byte before it.
void PutBackLen(size_t v, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t b = uint8_t(v & 0x7f);
    v >>= 7;
    if (i + 1 < n) b |= 0x80;
    out[n - 1 - i] = b;
  }
}

}  // namespace

// ---- Element encoding ----

size_t ListObject::EncodedSize(size_t len) {
  size_t h = VarintSize(len) + len;
  return h + VarintSize(h);
}

size_t ListObject::Encode(std::string_view v, uint8_t* out) {
  size_t hs = PutVarint(v.size(), out);
  if (!v.empty()) memcpy(out + hs, v.data(), v.size());
  size_t h = hs + v.size();
  size_t bs = VarintSize(h);
  PutBackLen(h, out + h, bs);
  return h + bs;
}

size_t ListObject::ElementSize(const uint8_t* p) {
  size_t len;
  size_t h = GetVarint(p, &len) + len;
  return h + VarintSize(h);
}

std::string_view ListObject::Decode(const uint8_t* p) {
  size_t len;
  size_t hs = GetVarint(p, &len);
  return std::string_view(reinterpret_cast<const char*>(p + hs), len);
}

const uint8_t* ListObject::PrevElement(const uint8_t* end) {
  const uint8_t* p = end - 1;
  size_t v = *p & 0x7f;
  int shift = 7;
  while (*p & 0x80) {
    p--;
    v |= size_t(*p & 0x7f) << shift;
    shift += 7;
  }
  return p - v;
}

// ---- Nodes ----

bool ListObject::Fits(size_t count, size_t bytes) const {
  if (count <= 1) return true;
  if (fill_ >= 0 && int64_t(count) > std::min(fill_, kMaxCountFill)) return false;
  return bytes <= MaxNodeBytes();
}

// Redis's rules: a node under 48 bytes is not worth compressing, and the
// compressed form must save at least 8 bytes.
constexpr size_t kMinCompressBytes = 48;
constexpr size_t kMinCompressGain = 8;

bool ListObject::Compress(Node& n) {
  size_t raw = n.bytes();
  if (n.raw != 0 || raw < kMinCompressBytes) return false;
  size_t room = raw - kMinCompressGain;
  uint8_t* out = static_cast<uint8_t*>(malloc(room));
  unsigned int len = lzf_compress(n.buf + n.begin, unsigned(raw), out, unsigned(room));
  if (len == 0) {
    free(out);
    return false;
  }
  uint8_t* fit = static_cast<uint8_t*>(realloc(out, len));
  free(n.buf);
  n.buf = fit != nullptr ? fit : out;
  n.cap = len;
  n.begin = n.end = 0;
  n.raw = raw;
  return true;
}

void ListObject::Decompress(Node& n) {
  uint8_t* out = static_cast<uint8_t*>(malloc(n.raw));
  unsigned int len = lzf_decompress(n.buf, unsigned(n.cap), out, unsigned(n.raw));
  if (len != n.raw) abort();  // our own data: cannot happen
  free(n.buf);
  n.buf = out;
  n.cap = n.raw;
  n.begin = 0;
  n.end = n.raw;
  n.raw = 0;
}

void ListObject::Recompress() {
  if (compress_ <= 0) return;
  size_t n = node_count();
  size_t depth = size_t(compress_);
  if (n <= 2 * depth) return;
  if (dirty_) {
    for (size_t i = depth; i < n - depth; i++) Compress(nodes_[first_ + i]);
    dirty_ = false;
    return;
  }
  // Only the nodes that just crossed the depth can be raw.
  Compress(nodes_[first_ + depth]);
  Compress(nodes_[first_ + n - 1 - depth]);
}

size_t ListObject::compressed_nodes() const {
  size_t k = 0;
  for (size_t i = 0; i < node_count(); i++) k += stored(i).raw != 0;
  return k;
}

void ListObject::FreeNode(Node& n) {
  free(n.buf);
  n = Node{};
}

size_t ListObject::MaxNodeBytes() const {
  if (fill_ >= 0) return kCountFillByteCap;
  int64_t level = std::min<int64_t>(-fill_, 5);
  return size_t(4096) << (level - 1);
}

size_t ListObject::OpenGap(Node& n, size_t at, size_t need, bool prefer_front) const {
  size_t a = at - n.begin, b = n.end - at;  // bytes before and after the gap
  if (a == 0 && n.begin >= need && (b > 0 || prefer_front || n.cap - n.end < need)) {
    n.begin -= need;
    return n.begin;
  }
  if (b == 0 && n.cap - n.end >= need) {
    n.end += need;
    return at;
  }
  bool can_left = n.begin >= need, can_right = n.cap - n.end >= need;
  if (can_left && (!can_right || a <= b)) {
    memmove(n.buf + n.begin - need, n.buf + n.begin, a);
    n.begin -= need;
    return at - need;
  }
  if (can_right) {
    memmove(n.buf + at + need, n.buf + at, b);
    n.end += need;
    return at;
  }
  // Lay the data out again, with the free room where growth happens: before
  // the data for pushes at the head, after it for pushes at the tail.
  size_t used = a + b + need;
  bool front = a == 0 && (b > 0 || prefer_front);
  bool back = !front && b == 0;
  auto placed_begin = [&](size_t cap) {
    size_t slack = cap - used;
    return front ? slack : back ? 0 : slack / 2;
  };
  if (used <= n.cap) {
    // Enough room in total, but neither side alone has `need` bytes. The new
    // begin is then never after the old one (that would need more than `need`
    // free bytes after the data), so moving the front part first never
    // overwrites the back part before it moves.
    size_t nb = placed_begin(n.cap);
    memmove(n.buf + nb, n.buf + n.begin, a);
    memmove(n.buf + nb + a + need, n.buf + at, b);
    n.begin = nb;
    n.end = nb + used;
    return nb + a;
  }
  // Grow by half, but not past the node limit (the node cannot grow beyond
  // it), nor at all for the last element a count-bounded node may take.
  size_t cap = used + used / 2 + 16;
  size_t limit = MaxNodeBytes();
  if (cap > limit) cap = std::max(used, limit);
  if (fill_ >= 0 && int64_t(n.count) + 1 >= std::clamp<int64_t>(fill_, 1, kMaxCountFill)) {
    cap = used;
  }
  size_t begin = placed_begin(cap);
  uint8_t* buf = static_cast<uint8_t*>(malloc(cap));
  if (a > 0) memcpy(buf + begin, n.buf + n.begin, a);
  if (b > 0) memcpy(buf + begin + a + need, n.buf + at, b);
  free(n.buf);
  n.buf = buf;
  n.cap = cap;
  n.begin = begin;
  n.end = begin + used;
  return begin + a;
}

size_t ListObject::CloseGap(Node& n, size_t at, size_t len) {
  size_t a = at - n.begin, b = n.end - at - len;
  size_t next;
  if (a <= b) {
    memmove(n.buf + n.begin + len, n.buf + n.begin, a);
    n.begin += len;
    next = at + len;
  } else {
    memmove(n.buf + at, n.buf + at + len, b);
    n.end -= len;
    next = at;
  }
  // Give memory back once the node is mostly empty room.
  size_t used = n.bytes();
  if (n.cap >= 256 && used * 4 < n.cap) {
    if (used == 0) {
      size_t count = n.count;
      FreeNode(n);
      n.count = count;
      return 0;
    }
    size_t cap = used + used / 2 + 16;
    size_t begin = (cap - used) / 2;
    uint8_t* buf = static_cast<uint8_t*>(malloc(cap));
    memcpy(buf + begin, n.buf + n.begin, used);
    next = next - n.begin + begin;
    free(n.buf);
    n.buf = buf;
    n.cap = cap;
    n.begin = begin;
    n.end = begin + used;
  }
  return next;
}

void ListObject::InsertNode(size_t i, Node n) {
  if (node_count() == 0) {
    // Most lists are small: one node, no room reserved around it.
    nodes_.clear();
    first_ = 0;
    nodes_.push_back(n);
    return;
  }
  if (i == 0) {
    if (first_ == 0) {
      // Room before the first node, proportional to the node count.
      size_t room = std::max<size_t>(4, node_count() / 2);
      nodes_.insert(nodes_.begin(), room, Node{});
      first_ = room;
    }
    nodes_[--first_] = n;
    return;
  }
  if (i < node_count()) dirty_ = true;  // a node in the middle
  nodes_.insert(nodes_.begin() + ptrdiff_t(first_ + i), n);
}

void ListObject::RemoveNode(size_t i) {
  FreeNode(nodes_[first_ + i]);
  if (i == 0) {
    first_++;
  } else {
    nodes_.erase(nodes_.begin() + ptrdiff_t(first_ + i));
  }
  if (first_ == nodes_.size()) {
    nodes_.clear();
    first_ = 0;
  } else if (first_ > 64 && first_ > 2 * node_count()) {
    // Too much room before the first node: keep half the node count of it.
    size_t keep = node_count() / 2;
    nodes_.erase(nodes_.begin(), nodes_.begin() + ptrdiff_t(first_ - keep));
    first_ = keep;
  }
}

// ---- Construction ----

namespace {
std::atomic<int64_t> g_compress_depth{0};
}  // namespace

void ListObject::SetCompressDepth(int64_t depth) {
  g_compress_depth.store(depth, std::memory_order_relaxed);
}

int64_t ListObject::CompressDepth() { return g_compress_depth.load(std::memory_order_relaxed); }

ListObject::ListObject(int64_t fill, int64_t compress_depth)
    : fill_(fill), compress_(compress_depth) {}

ListObject::~ListObject() {
  for (size_t i = first_; i < nodes_.size(); i++) free(nodes_[i].buf);
}

size_t ListObject::MemoryUsage() const {
  size_t total = sizeof(*this) + nodes_.capacity() * sizeof(Node);
  for (size_t i = 0; i < node_count(); i++) total += stored(i).cap;
  return total;
}

size_t ListObject::UncompressedBytes() const {
  size_t total = 0;
  for (size_t i = 0; i < node_count(); i++) {
    total += stored(i).raw != 0 ? stored(i).raw : stored(i).bytes();
  }
  return total;
}

std::unique_ptr<Object> ListObject::Clone() const {
  auto copy = std::make_unique<ListObject>(fill_, compress_);
  copy->nodes_.reserve(node_count());
  for (size_t i = 0; i < node_count(); i++) {
    const Node& s = stored(i);
    Node d;
    if (s.raw != 0) {
      // Copied compressed, as it is.
      d.cap = s.cap;
      d.buf = static_cast<uint8_t*>(malloc(d.cap));
      memcpy(d.buf, s.buf, d.cap);
      d.raw = s.raw;
    } else {
      d.cap = s.bytes();
      d.buf = static_cast<uint8_t*>(malloc(d.cap));
      memcpy(d.buf, s.buf + s.begin, d.cap);
      d.end = d.cap;
    }
    d.count = s.count;
    copy->nodes_.push_back(d);
  }
  copy->dirty_ = true;
  copy->size_ = size_;
  return copy;
}

// ---- Ends ----

void ListObject::PushFront(std::string_view v) {
  size_t es = EncodedSize(v.size());
  if (node_count() == 0 || !Fits(node(0).count + 1, node(0).bytes() + es)) InsertNode(0, Node{});
  Node& n = node(0);
  size_t at = OpenGap(n, n.begin, es, true);
  Encode(v, n.buf + at);
  n.count++;
  size_++;
  Recompress();
}

void ListObject::PushBack(std::string_view v) {
  size_t es = EncodedSize(v.size());
  size_t last = node_count();
  if (last == 0 || !Fits(node(last - 1).count + 1, node(last - 1).bytes() + es)) {
    InsertNode(last, Node{});
  } else {
    last--;
  }
  Node& n = node(last);
  size_t at = OpenGap(n, n.end, es, false);
  Encode(v, n.buf + at);
  n.count++;
  size_++;
  Recompress();
}

std::string ListObject::PopFront() {
  Node& n = node(0);
  const uint8_t* p = n.buf + n.begin;
  std::string out(Decode(p));
  CloseGap(n, n.begin, ElementSize(p));
  n.count--;
  size_--;
  if (n.count == 0) RemoveNode(0);
  Recompress();
  return out;
}

std::string ListObject::PopBack() {
  size_t last = node_count() - 1;
  Node& n = node(last);
  const uint8_t* p = PrevElement(n.buf + n.end);
  std::string out(Decode(p));
  size_t off = size_t(p - n.buf);
  CloseGap(n, off, n.end - off);
  n.count--;
  size_--;
  if (n.count == 0) RemoveNode(last);
  Recompress();
  return out;
}

void ListObject::PopFront(size_t count, std::vector<std::string>* out) {
  count = std::min(count, size_);
  for (size_t i = 0; i < count; i++) out->push_back(PopFront());
}

void ListObject::PopBack(size_t count, std::vector<std::string>* out) {
  count = std::min(count, size_);
  for (size_t i = 0; i < count; i++) out->push_back(PopBack());
}

// ---- Positions ----

bool ListObject::NormalizeIndex(int64_t index, size_t* out) const {
  if (index < 0) {
    // -index may overflow for INT64_MIN, which is out of range anyway.
    if (index == INT64_MIN || uint64_t(-index) > size_) return false;
    *out = size_ - size_t(-index);
    return true;
  }
  if (uint64_t(index) >= size_) return false;
  *out = size_t(index);
  return true;
}

ListObject::Pos ListObject::Locate(size_t i) const {
  size_t nodes = node_count();
  size_t ni = 0, k = 0;  // node and index within it
  if (i < size_ / 2) {
    for (ni = 0; i >= stored(ni).count; ni++) i -= stored(ni).count;
    k = i;
  } else {
    size_t j = size_ - 1 - i;  // index from the tail
    for (ni = nodes - 1; j >= stored(ni).count; ni--) j -= stored(ni).count;
    k = stored(ni).count - 1 - j;
  }
  const Node& n = node(ni);
  if (k <= n.count / 2) {
    size_t off = n.begin;
    for (size_t s = 0; s < k; s++) off += ElementSize(n.buf + off);
    return Pos{ni, off};
  }
  const uint8_t* p = n.buf + n.end;
  for (size_t s = n.count; s > k; s--) p = PrevElement(p);
  return Pos{ni, size_t(p - n.buf)};
}

std::string_view ListObject::At(size_t i) const {
  Pos p = Locate(i);
  return Decode(node(p.node).buf + p.off);
}

void ListObject::Set(size_t i, std::string_view v) {
  Pos p = Locate(i);
  Node& n = node(p.node);
  size_t old_size = ElementSize(n.buf + p.off);
  size_t es = EncodedSize(v.size());
  if (es == old_size) {
    Encode(v, n.buf + p.off);
  } else {
    size_t at = CloseGap(n, p.off, old_size);
    at = OpenGap(n, at, es, false);
    Encode(v, n.buf + at);
    SplitIfNeeded(p.node);
  }
  Recompress();
}

ListObject::Iterator ListObject::IteratorAt(size_t i, bool forward) const {
  if (i >= size_) return Iterator(this, Pos{}, forward, false);
  return Iterator(this, Locate(i), forward, true);
}

ListObject::Iterator ListObject::RBegin() const {
  if (size_ == 0) return Iterator(this, Pos{}, false, false);
  size_t last = node_count() - 1;
  const Node& n = node(last);
  return Iterator(this, Pos{last, size_t(PrevElement(n.buf + n.end) - n.buf)}, false, true);
}

ListObject::Iterator::Iterator(const ListObject* list, Pos pos, bool forward, bool valid)
    : list_(list), pos_(pos), forward_(forward), valid_(valid) {
  if (!valid_) return;
  // Compressed nodes ahead are decompressed into scratch_, one after the
  // other: reserving room for all of them now means it never moves, so a
  // value read earlier stays valid while the iterator lives (LRANGE collects
  // views backwards before replying).
  size_t need = 0;
  if (list_->compress_ <= 0) {
    // No node of this list is ever compressed.
  } else if (forward_) {
    for (size_t i = pos_.node; i < list_->node_count(); i++) need += list_->stored(i).raw;
  } else {
    for (size_t i = 0; i <= pos_.node; i++) need += list_->stored(i).raw;
  }
  if (need > 0) scratch_.reserve(need);
  Load(pos_.node);
}

void ListObject::Iterator::Load(size_t i) {
  const Node& n = list_->stored(i);
  if (n.raw == 0) {
    buf_ = n.buf;
    begin_ = n.begin;
    end_ = n.end;
    return;
  }
  size_t at = scratch_.size();
  scratch_.resize(at + n.raw);  // within the reserved room: no move
  uint8_t* out = scratch_.data() + at;
  unsigned int len = lzf_decompress(n.buf, unsigned(n.cap), out, unsigned(n.raw));
  if (len != n.raw) abort();  // our own data: cannot happen
  // Offsets as in the node once decompressed in place (begin 0), so pos()
  // can be used for an edit (InsertAtPivot).
  buf_ = out;
  begin_ = 0;
  end_ = n.raw;
}

std::string_view ListObject::Iterator::value() const { return Decode(buf_ + pos_.off); }

void ListObject::Iterator::Next() {
  if (forward_) {
    pos_.off += ElementSize(buf_ + pos_.off);
    if (pos_.off == end_) {
      if (++pos_.node == list_->node_count()) {
        valid_ = false;
        return;
      }
      Load(pos_.node);
      pos_.off = begin_;
    }
    return;
  }
  if (pos_.off == begin_) {
    if (pos_.node == 0) {
      valid_ = false;
      return;
    }
    Load(--pos_.node);
    pos_.off = end_;
  }
  pos_.off = size_t(PrevElement(buf_ + pos_.off) - buf_);
}

// ---- Middle edits ----

void ListObject::InsertAt(Pos pos, std::string_view v) {
  Node& n = node(pos.node);
  size_t es = EncodedSize(v.size());
  size_t at = OpenGap(n, pos.off, es, false);
  Encode(v, n.buf + at);
  n.count++;
  size_++;
  SplitIfNeeded(pos.node);
}

void ListObject::SplitIfNeeded(size_t i) {
  Node& n = node(i);
  if (Fits(n.count, n.bytes())) return;
  // Element boundaries of the node.
  std::vector<size_t> offs;
  offs.reserve(n.count + 1);
  for (size_t off = n.begin; off < n.end; off += ElementSize(n.buf + off)) offs.push_back(off);
  offs.push_back(n.end);
  size_t count = n.count;
  // Cut points: halves when both fit (room for later inserts), else greedy.
  std::vector<size_t> cuts;  // element indexes where a new node starts
  size_t mid = count / 2;
  if (Fits(mid, offs[mid] - offs[0]) && Fits(count - mid, offs[count] - offs[mid])) {
    cuts.push_back(mid);
  } else {
    size_t start = 0;
    for (size_t e = 1; e < count; e++) {
      if (!Fits(e - start + 1, offs[e + 1] - offs[start])) {
        cuts.push_back(e);
        start = e;
      }
    }
  }
  cuts.push_back(count);
  std::vector<Node> pieces;
  size_t start = 0;
  for (size_t c : cuts) {
    Node p;
    p.cap = offs[c] - offs[start];
    p.buf = static_cast<uint8_t*>(malloc(p.cap));
    memcpy(p.buf, n.buf + offs[start], p.cap);
    p.end = p.cap;
    p.count = c - start;
    pieces.push_back(p);
    start = c;
  }
  FreeNode(node(i));
  node(i) = pieces[0];
  for (size_t k = 1; k < pieces.size(); k++) InsertNode(i + k, pieces[k]);
}

bool ListObject::TryMerge(size_t i) {
  if (i + 1 >= node_count()) return false;
  Node& a = node(i);
  Node& b = node(i + 1);
  if (!Fits(a.count + b.count, a.bytes() + b.bytes())) return false;
  size_t at = OpenGap(a, a.end, b.bytes(), false);
  memcpy(a.buf + at, b.buf + b.begin, b.bytes());
  a.count += b.count;
  RemoveNode(i + 1);
  return true;
}

void ListObject::MergeAll() {
  for (size_t i = 0; i + 1 < node_count();) {
    if (!TryMerge(i)) i++;
  }
}

bool ListObject::InsertAtPivot(std::string_view pivot, std::string_view v, bool after) {
  for (Iterator it = Begin(); it.Valid(); it.Next()) {
    if (it.value() != pivot) continue;
    Pos p = it.pos();
    if (after) p.off += ElementSize(node(p.node).buf + p.off);
    InsertAt(p, v);
    Recompress();
    return true;
  }
  Recompress();
  return false;
}

size_t ListObject::Remove(std::string_view v, int64_t count) {
  // How many may still be removed; count INT64_MIN is 2^63, fine as unsigned.
  uint64_t left = count == 0 ? UINT64_MAX : count > 0 ? uint64_t(count) : 0 - uint64_t(count);
  bool from_tail = count < 0;
  size_t removed = 0;
  std::vector<size_t> doomed;  // offsets to remove in the current node, ascending
  size_t nodes = node_count();
  for (size_t step = 0; step < nodes && left > 0; step++) {
    size_t ni = from_tail ? nodes - 1 - step : step;
    Node& n = node(ni);
    doomed.clear();
    if (from_tail) {
      for (const uint8_t* p = n.buf + n.end; p > n.buf + n.begin && left > 0;) {
        p = PrevElement(p);
        if (Decode(p) == v) {
          doomed.push_back(size_t(p - n.buf));
          left--;
        }
      }
      std::reverse(doomed.begin(), doomed.end());
    } else {
      for (size_t off = n.begin; off < n.end && left > 0; off += ElementSize(n.buf + off)) {
        if (Decode(n.buf + off) == v) {
          doomed.push_back(off);
          left--;
        }
      }
    }
    if (doomed.empty()) continue;
    // Compact the node in one pass.
    size_t w = doomed[0];
    size_t r = doomed[0];
    for (size_t d = 0; d < doomed.size(); d++) {
      if (r < doomed[d]) {
        size_t len = doomed[d] - r;
        memmove(n.buf + w, n.buf + r, len);
        w += len;
      }
      r = doomed[d] + ElementSize(n.buf + doomed[d]);
    }
    memmove(n.buf + w, n.buf + r, n.end - r);
    n.end = w + (n.end - r);
    n.count -= doomed.size();
    size_ -= doomed.size();
    removed += doomed.size();
  }
  if (removed == 0) {
    Recompress();
    return 0;
  }
  for (size_t i = node_count(); i-- > 0;) {
    if (stored(i).count == 0) RemoveNode(i);
  }
  MergeAll();
  Recompress();
  return removed;
}

void ListObject::TrimEnds(size_t front, size_t back) {
  if (front >= size_ || back >= size_ - front) {
    while (node_count() > 0) RemoveNode(node_count() - 1);
    size_ = 0;
    return;
  }
  while (front > 0) {
    Node& n = node(0);
    if (n.count <= front) {
      front -= n.count;
      size_ -= n.count;
      RemoveNode(0);
      continue;
    }
    size_t off = n.begin;
    for (size_t k = 0; k < front; k++) off += ElementSize(n.buf + off);
    CloseGap(n, n.begin, off - n.begin);
    n.count -= front;
    size_ -= front;
    front = 0;
  }
  while (back > 0) {
    size_t last = node_count() - 1;
    Node& n = node(last);
    if (n.count <= back) {
      back -= n.count;
      size_ -= n.count;
      RemoveNode(last);
      continue;
    }
    const uint8_t* p = n.buf + n.end;
    for (size_t k = 0; k < back; k++) p = PrevElement(p);
    size_t off = size_t(p - n.buf);
    CloseGap(n, off, n.end - off);
    n.count -= back;
    size_ -= back;
    back = 0;
  }
  Recompress();
}

std::vector<size_t> ListObject::Positions(std::string_view v, size_t skip, size_t count,
                                          size_t maxlen, bool from_tail) const {
  std::vector<size_t> out;
  size_t idx = from_tail ? size_ - 1 : 0;
  size_t seen = 0;
  for (Iterator it = from_tail ? RBegin() : Begin(); it.Valid(); it.Next()) {
    if (maxlen != 0 && seen == maxlen) break;
    seen++;
    if (it.value() == v) {
      if (skip > 0) {
        skip--;
      } else {
        out.push_back(idx);
        if (count != 0 && out.size() == count) break;
      }
    }
    idx = from_tail ? idx - 1 : idx + 1;
  }
  return out;
}

bool ListObject::CheckInvariants() const {
  size_t total = 0;
  for (size_t i = 0; i < node_count(); i++) {
    const Node& n = node(i);
    if (n.count == 0 || n.begin > n.end || n.end > n.cap) return false;
    if (!Fits(n.count, n.bytes())) return false;
    size_t k = 0, off = n.begin;
    while (off < n.end) {
      off += ElementSize(n.buf + off);
      k++;
    }
    if (off != n.end || k != n.count) return false;
    const uint8_t* p = n.buf + n.end;
    k = 0;
    while (p > n.buf + n.begin) {
      p = PrevElement(p);
      k++;
    }
    if (p != n.buf + n.begin || k != n.count) return false;
    total += n.count;
  }
  return total == size_;
}

}  // namespace basalt::storage
