#include "tls/tls_context.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace basalt::tls {
namespace {

TlsSettings Settings() {
  TlsSettings s;
  s.cert_file = "/nonexistent/server.crt";
  s.key_file = "/nonexistent/server.key";
  s.ca_cert_file = "/nonexistent/ca.crt";
  return s;
}

TEST(TlsContextsTest, BuildReportsRedisErrorsInRedisOrder) {
  TlsSettings s = Settings();
  s.cert_file.clear();
  s.key_file.clear();
  s.ca_cert_file.clear();
  EXPECT_EQ(TlsContexts::Build(s).status().message(), "No tls-cert-file configured!");
  s.cert_file = "/nonexistent/server.crt";
  EXPECT_EQ(TlsContexts::Build(s).status().message(), "No tls-key-file configured!");
  s.key_file = "/nonexistent/server.key";
  EXPECT_EQ(TlsContexts::Build(s).status().message(),
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
            "tls-replication or tls-auth-clients are enabled!");
  // tls-auth-clients no and no tls-replication: no CA needed; the certificate
  // is what fails next.
  s.auth_clients = 0;
  std::string msg = TlsContexts::Build(s).status().message();
  EXPECT_EQ(msg.rfind("Failed to load certificate: /nonexistent/server.crt: ", 0), 0u) << msg;
  s.replication = true;
  EXPECT_EQ(TlsContexts::Build(s).status().message().rfind("Either tls-ca-cert-file", 0), 0u);
}

TEST(TlsContextsTest, ProtocolsAreCheckedFirst) {
  TlsSettings s = Settings();
  s.protocols = "TLSv1.2 SSLv3";
  EXPECT_EQ(TlsContexts::Build(s).status().message(),
            "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
            "'TLSv1.2' and 'TLSv1.3'.");
}

class FingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/basalt-tls-fp-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    int rc = std::system(("rm -rf " + dir_).c_str());
    (void)rc;
  }
  void Write(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::string dir_;
};

TEST_F(FingerprintTest, ChangesWhenAFileIsReplacedOrItsSymlinkSwapped) {
  TlsSettings s;
  Write(dir_ + "/v1.crt", "one");
  Write(dir_ + "/v2.crt", "two");
  ASSERT_EQ(symlink((dir_ + "/v1.crt").c_str(), (dir_ + "/tls.crt").c_str()), 0);
  s.cert_file = dir_ + "/tls.crt";
  std::string first = s.FilesFingerprint();
  EXPECT_EQ(s.FilesFingerprint(), first);  // nothing changed
  // A symlink swap (Kubernetes' Secret rotation): the target's inode changes.
  ASSERT_EQ(symlink((dir_ + "/v2.crt").c_str(), (dir_ + "/tmp.crt").c_str()), 0);
  ASSERT_EQ(rename((dir_ + "/tmp.crt").c_str(), (dir_ + "/tls.crt").c_str()), 0);
  std::string second = s.FilesFingerprint();
  EXPECT_NE(second, first);
  // Replaced by rename (a new inode).
  Write(dir_ + "/new.crt", "two");
  ASSERT_EQ(rename((dir_ + "/new.crt").c_str(), (dir_ + "/v2.crt").c_str()), 0);
  EXPECT_NE(s.FilesFingerprint(), second);
  // A missing file is part of the fingerprint too.
  s.key_file = dir_ + "/missing.key";
  EXPECT_NE(s.FilesFingerprint().find("missing"), std::string::npos);
}

}  // namespace
}  // namespace basalt::tls
