#include "replication/write_log.h"

#include <algorithm>
#include <cstring>

#include "common/numbers.h"

namespace basalt::replication {
namespace {
// Per-thread scratch for encoding outside the lock.
thread_local std::string t_scratch;

void AppendHeader(char kind, size_t n, std::string* out) {
  char buf[24];
  buf[0] = kind;
  size_t len = 1 + FormatInt64(int64_t(n), buf + 1);
  buf[len++] = '\r';
  buf[len++] = '\n';
  out->append(buf, len);
}
}  // namespace

WriteLog::WriteLog(size_t backlog_size) : ring_(backlog_size < 16384 ? 16384 : backlog_size) {}

void WriteLog::EncodeCommand(std::span<const std::string_view> args, std::string* out) {
  AppendHeader('*', args.size(), out);
  for (std::string_view a : args) {
    AppendHeader('$', a.size(), out);
    out->append(a);
    out->append("\r\n", 2);
  }
}

void WriteLog::SetTap(WriteLogTap* tap, const std::function<void(int64_t)>& at_switch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (at_switch) at_switch(offset_.load(std::memory_order_relaxed));
  tap_ = tap;
  last_db_ = -1;
  tap_db_ = -1;
}

void WriteLog::AddTap(WriteLogTap* tap, const std::function<void(int64_t)>& at_add) {
  std::lock_guard<std::mutex> lock(mu_);
  if (at_add) at_add(offset_.load(std::memory_order_relaxed));
  extra_taps_.push_back(tap);
  last_db_ = -1;  // the new consumer's stream starts with a SELECT
}

bool WriteLog::AddTapFrom(WriteLogTap* tap, int64_t from) {
  std::string backlog;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t end = offset_.load(std::memory_order_relaxed);
  if (from < end - histlen_ || from > end) return false;
  CopyLocked(from, end, &backlog);
  if (!backlog.empty()) tap->OnAppend(backlog, end);
  extra_taps_.push_back(tap);
  return true;
}

void WriteLog::ClearBacklog() {
  std::lock_guard<std::mutex> lock(mu_);
  histlen_ = 0;
}

void WriteLog::ResizeBacklog(size_t size) {
  size = std::max<size_t>(size, 16384);
  std::lock_guard<std::mutex> lock(mu_);
  if (size == ring_.size()) return;
  int64_t end = offset_.load(std::memory_order_relaxed);
  int64_t keep = std::min<int64_t>(histlen_, int64_t(size));
  std::vector<char> ring(size);
  size_t cap = ring_.size();
  for (int64_t o = end - keep; o < end; o++) {
    ring[size_t(o % int64_t(size))] = ring_[size_t(o % int64_t(cap))];
  }
  ring_.swap(ring);
  histlen_ = keep;
}

void WriteLog::SetReplicaMode(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  replica_mode_.store(on);
  last_db_ = -1;
  tap_db_ = -1;
}

int64_t WriteLog::AppendRaw(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  // The tap (AOF) gets what the replica executes instead; see TapOnlyLocked.
  return AppendPastTapLocked(bytes);
}

int64_t WriteLog::AppendPastTapLocked(std::string_view bytes) {
  // The tap only learns the new offset, so durability waits on it still end.
  WriteLogTap* tap = tap_;
  tap_ = nullptr;
  AppendBytesLocked(bytes);
  tap_ = tap;
  int64_t end = offset_.load(std::memory_order_relaxed);
  if (tap_ != nullptr) tap_->OnAppend({}, end);
  return end;
}

void WriteLog::TapOnlyLocked(int db, std::string_view bytes) {
  if (tap_ == nullptr) return;
  int64_t off = offset_.load(std::memory_order_relaxed);
  if (db >= 0 && db != tap_db_) {
    char num[24];
    std::string_view args[2] = {"SELECT", std::string_view(num, FormatInt64(db, num))};
    std::string sel;
    EncodeCommand(args, &sel);
    tap_->OnAppend(sel, off);
    tap_db_ = db;
  }
  tap_->OnAppend(bytes, off);
}

void WriteLog::RemoveTap(WriteLogTap* tap) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(extra_taps_, tap);
}

void WriteLog::ResetOffset(int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  offset_.store(offset, std::memory_order_release);
  histlen_ = 0;
}

void WriteLog::AppendBytesLocked(std::string_view bytes) {
  size_t cap = ring_.size();
  int64_t off = offset_.load(std::memory_order_relaxed);
  if (tap_ != nullptr) tap_->OnAppend(bytes, off + int64_t(bytes.size()));
  for (WriteLogTap* t : extra_taps_) t->OnAppend(bytes, off + int64_t(bytes.size()));
  // Only the tail of a huge append can stay in the ring.
  if (bytes.size() > cap) {
    off += int64_t(bytes.size() - cap);
    bytes.remove_prefix(bytes.size() - cap);
  }
  size_t pos = size_t(off % int64_t(cap));
  size_t first = std::min(bytes.size(), cap - pos);
  memcpy(ring_.data() + pos, bytes.data(), first);
  memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
  off += int64_t(bytes.size());
  histlen_ = std::min<int64_t>(histlen_ + int64_t(bytes.size()), int64_t(cap));
  offset_.store(off, std::memory_order_release);
}

void WriteLog::SelectLocked(int db) {
  if (db < 0 || db == last_db_) return;
  char num[24];
  std::string_view args[2] = {"SELECT", std::string_view(num, FormatInt64(db, num))};
  std::string sel;
  EncodeCommand(args, &sel);
  AppendBytesLocked(sel);
  last_db_ = db;
}

int64_t WriteLog::Append(int db, std::span<const std::string_view> args) {
  if (suspended_.load(std::memory_order_relaxed)) return offset();
  std::string& buf = t_scratch;
  buf.clear();
  EncodeCommand(args, &buf);
  std::lock_guard<std::mutex> lock(mu_);
  if (replica_mode_.load(std::memory_order_relaxed)) {
    TapOnlyLocked(db, buf);
    return offset_.load(std::memory_order_relaxed);
  }
  SelectLocked(db);
  AppendBytesLocked(buf);
  return offset_.load(std::memory_order_relaxed);
}

int64_t WriteLog::AppendStreamOnly(std::span<const std::string_view> args) {
  if (suspended_.load(std::memory_order_relaxed)) return offset();
  std::string& buf = t_scratch;
  buf.clear();
  EncodeCommand(args, &buf);
  std::lock_guard<std::mutex> lock(mu_);
  if (replica_mode_.load(std::memory_order_relaxed)) return offset_.load(std::memory_order_relaxed);
  return AppendPastTapLocked(buf);
}

int64_t WriteLog::AppendGroup(int db, std::span<const std::vector<std::string_view>> commands) {
  if (suspended_.load(std::memory_order_relaxed)) return offset();
  std::string& buf = t_scratch;
  buf.clear();
  for (const auto& c : commands) EncodeCommand(c, &buf);
  std::lock_guard<std::mutex> lock(mu_);
  if (replica_mode_.load(std::memory_order_relaxed)) {
    TapOnlyLocked(db, buf);
    return offset_.load(std::memory_order_relaxed);
  }
  SelectLocked(db);
  AppendBytesLocked(buf);
  return offset_.load(std::memory_order_relaxed);
}

int64_t WriteLog::AppendTransaction(
    std::span<const std::pair<int, std::vector<std::string>>> commands) {
  if (suspended_.load(std::memory_order_relaxed)) return offset();
  std::string& buf = t_scratch;
  std::lock_guard<std::mutex> lock(mu_);
  if (replica_mode_.load(std::memory_order_relaxed)) {
    // The AOF of a replica: the same MULTI ... EXEC, with its own SELECTs.
    buf.clear();
    std::string_view multi[] = {"MULTI"};
    EncodeCommand(multi, &buf);
    TapOnlyLocked(-1, buf);
    for (const auto& [db, args] : commands) {
      buf.clear();
      std::vector<std::string_view> views(args.begin(), args.end());
      EncodeCommand(views, &buf);
      TapOnlyLocked(db, buf);
    }
    buf.clear();
    std::string_view exec[] = {"EXEC"};
    EncodeCommand(exec, &buf);
    TapOnlyLocked(-1, buf);
    return offset_.load(std::memory_order_relaxed);
  }
  SelectLocked(commands.front().first);
  buf.clear();
  std::string_view multi[] = {"MULTI"};
  EncodeCommand(multi, &buf);
  AppendBytesLocked(buf);
  for (const auto& [db, args] : commands) {
    SelectLocked(db);
    buf.clear();
    std::vector<std::string_view> views(args.begin(), args.end());
    EncodeCommand(views, &buf);
    AppendBytesLocked(buf);
  }
  buf.clear();
  std::string_view exec[] = {"EXEC"};
  EncodeCommand(exec, &buf);
  AppendBytesLocked(buf);
  return offset_.load(std::memory_order_relaxed);
}

void WriteLog::CopyLocked(int64_t from, int64_t end, std::string* out) const {
  size_t cap = ring_.size();
  for (int64_t o = from; o < end;) {
    size_t pos = size_t(o % int64_t(cap));
    size_t n = std::min<size_t>(size_t(end - o), cap - pos);
    out->append(ring_.data() + pos, n);
    o += int64_t(n);
  }
}

int64_t WriteLog::backlog_first_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  // Redis reports the first byte's offset counting from 1.
  return offset_.load(std::memory_order_relaxed) - histlen_ + 1;
}

size_t WriteLog::backlog_histlen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_t(histlen_);
}

bool WriteLog::ReadFrom(int64_t from, std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t end = offset_.load(std::memory_order_relaxed);
  if (from < end - histlen_ || from > end) return false;
  CopyLocked(from, end, out);
  return true;
}

}  // namespace basalt::replication
