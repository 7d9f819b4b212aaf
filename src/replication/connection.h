// What replication needs of the server's threads and connections, declared
// here and implemented by the server (server::Worker, server::Client), so
// that replication/ never includes server/:
//   - WorkerThread: a worker, whose event loop runs posted tasks and owns
//     the connections accepted onto it;
//   - Connection: a client connection as replication drives it — a
//     replica's connection on a primary (its output takes the stream, or a
//     snapshot written straight to its socket), and on a replica the link to
//     its primary (whose input is the stream).
//
// Thread-safety: WorkerThread's methods may be called from any thread. A
// Connection's only on its owner worker's thread, except owner() and
// output_pending().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace basalt::tls {
class Transport;
}

namespace basalt::replication {

class WorkerThread {
 public:
  virtual ~WorkerThread() = default;
  virtual int index() const = 0;
  // Runs `task` on this worker's thread soon.
  virtual void Post(std::function<void()> task) = 0;
  // Closes this worker's connection `id`, if it is still open, on the
  // worker's thread (soon).
  virtual void CloseConnection(uint64_t id) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // --- Any thread ---
  // The worker that owns the connection (it outlives the connection).
  virtual WorkerThread& owner() const = 0;
  // Output appended but not written to the socket yet.
  virtual size_t output_pending() const = 0;

  // --- Owner thread ---
  virtual uint64_t connection_id() const = 0;
  virtual int socket_fd() const = 0;
  // The TLS layer over socket_fd(), or null for a plain socket: a snapshot
  // written straight to the socket goes through it.
  virtual std::shared_ptr<tls::Transport> tls_transport() const { return nullptr; }
  // The peer's address, "ip:port".
  virtual std::string_view address() const = 0;
  // Appends bytes to the output as they are (the replication stream, an ACK).
  virtual void AppendRaw(std::string_view bytes) = 0;
  // Writes pending output now.
  virtual void Flush() = 0;
  // Closes the connection now.
  virtual void Close() = 0;
  // While a full sync writes its snapshot straight to the socket (from the
  // job thread), the connection writes nothing itself.
  virtual void set_raw_transfer(bool on) = 0;
  // The link to our primary only: runs the stream bytes read before the
  // connection existed (past a full sync's snapshot), then whatever the
  // socket has.
  virtual void StartStream(std::string_view already_read) = 0;
};

}  // namespace basalt::replication
