// Link: one non-blocking client connection from the sentinel to an instance it
// monitors (a primary, a replica or another sentinel), speaking RESP2.
//
// Commands are queued with Send(); their replies come back, in order, to the
// callback given with each command. Replies that match no pending command (the
// messages of a SUBSCRIBE link) go to on_message. The owner's event loop asks
// for the poll events with events() and hands the results to OnEvents().
//
// A link that fails (connect error, peer closed, protocol error) closes
// itself; pending callbacks are dropped without being called, so a callback
// never runs after its link is closed or destroyed. A callback may close its
// own link (or destroy nothing else): OnEvents stops as soon as it sees that.
//
// Thread-safety: none; a link belongs to the sentinel's control thread (or to
// whoever holds the sentinel's mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "protocol/reply_reader.h"

namespace basalt::sentinel {

// The numeric address of `host` (itself if already numeric), resolved with
// getaddrinfo; empty if it does not resolve. Blocking.
std::string NumericAddress(const std::string& host);

class Link {
 public:
  using Callback = std::function<void(const protocol::Reply&)>;

  Link() = default;
  ~Link() { Close(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Whether the next Connect() speaks TLS (tls/link_proxy.h); set before it.
  bool use_tls = false;

  // Starts connecting to host:port (numeric address, or a name resolved with
  // getaddrinfo when resolve is true). Returns false if that failed at once.
  bool Connect(const std::string& host, int port, bool resolve);
  void Close();

  bool closed() const { return state_ == State::kClosed; }
  bool connected() const { return state_ == State::kConnected; }
  // Queues a command; cb (may be empty) gets its reply.
  void Send(const std::vector<std::string>& args, Callback cb = nullptr);
  size_t pending() const { return callbacks_.size(); }

  int fd() const { return fd_; }
  short events() const;  // poll events wanted now (0 when closed)
  void OnEvents(short revents);

  // The local address of the connection (what the peer sees as our address).
  std::string LocalIp() const;

  std::function<void(const protocol::Reply&)> on_message;
  // Called once the TCP connection is established.
  std::function<void()> on_connected;

 private:
  enum class State { kClosed, kConnecting, kConnected };
  void Flush();
  void Read();

  State state_ = State::kClosed;
  int fd_ = -1;
  std::string out_;
  std::deque<Callback> callbacks_;
  protocol::ReplyReader reader_;
};

}  // namespace basalt::sentinel
