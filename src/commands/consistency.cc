#include "commands/consistency.h"

#include "common/clock.h"

namespace basalt::commands {

std::string ConsistencyStore::NextId() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::to_string(NowMs()) + "-" + std::to_string(++seq_);
}

std::shared_ptr<DigestPass> ConsistencyStore::Begin(const std::string& id, uint32_t range_count,
                                                    std::vector<uint32_t> detail_ranges) {
  auto pass = std::make_shared<DigestPass>();
  pass->id = id;
  pass->started_ms = NowMs();
  pass->range_count = range_count;
  pass->detail_ranges = std::move(detail_ranges);
  std::lock_guard<std::mutex> lock(mu_);
  passes_.push_back(pass);
  while (passes_.size() > kKeptPasses) passes_.pop_front();
  passes_started_++;
  return pass;
}

void ConsistencyStore::SetInstant(const std::shared_ptr<DigestPass>& pass, int64_t offset,
                                  int64_t instant_us) {
  std::lock_guard<std::mutex> lock(mu_);
  pass->offset = offset;
  pass->instant_us = instant_us;
}

void ConsistencyStore::Finish(const std::shared_ptr<DigestPass>& pass,
                              std::shared_ptr<persistence::RangeDigest> digest,
                              const std::string& error) {
  std::vector<persistence::RangeDigest::KeyDigest> detail;
  bool truncated = false;
  if (digest != nullptr && error.empty()) {
    detail = digest->TakeDetail();
    truncated = digest->detail_truncated();
  }
  std::lock_guard<std::mutex> lock(mu_);
  pass->duration_ms = NowMs() - pass->started_ms;
  if (!error.empty()) {
    pass->state = DigestPass::State::kFailed;
    pass->error = error;
    passes_failed_++;
    return;
  }
  pass->digest = std::move(digest);
  pass->detail = std::move(detail);
  pass->detail_truncated = truncated;
  pass->state = DigestPass::State::kDone;
}

std::shared_ptr<const DigestPass> ConsistencyStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& p : passes_) {
    if (p->id == id) return std::make_shared<const DigestPass>(*p);
  }
  return nullptr;
}

void ConsistencyStore::Record(const CheckOutcome& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  outcome_ = outcome;
  have_outcome_ = true;
  checks_++;
  if (outcome.ok) last_success_ms_ = outcome.time_ms;
}

bool ConsistencyStore::LastOutcome(CheckOutcome* out, int64_t* checks,
                                   int64_t* last_success_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (out != nullptr) *out = outcome_;
  if (checks != nullptr) *checks = checks_;
  if (last_success_ms != nullptr) *last_success_ms = last_success_ms_;
  return have_outcome_;
}

std::string ConsistencyStore::InfoFields() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto field = [&](const char* k, const std::string& v) {
    out.append(k).append(":").append(v).append("\r\n");
  };
  field("consistency_digest_passes", std::to_string(passes_started_));
  field("consistency_digest_passes_failed", std::to_string(passes_failed_));
  if (!passes_.empty()) {
    const DigestPass& p = *passes_.back();
    const char* state = p.state == DigestPass::State::kRunning ? "running"
                        : p.state == DigestPass::State::kDone  ? "done"
                                                               : "failed";
    field("consistency_last_pass_id", p.id);
    field("consistency_last_pass_state", state);
    field("consistency_last_pass_offset", std::to_string(p.offset));
    field("consistency_last_pass_keys", std::to_string(p.digest != nullptr ? p.digest->keys() : 0));
    field("consistency_last_pass_duration_ms", std::to_string(p.duration_ms));
    field("consistency_last_pass_instant_usec", std::to_string(p.instant_us));
  }
  field("consistency_checks", std::to_string(checks_));
  if (have_outcome_) {
    field("consistency_last_check_id", outcome_.id);
    field("consistency_last_check_time", std::to_string(outcome_.time_ms / 1000));
    field("consistency_last_check_status", outcome_.ok ? "ok" : "differences");
    field("consistency_last_check_offset", std::to_string(outcome_.offset));
    field("consistency_last_check_replicas_checked", std::to_string(outcome_.replicas_checked));
    field("consistency_last_check_replicas_skipped", std::to_string(outcome_.replicas_skipped));
    field("consistency_last_check_differing_ranges", std::to_string(outcome_.differing_ranges));
    field("consistency_last_check_differing_keys", std::to_string(outcome_.differing_keys));
    field("consistency_last_success_time", std::to_string(last_success_ms_ / 1000));
  }
  return out;
}

void ConsistencyStore::SetDisconnector(std::function<bool(const std::string&)> fn) {
  disconnect_ = std::move(fn);
}

bool ConsistencyStore::ForceFullSync(const std::string& addr) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    forced_full_.insert(addr);
  }
  if (disconnect_ && disconnect_(addr)) return true;
  std::lock_guard<std::mutex> lock(mu_);
  forced_full_.erase(addr);
  return false;
}

bool ConsistencyStore::TakeForcedFullSync(const std::string& addr) {
  std::lock_guard<std::mutex> lock(mu_);
  return forced_full_.erase(addr) > 0;
}

}  // namespace basalt::commands
