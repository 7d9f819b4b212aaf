#include "server/pubsub.h"

#include <algorithm>
#include <memory>

#include "common/glob.h"
#include "common/numbers.h"
#include "protocol/reply_builder.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using protocol::AppendBulk;

// Renders a message/pmessage/smessage for RESP2 (array) or RESP3 (push).
std::shared_ptr<const std::string> Render(bool resp3, std::string_view kind,
                                          std::string_view pattern, std::string_view channel,
                                          std::string_view message) {
  auto s = std::make_shared<std::string>();
  s->push_back(resp3 ? '>' : '*');
  s->append(pattern.empty() ? "3\r\n" : "4\r\n");
  AppendBulk(s.get(), kind);
  if (!pattern.empty()) AppendBulk(s.get(), pattern);
  AppendBulk(s.get(), channel);
  AppendBulk(s.get(), message);
  return s;
}

}  // namespace

PubSub::Map& PubSub::MapFor(SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return channels_;
    case SubKind::kPattern:
      return patterns_;
    case SubKind::kShard:
      break;
  }
  return shard_;
}

bool PubSub::Subscribe(commands::Session* s, SubKind kind, std::string_view name) {
  if (!s->is_connection()) return false;
  Client* c = static_cast<Client*>(s);
  std::lock_guard<std::mutex> lock(mu_);
  auto& v = MapFor(kind)[std::string(name)];
  if (std::find(v.begin(), v.end(), c) != v.end()) return false;
  v.push_back(c);
  total_++;
  return true;
}

bool PubSub::Unsubscribe(commands::Session* s, SubKind kind, std::string_view name) {
  if (!s->is_connection()) return false;
  Client* c = static_cast<Client*>(s);
  std::lock_guard<std::mutex> lock(mu_);
  Map& m = MapFor(kind);
  auto it = m.find(std::string(name));
  if (it == m.end()) return false;
  auto pos = std::find(it->second.begin(), it->second.end(), c);
  if (pos == it->second.end()) return false;
  it->second.erase(pos);
  if (it->second.empty()) m.erase(it);
  total_--;
  return true;
}

std::vector<uint64_t> PubSub::SubscribersFailing(
    const std::function<bool(const commands::Session&, SubKind, const std::string&)>& keep) {
  std::vector<uint64_t> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (SubKind k : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    for (const auto& [name, clients] : MapFor(k)) {
      for (const Client* c : clients) {
        const commands::Session& s = *c;
        if (!keep(s, k, name) && std::find(out.begin(), out.end(), s.id) == out.end()) {
          out.push_back(s.id);
        }
      }
    }
  }
  return out;
}

void PubSub::UnsubscribeAll(commands::Session* s) {
  for (SubKind k : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    for (const std::string& n : s->subscriptions(k)) Unsubscribe(s, k, n);
    s->subscriptions(k).clear();
  }
  s->UpdateSubCounts();
}

bool PubSub::Active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_ > 0;
}

int64_t PubSub::Publish(SubKind kind, std::string_view channel, std::string_view message,
                        commands::Session* from) {
  Worker* current =
      from != nullptr && from->is_connection() ? static_cast<Client*>(from)->worker() : nullptr;
  return PublishFrom(kind, channel, message, current);
}

int64_t PubSub::PublishFrom(SubKind kind, std::string_view channel, std::string_view message,
                            Worker* current) {
  struct Target {
    Client* client;
    uint64_t id;
    Worker* worker;
    bool resp3;
    std::string pattern;  // empty for a direct channel subscription
  };
  std::vector<Target> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Map& m = kind == SubKind::kShard ? shard_ : channels_;
    auto it = m.find(std::string(channel));
    if (it != m.end()) {
      for (Client* c : it->second) {
        targets.push_back({c, c->id, c->worker(), c->resp_shared_.load() >= 3, ""});
      }
    }
    if (kind == SubKind::kChannel) {
      for (auto& [pattern, clients] : patterns_) {
        if (!GlobMatch(pattern, channel)) continue;
        for (Client* c : clients) {
          targets.push_back({c, c->id, c->worker(), c->resp_shared_.load() >= 3, pattern});
        }
      }
    }
  }
  if (targets.empty()) return 0;
  std::string_view verb = kind == SubKind::kShard ? "smessage" : "message";
  std::shared_ptr<const std::string> direct[2];
  std::unordered_map<Worker*, std::vector<std::pair<uint64_t, std::shared_ptr<const std::string>>>>
      remote;
  for (const Target& t : targets) {
    std::shared_ptr<const std::string> bytes;
    if (t.pattern.empty()) {
      auto& slot = direct[t.resp3 ? 1 : 0];
      if (!slot) slot = Render(t.resp3, verb, "", channel, message);
      bytes = slot;
    } else {
      bytes = Render(t.resp3, "pmessage", t.pattern, channel, message);
    }
    if (t.worker == current) {
      // Same thread: the client cannot be destroyed before this returns.
      if (!t.client->closing()) t.client->DeliverPush(*bytes);
    } else {
      remote[t.worker].emplace_back(t.id, std::move(bytes));
    }
  }
  for (auto& [w, items] : remote) {
    w->loop().Post([w, items = std::move(items)] {
      for (const auto& [id, bytes] : items) {
        if (Client* c = w->FindClient(id)) c->DeliverPush(*bytes);
      }
    });
  }
  return int64_t(targets.size());
}

std::vector<std::string> PubSub::Channels(SubKind kind, std::string_view pattern, bool all) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (auto& [name, clients] : MapFor(kind)) {
    if (all || GlobMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSub::NumSub(SubKind kind, std::string_view channel) {
  std::lock_guard<std::mutex> lock(mu_);
  Map& m = MapFor(kind);
  auto it = m.find(std::string(channel));
  return it == m.end() ? 0 : int64_t(it->second.size());
}

int64_t PubSub::NumPat() {
  std::lock_guard<std::mutex> lock(mu_);
  return int64_t(patterns_.size());
}

size_t PubSub::Count(SubKind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  return MapFor(kind).size();
}

}  // namespace basalt::server
