// The ACL users of the process and the ACL LOG. One Registry per server
// (owned by commands::Executor). Users are immutable values behind
// shared_ptr: a change builds a new User and swaps it in, and bumps
// generation(), so a session re-reads its user only when something changed
// (one relaxed atomic load per command on the hot path).
//
// Thread-safety: every method may be called from any thread; users_ and the
// log are guarded by their own mutexes.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "acl/catalog.h"
#include "acl/user.h"

namespace basalt::acl {

// Where a refused command came from (ACL LOG "context").
enum class LogContext { kTopLevel, kMulti, kLua };

struct LogEntry {
  int64_t count = 1;
  Denial reason = Denial::kCommand;
  LogContext context = LogContext::kTopLevel;
  std::string object;
  std::string username;
  int64_t ctime_ms = 0;
  std::string client_info;
};

const char* ReasonName(Denial d);
const char* ContextName(LogContext c);

class Registry {
 public:
  explicit Registry(Catalog catalog);

  const Catalog& catalog() const { return catalog_; }
  // Bumped by every change of any user.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The user named `name`, or null.
  std::shared_ptr<const User> Get(std::string_view name) const;
  std::shared_ptr<const User> Default() const { return Get("default"); }
  // Every user, sorted by name.
  std::vector<std::shared_ptr<const User>> All() const;

  // ACL SETUSER name ops...: "" on success, else the error without "ERR ".
  // *old receives the user before the change (null for a new user).
  std::string SetUser(std::string_view name, std::span<const std::string_view> ops,
                      bool allchannels, std::shared_ptr<const User>* old = nullptr);
  // Deletes users; returns how many existed. "default" is refused by the caller.
  int DelUsers(std::span<const std::string_view> names);
  // Replaces every user at once (ACL LOAD, start-up). A missing default user
  // is created as the default.
  void ReplaceAll(std::vector<User> users);

  // The user, if the password is right for it and it is enabled.
  std::shared_ptr<const User> Authenticate(std::string_view name, std::string_view pass) const;

  // requirepass is the default user's password: called with the current
  // value; applies it when it changed since the last call.
  void SyncRequirepass(const std::string& requirepass);

  // --- ACL LOG ---
  void AddLog(LogEntry e, size_t max_len);
  std::vector<LogEntry> LogEntries(size_t count) const;
  void ResetLog();

  // --- INFO stats ---
  // Refusals by reason since start (every AddLog, repeats included): Redis
  // 7.2's acl_access_denied_auth / _cmd / _key / _channel, and Valkey's
  // acl_access_denied_tls_cert.
  uint64_t denied(Denial d) const {
    return denied_[size_t(d)].load(std::memory_order_relaxed);
  }
  // Connections closed by max-auth-failures-per-connection.
  void CountAuthLimitDisconnection() {
    auth_limit_disconnections_.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t auth_limit_disconnections() const {
    return auth_limit_disconnections_.load(std::memory_order_relaxed);
  }

 private:
  Catalog catalog_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const User>, std::less<>> users_;  // Guarded by mu_
  std::atomic<uint64_t> generation_{1};
  std::mutex pass_mu_;
  std::string requirepass_;  // Guarded by pass_mu_: the value last applied
  mutable std::mutex log_mu_;
  std::vector<LogEntry> log_;  // Guarded by log_mu_; newest first
  std::atomic<uint64_t> denied_[6] = {};  // by Denial
  std::atomic<uint64_t> auth_limit_disconnections_{0};
};

}  // namespace basalt::acl
