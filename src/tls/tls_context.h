// TLS contexts: the OpenSSL server and client contexts built from the tls-*
// directives, and the process's current pair, swapped as a whole when the
// configuration or the certificate files change.
//
// A connection takes the current contexts when it starts (accept, or an
// outgoing link) and keeps them (shared_ptr) for its life: a reload changes
// what new connections get and never touches established ones.
//
// Thread-safety: TlsContexts is immutable once built (OpenSSL's SSL_CTX may be
// shared by SSL objects on any thread). Current()/SetCurrent() and the
// ContextHolder are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace basalt::config {
class Config;
}

namespace basalt::tls {

// What a TlsContexts was built from, and the files' identity (inode, size,
// mtime) at that moment, so a watcher can tell when a file changed on disk.
struct TlsSettings {
  std::string cert_file, key_file, key_file_pass;
  std::string client_cert_file, client_key_file, client_key_file_pass;
  std::string ca_cert_file, ca_cert_dir, dh_params_file;
  std::string protocols, ciphers, ciphersuites;
  int auth_clients = 1;  // 0 no, 1 yes, 2 optional
  bool prefer_server_ciphers = false;
  bool session_caching = true;
  int64_t session_cache_size = 20480;
  int64_t session_cache_timeout = 300;
  bool replication = false;  // tls-replication: a CA is needed to check the peers

  static TlsSettings FromConfig(const config::Config& cfg);
  // A fingerprint of every file named (path, inode, size, mtime): differs
  // when one of them was replaced or rewritten (a symlink swap included).
  std::string FilesFingerprint() const;
};

class TlsContexts {
 public:
  // Builds both contexts. The error is the line Redis logs ("No tls-cert-file
  // configured!", "Failed to load certificate: <file>: <reason>", ...).
  static StatusOr<std::shared_ptr<TlsContexts>> Build(const TlsSettings& s);
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  SSL_CTX* server() const { return server_; }
  // Outgoing links (replication, sentinel): tls-client-cert-file if set,
  // else the server certificate.
  SSL_CTX* client() const { return client_; }
  const TlsSettings& settings() const { return settings_; }
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  TlsContexts() = default;
  SSL_CTX* server_ = nullptr;
  SSL_CTX* client_ = nullptr;
  TlsSettings settings_;
  std::string fingerprint_;
};

// The process's current contexts (null until TLS is configured). One per
// process, like OpenSSL's own state: the server, its replication link and
// the sentinel all use the same certificates.
std::shared_ptr<const TlsContexts> Current();
void SetCurrent(std::shared_ptr<const TlsContexts> c);

// Builds contexts from `cfg` and makes them current. The error is already
// logged (Redis logs the reason and answers a generic error).
Status Reconfigure(const config::Config& cfg);
// Whether TLS must be configured: tls-port, tls-replication or tls-cluster set.
bool Wanted(const config::Config& cfg);
// Cron: rebuilds the contexts when a certificate, key, CA or DH file changed
// on disk since they were built (checked at most once a second; a file that
// fails to load keeps the old contexts and is logged once per change).
void ReloadIfFilesChanged(const config::Config& cfg, int64_t now_ms);
// How many times the contexts were (re)built, for tests and INFO.
int64_t ReloadCount();

}  // namespace basalt::tls
