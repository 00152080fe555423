// URLs split by Boost.URL, with the leniency of core/url.hpp: each input and what it gives.
#include <gtest/gtest.h>

#include "core/url.hpp"

namespace slipway {
namespace {

// The parts, "|"-joined (scheme|user|password or -|host|port|path|?query or -|fragment), or "error: reason".
std::string parts(std::string_view text) {
  auto url = Url::parse(text);
  if (!url) return "error: " + url.error().message;
  return url->scheme + "|" + url->user + "|" + (url->has_password ? url->password : "-") + "|" + url->host + "|" +
         url->port + "|" + url->path + "|" + (url->has_query ? "?" + url->query : "-") + "|" + url->fragment;
}

TEST(Url, SplitsEveryPart) {
  EXPECT_EQ(parts("HTTP://Example.COM:8080/a?b=1#frag"), "http||-|Example.COM|8080|/a|?b=1|frag");
  EXPECT_EQ(parts("https://h"), "https||-|h|||-|");
  EXPECT_EQ(parts("http://h?"), "http||-|h|||?|");
  EXPECT_EQ(parts("http://h:/x"), "http||-|h||/x|-|");
  EXPECT_EQ(parts("http://h:08080"), "http||-|h|08080||-|");
  EXPECT_EQ(parts("redis://cache:6379"), "redis||-|cache|6379||-|");
  EXPECT_EQ(parts("a+b.c-d://h"), "a+b.c-d||-|h|||-|");
  EXPECT_EQ(parts("file:///etc/hosts"), "file||-|||/etc/hosts|-|");  // no host: the caller decides
  EXPECT_EQ(parts("http://:80/"), "http||-||80|/|-|");
}

TEST(Url, Ipv6KeepsItsBrackets) {
  EXPECT_EQ(parts("http://[::1]:8080/x"), "http||-|[::1]|8080|/x|-|");
  EXPECT_EQ(parts("http://[::ffff:1.2.3.4]/"), "http||-|[::ffff:1.2.3.4]||/|-|");
  EXPECT_EQ(parts("http://[::1"), "error: has an invalid host");
  EXPECT_EQ(parts("http://[::1]x"), "error: has an invalid host");
  EXPECT_EQ(parts("http://[zz]/"), "error: has an invalid host");
  EXPECT_EQ(parts("http://::1:80/"), "error: has an invalid host");          // an IPv6 address needs brackets
  EXPECT_EQ(parts("http://[fe80::1%eth0]/"), "error: has an invalid host");  // no zone ids in Boost.URL 1.81
}

TEST(Url, UserinfoIsDecodedAndLenient) {
  EXPECT_EQ(parts("postgresql://app:s3:cr@t@[::1]:5433/loans?a=1&B=2#frag"),
            "postgresql|app|s3:cr@t|[::1]|5433|/loans|?a=1&B=2|frag");
  EXPECT_EQ(parts("postgresql://u:p%40ss@db:5432/db"), "postgresql|u|p@ss|db|5432|/db|-|");
  EXPECT_EQ(parts("postgresql://u:p^w{x} y@db/db"), "postgresql|u|p^w{x} y|db||/db|-|");
  EXPECT_EQ(parts("postgresql://u@db/db"), "postgresql|u|-|db||/db|-|");
  EXPECT_EQ(parts("postgresql://:pw@db/db"), "postgresql||pw|db||/db|-|");
  EXPECT_EQ(parts("postgresql://u:@db/db"), "postgresql|u||db||/db|-|");
  // A '/' or '#' ends the authority: what follows the ':' reads as a port.
  EXPECT_EQ(parts("postgresql://u:p/w@db/db"), "error: has an invalid port");
  EXPECT_EQ(parts("postgresql://u:p#w@db/db"), "error: has an invalid port");
}

TEST(Url, StrayCharactersAfterTheAuthorityArePercentEncoded) {
  EXPECT_EQ(parts("http://h/a b"), "http||-|h||/a%20b|-|");
  EXPECT_EQ(parts("http://h/a%20b"), "http||-|h||/a%20b|-|");
  EXPECT_EQ(parts("http://h/?q={\"a\":1}"), "http||-|h||/|?q=%7B%22a%22:1%7D|");
  EXPECT_EQ(parts("http://h/?a[]=1"), "http||-|h||/|?a%5B%5D=1|");
  EXPECT_EQ(parts("http://h/100%"), "http||-|h||/100%25|-|");
  EXPECT_EQ(parts("http://h/caf\xc3\xa9"), "http||-|h||/caf%C3%A9|-|");
  EXPECT_EQ(parts("http://h/a#b#c"), "http||-|h||/a|-|b%23c");
  EXPECT_EQ(parts("http://h//x"), "http||-|h||//x|-|");
}

TEST(Url, TheHostAndPortAreStrict) {
  EXPECT_EQ(parts("http://exa mple.com/"), "error: has an invalid host");
  EXPECT_EQ(parts("http://h\t/"), "error: has an invalid host");
  EXPECT_EQ(parts("postgresql://h1:5432,h2:5433/db"), "error: has an invalid host");  // libpq's multi-host form
  EXPECT_EQ(parts("http://h:1:2"), "error: has an invalid host");  // Boost.URL 1.81 alone reads port 1, path ":2"
  EXPECT_EQ(parts("http://h:0/"), "error: has an invalid port");
  EXPECT_EQ(parts("http://h:65535/"), "http||-|h|65535|/|-|");
  EXPECT_EQ(parts("http://h:65536/"), "error: has an invalid port");
  EXPECT_EQ(parts("http://h:099999/"), "error: has an invalid port");
  EXPECT_EQ(parts("http://h:abc/"), "error: has an invalid port");
}

TEST(Url, WithoutSchemeSlashSlashItIsNotAUrl) {
  for (auto text : {"localhost:3000", "example.com/path", "://h", "http:/h", "mailto:x@y", "1http://h", "", "x y://h",
                    "https:/l:/http://h"}) {
    EXPECT_EQ(parts(text), "error: is not a URL (expected scheme://host...)") << text;
  }
}

TEST(Url, StrParsesBackToTheSameParts) {
  for (auto text : {"postgresql://app:s3:cr@t@[::1]:5433/loans?a=1&B=2#frag", "http://h?", "http://h/a b#x y",
                    "postgresql://:p%3Aw@db/db", "http://u@h:08080", "file:///x"}) {
    auto url = Url::parse(text);
    ASSERT_TRUE(url) << text;
    EXPECT_EQ(parts(url->str()), parts(text)) << text << " -> " << url->str();
  }
  EXPECT_EQ(Url::parse("postgresql://app:s3:cr@t@db/x")->str(), "postgresql://app:s3:cr%40t@db/x");
}

TEST(Url, Scheme) {
  EXPECT_EQ(url_scheme("PostgreSQL://db:abc/x"), "postgresql");  // the scheme even when the rest is wrong
  EXPECT_EQ(url_scheme("db:5432/x"), "");
  EXPECT_EQ(url_scheme("1x://h"), "");
}

TEST(Url, MaskPassword) {
  EXPECT_EQ(mask_url_password("postgresql://u:pa ss@db:abc/db"), "postgresql://u:***@db:abc/db");
  EXPECT_EQ(mask_url_password("postgresql://u:a@b@db/db"), "postgresql://u:***@db/db");
  EXPECT_EQ(mask_url_password("postgresql://u@db/db"), "postgresql://u@db/db");
  EXPECT_EQ(mask_url_password("https://h/@scope/pkg"), "https://h/@scope/pkg");
  EXPECT_EQ(mask_url_password("not a url"), "not a url");
}

TEST(Url, QueryNames) {
  EXPECT_EQ(query_names(*Url::parse("x://h?a=1&&B=2&c&=4")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(query_names(*Url::parse("x://h/")).empty());
}

}  // namespace
}  // namespace slipway
