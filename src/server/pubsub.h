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

namespace basalt::server {

class Client;
class Worker;

enum class SubKind { kChannel, kPattern, kShard };

class PubSub {
 public:
  // Returns true if the client was not yet subscribed to `name`.
  bool Subscribe(Client* c, SubKind kind, std::string_view name);
  bool Unsubscribe(Client* c, SubKind kind, std::string_view name);
  // Delivers to channel (or shard channel) subscribers and, for kChannel,
  // to matching pattern subscribers. Returns the number of receivers.
  int64_t Publish(SubKind kind, std::string_view channel, std::string_view message,
                  Worker* current);

  std::vector<std::string> Channels(SubKind kind, std::string_view pattern, bool all);
  int64_t NumSub(SubKind kind, std::string_view channel);
  int64_t NumPat();
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
