#include "server/metrics_endpoint.h"

#include "common/logging.h"
#include "http/http_server.h"
#include "server/health_probes.h"
#include "server/metrics_exposition.h"
#include "server/server.h"

namespace basalt::server {

namespace {

// How long /healthz waits for every worker loop to run a posted no-op.
constexpr int kHealthTimeoutMs = 1000;

http::Response Probe(const ProbeResult& r) {
  return http::Response{r.ok ? 200 : 503, "text/plain; charset=utf-8", r.reason + "\n"};
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(Server& server) : server_(server) {}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

Status MetricsEndpoint::Start() {
  Config& cfg = server_.config();
  if (cfg.metrics_port() == 0) return Status::Ok();
  http::Options opts;
  opts.bind = cfg.metrics_bind();
  opts.port = int(cfg.metrics_port());
  opts.tls = cfg.metrics_tls();
  Server* s = &server_;
  http_ = std::make_unique<http::HttpServer>(opts, [s](const http::Request& req) {
    bool known = req.path == "/metrics" || req.path == "/healthz" || req.path == "/readyz";
    if (!known) return http::Response{404, "text/plain; charset=utf-8", "not found\n"};
    if (req.method != "GET" && req.method != "HEAD") {
      return http::Response{405, "text/plain; charset=utf-8", "method not allowed\n"};
    }
    if (req.path == "/metrics") {
      return http::Response{200, std::string(kMetricsContentType), RenderMetrics(*s)};
    }
    if (req.path == "/healthz") return Probe(CheckHealth(*s, kHealthTimeoutMs));
    return Probe(CheckReady(*s));
  });
  Status st = http_->Start();
  if (!st.ok()) {
    http_.reset();
    return st;
  }
  Log(LogLevel::kNotice, "Metrics endpoint listening on %s:%d (%s: /metrics, /healthz, /readyz)",
      opts.bind.c_str(), http_->port(), opts.tls ? "HTTPS" : "HTTP");
  return Status::Ok();
}

void MetricsEndpoint::Stop() {
  if (http_) http_->Stop();
  http_.reset();
}

}  // namespace basalt::server
