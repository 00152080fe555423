// The env schema's types, one by one.
#include <gtest/gtest.h>

#include "check/values.hpp"

namespace slipway::check {
namespace {

bool ok(std::string_view type, std::string_view value) {
  return !type_problem(type, value).has_value();
}

TEST(Values, Int) {
  EXPECT_TRUE(ok("int", "42"));
  EXPECT_TRUE(ok("int", "-7"));
  EXPECT_FALSE(ok("int", "12a"));
  EXPECT_FALSE(ok("int", ""));
  EXPECT_FALSE(ok("int", "99999999999999999999"));
}

TEST(Values, Bool) {
  for (auto v : {"true", "FALSE", "1", "0", "yes", "No", "on", "off"}) EXPECT_TRUE(ok("bool", v)) << v;
  EXPECT_FALSE(ok("bool", "maybe"));
  EXPECT_EQ(parse_bool("Yes"), true);
  EXPECT_EQ(parse_bool("0"), false);
}

TEST(Values, Url) {
  EXPECT_TRUE(ok("url", "https://api.example.com/v1"));
  EXPECT_TRUE(ok("url", "redis://cache:6379"));
  EXPECT_EQ(type_problem("url", "api.example.com"), "is not a URL (expected scheme://host...)");
  EXPECT_EQ(type_problem("url", "http://:80"), "has no host");
  EXPECT_EQ(type_problem("url", "http://host:99999"), "has an invalid port");
}

TEST(Values, UrlThroughBoostUrl) {
  EXPECT_TRUE(ok("url", "https://api.example.com/a b?q={x}"));  // stray characters are percent-encoded
  EXPECT_TRUE(ok("url", "http://[::1]:8080/"));
  EXPECT_EQ(type_problem("url", "http://[zz]/"), "has an invalid host");
  EXPECT_EQ(type_problem("url", "http://exa mple.com/"), "has an invalid host");
  EXPECT_EQ(type_problem("url", "http://a~b.example/"), "has an invalid host");  // valid RFC 3986, not a DNS name
  EXPECT_EQ(type_problem("url", "http://host:abc"), "has an invalid port");
  EXPECT_EQ(type_problem("url", "1http://host"), "is not a URL (expected scheme://host...)");
}

TEST(Values, PostgresUrl) {
  EXPECT_TRUE(ok("postgres-url", "postgresql://app:s3:cr@t@db/loans"));  // an unencoded '@' in the password
  EXPECT_TRUE(ok("postgres-url", "PostgreSQL://app:p%40ss@[::1]:5433/loans"));
  EXPECT_EQ(type_problem("postgres-url", "postgresql://app:pw@db:abc/loans"), "has an invalid port");
  EXPECT_EQ(type_problem("postgres-url", "db:5432/loans"),
            "is not a postgres URL (expected postgresql://user:password@host:5432/database)");
  EXPECT_TRUE(ok("postgres-url", "postgresql://app:pw@db:5432/loans?sslmode=require"));
  EXPECT_TRUE(ok("postgres-url", "postgres://db/loans"));
  EXPECT_FALSE(ok("postgres-url", "mysql://db/loans"));
  EXPECT_EQ(type_problem("postgres-url", "postgresql://db:5432"), "names no database (add /database after the host)");
}

TEST(Values, Origin) {
  EXPECT_TRUE(ok("origin", "https://app.example.com"));
  EXPECT_TRUE(ok("origin", "http://localhost:3000"));
  EXPECT_EQ(type_problem("origin", "https://app.example.com/"),
            "has a trailing slash (browsers send the origin without it)");
  EXPECT_EQ(type_problem("origin", "app.example.com"), "has no protocol (write https://...)");
  EXPECT_EQ(type_problem("origin", "https://app.example.com/login"),
            "has a path (an origin is scheme://host[:port] only)");
  EXPECT_FALSE(ok("origin", "*"));
  EXPECT_FALSE(ok("origin", "ftp://files.example.com"));
}

TEST(Values, Email) {
  EXPECT_TRUE(ok("email", "ops@example.com"));
  EXPECT_FALSE(ok("email", "ops.example.com"));
  EXPECT_FALSE(ok("email", "ops@localhost"));
  EXPECT_FALSE(ok("email", "a@b@c.com"));
}

TEST(Values, Duration) {
  EXPECT_TRUE(ok("duration", "15min"));
  EXPECT_TRUE(ok("duration", "1h30m"));
  EXPECT_FALSE(ok("duration", "15"));
}

TEST(Values, StringAndEnumAcceptAnythingHere) {
  EXPECT_TRUE(ok("string", ""));
  EXPECT_TRUE(ok("enum", "whatever"));  // the values are checked against the schema's list by check_env
}

TEST(Values, PoolingSigns) {
  auto pooled =
      Url::parse("postgresql://u:p@ep-cool-pooler.eu.aws.neon.tech:6432/db?pgbouncer=true&connection_limit=1");
  ASSERT_TRUE(pooled);
  const auto signs = pooling_signs(*pooled);
  ASSERT_EQ(signs.size(), 4u);
  EXPECT_EQ(signs[0], "the parameter pgbouncer");
  EXPECT_EQ(signs[1], "the parameter connection_limit");
  auto direct = Url::parse("postgresql://u:p@db.internal:5432/db?sslmode=require");
  EXPECT_TRUE(pooling_signs(*direct).empty());
}

TEST(Values, ParseUrlSplitsEveryPart) {
  auto url = Url::parse("postgresql://app:s3:cr@t@[::1]:5433/loans?a=1&B=2#frag");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "postgresql");
  EXPECT_EQ(url->user, "app");
  EXPECT_EQ(url->password, "s3:cr@t");
  EXPECT_EQ(url->host, "[::1]");
  EXPECT_EQ(url->port, "5433");
  EXPECT_EQ(url->path, "/loans");
  EXPECT_EQ(url->fragment, "frag");
  EXPECT_EQ(query_names(*url), (std::vector<std::string>{"a", "b"}));
}

TEST(Values, SplitList) {
  EXPECT_EQ(split_list("a, b ,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_list("a,,b"), (std::vector<std::string>{"a", "", "b"}));
}

}  // namespace
}  // namespace slipway::check
