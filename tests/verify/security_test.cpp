// The security scan against nginx configured twice on 127.0.0.1: hardened, and deliberately
// misconfigured (TLS 1.0 on, a self-signed certificate expiring in 3 days, no security headers,
// CORS reflecting any origin, /.env served, no HTTPS redirect). Certificates are made here with
// openssl. The scan must report each misconfiguration, and nothing on the hardened server.
#include "verify/security.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>
#include <set>

#include "certs.hpp"
#include "process.hpp"
#include "server.hpp"

namespace slipway::verify {
namespace {

void openssl(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run(argv, {}, {}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// A CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
void make_ca_signed_cert(const std::string& dir) {
  test::make_ca(dir);
  test::make_ca_signed_cert(dir, "server", "IP:127.0.0.1", 365);
}

std::map<std::string, std::vector<const Check*>> by_id(const Report& r) {
  std::map<std::string, std::vector<const Check*>> out;
  for (const auto& c : r.checks()) out[c.id].push_back(&c);
  return out;
}

Status worst(const std::vector<const Check*>& checks) {
  Status s = Status::pass;
  for (const Check* c : checks) {
    if (c->status == Status::fail) return Status::fail;
    if (c->status == Status::warn) s = Status::warn;
  }
  return s;
}

std::string dump(const Report& r) {
  return r.render(Format::text, Style(false));
}

TEST(Security, HardenedNginxHasNoFinding) {
  test::Nginx nginx(R"(
  server_tokens off;
  types { text/html html; application/json json; }
  map $http_origin $cors_origin { default ""; "https://app.example.com" $http_origin; }
  server {
    listen 127.0.0.1:@PORT0@ ssl;
    ssl_certificate @DIR@/server.pem;
    ssl_certificate_key @DIR@/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root @DIR@/www;
    gzip on; gzip_min_length 1; gzip_types application/json;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header X-Frame-Options DENY always;
    add_header X-Content-Type-Options nosniff always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
    add_header Access-Control-Allow-Origin $cors_origin always;
    add_header Vary Origin always;
    if ($request_method = OPTIONS) { return 204; }
  }
  server {
    listen 127.0.0.1:@PORT1@;
    return 301 https://127.0.0.1:@PORT0@$request_uri;
  }
)",
                    2, [](const std::string& dir) {
                      make_ca_signed_cert(dir);
                      std::filesystem::create_directories(dir + "/www");
                      std::ofstream(dir + "/www/index.html") << "<!doctype html><title>ok</title>\n";
                      std::ofstream(dir + "/www/data.json") << "{\"items\":[" << std::string(2000, ' ') << "]}\n";
                    });
  VerifySettings s;
  s.base_url = "https://127.0.0.1:" + std::to_string(nginx.port(0)) + "/";
  s.ca_file = nginx.dir() + "/ca.pem";
  s.security.http_url = "http://127.0.0.1:" + std::to_string(nginx.port(1)) + "/";
  s.security.cors_origins = {"https://app.example.com"};
  s.security.compression_paths = {"/data.json"};
  Report report;
  ASSERT_TRUE(run_security_scan(s, report));
  EXPECT_EQ(report.count(Status::fail), 0U) << dump(report);
  EXPECT_EQ(report.count(Status::warn), 0U) << dump(report);
  const auto ids = by_id(report);
  for (const char* id :
       {"tls-protocol", "tls-certificate", "tls-hostname", "tls-expiry", "https-redirect", "header-hsts", "header-csp",
        "header-x-frame-options", "header-x-content-type-options", "header-referrer-policy", "cors-arbitrary-origin",
        "cors-null-origin", "cors-allowed-origin", "leak-route", "server-banner", "compression", "security-grade"}) {
    EXPECT_TRUE(ids.contains(id)) << id << "\n" << dump(report);
  }
  EXPECT_EQ(report.extra().at("security").at("grade"), "A+");
}

TEST(Security, MisconfiguredNginxReportsEachMisconfiguration) {
  test::Nginx nginx(R"(
  types { text/html html; application/json json; }
  server {
    listen 127.0.0.1:@PORT0@ ssl;
    ssl_certificate @DIR@/self.pem;
    ssl_certificate_key @DIR@/self.key;
    ssl_protocols TLSv1 TLSv1.2;
    ssl_ciphers ALL:@SECLEVEL=0;
    root @DIR@/www;
    add_header Access-Control-Allow-Origin $http_origin always;
    add_header Access-Control-Allow-Credentials true always;
    if ($request_method = OPTIONS) { return 204; }
  }
  server {
    listen 127.0.0.1:@PORT1@;
    root @DIR@/www;
  }
)",
                    2, [](const std::string& dir) {
                      openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out",
                               "self.pem", "-days", "3", "-subj", "/CN=localhost"},
                              dir);
                      std::filesystem::create_directories(dir + "/www");
                      std::ofstream(dir + "/www/index.html") << "<!doctype html><title>ok</title>\n";
                      std::ofstream(dir + "/www/data.json") << "{\"items\":[" << std::string(2000, ' ') << "]}\n";
                      std::ofstream(dir + "/www/.env") << "DATABASE_URL=postgresql://app:hunter2@db/app\n";
                    });
  VerifySettings s;
  s.base_url = "https://127.0.0.1:" + std::to_string(nginx.port(0)) + "/";
  s.security.http_url = "http://127.0.0.1:" + std::to_string(nginx.port(1)) + "/";
  s.security.compression_paths = {"/data.json"};
  Report report;
  ASSERT_TRUE(run_security_scan(s, report));
  const auto ids = by_id(report);
  const std::string text = dump(report);
  for (const char* id : {"tls-protocol", "tls-certificate", "tls-hostname", "tls-expiry", "https-redirect",
                         "header-hsts", "header-csp", "header-x-frame-options", "header-x-content-type-options",
                         "cors-arbitrary-origin", "cors-null-origin", "leak-route", "security-grade"}) {
    ASSERT_TRUE(ids.contains(id)) << id << "\n" << text;
    EXPECT_EQ(worst(ids.at(id)), Status::fail) << id << "\n" << text;
  }
  for (const char* id : {"header-referrer-policy", "server-banner", "compression"}) {
    ASSERT_TRUE(ids.contains(id)) << id << "\n" << text;
    EXPECT_EQ(worst(ids.at(id)), Status::warn) << id << "\n" << text;
  }
  EXPECT_NE(text.find("TLSv1 is offered"), std::string::npos) << text;
  EXPECT_NE(text.find("self-signed"), std::string::npos) << text;
  EXPECT_NE(text.find("[/.env]"), std::string::npos) << text;
  EXPECT_NE(text.find("nginx/"), std::string::npos) << text;
  EXPECT_EQ(report.extra().at("security").at("grade"), "F");
}

// A deploy verifying on loopback behind a TLS terminator: plain HTTP is expected, so the TLS,
// redirect and HSTS checks are skipped with the reason, neither passed nor failed, and cost no score.
TEST(Security, PlainHttpBehindATlsTerminatorIsReportedAsSkippedNotFailedWithExpectTlsFalse) {
  test::Nginx nginx(R"(
  server_tokens off;
  server {
    listen 127.0.0.1:@PORT0@;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header Referrer-Policy no-referrer always;
    location / { return 200 'ok'; }
  }
)");
  VerifySettings s;
  s.base_url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/";
  s.security.expect_tls = false;
  Report report;
  ASSERT_TRUE(run_security_scan(s, report));
  const auto ids = by_id(report);
  const std::string text = dump(report);
  for (const char* id :
       {"tls-protocol", "tls-certificate", "tls-hostname", "tls-expiry", "https-redirect", "header-hsts"}) {
    ASSERT_TRUE(ids.contains(id)) << id << "\n" << text;
    ASSERT_EQ(ids.at(id).size(), 1U) << id << "\n" << text;
    EXPECT_EQ(ids.at(id).front()->status, Status::skip) << id << "\n" << text;
    EXPECT_NE(ids.at(id).front()->message.find("expect_tls = false"), std::string::npos) << text;
  }
  EXPECT_EQ(report.count(Status::fail), 0U) << text;
  EXPECT_EQ(report.extra().at("security").at("grade"), "A+") << text;
  EXPECT_NE(text.find("6 skipped"), std::string::npos) << text;
}

TEST(Security, ChecksListedInSkipAreReportedAsSkippedOnce) {
  test::Nginx nginx(R"(
  server {
    listen 127.0.0.1:@PORT0@;
    location / { return 200 'ok'; }
  }
)");
  VerifySettings s;
  s.base_url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/";
  s.security.skip = {"header-csp", "leak-route", "cors-null-origin"};
  Report report;
  ASSERT_TRUE(run_security_scan(s, report));
  const auto ids = by_id(report);
  const std::string text = dump(report);
  for (const char* id : {"header-csp", "leak-route", "cors-null-origin"}) {
    ASSERT_TRUE(ids.contains(id)) << id << "\n" << text;
    ASSERT_EQ(ids.at(id).size(), 1U) << id << "\n" << text;
    EXPECT_EQ(ids.at(id).front()->status, Status::skip) << text;
    EXPECT_EQ(ids.at(id).front()->message, "listed in verify.security.skip") << text;
  }
  // Not skipped: plain HTTP without expect_tls = false is still a finding.
  EXPECT_EQ(worst(ids.at("https-redirect")), Status::fail) << text;
  EXPECT_EQ(worst(ids.at("cors-arbitrary-origin")), Status::pass) << text;
}

TEST(Security, AnUnknownSkipIdIsAnErrorAtItsPositionWithDidYouMean) {
  const std::string dir = ::testing::TempDir() + "/security-skip-typo";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/slipway.toml") << "[verify]\nbase_url = \"http://127.0.0.1:9\"\n[verify.security]\n"
                                          "expect_tls = false\nskip = [\"header-csp\", \"header-hst\"]\n";
  const auto r = test::run({test::slipway_binary(), "verify", "security", "--config", dir + "/slipway.toml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("slipway.toml:5:23"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown check 'header-hst', did you mean 'header-hsts'?"), std::string::npos) << r.err;
}

TEST(Report, SkipIsItsOwnStatusInEveryFormatNotAPass) {
  Report r;
  r.add("header-hsts", "security", Status::skip, "expect_tls = false: plain HTTP is expected here");
  r.add("header-csp", "security", Status::pass, "ok");
  EXPECT_EQ(r.count(Status::skip), 1U);
  EXPECT_EQ(r.count(Status::pass), 1U);
  const std::string text = r.render(Format::text, Style(false), false);
  EXPECT_NE(text.find("SKIP header-hsts"), std::string::npos) << text;
  EXPECT_NE(text.find("1 passed, 0 warnings, 0 failed, 1 skipped"), std::string::npos) << text;
  const auto json = boost::json::parse(r.render(Format::json, Style(false)));
  EXPECT_EQ(json.at("checks").at(0).at("status"), "skip");
  EXPECT_EQ(json.at("summary").at("skip"), 1);
  EXPECT_EQ(json.at("summary").at("pass"), 1);
  const std::string junit = r.render(Format::junit, Style(false));
  EXPECT_NE(junit.find("skipped=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<skipped message=\"expect_tls = false: plain HTTP is expected here\"/>"), std::string::npos)
      << junit;
  const std::string md = r.render(Format::markdown, Style(false));
  EXPECT_NE(md.find("| ⏭️ skip | security | `header-hsts` |"), std::string::npos) << md;
}

TEST(Security, ObservatoryGradeChart) {
  EXPECT_EQ(observatory_grade(135), "A+");
  EXPECT_EQ(observatory_grade(100), "A+");
  EXPECT_EQ(observatory_grade(99), "A");
  EXPECT_EQ(observatory_grade(85), "A-");
  EXPECT_EQ(observatory_grade(70), "B");
  EXPECT_EQ(observatory_grade(45), "C-");
  EXPECT_EQ(observatory_grade(25), "D-");
  EXPECT_EQ(observatory_grade(24), "F");
}

}  // namespace
}  // namespace slipway::verify
