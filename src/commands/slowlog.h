// SlowLog: the last slowlog-max-len commands that took longer than
// slowlog-log-slower-than microseconds (SLOWLOG GET/LEN/RESET).
// Thread-safety: all methods may be called from any worker thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::commands {

class SlowLog {
 public:
  struct Entry {
    uint64_t id;
    int64_t time_s;
    int64_t duration_us;
    std::vector<std::string> args;
    std::string addr;
    std::string name;
  };

  // Records a command; args are stored trimmed as Redis does (at most 32
  // arguments, each at most 128 bytes plus a "... (N more bytes)" note).
  void Add(std::span<const std::string_view> args, int64_t duration_us, std::string addr,
           std::string name, size_t max_len);
  // Newest first; count < 0 means all.
  std::vector<Entry> Get(int64_t count) const;
  size_t Len() const;
  void Reset();
  void Trim(size_t max_len);

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;  // Guarded by mu_. Newest at the front.
  uint64_t next_id_ = 0;       // Guarded by mu_.
};

}  // namespace basalt::commands
