#include "server/tracking.h"

#include <algorithm>
#include <random>
#include <utility>

#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/session.h"
#include "common/numbers.h"
#include "config/config.h"
#include "protocol/reply_builder.h"
#include "server/client.h"
#include "server/server.h"
#include "server/worker.h"

namespace basalt::server {

using commands::ClientTracking;

namespace {

// BCAST keys changed on this thread and not sent yet: (key, id of the client
// whose command changed it, 0 for none).
thread_local std::vector<std::pair<std::string, uint64_t>> t_bcast;

// One prefix starts the other (or they are equal).
bool Overlap(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

using protocol::AppendBulk;

}  // namespace

std::string Tracking::Enable(commands::Session& s, const commands::TrackingOptions& o) {
  namespace errors = commands::errors;
  ClientTracking* cur = s.tracking.get();
  bool on = cur != nullptr && cur->on.load();
  if (!o.bcast && !o.prefixes.empty()) return errors::kTrackingPrefixNeedsBcast;
  if (on && cur->bcast.load() != o.bcast) return errors::kTrackingSwitchBcast;
  if (o.bcast && (o.optin || o.optout)) return errors::kTrackingOptBcast;
  if (o.optin && o.optout) return errors::kTrackingOptinOptout;
  if (on && ((o.optin && cur->optout.load()) || (o.optout && cur->optin.load()))) {
    return errors::kTrackingSwitchOpt;
  }
  if (o.bcast) {
    std::vector<std::string> existing;
    if (on) existing = cur->prefixes;
    std::sort(existing.begin(), existing.end());
    for (size_t i = 0; i < o.prefixes.size(); i++) {
      for (const std::string& e : existing) {
        if (Overlap(e, o.prefixes[i])) return errors::TrackingPrefixOverlap(o.prefixes[i], e, true);
      }
      for (size_t j = i + 1; j < o.prefixes.size(); j++) {
        if (Overlap(o.prefixes[i], o.prefixes[j])) {
          return errors::TrackingPrefixOverlap(o.prefixes[i], o.prefixes[j], false);
        }
      }
    }
  }
  if (cur == nullptr) {
    // Created under the registry mutex: CLIENT LIST reads it from other threads.
    std::lock_guard<std::mutex> lock(server_->registry_mu());
    s.tracking = std::make_shared<ClientTracking>(s.id);
    cur = s.tracking.get();
  }
  ClientTracking& t = *cur;
  if (!on) clients_.fetch_add(1, std::memory_order_relaxed);
  t.broken_redirect.store(false);
  t.optin.store(o.optin);
  t.optout.store(o.optout);
  t.noloop.store(o.noloop);
  t.redirect.store(o.redirect);
  if (o.bcast) {
    t.bcast.store(true);
    std::vector<std::string> add = o.prefixes;
    if (add.empty()) add.emplace_back();
    std::lock_guard<std::mutex> lock(prefix_mu_);
    for (std::string& p : add) {
      auto& ids = prefixes_[p];
      if (ids.empty()) bcast_prefixes_.fetch_add(1, std::memory_order_relaxed);
      if (ids.insert(s.id).second) t.prefixes.push_back(std::move(p));
    }
  } else {
    t.bcast.store(false);
  }
  t.on.store(true);
  return "";
}

void Tracking::RemovePrefixes(ClientTracking& t) {
  std::lock_guard<std::mutex> lock(prefix_mu_);
  for (const std::string& p : t.prefixes) {
    auto it = prefixes_.find(p);
    if (it == prefixes_.end()) continue;
    it->second.erase(t.id);
    if (it->second.empty()) {
      prefixes_.erase(it);
      bcast_prefixes_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  t.prefixes.clear();
}

void Tracking::Disable(commands::Session& s) {
  ClientTracking* t = s.tracking.get();
  if (t == nullptr || !t->on.load()) return;
  // The keys it read stay in the table until they change (as Redis): the
  // invalidation then finds the client no longer tracking and is dropped.
  t->on.store(false);
  if (t->bcast.load()) RemovePrefixes(*t);
  t->bcast.store(false);
  t->optin.store(false);
  t->optout.store(false);
  t->noloop.store(false);
  t->broken_redirect.store(false);
  t->redirect.store(0);
  t->caching = false;
  clients_.fetch_sub(1, std::memory_order_relaxed);
}

void Tracking::ClientClosed(Client& c) { Disable(c); }

void Tracking::Remember(commands::Session& reader, const commands::CommandSpec& spec,
                        std::span<const std::string_view> args) {
  for (int p : spec.KeyPositions(args)) table_.Remember(args[size_t(p)], reader.id);
}

void Tracking::KeyChangedSlow(std::string_view key) {
  commands::Session* caller = commands::CurrentCaller();
  uint64_t writer = caller != nullptr ? caller->id : 0;
  if (bcast_prefixes_.load(std::memory_order_relaxed) > 0) {
    t_bcast.emplace_back(std::string(key), writer);
    // Off the workers (a replica's full sync, the loader) nothing ends a
    // round: send at once.
    if (Worker::Current() == nullptr) FlushBroadcasts();
  }
  if (!table_.empty()) InvalidateKey(key, writer);
}

void Tracking::InvalidateKey(std::string_view key, uint64_t writer) {
  std::vector<uint64_t> ids = table_.Take(key);
  if (ids.empty()) return;
  std::vector<std::string> keys{std::string(key)};
  std::lock_guard<std::mutex> lock(server_->registry_mu());
  for (uint64_t id : ids) {
    Client* c = server_->FindClientLocked(id);
    if (c == nullptr || !c->tracking) continue;  // gone
    ClientTracking& t = *c->tracking;
    // Tracking turned off since, or switched to BCAST: nothing for it.
    if (!t.on.load() || t.bcast.load()) continue;
    if (t.noloop.load() && id == writer) continue;
    SendLocked(*c, &keys);
  }
}

void Tracking::Flushed() {
  std::lock_guard<std::mutex> lock(server_->registry_mu());
  server_->ForEachClientLocked([&](Client& c) {
    if (c.tracking && c.tracking->on.load()) SendLocked(c, nullptr);
  });
  table_.Clear();
}

void Tracking::FlushBroadcasts() {
  if (t_bcast.empty()) return;
  std::vector<std::pair<std::string, uint64_t>> batch;
  batch.swap(t_bcast);
  // Per prefix, its keys in order (with the last writer of each), for each
  // of its clients: one message per (client, prefix), as Redis sends.
  std::vector<std::pair<uint64_t, std::shared_ptr<std::map<std::string, uint64_t>>>> out;
  {
    std::lock_guard<std::mutex> lock(prefix_mu_);
    for (auto& [prefix, ids] : prefixes_) {
      auto keys = std::make_shared<std::map<std::string, uint64_t>>();
      for (auto& [k, w] : batch) {
        if (std::string_view(k).starts_with(prefix)) (*keys)[k] = w;
      }
      if (keys->empty()) continue;
      for (uint64_t id : ids) out.emplace_back(id, keys);
    }
  }
  if (out.empty()) return;
  std::lock_guard<std::mutex> lock(server_->registry_mu());
  for (auto& [id, keys] : out) {
    Client* c = server_->FindClientLocked(id);
    if (c == nullptr || !c->tracking) continue;
    ClientTracking& t = *c->tracking;
    if (!t.on.load() || !t.bcast.load()) continue;
    bool noloop = t.noloop.load();
    std::vector<std::string> send;
    for (auto& [k, w] : *keys) {
      if (noloop && w == id) continue;
      send.push_back(k);
    }
    if (!send.empty()) SendLocked(*c, &send);
  }
}

bool Tracking::OverLimit() const {
  if (table_.empty()) return false;
  int64_t max = server_->config().tracking_table_max_keys();
  return max > 0 && table_.keys() > max;
}

void Tracking::EnforceLimit() {
  if (!OverLimit()) {
    limit_rounds_.store(0, std::memory_order_relaxed);
    return;
  }
  int64_t max = server_->config().tracking_table_max_keys();
  // As Redis: the effort grows with the number of calls that ended still
  // over the limit.
  int effort = 100 * (limit_rounds_.load(std::memory_order_relaxed) + 1);
  thread_local std::mt19937_64 rng(std::random_device{}());
  while (effort-- > 0) {
    std::optional<std::string> key = table_.PickKey(rng());
    if (!key) break;
    InvalidateKey(*key, 0);
    if (table_.keys() <= max) {
      limit_rounds_.store(0, std::memory_order_relaxed);
      return;
    }
  }
  limit_rounds_.fetch_add(1, std::memory_order_relaxed);
}

void Tracking::SendLocked(Client& c, const std::vector<std::string>* keys) {
  ClientTracking& t = *c.tracking;
  bool resp3 = c.resp_shared_.load() >= 3;
  // The keys, or null for a flush (in the tracking client's protocol, even
  // when redirected, as Redis writes it).
  std::string payload;
  if (keys == nullptr) {
    payload = resp3 ? "_\r\n" : "$-1\r\n";
  } else {
    payload = "*" + std::to_string(keys->size()) + "\r\n";
    for (const std::string& k : *keys) AppendBulk(&payload, k);
  }
  static constexpr std::string_view kPush = ">2\r\n$10\r\ninvalidate\r\n";
  uint64_t redir = t.redirect.load();
  if (redir == 0) {
    // RESP2 has no pushes: without a redirect the message is lost (Redis).
    if (resp3) c.QueuePush(std::string(kPush) + payload);
    return;
  }
  Client* r = server_->FindClientLocked(redir);
  if (r == nullptr) {
    t.broken_redirect.store(true);
    if (resp3) {
      c.QueuePush(">2\r\n$21\r\ntracking-redir-broken\r\n:" + std::to_string(redir) + "\r\n");
    }
    return;
  }
  if (r->resp_shared_.load() >= 3) {
    r->QueuePush(std::string(kPush) + payload);
  } else if (r->nsub.load() + r->npsub.load() + r->nssub.load() > 0) {
    r->QueuePush("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + payload);
  }
  // Otherwise a RESP2 client that is not subscribed cannot receive it.
}

}  // namespace basalt::server
