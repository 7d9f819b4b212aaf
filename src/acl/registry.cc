#include "acl/registry.h"

#include <iterator>

#include "common/clock.h"

namespace basalt::acl {

const char* ReasonName(Denial d) {
  switch (d) {
    case Denial::kCommand:
      return "command";
    case Denial::kKey:
      return "key";
    case Denial::kChannel:
      return "channel";
    case Denial::kAuth:
      return "auth";
    case Denial::kTlsCert:
      return "tls-cert";
    default:
      return "unknown";
  }
}

const char* ContextName(LogContext c) {
  switch (c) {
    case LogContext::kTopLevel:
      return "toplevel";
    case LogContext::kMulti:
      return "multi";
    case LogContext::kLua:
      return "lua";
  }
  return "unknown";
}

Registry::Registry(Catalog catalog) : catalog_(std::move(catalog)) {
  users_["default"] = std::make_shared<const User>(User::Default(catalog_));
}

std::shared_ptr<const User> Registry::Get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const User>> Registry::All() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const User>> out;
  for (const auto& [n, u] : users_) out.push_back(u);
  return out;
}

std::string Registry::SetUser(std::string_view name, std::span<const std::string_view> ops,
                              bool allchannels, std::shared_ptr<const User>* old) {
  std::unique_lock lock(mu_);
  auto it = users_.find(name);
  User u = it == users_.end() ? User(std::string(name), allchannels) : *it->second;
  std::string err;
  if (!u.ApplyAll(catalog_, ops, allchannels, &err)) return err;
  if (old != nullptr) *old = it == users_.end() ? nullptr : it->second;
  users_[std::string(name)] = std::make_shared<const User>(std::move(u));
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return "";
}

int Registry::DelUsers(std::span<const std::string_view> names) {
  std::unique_lock lock(mu_);
  int n = 0;
  for (std::string_view name : names) {
    auto it = users_.find(name);
    if (it != users_.end()) {
      users_.erase(it);
      n++;
    }
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return n;
}

void Registry::ReplaceAll(std::vector<User> users) {
  std::map<std::string, std::shared_ptr<const User>, std::less<>> fresh;
  for (User& u : users) {
    std::string n = u.name();
    fresh[n] = std::make_shared<const User>(std::move(u));
  }
  if (fresh.find("default") == fresh.end()) {
    fresh["default"] = std::make_shared<const User>(User::Default(catalog_));
  }
  std::unique_lock lock(mu_);
  users_.swap(fresh);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const User> Registry::Authenticate(std::string_view name,
                                                   std::string_view pass) const {
  std::shared_ptr<const User> u = Get(name);
  if (u == nullptr || !u->CheckPassword(pass)) return nullptr;
  return u;
}

void Registry::SyncRequirepass(const std::string& requirepass) {
  std::lock_guard<std::mutex> plock(pass_mu_);
  if (requirepass == requirepass_) return;
  requirepass_ = requirepass;
  std::string p = ">" + requirepass;
  std::string_view ops_set[] = {"resetpass", p};
  std::string_view ops_clear[] = {"resetpass", "nopass"};
  SetUser("default", requirepass.empty() ? std::span<const std::string_view>(ops_clear)
                                         : std::span<const std::string_view>(ops_set),
          false);
}

void Registry::AddLog(LogEntry e, size_t max_len) {
  if (size_t(e.reason) < std::size(denied_)) {
    denied_[size_t(e.reason)].fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard<std::mutex> lock(log_mu_);
  // A repeat of one of the last 10 entries within a minute is counted
  // into it (and moved to the front), as Redis does.
  for (size_t i = 0; i < log_.size() && i < 10; i++) {
    LogEntry& cur = log_[i];
    if (cur.reason == e.reason && cur.context == e.context && cur.object == e.object &&
        cur.username == e.username && e.ctime_ms - cur.ctime_ms <= 60000) {
      LogEntry m = std::move(cur);
      m.count++;
      m.ctime_ms = e.ctime_ms;
      m.client_info = std::move(e.client_info);
      log_.erase(log_.begin() + long(i));
      log_.insert(log_.begin(), std::move(m));
      return;
    }
  }
  log_.insert(log_.begin(), std::move(e));
  if (log_.size() > max_len) log_.resize(max_len);
}

std::vector<LogEntry> Registry::LogEntries(size_t count) const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return std::vector<LogEntry>(log_.begin(), log_.begin() + long(std::min(count, log_.size())));
}

void Registry::ResetLog() {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_.clear();
}

}  // namespace basalt::acl
