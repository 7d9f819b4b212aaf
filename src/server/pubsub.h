// PubSub: channel, pattern and shard-channel subscriptions, and delivery.
//
// The registry maps names to subscribed clients under one mutex. PUBLISH
// renders each message once (RESP2 array and RESP3 push), then hands it to
// subscribers: directly for those on the publishing thread, and as one posted
// task per other worker thread (that worker appends to its own clients'
// buffers, so a Client is still only touched by its owner).
//
// Thread-safety: all methods may be called from any worker thread. Clients
// unsubscribe everything before they are destroyed (Client::Close).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/host.h"
#include "commands/session.h"

namespace basalt::server {

class Client;
class Worker;
using commands::SubKind;

class PubSub final : public commands::PubSubHub {
 public:
  // Returns true if the session was not yet subscribed to `name`. Only a
  // connection (a Client) can subscribe; for any other session it is false.
  bool Subscribe(commands::Session* s, SubKind kind, std::string_view name) override;
  bool Unsubscribe(commands::Session* s, SubKind kind, std::string_view name) override;
  void UnsubscribeAll(commands::Session* s) override;
  // Delivers to channel (or shard channel) subscribers and, for kChannel,
  // to matching pattern subscribers. Returns the number of receivers.
  // `current` is the calling worker (null on other threads).
  int64_t PublishFrom(SubKind kind, std::string_view channel, std::string_view message,
                      Worker* current);
  // PUBLISH from a session: PublishFrom its worker.
  int64_t Publish(SubKind kind, std::string_view channel, std::string_view message,
                  commands::Session* from) override;

  std::vector<std::string> Channels(SubKind kind, std::string_view pattern, bool all) override;
  int64_t NumSub(SubKind kind, std::string_view channel) override;
  int64_t NumPat() override;
  std::vector<uint64_t> SubscribersFailing(
      const std::function<bool(const commands::Session&, SubKind, const std::string&)>& keep)
      override;
  // Distinct channels (or patterns, or shard channels) with a subscriber.
  size_t Count(SubKind kind);
  bool Active() const;  // any subscription at all (cheap pre-check)

 private:
  using Map = std::unordered_map<std::string, std::vector<Client*>>;
  Map& MapFor(SubKind kind);
  mutable std::mutex mu_;
  Map channels_;  // Guarded by mu_.
  Map patterns_;  // Guarded by mu_.
  Map shard_;     // Guarded by mu_.
  size_t total_ = 0;  // Guarded by mu_. Subscriptions of every kind.
};

}  // namespace basalt::server
