// net::Url: the HTTP and WebSocket clients' view of a URL, built from core/url.hpp.
#include <gtest/gtest.h>

#include "net/http_client.hpp"

namespace slipway::net {
namespace {

// "scheme|host|port|target", or "error: message".
std::string parts(std::string_view text) {
  auto url = Url::parse(text);
  if (!url) return "error: " + url.error().message;
  return url->scheme + "|" + url->host + "|" + url->port + "|" + url->target;
}

TEST(NetUrl, DefaultsThePortAndTheTarget) {
  EXPECT_EQ(parts("http://example.com"), "http|example.com|80|/");
  EXPECT_EQ(parts("https://h"), "https|h|443|/");
  EXPECT_EQ(parts("ws://h/ws"), "ws|h|80|/ws");
  EXPECT_EQ(parts("wss://h:443/x"), "wss|h|443|/x");
  EXPECT_EQ(parts("HtTpS://H/"), "https|H|443|/");
  EXPECT_EQ(parts("HTTP://Example.COM:8080/a?b=1#frag"), "http|Example.COM|8080|/a?b=1");
  EXPECT_EQ(parts("http://h:/"), "http|h|80|/");
  EXPECT_EQ(parts("http://h:08080/"), "http|h|08080|/");
  EXPECT_EQ(parts("http://h?x=1"), "http|h|80|/?x=1");
  EXPECT_EQ(parts("http://h/x?"), "http|h|80|/x?");
  EXPECT_EQ(parts("http://h#f"), "http|h|80|/");
  EXPECT_EQ(parts("http://h//x"), "http|h|80|//x");
  EXPECT_EQ(parts("http://a_b.example/"), "http|a_b.example|80|/");
}

TEST(NetUrl, Ipv6) {
  EXPECT_EQ(parts("http://[::1]:8080/x"), "http|::1|8080|/x");
  auto url = Url::parse("http://[::1]/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->authority(), "[::1]");
  EXPECT_EQ(url->str(), "http://[::1]/");
  EXPECT_EQ(Url::parse("https://[::1]:8443/a")->origin(), "https://[::1]:8443");
}

TEST(NetUrl, IgnoresAUserinfo) {
  EXPECT_EQ(parts("http://user:pw@h/x"), "http|h|80|/x");
  EXPECT_EQ(parts("http://user:p@ss@h/x"), "http|h|80|/x");
}

TEST(NetUrl, PercentEncodesWhatCannotGoOnTheRequestLine) {
  EXPECT_EQ(parts("http://h/a b"), "http|h|80|/a%20b");
  EXPECT_EQ(parts("http://h/a%20b"), "http|h|80|/a%20b");
  EXPECT_EQ(parts("http://h/?q={\"a\":1}"), "http|h|80|/?q=%7B%22a%22:1%7D");
  EXPECT_EQ(parts("http://h/?a[]=1"), "http|h|80|/?a%5B%5D=1");
  EXPECT_EQ(parts("http://h/100%"), "http|h|80|/100%25");
}

TEST(NetUrl, SaysWhatIsWrong) {
  EXPECT_EQ(parts("localhost:3000"), "error: 'localhost:3000' is not a URL (expected scheme://host...)");
  EXPECT_EQ(parts("ftp://h/x"), "error: 'ftp://h/x' has the scheme ftp, not http, https, ws or wss");
  EXPECT_EQ(parts("http:///x"), "error: 'http:///x' has no host");
  EXPECT_EQ(parts("http://:80/"), "error: 'http://:80/' has no host");
  EXPECT_EQ(parts("http://exa mple.com/"), "error: 'http://exa mple.com/' has an invalid host");
  EXPECT_EQ(parts("http://[::1"), "error: 'http://[::1' has an invalid host");
  EXPECT_EQ(parts("http://h:0/"), "error: 'http://h:0/' has an invalid port");
  EXPECT_EQ(parts("http://h:65536/"), "error: 'http://h:65536/' has an invalid port");
  EXPECT_EQ(parts("http://h:abc/"), "error: 'http://h:abc/' has an invalid port");
  auto url = Url::parse("localhost:3000");
  EXPECT_EQ(url.error().hint, "write it as http://host:port/path (or https, ws, wss)");
}

TEST(NetUrl, NeverQuotesAPassword) {
  for (auto text :
       {"http://u:pa ss@h:abc/", "http://u:s3cr@t@h:abc/", "postgresql://u:pa ss@db/db", "http://u:pw{x}@h:0/"}) {
    auto url = Url::parse(text);
    ASSERT_FALSE(url) << text;
    EXPECT_NE(url.error().message.find("u:***@"), std::string::npos) << url.error().message;
  }
}

TEST(NetUrl, StrParsesBackToTheSameUrl) {
  for (auto text :
       {"http://h", "https://[::1]:8443/a?b", "ws://h:80/x", "http://u:p@h:08080/a b?c d#e", "http://h/x?"}) {
    auto url = Url::parse(text);
    ASSERT_TRUE(url) << text;
    EXPECT_EQ(parts(url->str()), parts(text)) << text << " -> " << url->str();
  }
}

}  // namespace
}  // namespace slipway::net
