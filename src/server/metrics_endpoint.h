// MetricsEndpoint: the HTTP port of metrics-port / metrics-bind, serving
// GET /metrics (metrics_exposition.h), /healthz and /readyz
// (health_probes.h) from its own thread (http/http_server.h). Off when
// metrics-port is 0. See docs/observability.md.
//
// Thread-safety: constructed, started and destroyed by the main thread;
// requests are answered on the endpoint's thread. It must be destroyed
// before the Server it reads.
#pragma once

#include <memory>

#include "common/status.h"

namespace basalt::http {
class HttpServer;
}

namespace basalt::server {

class Server;

class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(Server& server);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Listens on metrics-bind:metrics-port (nothing when the port is 0).
  Status Start();
  void Stop();

 private:
  Server& server_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace basalt::server
