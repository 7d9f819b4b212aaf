#include "persistence/range_digest.h"

#include <xxhash.h>

#include "persistence/digest.h"
#include "storage/entry.h"

namespace basalt::persistence {
namespace {

// Fixed seeds: every node and every run must agree.
constexpr uint64_t kRangeSeed = 0x62617361722d7267ULL;
constexpr uint64_t kKeyDigestSeed = 0x62617361722d6b64ULL;

void PutLe64(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(char(uint8_t(v >> (8 * i))));
}

}  // namespace

RangeDigest::RangeDigest(uint32_t range_count, const std::vector<uint32_t>& detail)
    : sums_(range_count == 0 ? 1 : range_count),
      counts_(range_count == 0 ? 1 : range_count),
      detail_(sums_.size(), false) {
  for (uint32_t r : detail) {
    if (r < detail_.size()) {
      detail_[r] = true;
      any_detail_ = true;
    }
  }
}

uint32_t RangeDigest::RangeOf(std::string_view key, uint32_t range_count) {
  return uint32_t(XXH3_64bits_withSeed(key.data(), key.size(), kRangeSeed) % range_count);
}

uint64_t RangeDigest::KeyDigestOf(int db, const storage::Entry& e) {
  thread_local std::string buf;
  buf.clear();
  const Digest value = DigestValue(e);
  PutLe64(uint64_t(int64_t(db)), &buf);
  PutLe64(e.key().size(), &buf);
  buf.append(e.key());
  buf.append(reinterpret_cast<const char*>(value.data()), value.size());
  if (e.has_expire()) {
    buf.push_back(1);
    PutLe64(uint64_t(e.expire_ms()), &buf);
  } else {
    buf.push_back(0);
  }
  uint64_t d = XXH3_64bits_withSeed(buf.data(), buf.size(), kKeyDigestSeed);
  if (buf.capacity() > (1 << 16)) std::string().swap(buf);
  return d;
}

void RangeDigest::Visit(int db, const storage::Entry& e) {
  const uint32_t r = RangeOf(e.key(), range_count());
  const uint64_t d = KeyDigestOf(db, e);
  sums_[r].fetch_add(d, std::memory_order_relaxed);
  counts_[r].fetch_add(1, std::memory_order_relaxed);
  keys_.fetch_add(1, std::memory_order_relaxed);
  if (any_detail_ && detail_[r]) {
    std::lock_guard<std::mutex> lock(mu_);
    if (listed_.size() >= kMaxDetailKeys) {
      truncated_.store(true, std::memory_order_relaxed);
    } else {
      listed_.push_back(KeyDigest{db, std::string(e.key()), d});
    }
  }
}

std::vector<RangeDigest::KeyDigest> RangeDigest::TakeDetail() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(listed_);
}

}  // namespace basalt::persistence
