// The tls probe, and cert_days on an https http probe, against nginx on 127.0.0.1 serving
// certificates made here by a private CA: one valid for a year, one that expires in 9 days.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "certs.hpp"
#include "server.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServers = R"(
  server {
    listen 127.0.0.1:@PORT0@ ssl;
    ssl_certificate @DIR@/year.pem;
    ssl_certificate_key @DIR@/year.key;
    location / { return 200 "ok\n"; }
  }
  server {
    listen 127.0.0.1:@PORT1@ ssl;
    ssl_certificate @DIR@/soon.pem;
    ssl_certificate_key @DIR@/soon.key;
    location / { return 200 "ok\n"; }
  }
)";

class TlsProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nginx_ = new test::Nginx(kServers, 2, [](const std::string& dir) {
      test::make_ca(dir);
      test::make_ca_signed_cert(dir, "year", "IP:127.0.0.1", 365);
      test::make_ca_signed_cert(dir, "soon", "IP:127.0.0.1", 9);
    });
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  static WatchProbe tls(int port) {
    WatchProbe p;
    p.name = "cert";
    p.key = "watch.probe[0]";
    p.kind = "tls";
    p.timeout = 5s;
    p.address = "127.0.0.1:" + std::to_string(nginx_->port(port));
    p.ca_file = nginx_->dir() + "/ca.pem";
    return p;
  }

  static ProbeResult run_once(const WatchProbe& p) {
    auto probe = make_probe(p, Config{});
    EXPECT_TRUE(probe) << probe.error().render();
    return probe ? (*probe)->run() : ProbeResult{};
  }

  static double value(const ProbeResult& r, const std::string& name) {
    for (const auto& [k, v] : r.values) {
      if (k == name) return v;
    }
    ADD_FAILURE() << "no value " << name;
    return -1;
  }

  static test::Nginx* nginx_;
};

test::Nginx* TlsProbeTest::nginx_ = nullptr;

TEST_F(TlsProbeTest, AVerifiedCertificateWithAYearLeftPasses) {
  const auto r = run_once(tls(0));
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(value(r, "cert_days_left"), 364);
}

TEST_F(TlsProbeTest, ACertificateThatExpiresWithinCertDaysFailsNamingTheDaysAndTheDate) {
  auto p = tls(1);
  auto r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("certificate for 127.0.0.1 expires in 8 days ("), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("), below cert_days = 14"), std::string::npos) << r.reason;
  p.cert_days = 7;
  EXPECT_TRUE(run_once(p).ok);
}

TEST_F(TlsProbeTest, AChainThatDoesNotVerifyFails) {
  auto p = tls(0);
  p.ca_file.clear();  // the system's CAs alone do not know the test CA
  const auto r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("certificate chain for 127.0.0.1 does not verify"), std::string::npos) << r.reason;
}

TEST_F(TlsProbeTest, ACertificateForAnotherNameFails) {
  auto p = tls(0);
  p.server_name = "api.example.com";
  const auto r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("is not valid for the name api.example.com"), std::string::npos) << r.reason;
}

TEST_F(TlsProbeTest, NothingListeningFailsWithAReason) {
  auto p = tls(0);
  p.address = "127.0.0.1:" + std::to_string(test::free_port());
  const auto r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("cannot connect"), std::string::npos) << r.reason;
}

// cert_days on an http probe is checked on the connection the request went over.
TEST_F(TlsProbeTest, AnHttpsProbeWithCertDaysChecksTheCertificateItWasServed) {
  WatchProbe p;
  p.name = "api";
  p.key = "watch.probe[0]";
  p.timeout = 5s;
  p.ca_file = nginx_->dir() + "/ca.pem";
  p.cert_days = 14;
  p.url = "https://127.0.0.1:" + std::to_string(nginx_->port(0)) + "/health";
  auto r = run_once(p);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(value(r, "cert_days_left"), 364);
  p.url = "https://127.0.0.1:" + std::to_string(nginx_->port(1)) + "/health";
  r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("expires in 8 days"), std::string::npos) << r.reason;
  p.cert_days.reset();  // not asked: not checked
  EXPECT_TRUE(run_once(p).ok);
}

}  // namespace
}  // namespace slipway::watch
