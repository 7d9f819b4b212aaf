// ListObject: the value of a Redis list key.
//
// Structure (what Redis calls a quicklist): a sequence of nodes, each a
// contiguous byte buffer of encoded elements. An element is stored as
//   varint(len) | bytes | backlen
// where backlen encodes the size of varint(len)+bytes so that the buffer can
// be walked backwards from its end (RPOP, negative ranks, LREM with a negative
// count) without scanning the node from the front. The node size is bounded by
// the list's fill factor, Redis's list-max-listpack-size:
//   fill > 0:   at most `fill` elements per node (and at most 8 KiB, as Redis
//               caps count-bounded nodes), a larger single element gets a node;
//   fill < 0:   at most 4/8/16/32/64 KiB per node for -1..-5 (below -5 means -5).
// Each node keeps free room at both ends, so pushing and popping at either end
// of the list is amortized O(1), and finding position i walks the nodes from
// the nearer end (O(nodes)), after which neighbours are reached sequentially.
//
// Redis 7.0 always reports the encoding "quicklist" for a list, whatever its
// size (listpack-encoded lists came with 7.2), so EncodingName() does too.
//
// The fill factor and the compression depth are fixed when the list is
// created (as Redis reads list-max-listpack-size and list-compress-depth only
// when it creates a list).
//
// Compression (list-compress-depth d > 0, as Redis's quicklist): every node
// but the d nodes at each end is kept LZF-compressed when that saves space.
// A node is decompressed when an operation reaches into it (counts are kept
// outside the buffer, so walking past a node does not), and the nodes that
// should be compressed are compressed again after every change of the list.
//
// Thread-safety: as every Object: touched only with its shard's lock held.
// Views and iterators are invalidated by any mutation of the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object.h"

namespace basalt::storage {

class ListObject : public Object {
 public:
  // A position in the list: a node and the offset of an element's first byte.
  struct Pos {
    size_t node = 0;
    size_t off = 0;
  };

  // Walks the elements from a position, forwards or backwards. A compressed
  // node it passes through is decompressed into the iterator's own buffer
  // (the list stays compressed), so an iterator is movable, not copyable.
  class Iterator {
   public:
    Iterator(Iterator&&) = default;
    Iterator& operator=(Iterator&&) = default;
    Iterator(const Iterator&) = delete;
    Iterator& operator=(const Iterator&) = delete;
    bool Valid() const { return valid_; }
    std::string_view value() const;  // REQUIRES: Valid()
    // The position of the current element, for Erase / InsertAt.
    Pos pos() const { return pos_; }
    void Next();  // one element towards the tail (forward) or the head (backward)

   private:
    friend class ListObject;
    Iterator(const ListObject* list, Pos pos, bool forward, bool valid);
    // Points buf_, begin_ and end_ at node i's elements.
    void Load(size_t i);
    const ListObject* list_;
    Pos pos_;
    bool forward_;
    bool valid_;
    const uint8_t* buf_ = nullptr;
    size_t begin_ = 0, end_ = 0;
    std::vector<uint8_t> scratch_;  // a compressed node's elements
  };

  explicit ListObject(int64_t fill) : ListObject(fill, CompressDepth()) {}
  ListObject(int64_t fill, int64_t compress_depth);
  // list-compress-depth for lists created from now on (any thread).
  static void SetCompressDepth(int64_t depth);
  static int64_t CompressDepth();
  ~ListObject() override;
  ListObject(const ListObject&) = delete;
  ListObject& operator=(const ListObject&) = delete;

  const char* EncodingName() const override { return "quicklist"; }
  size_t MemoryUsage() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t Size() const override { return size_; }

  int64_t fill() const { return fill_; }
  size_t node_count() const { return nodes_.size() - first_; }
  // list-compress-depth this list applies (0: no node compressed).
  int64_t compress_depth() const { return compress_; }
  // How many nodes are held compressed now.
  size_t compressed_nodes() const;
  // Bytes of encoded elements over all nodes (DEBUG OBJECT ql_uncompressed_size).
  size_t UncompressedBytes() const;

  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  // Removes the first / last element and returns it. REQUIRES: Size() > 0.
  std::string PopFront();
  std::string PopBack();
  // Removes up to n elements from one end, appending them to *out in the
  // order they were removed.
  void PopFront(size_t n, std::vector<std::string>* out);
  void PopBack(size_t n, std::vector<std::string>* out);

  // Normalizes a Redis index (negative counts from the tail); false when out
  // of range.
  bool NormalizeIndex(int64_t index, size_t* out) const;
  // The element at a normalized index. REQUIRES: i < Size().
  std::string_view At(size_t i) const;
  // Replaces the element at a normalized index. REQUIRES: i < Size().
  void Set(size_t i, std::string_view v);

  // Iterator at a normalized index (invalid when i >= Size()).
  Iterator IteratorAt(size_t i, bool forward) const;
  Iterator Begin() const { return IteratorAt(0, true); }
  // Iterator at the last element, walking towards the head.
  Iterator RBegin() const;

  // Inserts v before or after the first element equal to pivot (LINSERT).
  // Returns false when the pivot is absent.
  bool InsertAtPivot(std::string_view pivot, std::string_view v, bool after);
  // Removes elements equal to v (LREM): the first `count` from the head when
  // count > 0, the last -count from the tail when count < 0, all when 0.
  // Returns how many were removed.
  size_t Remove(std::string_view v, int64_t count);
  // Removes `front` elements from the head and `back` from the tail (LTRIM).
  void TrimEnds(size_t front, size_t back);
  // Indexes of the elements equal to v (LPOS): skipping the first
  // `skip` matches, collecting up to `count` (0: all), looking at no more than
  // `maxlen` elements (0: all), from the tail when `from_tail`.
  std::vector<size_t> Positions(std::string_view v, size_t skip, size_t count, size_t maxlen,
                                bool from_tail) const;

  // Checks the internal invariants (tests): counts, sizes, node limits.
  bool CheckInvariants() const;

 private:
  // A node: a malloc'd buffer holding `count` encoded elements in
  // [begin, end), with free room before begin and after end.
  // A compressed node (raw != 0) holds LZF data in buf[0, cap) standing for
  // `raw` bytes of elements; begin/end are meaningless until decompressed.
  struct Node {
    uint8_t* buf = nullptr;
    size_t cap = 0;
    size_t begin = 0;
    size_t end = 0;
    size_t count = 0;
    size_t raw = 0;
    size_t bytes() const { return end - begin; }
  };

  static size_t EncodedSize(size_t len);
  static size_t Encode(std::string_view v, uint8_t* out);
  // Size of the element starting at p (header, data and backlen).
  static size_t ElementSize(const uint8_t* p);
  static std::string_view Decode(const uint8_t* p);
  // Start of the element that ends at `end` (exclusive).
  static const uint8_t* PrevElement(const uint8_t* end);

  bool Fits(size_t count, size_t bytes) const;
  // The byte limit of a node holding more than one element.
  size_t MaxNodeBytes() const;
  static void FreeNode(Node& n);
  // Makes room for `need` bytes at buffer offset `at` (begin <= at <= end),
  // moving or reallocating the data; returns the offset of the room.
  // `prefer_front` places new slack before the data when the node is empty.
  size_t OpenGap(Node& n, size_t at, size_t need, bool prefer_front) const;
  // Removes `len` bytes at buffer offset `at`; returns the offset where the
  // bytes that followed them now start. May shrink the buffer.
  static size_t CloseGap(Node& n, size_t at, size_t len);

  // Node i, decompressed first if it was compressed.
  Node& node(size_t i) const {
    Node& n = nodes_[first_ + i];
    if (n.raw != 0) {
      Decompress(n);
      dirty_ = true;
    }
    return n;
  }
  // Node i as it is (its count is always valid).
  const Node& stored(size_t i) const { return nodes_[first_ + i]; }
  static void Decompress(Node& n);
  // Compresses n if that saves space; false if it stays as it is.
  static bool Compress(Node& n);
  // Compresses every node deeper than compress_ from both ends.
  void Recompress();
  void InsertNode(size_t i, Node n);
  void RemoveNode(size_t i);
  // Position of a normalized index.
  Pos Locate(size_t i) const;
  // Inserts an encoded element at a position (before the element at pos, or
  // at the end of the node when pos.off == end), splitting the node if it
  // then exceeds the limits.
  void InsertAt(Pos pos, std::string_view v);
  // Splits node i into nodes within the limits, if it exceeds them.
  void SplitIfNeeded(size_t i);
  // Merges node i with node i+1 if together they fit.
  bool TryMerge(size_t i);
  // Merges every pair of neighbours that fit together (after LREM).
  void MergeAll();

  int64_t fill_;
  int64_t compress_;
  size_t size_ = 0;
  // The nodes live in nodes_[first_, nodes_.size()); room before first_
  // makes adding a node at the head O(1) amortized.
  // (mutable: reading an element decompresses its node in place.)
  mutable std::vector<Node> nodes_;
  size_t first_ = 0;
  // A node that should be compressed may be raw (decompressed by a read, or
  // created in the middle): the next Recompress looks at every node.
  mutable bool dirty_ = false;
};

}  // namespace basalt::storage
