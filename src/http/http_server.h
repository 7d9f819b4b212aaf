// HttpServer: a small HTTP/1.1 server on its own thread, for endpoints that
// operators and orchestrators poll (Prometheus /metrics, /healthz, /readyz).
//
// One thread runs a poll() loop over the listening socket and its
// connections; worker threads are never involved, so a slow or hostile HTTP
// client cannot stall the data path. One request per connection
// ("Connection: close"): read the head, call the handler, write the
// response, close. Defences, all per connection: the head is capped
// (max_head_bytes, then 431), the whole request must arrive within
// request_timeout_ms (slowloris), at most max_connections are open (a new
// one pushes out the oldest still sending its head), malformed input gets
// 400 and a close. With `tls`, every connection is TLS (the server's
// current certificates, tls::Current(), taken at accept: a rotation applies
// to the next connection); the handshake counts in the same deadline.
//
// Thread-safety: Start() and Stop() from one controlling thread; the handler
// runs on the server's thread, one request at a time, so a slow handler
// delays other HTTP requests (never the data path).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "common/status.h"
#include "http/http_request.h"

namespace basalt::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

struct Options {
  std::string bind = "127.0.0.1";  // one numeric IPv4 or IPv6 address
  int port = 0;                    // 0: any free port (see port())
  size_t max_head_bytes = 8192;
  int request_timeout_ms = 5000;  // from accept to the end of the response
  int max_connections = 64;
  bool tls = false;  // HTTPS with tls::Current()'s server context
};

class HttpServer {
 public:
  HttpServer(Options options, Handler handler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the thread; an error names the address.
  Status Start();
  // Closes every connection and joins the thread. Idempotent.
  void Stop();
  // The bound port (after Start()).
  int port() const { return port_; }

 private:
  struct Conn;
  void Run();
  void AcceptAll(std::vector<Conn>& conns, int64_t now_ms);
  // Handles poll events; false: close the connection.
  bool OnEvents(Conn& c, short revents, int64_t now_ms);
  void Respond(Conn& c, const Request* req, const Response& r);

  const Options options_;
  const Handler handler_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the loop
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The reason phrase of a status code this server sends.
const char* StatusText(int status);

}  // namespace basalt::http
