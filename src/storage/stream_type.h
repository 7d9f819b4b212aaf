// StreamObject: the value of a Redis stream key.
//
// Entries (an ID and field/value pairs) live in nodes, each one compact byte
// buffer, kept in an ordered map keyed by the node's master ID (the ID of the
// first entry ever added to it), as Redis keeps listpacks in a radix tree.
// A node's buffer:
//   header:  varint n_master_fields, then each master field (varint len, bytes)
//   entries: flags byte (bit 0 deleted, bit 1 same fields as the master),
//            varint (ms - master.ms), zigzag varint (seq - master.seq),
//            [varint n_fields, fields...] unless "same fields",
//            then the n values (varint len, bytes).
// A node accepts entries until it holds `max_entries` (live + deleted) or
// `max_bytes` bytes (0: no limit), Redis's stream-node-max-entries/-bytes.
// XDEL only flags an entry as deleted (as Redis does); a node whose entries
// are all deleted is removed.
//
// Consumer groups are kept beside the entries: per group the last delivered
// ID, the entries-read counter (-1: unknown), its pending entries list (PEL,
// ordered by ID) and its consumers (ordered by name), each with its own PEL.
//
// Thread-safety: as every Object: touched only with its shard's lock held.
// Views handed to callbacks are valid only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/object.h"

namespace basalt::storage {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamID&) const = default;
  bool IsZero() const { return ms == 0 && seq == 0; }
  static constexpr StreamID Max() { return StreamID{UINT64_MAX, UINT64_MAX}; }
  // The next / previous ID; false on overflow / underflow.
  bool Incr();
  bool Decr();
  std::string ToString() const;
};

// Parses "ms-seq" or "ms" (seq = missing_seq). Digits only, as Redis's
// strtoull-based parser (no sign, no spaces).
bool ParseStreamID(std::string_view s, uint64_t missing_seq, StreamID* out,
                   bool* seq_given = nullptr);

struct StreamLimits {
  size_t max_bytes = 4096;
  size_t max_entries = 100;
};

constexpr int64_t kInvalidEntriesRead = -1;

struct StreamPending {
  int64_t delivery_time = 0;
  uint64_t delivery_count = 1;
  std::string consumer;
};

struct StreamConsumer {
  int64_t seen_time = 0;
  std::set<StreamID> pel;
};

struct StreamGroup {
  StreamID last_id;
  int64_t entries_read = kInvalidEntriesRead;
  std::map<StreamID, StreamPending> pel;
  std::map<std::string, StreamConsumer, std::less<>> consumers;
};

class StreamObject : public Object {
 public:
  using Fields = std::vector<std::pair<std::string_view, std::string_view>>;
  // Returns false to stop the walk.
  using Visitor = std::function<bool(const StreamID&, const Fields&)>;

  StreamObject() = default;
  const char* EncodingName() const override { return "stream"; }
  size_t MemoryUsage() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t Size() const override { return length_; }

  const StreamID& last_id() const { return last_id_; }
  void set_last_id(StreamID id) { last_id_ = id; }
  const StreamID& first_id() const { return first_id_; }
  const StreamID& max_deleted_id() const { return max_deleted_id_; }
  void set_max_deleted_id(StreamID id) { max_deleted_id_ = id; }
  uint64_t entries_added() const { return entries_added_; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }
  size_t node_count() const { return nodes_.size(); }
  // Calls f(master_id) for each node, in order.
  template <typename F>
  void ForEachNode(F f) const {
    for (const auto& [id, n] : nodes_) f(id);
  }

  // Appends an entry. REQUIRES: id > last_id(), fields.size() even and > 0.
  // `pairs` alternates field, value.
  void Append(StreamID id, const std::vector<std::string_view>& pairs, const StreamLimits& lim);
  // Flags the entry as deleted; false when absent.
  bool Delete(StreamID id);
  // Whether the entry exists; fills *out with its pairs when given.
  bool Get(StreamID id, Fields* out = nullptr) const;
  // Walks the entries in [start, end] (or backwards from end to start).
  void Range(StreamID start, StreamID end, bool rev, const Visitor& v) const;

  // Trims: MAXLEN (keep the last `maxlen` entries) or MINID (drop entries
  // below `minid`); `approx` only removes whole nodes; `limit` (0: none)
  // caps the entries removed. Returns the number removed.
  int64_t TrimMaxLen(uint64_t maxlen, bool approx, int64_t limit);
  int64_t TrimMinId(StreamID minid, bool approx, int64_t limit);

  // Consumer groups, ordered by name.
  std::map<std::string, StreamGroup, std::less<>>& groups() { return groups_; }
  const std::map<std::string, StreamGroup, std::less<>>& groups() const { return groups_; }
  StreamGroup* FindGroup(std::string_view name);

  // Redis's lag helpers (t_stream.c semantics, 7.0).
  bool RangeHasTombstones(StreamID start, StreamID end) const;
  int64_t EstimateDistanceFromFirstEverEntry(StreamID id) const;
  // The group's lag, or nullopt when not computable.
  std::optional<int64_t> Lag(const StreamGroup& g) const;

  // Checks invariants (tests).
  bool CheckInvariants() const;

  // Node-level access for RDB save/load (persistence/rdb_stream.cc), which
  // writes each node as Redis's stream listpack.
  struct RawEntry {
    StreamID id;
    bool deleted = false;
    bool same_fields = false;
    Fields fields;
  };
  struct RawNode {
    StreamID master;
    std::vector<std::string_view> master_fields;
    uint32_t live = 0;
    uint32_t deleted = 0;
    std::vector<RawEntry> entries;
  };
  // Calls f for each node in order; views valid during the call.
  void ForEachRawNode(const std::function<void(const RawNode&)>& f) const;
  // Loading: starts a node (its master entry), then entries into it, in ID
  // order. `pairs` alternates field, value. REQUIRES: ids ascending.
  void LoadNode(StreamID master, const std::vector<std::string>& master_fields);
  void LoadEntry(StreamID id, bool deleted, const std::vector<std::string_view>& pairs);
  // After loading: drops empty nodes and sets the stream's metadata.
  void LoadFinish(StreamID last_id, StreamID first_id, StreamID max_deleted,
                  uint64_t entries_added);

 private:
  struct Node {
    std::string buf;
    uint32_t live = 0;
    uint32_t deleted = 0;
    size_t header_end = 0;
    // Bytes Redis's listpack for this node would take, less its header,
    // terminator and the live/deleted counters: stream-node-max-bytes is
    // checked against that size, so nodes close where Redis's close.
    size_t lp_rest = 0;
  };
  // Listpack bytes of the node as Redis would have it.
  static size_t LpBytes(const Node& n);
  // Adds to n.lp_rest the listpack bytes of one entry (or the master entry).
  static void LpAddEntry(Node* n, StreamID master, StreamID id, bool same,
                         const std::vector<std::string_view>& pairs);
  static void LpAddMaster(Node* n, const std::vector<std::string_view>& fields);
  template <typename Trim>
  int64_t TrimGeneric(bool approx, int64_t limit, Trim keep_more);
  // Decodes the entry at buf offset `off`; returns the offset after it.
  static size_t Decode(const Node& n, const StreamID& master, size_t off, StreamID* id,
                       bool* deleted, Fields* fields, std::vector<std::string_view>* master_f);
  static void MasterFields(const Node& n, std::vector<std::string_view>* out);
  void UpdateFirstId();

  std::map<StreamID, Node> nodes_;
  size_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_id_;
  uint64_t entries_added_ = 0;
  std::map<std::string, StreamGroup, std::less<>> groups_;
};

}  // namespace basalt::storage
