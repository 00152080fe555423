// The gate's rules as pure functions: path normalisation, method classes, the decision in each
// mode, and the client address behind trusted proxies.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gate/admin.hpp"
#include "gate/policy.hpp"

namespace slipway::gate {
namespace {

std::string normal(std::string_view path) {
  std::string scratch;
  auto p = normalised_path(path, scratch);
  return p ? std::string(*p) : std::string("<refused>");
}

// Dot segments bypassed a prefix allow rule: POST /public/../api/users and
// /public/%2e%2e/api/users reached the backend in maintenance with allow = ["/public/*"].
TEST(GatePolicy, DotSegmentsInAnySpellingAreRefusedNotMatched) {
  for (const char* path : {"/public/../api/users",
                           "/public/%2e%2e/api/users",
                           "/public/%2E%2E/api/users",
                           "/public/.%2e/api/users",
                           "/public/./x",
                           "/public/..;/api/users",
                           "/public/..;jsessionid=1/api",
                           "/public\\..\\api\\users",
                           "/public/..%2fapi/users",
                           "/public/..%2Fapi",
                           "/public%2f..%2fapi",
                           "/public/..%5capi",
                           "/public/%252e%252e/api",
                           "/public/%25252e%25252e/api",
                           "/public/..",
                           "/public/.",
                           "..",
                           "/public/x%00",
                           "/public/%zz",
                           "/public/%4"}) {
    EXPECT_EQ(normal(path), "<refused>") << path;
  }
}

TEST(GatePolicy, UnreservedEscapesAreDecodedAndOrdinaryPathsKept) {
  EXPECT_EQ(normal("/api/users"), "/api/users");
  EXPECT_EQ(normal("/%61pi/auth/%6Cogin"), "/api/auth/login");
  EXPECT_EQ(normal("/public/a%2Fb"), "/public/a%2Fb") << "a reserved escape stays as it is";
  EXPECT_EQ(normal("/.well-known/acme"), "/.well-known/acme");
  EXPECT_EQ(normal("/files/...hidden"), "/files/...hidden");
  EXPECT_EQ(normal("/files/100%25"), "/files/100%25") << "a literal percent sign, escaped";
  EXPECT_EQ(normal("/a..b/c."), "/a..b/c.");
}

TEST(GatePolicy, AnExactEntryMatchesItsPathWithOneTrailingSlash) {
  const std::vector<std::string> allow{"/auth/login", "/public/*"};
  EXPECT_TRUE(path_allowed(allow, "/auth/login"));
  EXPECT_TRUE(path_allowed(allow, "/auth/login/"));
  EXPECT_FALSE(path_allowed(allow, "/auth/login//"));
  EXPECT_FALSE(path_allowed(allow, "/auth/login/x"));
  EXPECT_FALSE(path_allowed(allow, "/auth/loginx"));
  EXPECT_TRUE(path_allowed(allow, "/public/a/b"));
  EXPECT_FALSE(path_allowed(allow, "/publicity"));
}

// Read-only mode blocked only POST, PUT, PATCH and DELETE: WebDAV methods, PURGE and unknown
// methods reached the backend.
TEST(GatePolicy, EveryMethodButGetHeadAndOptionsIsAWrite) {
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) EXPECT_FALSE(is_write(m)) << m;
  for (const char* m : {"POST",  "PUT",  "PATCH",  "DELETE", "PROPPATCH", "MKCOL", "COPY",    "MOVE", "LOCK", "UNLOCK",
                        "PURGE", "LINK", "UNLINK", "ACL",    "MERGE",     "TRACE", "CONNECT", "FOO",  "get",  "Get"}) {
    EXPECT_TRUE(is_write(m)) << m;
  }
}

TEST(GatePolicy, DecisionsInEachModeUseTheNormalisedPath) {
  const std::vector<std::string> allow{"/api/auth/login", "/public/*"};
  const Rules rules{&allow, "/health", false};
  const auto user = [] { return false; };
  const auto admin = [] { return true; };
  EXPECT_EQ(decide(Mode::normal, rules, "POST", "/public/../api/users", user), Action::pass)
      << "normal mode passes everything as it is";
  EXPECT_EQ(decide(Mode::maintenance, rules, "POST", "/public/../api/users", user), Action::bad_path);
  EXPECT_EQ(decide(Mode::read_only, rules, "POST", "/public/%2e%2e/api/users?x=1", user), Action::bad_path);
  EXPECT_EQ(decide(Mode::maintenance, rules, "POST", "/public/x", user), Action::pass);
  EXPECT_EQ(decide(Mode::maintenance, rules, "POST", "/api/auth/login/", user), Action::pass);
  EXPECT_EQ(decide(Mode::maintenance, rules, "POST", "/%61pi/auth/login", user), Action::pass);
  EXPECT_EQ(decide(Mode::maintenance, rules, "GET", "/health/", user), Action::health);
  EXPECT_EQ(decide(Mode::maintenance, rules, "PROPPATCH", "/health", user), Action::reject);
  EXPECT_EQ(decide(Mode::maintenance, rules, "MKCOL", "/api/x", admin), Action::reject)
      << "an admin's write without admin_writes";
  EXPECT_EQ(decide(Mode::read_only, rules, "PURGE", "/api/x", user), Action::reject);
  EXPECT_EQ(decide(Mode::read_only, rules, "GET", "/api/x", user), Action::pass);
}

// policy.hpp documents decide() as a table; every row and column of it, with admin_writes off and
// on, and the admin question asked only where the answer depends on it (normal mode and reads in
// read-only mode never pay for a token check).
TEST(GatePolicy, DecideFollowsTheDocumentedTableRowByRow) {
  const std::vector<std::string> allow{"/open"};
  struct Row {
    Mode mode;
    const char* method;
    const char* target;
    bool admin;
    bool admin_writes;
    Action expected;
    bool asks;  // whether the admin question is asked
  };
  const Action pass = Action::pass, reject = Action::reject, health = Action::health;
  const std::vector<Row> rows = {
      // normal: everything passes, nobody is asked
      {Mode::normal, "GET", "/x", false, false, pass, false},
      {Mode::normal, "GET", "/x", true, false, pass, false},
      {Mode::normal, "POST", "/x", false, false, pass, false},
      {Mode::normal, "POST", "/x", true, false, pass, false},
      {Mode::normal, "POST", "/open", false, false, pass, false},
      {Mode::normal, "GET", "/health", false, false, pass, false},
      // maintenance: users get 503, admins read, writes only with admin_writes
      {Mode::maintenance, "GET", "/x", false, false, reject, true},
      {Mode::maintenance, "GET", "/x", true, false, pass, true},
      {Mode::maintenance, "POST", "/x", false, false, reject, false},
      {Mode::maintenance, "POST", "/x", true, false, reject, false},
      {Mode::maintenance, "POST", "/x", false, true, reject, true},
      {Mode::maintenance, "POST", "/x", true, true, pass, true},
      {Mode::maintenance, "POST", "/open", false, false, pass, false},
      {Mode::maintenance, "GET", "/open", false, false, pass, false},
      {Mode::maintenance, "GET", "/health", false, false, health, false},
      {Mode::maintenance, "HEAD", "/health", false, false, health, false},
      {Mode::maintenance, "POST", "/health", true, true, pass, true},
      // read-only: reads pass for everyone, writes only with admin_writes
      {Mode::read_only, "GET", "/x", false, false, pass, false},
      {Mode::read_only, "GET", "/x", true, false, pass, false},
      {Mode::read_only, "OPTIONS", "/x", false, false, pass, false},
      {Mode::read_only, "POST", "/x", false, false, reject, false},
      {Mode::read_only, "POST", "/x", true, false, reject, false},
      {Mode::read_only, "POST", "/x", false, true, reject, true},
      {Mode::read_only, "DELETE", "/x", true, true, pass, true},
      {Mode::read_only, "POST", "/open", false, false, pass, false},
      {Mode::read_only, "GET", "/health", false, false, pass, false},
  };
  for (const Row& row : rows) {
    const Rules rules{&allow, "/health", row.admin_writes};
    bool asked = false;
    const Action got = decide(row.mode, rules, row.method, row.target, [&] {
      asked = true;
      return row.admin;
    });
    const std::string what = fmt::format("{} {} {} as {} (admin_writes {})", to_string(row.mode), row.method,
                                         row.target, row.admin ? "admin" : "user", row.admin_writes);
    EXPECT_EQ(got, row.expected) << what;
    EXPECT_EQ(asked, row.asks) << what << ": the admin question";
  }
}

Address ip(std::string_view text) {
  return *parse_address(text);
}

std::string client(std::string_view peer, std::vector<std::string_view> xff, const std::vector<std::string>& trusted) {
  auto ranges = parse_ip_ranges(trusted, "gate.trusted_proxies");
  EXPECT_TRUE(ranges.has_value());
  auto who = forwarded_client(ip(peer), xff, *ranges);
  return who ? address_text(*who) : "unknown";
}

// gate.admin.ips trusted the TCP peer: behind nginx on the same host every client came from
// 127.0.0.1 and counted as an admin.
TEST(GateClientAddress, BehindATrustedProxyTheRightmostUntrustedForwardedAddressIsTheClient) {
  EXPECT_EQ(client("127.0.0.1", {"203.0.113.9"}, {}), "127.0.0.1") << "nothing trusted: the peer";
  EXPECT_EQ(client("203.0.113.9", {"127.0.0.1"}, {"127.0.0.1"}), "203.0.113.9")
      << "an untrusted peer's X-Forwarded-For is ignored";
  EXPECT_EQ(client("127.0.0.1", {"203.0.113.9"}, {"127.0.0.1"}), "203.0.113.9");
  EXPECT_EQ(client("127.0.0.1", {"127.0.0.1, 203.0.113.9"}, {"127.0.0.1"}), "203.0.113.9")
      << "a forged entry to the left of the real client does not count";
  EXPECT_EQ(client("127.0.0.1", {"6.6.6.6, 10.0.0.7"}, {"127.0.0.0/8", "10.0.0.0/8"}), "6.6.6.6");
  EXPECT_EQ(client("127.0.0.1", {"6.6.6.6", "10.0.0.7, 10.0.0.8"}, {"127.0.0.1", "10.0.0.0/8"}), "6.6.6.6")
      << "two header lines are one list, in order";
  EXPECT_EQ(client("127.0.0.1", {"10.0.0.7, 10.0.0.8"}, {"127.0.0.1", "10.0.0.0/8"}), "10.0.0.7")
      << "all trusted: the leftmost";
  EXPECT_EQ(client("127.0.0.1", {}, {"127.0.0.1"}), "127.0.0.1") << "no header: the proxy itself";
  EXPECT_EQ(client("127.0.0.1", {"1.2.3.4, garbage"}, {"127.0.0.1"}), "unknown");
  EXPECT_EQ(client("127.0.0.1", {"1.2.3.4:80"}, {"127.0.0.1"}), "unknown") << "a port is not an address";
  EXPECT_EQ(client("::1", {" 2001:db8::7 "}, {"::1"}), "2001:db8::7");
  EXPECT_EQ(client("::1", {"[2001:db8::7]"}, {"::1"}), "2001:db8::7");
}

TEST(GateClientAddress, LoopbackAdminIpsWithoutATrustedProxyAreWarnedAbout) {
  GateConfig config;
  config.admin.ips = {"127.0.0.1"};
  auto warnings = admin_warnings(config);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("gate.trusted_proxies"), std::string::npos);
  config.trusted_proxies = {"127.0.0.1"};
  warnings = admin_warnings(config);
  ASSERT_EQ(warnings.size(), 1u) << "the admin address is now a trusted proxy";
  EXPECT_NE(warnings[0].find("also a trusted proxy"), std::string::npos);
  config.admin.ips = {"10.1.0.0/16"};
  EXPECT_TRUE(admin_warnings(config).empty());
}

TEST(GateAdminToken, AQueryParameterCarriesATokenOnlyWhenConfigured) {
  EXPECT_EQ(query_value("/a?x=1&access_token=abc.def&y=2", "access_token"), "abc.def");
  EXPECT_EQ(query_value("/a?access_token=abc#frag", "access_token"), "abc");
  EXPECT_EQ(query_value("/a?xaccess_token=abc", "access_token"), "");
  EXPECT_EQ(query_value("/a", "access_token"), "");
}

}  // namespace
}  // namespace slipway::gate
