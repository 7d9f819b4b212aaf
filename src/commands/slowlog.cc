#include "commands/slowlog.h"

#include "common/clock.h"

namespace basalt::commands {
namespace {
constexpr size_t kMaxArgs = 32;
constexpr size_t kMaxArgLen = 128;
}  // namespace

void SlowLog::Add(std::span<const std::string_view> args, int64_t duration_us, std::string addr,
                  std::string name, size_t max_len) {
  Entry e;
  e.time_s = NowMs() / 1000;
  e.duration_us = duration_us;
  size_t n = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < n; i++) {
    if (i == kMaxArgs - 1 && args.size() > kMaxArgs) {
      e.args.push_back("... (" + std::to_string(args.size() - kMaxArgs + 1) + " more arguments)");
      break;
    }
    std::string_view a = args[i];
    if (a.size() > kMaxArgLen) {
      e.args.push_back(std::string(a.substr(0, kMaxArgLen)) + "... (" +
                       std::to_string(a.size() - kMaxArgLen) + " more bytes)");
    } else {
      e.args.emplace_back(a);
    }
  }
  e.addr = std::move(addr);
  e.name = std::move(name);
  std::lock_guard<std::mutex> lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLog::Entry> SlowLog::Get(int64_t count) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = count < 0 ? entries_.size() : std::min(entries_.size(), size_t(count));
  return std::vector<Entry>(entries_.begin(), entries_.begin() + long(n));
}

size_t SlowLog::Len() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

void SlowLog::Trim(size_t max_len) {
  std::lock_guard<std::mutex> lock(mu_);
  while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace basalt::commands
