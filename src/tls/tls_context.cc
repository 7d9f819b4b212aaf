#include "tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <vector>

#include "common/logging.h"
#include "config/config.h"

namespace basalt::tls {
namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// The key file's passphrase, handed to OpenSSL by the context's callback.
int PassCallback(char* buf, int size, int /*rwflag*/, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || size <= 0) return 0;
  int n = std::min<int>(size - 1, int(pass->size()));
  memcpy(buf, pass->data(), size_t(n));
  buf[n] = '\0';
  return n;
}

// tls-protocols: a space separated subset of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3
// (any case); empty means TLSv1.2 and TLSv1.3. Returns the SSL_OP_NO_* bits
// to set, or -1 for an unknown word.
long ProtocolOptions(const std::string& protocols) {
  bool v10 = false, v11 = false, v12 = false, v13 = false;
  if (protocols.empty()) {
    v12 = v13 = true;
  } else {
    size_t i = 0;
    while (i < protocols.size()) {
      while (i < protocols.size() && protocols[i] == ' ') i++;
      size_t j = i;
      while (j < protocols.size() && protocols[j] != ' ') j++;
      if (j == i) break;
      std::string w = protocols.substr(i, j - i);
      for (char& ch : w) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      if (w == "tlsv1") {
        v10 = true;
      } else if (w == "tlsv1.1") {
        v11 = true;
      } else if (w == "tlsv1.2") {
        v12 = true;
      } else if (w == "tlsv1.3") {
        v13 = true;
      } else {
        return -1;
      }
      i = j;
    }
  }
  if (!v10 && !v11 && !v12 && !v13) return -1;
  long op = 0;
  if (!v10) op |= SSL_OP_NO_TLSv1;
  if (!v11) op |= SSL_OP_NO_TLSv1_1;
  if (!v12) op |= SSL_OP_NO_TLSv1_2;
  if (!v13) op |= SSL_OP_NO_TLSv1_3;
  return op;
}

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

// One context; `server` adds what only the accepting side sets (client
// verification, session cache, DH). `cert`/`key`/`pass` are the pair this
// side presents.
StatusOr<CtxPtr> MakeContext(const TlsSettings& s, bool server, const std::string& cert,
                             const std::string& key, const std::string* pass) {
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return Status::Error("Failed to create SSL_CTX: " + OpenSslError());
  long protocols = ProtocolOptions(s.protocols);
  if (protocols < 0) {
    return Status::Error(
        "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' "
        "and 'TLSv1.3'.");
  }
  // Old protocol versions are refused by OpenSSL 3's default security level;
  // asking for them explicitly lowers the minimum.
  SSL_CTX_set_min_proto_version(ctx.get(), 0);
  SSL_CTX_set_options(ctx.get(),
                      uint64_t(protocols) | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (s.prefer_server_ciphers) SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Writes resume with a buffer that may have moved (the output grows while
  // the socket is full) and may complete partially, as write(2) does.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (server) {
    // Set even without caching: a client offering an old session then gets
    // a full handshake (without it OpenSSL fails the handshake).
    static const unsigned char kSid[] = "basalt";
    SSL_CTX_set_session_id_context(ctx.get(), kSid, sizeof(kSid) - 1);
    if (s.session_caching) {
      SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
      SSL_CTX_sess_set_cache_size(ctx.get(), long(s.session_cache_size));
      SSL_CTX_set_timeout(ctx.get(), long(s.session_cache_timeout));
    } else {
      SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
      SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    }
  }
  if (pass != nullptr && !pass->empty()) {
    SSL_CTX_set_default_passwd_cb(ctx.get(), PassCallback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), const_cast<std::string*>(pass));
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) <= 0) {
    return Status::Error("Failed to load certificate: " + cert + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) <= 0 ||
      SSL_CTX_check_private_key(ctx.get()) <= 0) {
    return Status::Error("Failed to load private key: " + key + ": " + OpenSslError());
  }
  if (!s.ca_cert_file.empty() || !s.ca_cert_dir.empty()) {
    const char* file = s.ca_cert_file.empty() ? nullptr : s.ca_cert_file.c_str();
    const char* dir = s.ca_cert_dir.empty() ? nullptr : s.ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx.get(), file, dir) <= 0) {
      return Status::Error("Failed to configure CA certificate(s) file/directory: " +
                           OpenSslError());
    }
  }
  if (server) {
    if (!s.dh_params_file.empty()) {
      BIO* bio = BIO_new_file(s.dh_params_file.c_str(), "r");
      if (bio == nullptr) {
        return Status::Error("Failed to load " + s.dh_params_file + ": " + strerror(errno));
      }
      EVP_PKEY* dh = PEM_read_bio_Parameters(bio, nullptr);
      BIO_free(bio);
      if (dh == nullptr) {
        return Status::Error("Failed to load DH params file: " + s.dh_params_file + ": " +
                             OpenSslError());
      }
      if (SSL_CTX_set0_tmp_dh_pkey(ctx.get(), dh) <= 0) {
        EVP_PKEY_free(dh);
        return Status::Error("Failed to load DH params file: " + s.dh_params_file + ": " +
                             OpenSslError());
      }
    } else {
      SSL_CTX_set_dh_auto(ctx.get(), 1);
    }
    int mode = SSL_VERIFY_NONE;
    if (s.auth_clients == 1) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (s.auth_clients == 2) mode = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  } else {
    // The other side's certificate must chain to our CA (no host name check,
    // as Redis: peers are usually addressed by IP).
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), s.ciphers.c_str()) <= 0) {
    return Status::Error("Failed to configure ciphers: " + s.ciphers);
  }
  if (!s.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx.get(), s.ciphersuites.c_str()) <= 0) {
    return Status::Error("Failed to configure ciphersuites: " + s.ciphersuites);
  }
  return ctx;
}

std::mutex g_mu;
std::shared_ptr<const TlsContexts> g_current;  // Guarded by g_mu.
int64_t g_last_check_ms = 0;                   // Guarded by g_mu.
std::string g_failed_fingerprint;              // Guarded by g_mu: a change that failed to load
std::atomic<int64_t> g_reloads{0};

}  // namespace

TlsSettings TlsSettings::FromConfig(const config::Config& c) {
  TlsSettings s;
  s.cert_file = c.tls_cert_file();
  s.key_file = c.tls_key_file();
  s.key_file_pass = c.tls_key_file_pass();
  s.client_cert_file = c.tls_client_cert_file();
  s.client_key_file = c.tls_client_key_file();
  s.client_key_file_pass = c.tls_client_key_file_pass();
  s.ca_cert_file = c.tls_ca_cert_file();
  s.ca_cert_dir = c.tls_ca_cert_dir();
  s.dh_params_file = c.tls_dh_params_file();
  s.protocols = c.tls_protocols();
  s.ciphers = c.tls_ciphers();
  s.ciphersuites = c.tls_ciphersuites();
  s.auth_clients = int(c.tls_auth_clients());
  s.prefer_server_ciphers = c.tls_prefer_server_ciphers();
  s.session_caching = c.tls_session_caching();
  s.session_cache_size = c.tls_session_cache_size();
  s.session_cache_timeout = c.tls_session_cache_timeout();
  s.replication = c.tls_replication();
  return s;
}

std::string TlsSettings::FilesFingerprint() const {
  std::string fp;
  for (const std::string* f : {&cert_file, &key_file, &client_cert_file, &client_key_file,
                               &ca_cert_file, &ca_cert_dir, &dh_params_file}) {
    if (f->empty()) continue;
    struct stat st {};
    // stat follows symlinks: a Kubernetes Secret swaps the `..data` link, so
    // the target's inode changes even when the path's own link does not.
    if (::stat(f->c_str(), &st) != 0) {
      fp += *f + ":missing;";
      continue;
    }
    fp += *f + ":" + std::to_string(st.st_dev) + "/" + std::to_string(st.st_ino) + "/" +
          std::to_string(st.st_size) + "/" + std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return fp;
}

StatusOr<std::shared_ptr<TlsContexts>> TlsContexts::Build(const TlsSettings& s) {
  if (s.cert_file.empty()) return Status::Error("No tls-cert-file configured!");
  if (s.key_file.empty()) return Status::Error("No tls-key-file configured!");
  if (s.ca_cert_file.empty() && s.ca_cert_dir.empty() && (s.auth_clients != 0 || s.replication)) {
    return Status::Error(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
        "tls-replication or tls-auth-clients are enabled!");
  }
  std::shared_ptr<TlsContexts> c(new TlsContexts());
  c->settings_ = s;
  c->fingerprint_ = s.FilesFingerprint();
  const TlsSettings& own = c->settings_;  // the passphrases' storage lives as long as the contexts
  auto server = MakeContext(own, true, own.cert_file, own.key_file, &own.key_file_pass);
  if (!server.ok()) return server.status();
  bool own_client = !own.client_cert_file.empty() && !own.client_key_file.empty();
  auto client = own_client
                    ? MakeContext(own, false, own.client_cert_file, own.client_key_file,
                                  &own.client_key_file_pass)
                    : MakeContext(own, false, own.cert_file, own.key_file, &own.key_file_pass);
  if (!client.ok()) return client.status();
  c->server_ = server.value().release();
  c->client_ = client.value().release();
  return c;
}

TlsContexts::~TlsContexts() {
  SSL_CTX_free(server_);
  SSL_CTX_free(client_);
}

std::shared_ptr<const TlsContexts> Current() {
  std::lock_guard<std::mutex> l(g_mu);
  return g_current;
}

void SetCurrent(std::shared_ptr<const TlsContexts> c) {
  std::lock_guard<std::mutex> l(g_mu);
  g_current = std::move(c);
}

bool Wanted(const config::Config& cfg) { return cfg.tls_port() != 0 || cfg.tls_replication(); }

Status Reconfigure(const config::Config& cfg) {
  TlsSettings s = TlsSettings::FromConfig(cfg);
  auto built = TlsContexts::Build(s);
  if (!built.ok()) {
    Log(LogLevel::kWarning, "%s", built.status().message().c_str());
    return built.status();
  }
  {
    std::lock_guard<std::mutex> l(g_mu);
    g_current = std::move(built).value();
    g_failed_fingerprint.clear();
  }
  g_reloads.fetch_add(1);
  return Status::Ok();
}

void ReloadIfFilesChanged(const config::Config& cfg, int64_t now_ms) {
  std::shared_ptr<const TlsContexts> cur;
  {
    std::lock_guard<std::mutex> l(g_mu);
    if (g_current == nullptr || now_ms - g_last_check_ms < 1000) return;
    g_last_check_ms = now_ms;
    cur = g_current;
  }
  std::string fp = cur->settings().FilesFingerprint();
  if (fp == cur->fingerprint()) return;
  {
    std::lock_guard<std::mutex> l(g_mu);
    if (fp == g_failed_fingerprint) return;  // already tried and logged
  }
  // A rotation writes the certificate and the key one after the other: a
  // pair caught half-way fails to load and is tried again when the files
  // change once more.
  auto built = TlsContexts::Build(cur->settings());
  std::lock_guard<std::mutex> l(g_mu);
  if (g_current != cur) return;  // CONFIG SET won meanwhile
  if (!built.ok()) {
    g_failed_fingerprint = fp;
    Log(LogLevel::kWarning, "TLS files changed on disk but could not be loaded: %s",
        built.status().message().c_str());
    return;
  }
  g_current = std::move(built).value();
  g_failed_fingerprint.clear();
  g_reloads.fetch_add(1);
  Log(LogLevel::kNotice, "TLS certificates reloaded (files changed on disk)");
}

int64_t ReloadCount() { return g_reloads.load(); }

}  // namespace basalt::tls
