// Black-box tests of `slipway gate`: the real binary in front of a real backend on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <boost/json.hpp>

#include "backend.hpp"
#include "harness.hpp"
#include "net/jwt.hpp"
#include "tokens.hpp"

namespace slipway::test {
namespace {

const std::vector<std::string> kMethods{"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"};

bool is_write(const std::string& m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string admin_claims(const std::string& role = "ADMIN", std::int64_t exp_offset = 600) {
  return "{\"sub\":\"u1\",\"role\":\"" + role + "\",\"exp\":" + std::to_string(now() + exp_offset) + "}";
}

Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

boost::json::object json_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::string str(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

TEST(GateProxy, NormalModePassesEveryMethodWithForwardingHeaders) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  for (const auto& m : kMethods) {
    auto r =
        fetch(gate.port, m, "/api/loans?page=2", {{"Connection", "keep-alive, X-Secret-Hop"}, {"X-Secret-Hop", "1"}},
              is_write(m) ? "{\"amount\":5}" : "");
    ASSERT_EQ(r.status, 200) << m << " " << r.body;
    if (m == "HEAD") continue;
    auto o = json_of(r.body);
    EXPECT_EQ(str(o, "method"), m);
    EXPECT_EQ(str(o, "target"), "/api/loans?page=2");
    EXPECT_EQ(str(o, "xff"), "127.0.0.1");
    EXPECT_EQ(str(o, "proto"), "http");
    EXPECT_EQ(str(o, "host"), "app.test") << "the client's Host is kept";
    EXPECT_EQ(str(o, "forwarded_host"), "app.test");
    EXPECT_EQ(str(o, "hop"), "") << "a header the Connection header names stops at the gate";
    EXPECT_EQ(o.at("body").as_int64(), is_write(m) ? 12 : 0);
  }
  auto chained = fetch(gate.port, "GET", "/x", {{"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_EQ(str(json_of(chained.body), "xff"), "203.0.113.9, 127.0.0.1");
  auto twice = raw_exchange(gate.port,
                            "GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\n"
                            "X-Forwarded-For: 198.51.100.7\r\nConnection: close\r\n\r\n");
  EXPECT_NE(twice.find("\"xff\":\"203.0.113.9, 198.51.100.7, 127.0.0.1\""), std::string::npos)
      << "every X-Forwarded-For the client sent is kept, in order: " << twice;
  auto no_host = raw_exchange(gate.port, "GET /x HTTP/1.0\r\n\r\n");
  EXPECT_NE(no_host.find("\"host\":\"" + backend.address() + "\""), std::string::npos)
      << "an HTTP/1.0 request without Host gets the upstream's: " << no_host;
}

// A read-until-close answer (server-sent events, a long export) reaches the client part by part,
// chunked for an HTTP/1.1 client and raw, then closed, for an HTTP/1.0 one.
TEST(GateProxy, AStreamedAnswerReachesTheClientAsItArrives) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  {
    RawConnection c(gate.port);
    c.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string first = c.read_until("first\n");
    ASSERT_NE(first.find("first\n"), std::string::npos) << "the first part was held back: " << first;
    EXPECT_NE(first.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << first;
    backend.release_stream = true;
    const std::string all = c.read_until("0\r\n\r\n");
    EXPECT_NE(all.find("\r\n\r\n6\r\nfirst\n\r\n"), std::string::npos) << all;
    EXPECT_NE(all.find("7\r\nsecond\n\r\n0\r\n\r\n"), std::string::npos) << all;
  }
  backend.release_stream = false;
  RawConnection old(gate.port);
  old.send("GET /stream HTTP/1.0\r\nHost: a\r\n\r\n");
  const std::string first = old.read_until("first\n");
  ASSERT_NE(first.find("first\n"), std::string::npos) << first;
  EXPECT_EQ(first.find("chunked"), std::string::npos) << first;
  EXPECT_NE(first.find("Connection: close\r\n"), std::string::npos) << first;
  backend.release_stream = true;
  const std::string all = old.read_to_close();
  EXPECT_TRUE(all.ends_with("\r\n\r\nfirst\nsecond\n")) << all;
}

// A client that half-closes after its request (`nc -N`, a shell script) gets its answer, and
// then the gate closes the connection: it does not wait out the idle timeout. The end of file is
// sent in the request's segment, so the gate's read of the request takes both at once and no
// readiness event follows: the gate must still notice it.
TEST(GateProxy, AClientThatHalfClosesGetsItsAnswerAndTheConnectionCloses) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "idle_timeout = \"1h\"");
  gate.start();
  for (int i = 0; i < 5; ++i) {
    RawConnection c(gate.port);
    c.send_last("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    const std::string all = c.read_to_close();
    EXPECT_NE(all.find("\"backend\":\"blue\""), std::string::npos) << all;
    ASSERT_TRUE(c.closed()) << "the gate kept a half-closed connection open (round " << i << "): " << all;
  }
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  RawConnection c(gate.port);
  c.send_last("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string all = c.read_to_close();
  EXPECT_TRUE(all.starts_with("HTTP/1.1 503")) << all;
  EXPECT_TRUE(c.closed()) << all;
}

// An upstream that closes a keep-alive connection right after an answer, without saying so (its
// end of file comes with the answer's last bytes): the next request, sent on that pooled
// connection, is sent again on a fresh one, and nothing waits for the upstream timeout.
TEST(GateProxy, AnUpstreamThatClosesRightAfterAnsweringIsNotWaitedFor) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "upstream_timeout = \"1h\"");
  gate.start();
  Client client(gate.port);
  for (int i = 0; i < 20; ++i) {
    const auto closing = client.fetch("GET", "/close-after");
    ASSERT_EQ(closing.status, 200) << closing.body;
    const auto next = client.fetch("GET", "/x");
    ASSERT_EQ(next.status, 200) << "round " << i << ": " << next.body;
    EXPECT_EQ(str(json_of(next.body), "backend"), "blue");
  }
}

TEST(GateProxy, StreamsLargeAndChunkedBodiesBothWays) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  const std::string big(3'000'000, 'b');
  auto up = fetch(gate.port, "POST", "/upload", {}, big);
  ASSERT_EQ(up.status, 200);
  EXPECT_EQ(json_of(up.body).at("body").as_int64(), 3'000'000);
  auto chunked_up =
      raw_exchange(gate.port,
                   "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_NE(chunked_up.find("\"body\":11"), std::string::npos) << chunked_up;
  auto down = fetch(gate.port, "GET", "/big");
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(down.body.size(), 1'000'000u);
  auto chunked_down = fetch(gate.port, "GET", "/chunked");
  ASSERT_EQ(chunked_down.status, 200);
  EXPECT_EQ(str(json_of(chunked_down.body), "target"), "/chunked");
}

// The portable read path (every read tried at once, as on a Boost other than 1.81, where the fast
// path of readiness.hpp is compiled out) serves what the fast path serves: keep-alive exchanges,
// an upstream closing after its answer, a half-closing client, large and chunked bodies.
TEST(GateProxy, ThePortableReadPathServesTheSameExchanges) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "idle_timeout = \"1h\"\nupstream_timeout = \"1h\"");
  ::setenv("SLIPWAY_GATE_PORTABLE_READINESS", "1", 1);
  gate.start();
  ::unsetenv("SLIPWAY_GATE_PORTABLE_READINESS");
  EXPECT_NE(gate.file("gate.out").find("; portable reads"), std::string::npos) << gate.file("gate.out");
  Client client(gate.port);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(client.fetch("GET", "/close-after").status, 200) << "round " << i;
    const auto next = client.fetch("GET", "/x");
    ASSERT_EQ(next.status, 200) << "round " << i << ": " << next.body;
    EXPECT_EQ(str(json_of(next.body), "backend"), "blue");
  }
  EXPECT_EQ(json_of(fetch(gate.port, "POST", "/x", {}, "{\"n\":1}").body).at("body").as_int64(), 7);
  RawConnection c(gate.port);
  c.send_last("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string all = c.read_to_close();
  EXPECT_NE(all.find("\"backend\":\"blue\""), std::string::npos) << all;
  EXPECT_TRUE(c.closed()) << all;
  const std::string big(3'000'000, 'b');
  EXPECT_EQ(json_of(fetch(gate.port, "POST", "/upload", {}, big).body).at("body").as_int64(), 3'000'000);
  EXPECT_EQ(fetch(gate.port, "GET", "/big").body.size(), 1'000'000u);
}

// docs/config.md offered gate.forwarded_proto = "keep" (the X-Forwarded-Proto of a TLS terminator
// in front), but the config refused it, so a gate behind nginx with TLS told the app "http".
TEST(GateProxy, ForwardedProtoKeepPassesTheTerminatorsValue) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "forwarded_proto = \"keep\"");
  gate.start();
  EXPECT_EQ(str(json_of(fetch(gate.port, "GET", "/a", {{"X-Forwarded-Proto", "https"}}).body), "proto"), "https");
  EXPECT_EQ(str(json_of(fetch(gate.port, "GET", "/a").body), "proto"), "http") << "none sent: http";
}

TEST(GateProxy, SecurityHeadersAreAdded) {
  Backend backend("blue");
  GateProcess gate(backend.address(),
                   "security_headers = [\"X-Frame-Options: DENY\", \"Strict-Transport-Security: max-age=63072000\"]");
  gate.start();
  auto r = fetch(gate.port, "GET", "/");
  EXPECT_EQ(r.header("x-frame-options"), "DENY");
  EXPECT_EQ(r.header("strict-transport-security"), "max-age=63072000");
  EXPECT_EQ(r.header("x-backend"), "blue");
}

TEST(GateModes, MaintenanceRefusesEveryMethodForUsersButAnswersHealthAndAllowList) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "", "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]");
  gate.start();
  auto on = gate.ctl({"maintenance", "on", "--message", "Back at 14:00", "--retry-after", "10m"});
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_NE(on.out.find("maintenance"), std::string::npos);
  const int before = backend.requests.load();
  for (const auto& m : kMethods) {
    auto r = fetch(gate.port, m, "/api/loans", {}, is_write(m) ? "{}" : "");
    EXPECT_EQ(r.status, 503) << m;
    EXPECT_EQ(r.header("retry-after"), "600") << m;
    if (m != "HEAD") {
      auto o = json_of(r.body);
      EXPECT_EQ(str(o, "error"), "maintenance");
      EXPECT_EQ(str(o, "message"), "Back at 14:00");
      EXPECT_EQ(o.at("retry_after").as_int64(), 600);
    }
  }
  EXPECT_EQ(backend.requests.load(), before) << "nothing reached the backend";
  auto health = fetch(gate.port, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  auto login = fetch(gate.port, "POST", "/api/auth/login", {}, "{\"u\":1}");
  EXPECT_EQ(login.status, 200) << "allow-listed paths pass for everyone";
  EXPECT_EQ(str(json_of(login.body), "backend"), "blue");

  const std::string token = hs_token("HS256", "s3cret", admin_claims());
  for (const auto& m : kMethods) {
    auto r = fetch(gate.port, m, "/api/loans", bearer(token), is_write(m) ? "{}" : "");
    EXPECT_EQ(r.status, is_write(m) ? 503 : 200) << m << ": admins read, but do not write without admin_writes";
  }
  ASSERT_EQ(gate.ctl({"maintenance", "off"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "POST", "/api/loans", {}, "{}").status, 200);
}

TEST(GateModes, AdminWritesLetAdminsModifyInMaintenance) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "admin_writes = true", "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  const std::string token = hs_token("HS256", "s3cret", admin_claims());
  for (const auto& m : kMethods) {
    EXPECT_EQ(fetch(gate.port, m, "/api/loans", bearer(token), is_write(m) ? "{}" : "").status, 200) << m;
    EXPECT_EQ(fetch(gate.port, m, "/api/loans", {}, is_write(m) ? "{}" : "").status, 503) << m;
  }
}

TEST(GateModes, HtmlForBrowsersJsonForApiClients) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on", "--message", "Upgrading <db> & co"}).exit_code, 0);
  auto html = fetch(gate.port, "GET", "/", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(html.status, 503);
  EXPECT_EQ(html.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(html.body.find("Under Maintenance"), std::string::npos);
  EXPECT_NE(html.body.find("Upgrading &lt;db&gt; &amp; co"), std::string::npos) << "the message is escaped";
  auto api = fetch(gate.port, "GET", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(api.header("content-type"), "application/json");
  EXPECT_EQ(str(json_of(api.body), "message"), "Upgrading <db> & co");
  auto form = fetch(gate.port, "POST", "/account", {{"Accept", "text/html"}}, "name=ada");
  EXPECT_EQ(form.status, 503);
  EXPECT_EQ(form.header("content-type"), "text/html; charset=utf-8") << "a browser's form post gets the page too";
}

TEST(GateModes, MaintenancePageFromAFile) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "maintenance_page = \"page.html\"");
  gate.write("page.html", "<h1>Loans is resting</h1><p>{{message}}</p><p>{{retry_after_seconds}}</p>");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on", "--message", "soon", "--retry-after", "2min"}).exit_code, 0);
  auto html = fetch(gate.port, "GET", "/", {{"Accept", "text/html"}});
  EXPECT_EQ(html.body, "<h1>Loans is resting</h1><p>soon</p><p>120</p>");
}

TEST(GateModes, ReadOnlyPassesReadsAndRefusesWrites) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  auto on = gate.ctl({"read-only", "on"});
  ASSERT_EQ(on.exit_code, 0) << on.err;
  for (const auto& m : kMethods) {
    auto r = fetch(gate.port, m, "/api/loans", {}, is_write(m) ? "{}" : "");
    EXPECT_EQ(r.status, is_write(m) ? 503 : 200) << m;
    if (is_write(m)) {
      EXPECT_EQ(str(json_of(r.body), "error"), "read_only");
    }
  }
  ASSERT_EQ(gate.ctl({"read-only", "off"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/loans/1").status, 200);
}

// Regression: sign-ins on an allow-listed path (and admins' writes) passed while a deploy held
// writes for its backup, and a restore of that backup lost them without a word. The gate now
// lists every write it lets through outside normal mode; a deploy's own bypass is not counted.
TEST(GateModes, WritesLetThroughOutsideNormalModeAreCountedAndListed) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "allow = [\"/login\"]");
  gate.start();
  EXPECT_EQ(fetch(gate.port, "POST", "/login", {}, "{}").status, 200);  // normal mode: not counted
  ASSERT_EQ(gate.ctl({"read-only", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "POST", "/login?next=/secret-token", {}, "{}").status, 200);
  EXPECT_EQ(fetch(gate.port, "POST", "/notes", {}, "{}").status, 503);  // refused: not counted
  EXPECT_EQ(fetch(gate.port, "GET", "/notes").status, 200);             // a read: not counted
  const std::string token(64, 'a');
  ::setenv("SLIPWAY_GATE_BYPASS", token.c_str(), 1);
  auto bypass = gate.ctl({"bypass", "on"});
  ::unsetenv("SLIPWAY_GATE_BYPASS");
  ASSERT_EQ(bypass.exit_code, 0) << bypass.err;
  EXPECT_EQ(fetch(gate.port, "POST", "/notes", {{"X-Slipway-Bypass", token}}, "{}").status, 200);
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "PUT", "/login/", {}, "{}").status, 200);

  const auto status = json_of(gate.ctl({"status", "--format", "json"}).out);
  EXPECT_EQ(status.at("writes_let_through").to_number<std::int64_t>(), 2);
  EXPECT_FALSE(str(status, "started_at").empty());
  const auto& recent = status.at("recent_writes_let_through").as_array();
  ASSERT_EQ(recent.size(), 2U);
  EXPECT_EQ(str(recent[0].as_object(), "method"), "POST");
  EXPECT_EQ(str(recent[0].as_object(), "path"), "/login") << "the query (which may hold a token) is not kept";
  EXPECT_EQ(str(recent[0].as_object(), "by"), "allow");
  EXPECT_EQ(recent[0].at("seq").to_number<std::int64_t>(), 1);
  EXPECT_EQ(str(recent[1].as_object(), "method"), "PUT");
  EXPECT_EQ(str(recent[1].as_object(), "path"), "/login/");
}

// The first outside trial found requests the gate let through in maintenance: dot segments past a
// prefix rule (/public/../api/users), methods it did not know were writes (PROPPATCH, PURGE...),
// and an admin claim nested in an array ([["ADMIN"]]). None may reach the backend.
TEST(GateBypass, DotSegmentsOddMethodsAndNestedClaimsNeverReachTheBackendInMaintenance) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "allow = [\"/public/*\", \"/auth/login\"]",
                   "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  const int before = backend.requests.load();
  for (const char* target :
       {"/public/../api/users", "/public/%2e%2e/api/users", "/public/%2E%2e/api/users", "/public/..;/api/users",
        "/public\\..\\api\\users", "/public/..%2fapi/users", "/public/%252e%252e/api/users", "/public/./../api/users",
        "/auth/login/../../api/users", "/public/%zz/../api"}) {
    auto r = fetch(gate.port, "POST", target, {}, "{\"name\":\"mallory\"}");
    EXPECT_EQ(r.status, 400) << target;
  }
  for (const char* m : {"PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PURGE", "LINK", "UNLINK", "ACL",
                        "MERGE", "SEARCH", "REPORT"}) {
    EXPECT_EQ(fetch(gate.port, m, "/api/users", {}, "x").status, 503) << m;
  }
  EXPECT_EQ(fetch(gate.port, "TRACE", "/api/users").status, 503);
  EXPECT_EQ(fetch(gate.port, "FOO", "/api/users", {}, "x").status, 400) << "a method HTTP does not know, in any mode";
  for (const char* role : {"[[\"ADMIN\"]]", "[{\"r\":\"ADMIN\"}]", "{\"ADMIN\":true}", "[true]"}) {
    const std::string token =
        hs_token("HS256", "s3cret",
                 "{\"sub\":\"u1\",\"role\":" + std::string(role) + ",\"exp\":" + std::to_string(now() + 600) + "}");
    EXPECT_EQ(fetch(gate.port, "GET", "/api/users", bearer(token)).status, 503) << role;
  }
  EXPECT_EQ(backend.requests.load(), before) << "no forbidden request reached the backend";
  // What the rules do allow still passes, in the normalised spelling too.
  EXPECT_EQ(fetch(gate.port, "POST", "/public/upload", {}, "{}").status, 200);
  EXPECT_EQ(fetch(gate.port, "POST", "/auth/login/", {}, "{}").status, 200) << "one trailing slash";
  EXPECT_EQ(fetch(gate.port, "POST", "/%61uth/login", {}, "{}").status, 200) << "an unreserved escape";
  EXPECT_EQ(fetch(gate.port, "GET", "/api/users", bearer(hs_token("HS256", "s3cret", admin_claims()))).status, 200);
  EXPECT_EQ(backend.requests.load(), before + 4);
  ASSERT_EQ(gate.ctl({"maintenance", "off"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "PROPPATCH", "/dav/x", {}, "x").status, 200) << "normal mode passes every method";
}

TEST(GateBypass, ReadOnlyRefusesEveryMethodButGetHeadAndOptions) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  ASSERT_EQ(gate.ctl({"read-only", "on"}).exit_code, 0);
  const int before = backend.requests.load();
  for (const char* m : {"PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PURGE", "LINK", "UNLINK", "ACL",
                        "MERGE", "SEARCH", "REPORT"}) {
    EXPECT_EQ(fetch(gate.port, m, "/api/loans", {}, "x").status, 503) << m;
  }
  EXPECT_EQ(fetch(gate.port, "FOO", "/api/loans", {}, "x").status, 400) << "a method HTTP does not know";
  EXPECT_EQ(backend.requests.load(), before);
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) EXPECT_EQ(fetch(gate.port, m, "/api/loans").status, 200) << m;
}

// gate.admin.ips trusted the TCP peer: behind nginx on the same host every client is 127.0.0.1,
// so the demo's ips = ["127.0.0.1"] made every user an admin.
TEST(GateBypass, BehindATrustedProxyAdminIpsMatchTheForwardedClientNotThePeer) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "trusted_proxies = [\"127.0.0.1\"]", "ips = [\"10.9.0.7\"]");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  const int before = backend.requests.load();
  EXPECT_EQ(fetch(gate.port, "GET", "/api/users").status, 503) << "the proxy itself is no admin";
  EXPECT_EQ(fetch(gate.port, "GET", "/api/users", {{"X-Forwarded-For", "203.0.113.5"}}).status, 503);
  EXPECT_EQ(fetch(gate.port, "GET", "/api/users", {{"X-Forwarded-For", "10.9.0.7, 203.0.113.5"}}).status, 503)
      << "a forged entry left of the real client";
  EXPECT_EQ(fetch(gate.port, "GET", "/api/users", {{"X-Forwarded-For", "garbage"}}).status, 503);
  EXPECT_EQ(backend.requests.load(), before);
  auto admin = fetch(gate.port, "GET", "/api/users", {{"X-Forwarded-For", "10.9.0.7"}});
  EXPECT_EQ(admin.status, 200);
  EXPECT_EQ(str(json_of(admin.body), "xff"), "10.9.0.7, 127.0.0.1") << "the chain goes on to the backend";
  ASSERT_EQ(gate.ctl({"status"}).exit_code, 0);  // flushes the access log
  EXPECT_NE(gate.file("access.log").find("\"client\":\"10.9.0.7\""), std::string::npos)
      << "the log names the client, not the proxy";
  EXPECT_NE(gate.file("access.log").find("\"client\":\"203.0.113.5\""), std::string::npos);
}

TEST(GateBypass, LoopbackAdminIpsWithoutATrustedProxyAreWarnedAboutAtStart) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "", "ips = [\"127.0.0.1\"]");
  gate.start();
  EXPECT_NE(gate.file("gate.out").find("slipway: warning: gate.admin.ips names 127.0.0.1, a loopback address"),
            std::string::npos)
      << gate.file("gate.out");
}

// Tokens in a query parameter (?access_token=, for asset URLs) were not read; they are, when
// gate.admin.query_param names the parameter, and never by default.
TEST(GateBypass, AQueryParameterTokenCountsOnlyWhenOptedIn) {
  Backend backend("blue");
  const std::string token = hs_token("HS256", "s3cret", admin_claims());
  {
    GateProcess gate(backend.address(), "", "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]");
    gate.start();
    ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
    EXPECT_EQ(fetch(gate.port, "GET", "/files/a.pdf?access_token=" + token).status, 503);
  }
  GateProcess gate(backend.address(), "",
                   "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]\nquery_param = \"access_token\"");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "GET", "/files/a.pdf?x=1&access_token=" + token).status, 200);
  EXPECT_EQ(fetch(gate.port, "GET", "/files/a.pdf?access_token=" + token + "x").status, 503);
  EXPECT_EQ(fetch(gate.port, "GET", "/files/a.pdf?other=" + token).status, 503);
}

// A deploy's own verification ran inside maintenance mode and checked the 503 page. The deploy now
// registers a one-time token over the control socket, and requests carrying it reach the release
// in every mode, writes and the health path included.
TEST(GateBypass, ADeployBypassTokenReachesTheReleaseInEveryModeAndStaysAtTheGate) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "", "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]");
  gate.start();
  const std::string token(64, 'a');
  const Headers with_token{{"X-Slipway-Bypass", token}};
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "POST", "/api/users", with_token, "{}").status, 503) << "not registered yet";
  ::setenv("SLIPWAY_GATE_BYPASS", "abc", 1);
  EXPECT_EQ(gate.ctl({"bypass", "on"}).exit_code, 2) << "a short token is refused";
  ::setenv("SLIPWAY_GATE_BYPASS", token.c_str(), 1);
  auto on = gate.ctl({"bypass", "on"});
  ::unsetenv("SLIPWAY_GATE_BYPASS");
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_EQ(on.out.find(token), std::string::npos) << "the token is never printed";
  auto write = fetch(gate.port, "POST", "/api/users", with_token, "{}");
  EXPECT_EQ(write.status, 200);
  EXPECT_EQ(str(json_of(write.body), "bypass"), "") << "the token is not forwarded to the backend";
  auto health = fetch(gate.port, "GET", "/health", with_token);
  EXPECT_EQ(str(json_of(health.body), "status"), "ok") << "the release answers its own health path, not the gate";
  EXPECT_EQ(fetch(gate.port, "POST", "/api/users", {{"X-Slipway-Bypass", std::string(64, 'b')}}, "{}").status, 503);
  EXPECT_EQ(fetch(gate.port, "POST", "/api/users", {{"X-Slipway-Bypass", std::string(63, 'a')}}, "{}").status, 503);
  ASSERT_EQ(gate.ctl({"maintenance", "off"}).exit_code, 0);
  ASSERT_EQ(gate.ctl({"read-only", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/users/1", with_token).status, 200);
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/users/1").status, 503);
  ::setenv("SLIPWAY_GATE_BYPASS", token.c_str(), 1);
  auto off = gate.ctl({"bypass", "off"});
  ::unsetenv("SLIPWAY_GATE_BYPASS");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/users/1", with_token).status, 503) << "revoked";
  EXPECT_EQ(gate.ctl({"bypass", "on"}).exit_code, 2) << "no token in the environment";
  // A token its deploy never revoked (killed with -9) stops counting when its time is up.
  ::setenv("SLIPWAY_GATE_BYPASS", token.c_str(), 1);
  auto brief = gate.ctl({"bypass", "on", "--ttl", "1s"});
  ::unsetenv("SLIPWAY_GATE_BYPASS");
  ASSERT_EQ(brief.exit_code, 0) << brief.err;
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/users/1", with_token).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(fetch(gate.port, "DELETE", "/api/users/1", with_token).status, 503) << "expired";
}

// One gate per key kind, each in maintenance: a valid admin token passes, anything else gets 503.
class GateAdmin : public ::testing::Test {
 protected:
  Backend backend{"blue"};
  int status(GateProcess& gate, const Headers& headers) { return fetch(gate.port, "GET", "/admin", headers).status; }
};

TEST_F(GateAdmin, Hs256TokensAndTheirRefusals) {
  GateProcess gate(backend.address(), "", "jwt_secret = \"s3cret\"\nvalues = [\"ADMIN\"]\ncookie = \"session\"");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", "s3cret", admin_claims()))), 200);
  EXPECT_EQ(status(gate, bearer(hs_token("HS512", "s3cret", admin_claims()))), 200);
  EXPECT_EQ(status(gate, {{"Cookie", "a=b; session=" + hs_token("HS256", "s3cret", admin_claims())}}), 200)
      << "the token may come in the named cookie";
  EXPECT_EQ(status(gate, bearer(none_token(admin_claims()))), 503) << "alg none";
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", "wrong", admin_claims()))), 503) << "wrong signature";
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", "s3cret", admin_claims("ADMIN", -3600)))), 503) << "expired";
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", "s3cret", "{\"sub\":\"u1\"}"))), 503) << "missing claim";
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", "s3cret", admin_claims("USER")))), 503) << "not an admin";
  EXPECT_EQ(status(gate, {}), 503);
}

TEST_F(GateAdmin, Rs256WithAPemKeyRefusesTheKeyAsAnHmacSecret) {
  const auto key = KeyPair::rsa();
  GateProcess gate(backend.address(), "", "jwt_public_key = \"admin.pem\"\nvalues = [\"ADMIN\"]");
  gate.write("admin.pem", key.public_pem());
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(status(gate, bearer(signed_token(key, "RS256", admin_claims()))), 200);
  EXPECT_EQ(status(gate, bearer(signed_token(KeyPair::rsa(), "RS256", admin_claims()))), 503) << "another key";
  EXPECT_EQ(status(gate, bearer(hs_token("HS256", key.public_pem(), admin_claims()))), 503)
      << "algorithm confusion: the RSA public key used as an HS256 secret";
  EXPECT_EQ(status(gate, bearer(none_token(admin_claims()))), 503);
}

TEST_F(GateAdmin, Es256FromAJwksWithAClaimPath) {
  const auto ec = KeyPair::ec();
  const auto rsa = KeyPair::rsa();
  GateProcess gate(backend.address(), "",
                   "jwks_file = \"jwks.json\"\nclaim = \"app_metadata.roles\"\nvalues = [\"ADMIN\", \"SUPERVISOR\"]");
  gate.write("jwks.json", "{\"keys\":[" + rsa.jwk("r1") + "," + ec.jwk("e1") + "]}");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  const std::string claims =
      "{\"app_metadata\":{\"roles\":[\"CREDIT_OFFICER\",\"SUPERVISOR\"]},\"exp\":" + std::to_string(now() + 60) + "}";
  EXPECT_EQ(status(gate, bearer(signed_token(ec, "ES256", claims, "e1"))), 200);
  EXPECT_EQ(status(gate, bearer(signed_token(rsa, "RS256", claims, "r1"))), 200);
  EXPECT_EQ(status(gate, bearer(signed_token(ec, "ES256", admin_claims(), "e1"))), 503) << "no app_metadata.roles";
  EXPECT_EQ(status(gate, bearer(signed_token(KeyPair::ec(), "ES256", claims, "e1"))), 503) << "wrong signature";
}

TEST_F(GateAdmin, IpAllowListAndBypassCookie) {
  GateProcess by_ip(backend.address(), "", "ips = [\"127.0.0.0/8\"]");
  by_ip.start();
  ASSERT_EQ(by_ip.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(status(by_ip, {}), 200);
  by_ip.stop();

  GateProcess by_cookie(backend.address(), "", "bypass_secret = \"let-me-in-42\"");
  by_cookie.start();
  ASSERT_EQ(by_cookie.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(status(by_cookie, {{"Cookie", "slipway_bypass=let-me-in-42"}}), 200);
  EXPECT_EQ(status(by_cookie, {{"Cookie", "slipway_bypass=let-me-in-43"}}), 503);
}

TEST(GateState, ModeMessageAndUpstreamSurviveARestart) {
  Backend blue("blue");
  Backend green("green");
  GateProcess gate(blue.address());
  gate.start();
  ASSERT_EQ(gate.ctl({"switch", green.address()}).exit_code, 0);
  ASSERT_EQ(gate.ctl({"maintenance", "on", "--message", "DB upgrade", "--retry-after", "15min"}).exit_code, 0);
  EXPECT_EQ(gate.stop(), 0);
  gate.start();
  auto status = gate.ctl({"status", "--format", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto o = json_of(status.out);
  EXPECT_EQ(str(o, "mode"), "maintenance");
  EXPECT_EQ(str(o, "message"), "DB upgrade");
  EXPECT_EQ(o.at("retry_after").as_int64(), 900);
  EXPECT_EQ(str(o, "upstream"), green.address());
  auto r = fetch(gate.port, "GET", "/");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "900");
  ASSERT_EQ(gate.ctl({"maintenance", "off"}).exit_code, 0);
  EXPECT_EQ(str(json_of(fetch(gate.port, "GET", "/").body), "backend"), "green");
}

// `maintenance on` without --message (or --retry-after) used to keep the previous window's
// message: it must show gate.message and gate.retry_after, as the docs say.
TEST(GateModes, MaintenanceOnWithoutMessageShowsTheConfiguredMessageNotThePreviousOne) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "message = \"Configured text\"\nretry_after = \"2min\"");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on", "--message", "Back at 14:00", "--retry-after", "10m"}).exit_code, 0);
  ASSERT_EQ(gate.ctl({"maintenance", "off"}).exit_code, 0);
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  auto o = json_of(gate.ctl({"status", "--format", "json"}).out);
  EXPECT_EQ(str(o, "message"), "Configured text");
  EXPECT_EQ(o.at("retry_after").as_int64(), 120);
  auto r = fetch(gate.port, "GET", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(str(json_of(r.body), "message"), "Configured text");
  // Turning it on again while on, without a message, also goes back to the configured one.
  ASSERT_EQ(gate.ctl({"maintenance", "on", "--message", "Still busy"}).exit_code, 0);
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(str(json_of(gate.ctl({"status", "--format", "json"}).out), "message"), "Configured text");
}

TEST(GateSwitch, AnUnhealthyUpstreamIsRefusedAndTheOldOneKept) {
  Backend blue("blue");
  Backend green("green");
  green.healthy = false;
  GateProcess gate(blue.address(), "switch_timeout = \"1s\"");
  gate.start();
  auto r = gate.ctl({"switch", green.address()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("did not become healthy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 503"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("still routes to " + blue.address()), std::string::npos) << r.err;
  EXPECT_EQ(str(json_of(fetch(gate.port, "GET", "/").body), "backend"), "blue");

  auto nothing = gate.ctl({"switch", "127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(nothing.exit_code, 1) << "nothing listens there";
  EXPECT_EQ(gate.ctl({"switch", "not-an-address"}).exit_code, 2);
}

TEST(GateSwitch, UnderLoadNoRequestIsLostAndInFlightOnesDrain) {
  Backend blue("blue");
  Backend green("green");
  GateProcess gate(blue.address());
  gate.start();
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, errors{0}, from_green{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&, i] {
      Client c(gate.port);
      while (!done.load()) {
        auto r = c.fetch(i % 2 ? "POST" : "GET", "/api/loans");
        if (r.status == 200) {
          ++ok;
          if (r.header("x-backend") == "green") ++from_green;
        } else {
          ++errors;
        }
      }
    });
  }
  // A slow request in flight on blue while the switch happens: the drain lets it finish.
  Reply slow;
  std::thread slow_client([&] { slow = fetch(gate.port, "GET", "/slow?ms=700"); });
  while (ok.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto r = gate.ctl({"switch", green.address()});
  const int at_switch = from_green.load();
  while (from_green.load() < at_switch + 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  done = true;
  for (auto& t : clients) t.join();
  slow_client.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("drained"), std::string::npos) << r.out;
  EXPECT_EQ(errors.load(), 0) << "of " << ok.load() + errors.load() << " requests";
  EXPECT_GT(from_green.load(), 0);
  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(slow.header("x-backend"), "blue");
}

TEST(GateWebSocket, UpgradesPassThroughBothWays) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  auto echoes = websocket_echo(gate.port, "/ws", {"hello", "live logs", std::string(100'000, 'z')});
  ASSERT_EQ(echoes.size(), 3u);
  EXPECT_EQ(echoes[0], "hello");
  EXPECT_EQ(echoes[1], "live logs");
  EXPECT_EQ(echoes[2].size(), 100'000u);
}

TEST(GateLimits, SmugglingAttemptsAreRefused) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  const int before = backend.requests.load();
  auto cl_te = raw_exchange(gate.port,
                            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(cl_te.starts_with("HTTP/1.1 400")) << cl_te;
  auto te_cl = raw_exchange(gate.port,
                            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n"
                            "0\r\n\r\nX");
  EXPECT_TRUE(te_cl.starts_with("HTTP/1.1 400")) << te_cl;
  auto te_other =
      raw_exchange(gate.port, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(te_other.starts_with("HTTP/1.1 400")) << te_other;
  auto te_twice = raw_exchange(
      gate.port,
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(te_twice.starts_with("HTTP/1.1 400")) << te_twice;
  auto two_lengths =
      raw_exchange(gate.port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_TRUE(two_lengths.starts_with("HTTP/1.1 400")) << two_lengths;
  EXPECT_EQ(backend.requests.load(), before) << "no smuggled request reached the backend";
}

TEST(GateLimits, OversizedHeadersAndBodiesAreRefused) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "max_header_size = \"8KiB\"\nmax_body_size = \"1MB\"");
  gate.start();
  auto big_header = fetch(gate.port, "GET", "/", {{"X-Filler", std::string(10'000, 'h')}});
  EXPECT_EQ(big_header.status, 431);
  auto big_body = fetch(gate.port, "POST", "/", {}, std::string(1'500'000, 'b'));
  EXPECT_EQ(big_body.status, 413);
  auto big_chunked =
      raw_exchange(gate.port, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  std::string("200000\r\n") + std::string(0x200000, 'c') + "\r\n0\r\n\r\n");
  EXPECT_TRUE(big_chunked.starts_with("HTTP/1.1 413")) << big_chunked.substr(0, 100);
  EXPECT_EQ(fetch(gate.port, "GET", "/", {{"X-Filler", std::string(1'000, 'h')}}).status, 200);
}

TEST(GateLimits, ASlowHeaderIsCutOff) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "header_timeout = \"300ms\"");
  gate.start();
  // The header never ends; the gate closes the connection instead of waiting forever.
  auto r = raw_exchange(gate.port, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n");
  EXPECT_EQ(r, "");
  EXPECT_EQ(fetch(gate.port, "GET", "/").status, 200);
}

TEST(GateAdminListener, HealthMetricsAndAccessLog) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  EXPECT_EQ(fetch(gate.port, "GET", "/a").status, 200);
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_EQ(fetch(gate.port, "GET", "/b").status, 503);
  auto health = fetch(gate.admin_port, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(str(json_of(health.body), "mode"), "maintenance");
  auto metrics = fetch(gate.admin_port, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("slipway_gate_requests_total{mode=\"normal\",status=\"200\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("slipway_gate_requests_total{mode=\"maintenance\",status=\"503\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("slipway_gate_rejected_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("slipway_gate_upstream_latency_seconds_count 1"), std::string::npos);
  EXPECT_EQ(gate.stop(), 0);
  const std::string log = gate.file("access.log");
  const auto first = json_of(log.substr(0, log.find('\n')));
  EXPECT_EQ(str(first, "target"), "/a");
  EXPECT_EQ(first.at("status").as_int64(), 200);
  EXPECT_EQ(str(first, "upstream"), backend.address());
  EXPECT_NE(log.find("\"target\":\"/b\",\"status\":503,\"mode\":\"maintenance\""), std::string::npos) << log;
}

// Requests refused before parsing (400/413/431) were counted as mode="normal" in maintenance.
TEST(GateAdminListener, RefusalsBeforeParsingCountInTheGatesMode) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "max_header_size = \"1KB\"");
  gate.start();
  ASSERT_EQ(gate.ctl({"maintenance", "on"}).exit_code, 0);
  EXPECT_NE(
      raw_exchange(gate.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n").find("431"),
      std::string::npos);
  EXPECT_NE(raw_exchange(gate.port, "BAD\x01 / HTTP/1.1\r\n\r\n").find("400"), std::string::npos);
  auto metrics = fetch(gate.admin_port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("slipway_gate_requests_total{mode=\"maintenance\",status=\"431\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("slipway_gate_requests_total{mode=\"maintenance\",status=\"400\"} 1"), std::string::npos);
  EXPECT_EQ(metrics.find("mode=\"normal\",status=\"4"), std::string::npos);
}

// The access log grew to 364 MB in 15 minutes with no rotation.
TEST(GateAccessLog, RotatesBySizeKeepingABoundedNumberOfFiles) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "access_log_max_size = \"2KB\"\naccess_log_keep = 2");
  gate.start();
  Client client(gate.port);
  for (int i = 0; i < 80; ++i) ASSERT_EQ(client.fetch("GET", "/api/loans/" + std::to_string(i)).status, 200);
  ASSERT_EQ(gate.ctl({"status"}).exit_code, 0);
  const std::string first = gate.file("access.log.1");
  const std::string second = gate.file("access.log.2");
  EXPECT_FALSE(first.empty());
  EXPECT_FALSE(second.empty());
  EXPECT_LT(first.size(), 2048u + 400u) << "a file is rotated once it reaches the size";
  EXPECT_FALSE(std::filesystem::exists(gate.dir + "/access.log.3")) << "only access_log_keep files are kept";
  EXPECT_NE((gate.file("access.log") + first).find("\"target\":\"/api/loans/79\""), std::string::npos)
      << "the newest lines";
  EXPECT_EQ(first.back(), '\n') << "lines are whole";
}

TEST(GateAccessLog, SighupReopensTheFileLogrotateMovedAway) {
  Backend backend("blue");
  GateProcess gate(backend.address(), "access_log = \"logs/gate/access.log\"");  // a folder that does not exist yet
  gate.start();
  EXPECT_EQ(fetch(gate.port, "GET", "/before").status, 200);
  ASSERT_EQ(gate.ctl({"status"}).exit_code, 0);
  std::filesystem::rename(gate.dir + "/logs/gate/access.log", gate.dir + "/logs/gate/access.log.1");
  gate.signal(SIGHUP);
  bool reopened = false;
  for (int i = 0; i < 100 && !reopened; ++i) {
    reopened = std::filesystem::exists(gate.dir + "/logs/gate/access.log");
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(reopened);
  EXPECT_EQ(fetch(gate.port, "GET", "/after").status, 200);
  ASSERT_EQ(gate.ctl({"status"}).exit_code, 0);
  EXPECT_NE(gate.file("logs/gate/access.log").find("\"target\":\"/after\""), std::string::npos);
  EXPECT_EQ(gate.file("logs/gate/access.log").find("/before"), std::string::npos);
  EXPECT_NE(gate.file("logs/gate/access.log.1").find("\"target\":\"/before\""), std::string::npos);
}

TEST(GateCli, ControlCommandsWithoutAGateFailWithExit3) {
  GateProcess gate("127.0.0.1:1");
  auto r = gate.ctl({"status"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no gate is running"), std::string::npos) << r.err;
}

TEST(GateCli, UsageErrors) {
  auto unknown = run({slipway_binary(), "gate", "maintenace"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("did you mean 'maintenance'?"), std::string::npos) << unknown.err;
  GateProcess gate("127.0.0.1:1");
  EXPECT_EQ(gate.ctl({"maintenance", "maybe"}).exit_code, 2);
  auto bad_retry = gate.ctl({"maintenance", "on", "--retry-after", "10"});
  EXPECT_EQ(bad_retry.exit_code, 2) << bad_retry.err;
  auto help = run({slipway_binary(), "gate", "switch", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("slipway gate switch 127.0.0.1:3001"), std::string::npos);
}

TEST(GateCli, ASecondGateOnTheSameControlSocketIsRefused) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  auto second = run({slipway_binary(), "gate", "run", "--config", gate.config, "--listen",
                     "127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.err.find("another gate already listens"), std::string::npos) << second.err;
}

// The proxy threads share the port (SO_REUSEPORT); a second gate, with its own control socket,
// must still not be let in to take half of the connections.
TEST(GateCli, ASecondGateOnTheSamePortIsRefused) {
  Backend backend("blue");
  GateProcess gate(backend.address());
  gate.start();
  GateProcess other(backend.address());
  auto second = run({slipway_binary(), "gate", "run", "--config", other.config, "--listen",
                     "127.0.0.1:" + std::to_string(gate.port)});
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.err.find("cannot listen on 127.0.0.1:" + std::to_string(gate.port)), std::string::npos)
      << second.err;
  EXPECT_EQ(fetch(gate.port, "GET", "/x").status, 200) << "the first gate still serves";
}

}  // namespace
}  // namespace slipway::test
