// Tracking: client-side caching (CLIENT TRACKING) for the whole server.
//
// What it keeps: the table of keys read by tracking clients in default mode
// (TrackingTable), filled by the executor around each read command, and the
// BCAST prefixes with the clients registered for each. A client's modes are
// its commands::ClientTracking (Session::tracking).
//
// How an invalidation travels: a change to a key (Server::OnKeyChanged,
// expiry, eviction; FLUSHDB/FLUSHALL through Flushed) takes the key's
// readers out of the table and, on the writer's thread, renders the message
// for each reader (its mode, NOLOOP, REDIRECT and protocol applied: a RESP3
// push, or a RESP2 `message` on __redis__:invalidate for a subscribed
// redirect client) and queues the bytes on the receiving connection
// (Client::QueuePush, under the server's registry mutex, which keeps the
// client alive). The receiver's worker writes its queue out before running
// its next command, right after the command that queued it (so a client's
// own write is invalidated after its reply, as Redis does), and from a task
// posted to that worker. So a connection never gets the reply to a command
// sent after a write completed before the invalidation that write caused.
// BCAST keys changed on a thread are batched per thread and sent per prefix
// at the end of the writer's input batch or of the loop round
// (FlushBroadcasts), like Redis's once per event loop iteration.
//
// The fast path of a write with nobody tracking is two relaxed atomic loads.
//
// Thread-safety: Enable/Disable/ClientClosed on the client's own worker; the
// rest from any thread. Lock order: a shard lock, a table stripe, prefix_mu_
// (released before delivery), the server's registry mutex, one client's
// push queue mutex, an event loop's task queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/tracking.h"
#include "server/tracking_table.h"

namespace basalt::server {

class Client;
class Server;
class Worker;

class Tracking final : public commands::TrackingHub {
 public:
  explicit Tracking(Server* server) : server_(server) {}

  // --- commands::TrackingHub ---
  std::string Enable(commands::Session& s, const commands::TrackingOptions& o) override;
  void Disable(commands::Session& s) override;
  void Remember(commands::Session& reader, const commands::CommandSpec& spec,
                std::span<const std::string_view> args) override;
  void Flushed() override;

  // A key changed (any database, any thread, its shard lock held).
  void KeyChanged(std::string_view key) {
    if (table_.empty() && bcast_prefixes_.load(std::memory_order_relaxed) == 0) return;
    KeyChangedSlow(key);
  }
  // Sends the BCAST keys changed on this thread since the last call.
  void FlushBroadcasts();
  // tracking-table-max-keys: whether the table is over the limit, and
  // invalidating keys until it is not (bounded work per call, as Redis).
  bool OverLimit() const;
  void EnforceLimit();
  // Owner thread of c, when it closes.
  void ClientClosed(Client& c);

  // INFO.
  int64_t clients() const { return clients_.load(std::memory_order_relaxed); }
  int64_t total_keys() const { return table_.keys(); }
  int64_t total_items() const { return table_.items(); }
  int64_t total_prefixes() const { return bcast_prefixes_.load(std::memory_order_relaxed); }

 private:
  void KeyChangedSlow(std::string_view key);
  // Invalidates `key` for its readers; `writer` is the id of the client whose
  // command changed it (0 for none), for NOLOOP.
  void InvalidateKey(std::string_view key, uint64_t writer);
  // Queues on c (or its redirect client) the message for `keys`, or for a
  // flush when keys is null. REQUIRES: the registry mutex is held.
  void SendLocked(Client& c, const std::vector<std::string>* keys);
  void RemovePrefixes(commands::ClientTracking& t);

  Server* server_;
  TrackingTable table_;
  std::atomic<int64_t> clients_{0};
  std::atomic<int64_t> bcast_prefixes_{0};  // distinct prefixes registered
  std::atomic<int> limit_rounds_{0};        // EnforceLimit calls still over the limit

  std::mutex prefix_mu_;
  std::map<std::string, std::set<uint64_t>> prefixes_;  // Guarded by prefix_mu_.
};

}  // namespace basalt::server
