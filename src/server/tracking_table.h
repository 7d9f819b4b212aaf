// TrackingTable: the keys tracking clients have read (CLIENT TRACKING's
// default mode), each with the ids of the clients that read it.
//
// Keys are names only, whatever the database, as in Redis: a write to "k" in
// any database invalidates every reader of "k". The table is split into
// stripes, each with its own mutex, so writers on different shards rarely
// meet; the totals are atomics, read without a lock (the fast path of a
// write checks empty()).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace basalt::server {

class TrackingTable {
 public:
  // Client `id` read `key`. Returns true if the pair is new.
  bool Remember(std::string_view key, uint64_t id);
  // Forgets `key` and returns the ids that had read it (empty if none).
  std::vector<uint64_t> Take(std::string_view key);
  // Forgets everything.
  void Clear();
  // Some tracked key, picked with `rnd` (eviction at tracking-table-max-keys);
  // nullopt if the table is empty.
  std::optional<std::string> PickKey(uint64_t rnd);

  bool empty() const { return keys_.load(std::memory_order_relaxed) == 0; }
  // Keys tracked, and (key, client) pairs: INFO's tracking_total_keys and
  // tracking_total_items.
  int64_t keys() const { return keys_.load(std::memory_order_relaxed); }
  int64_t items() const { return items_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<uint64_t>> keys;  // Guarded by mu.
  };
  Stripe& StripeFor(std::string_view key);

  std::array<Stripe, kStripes> stripes_;
  std::atomic<int64_t> keys_{0};
  std::atomic<int64_t> items_{0};
};

}  // namespace basalt::server
