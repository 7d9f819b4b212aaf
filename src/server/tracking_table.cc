#include "server/tracking_table.h"

#include <algorithm>

#include "common/hash.h"

namespace basalt::server {

TrackingTable::Stripe& TrackingTable::StripeFor(std::string_view key) {
  // The top bits: the maps inside hash the same key with std::hash.
  return stripes_[(HashKey(key) >> 58) % kStripes];
}

bool TrackingTable::Remember(std::string_view key, uint64_t id) {
  Stripe& s = StripeFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.keys.find(std::string(key));
  if (it == s.keys.end()) {
    it = s.keys.emplace(std::string(key), std::vector<uint64_t>()).first;
    keys_.fetch_add(1, std::memory_order_relaxed);
  }
  std::vector<uint64_t>& ids = it->second;
  if (std::find(ids.begin(), ids.end(), id) != ids.end()) return false;
  ids.push_back(id);
  items_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::vector<uint64_t> TrackingTable::Take(std::string_view key) {
  Stripe& s = StripeFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.keys.find(std::string(key));
  if (it == s.keys.end()) return {};
  std::vector<uint64_t> ids = std::move(it->second);
  s.keys.erase(it);
  keys_.fetch_sub(1, std::memory_order_relaxed);
  items_.fetch_sub(int64_t(ids.size()), std::memory_order_relaxed);
  return ids;
}

void TrackingTable::Clear() {
  for (Stripe& s : stripes_) {
    std::unordered_map<std::string, std::vector<uint64_t>> old;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      old.swap(s.keys);
      int64_t items = 0;
      for (auto& [k, ids] : old) items += int64_t(ids.size());
      keys_.fetch_sub(int64_t(old.size()), std::memory_order_relaxed);
      items_.fetch_sub(items, std::memory_order_relaxed);
    }
  }
}

std::optional<std::string> TrackingTable::PickKey(uint64_t rnd) {
  for (size_t n = 0; n < kStripes; n++) {
    Stripe& s = stripes_[(rnd + n) % kStripes];
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.keys.empty()) continue;
    // A random bucket, then the next non-empty one.
    size_t buckets = s.keys.bucket_count();
    size_t b = size_t(rnd >> 8) % buckets;
    for (size_t i = 0; i < buckets; i++) {
      size_t bi = (b + i) % buckets;
      if (s.keys.bucket_size(bi) > 0) return s.keys.begin(bi)->first;
    }
  }
  return std::nullopt;
}

}  // namespace basalt::server
