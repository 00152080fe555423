// URLs split into their parts by Boost.URL (RFC 3986), with the leniency people expect of a URL
// they typed or pasted:
//
//   auto url = Url::parse("postgresql://app:s3:cr@t@[::1]:5433/loans?sslmode=require");
//   url->password;  // "s3:cr@t" (the unencoded '@' is taken as part of the password)
//   url->host;      // "[::1]"
//
// What is lenient: in the userinfo (before the authority's last '@') and after the authority
// (path, query, fragment), a character that RFC 3986 does not allow there (a space, '"', '{',
// '[', a second '#', a '%' not followed by two hex digits, a non-ASCII byte...) is
// percent-encoded, as a browser's address bar does. What is not: the scheme, the host (a name,
// an IPv4 address or a bracketed IPv6 one) and the port (digits, 1 to 65535).
//
// Boost.URL stays in url.cpp; this header is plain C++. The HTTP client's view of a URL
// (net::Url: http/https/ws/wss, the default port, the request target) is built from this one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway {

// scheme://[user[:password]@]host[:port][/path][?query][#fragment]
struct Url {
  std::string scheme;    // lower case
  std::string user;      // decoded
  std::string password;  // decoded
  bool has_password = false;
  std::string host;        // as written (percent-encoded); an IPv6 address keeps its brackets; may be empty (file:///x)
  std::string port;        // as written, digits from 1 to 65535, or empty
  std::string path;        // percent-encoded; empty, or from the '/' after the authority
  std::string query;       // percent-encoded, without the '?'
  bool has_query = false;  // a '?', even with nothing after it
  std::string fragment;    // percent-encoded, without the '#'

  // Fails, with a reason that never quotes `text` and reads after a name ("DATABASE_URL has an
  // invalid port"): "is not a URL (expected scheme://host...)" when there is no scheme://,
  // "has an invalid host", "has an invalid port".
  static Result<Url> parse(std::string_view text);

  // The URL written back, user and password percent-encoded: parse(str()) gives the same parts.
  [[nodiscard]] std::string str() const;
};

// The scheme of `text` in lower case when it starts with a valid "scheme://", else "".
std::string url_scheme(std::string_view text);

// `text` with the password in its userinfo replaced by "***" (whatever characters it holds, as
// Url::parse reads it), for messages that quote a URL that may not parse. Nothing else changes.
std::string mask_url_password(std::string_view text);

// The names of the query's parameters, in lower case, empty names skipped ("a=1&B=2" -> a, b).
std::vector<std::string> query_names(const Url& url);

}  // namespace slipway
