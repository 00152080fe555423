// A small HTTP/1.1 client for checks, not for load: smoke flows, the security scan, probes.
//
// One request at a time, over plain TCP or TLS (OpenSSL through Boost.Beast), with a timeout that
// covers resolve, connect, handshake, write and read. Redirects are never followed: a check wants
// to see the first hop. TLS verification is a choice: `verify_peer = false` still connects to a
// self-signed server (the scan reports the certificate on its own, then goes on), and `ca_file`
// trusts a private CA. Beast stays inside http_client.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace slipway::net {

// scheme://host[:port]/target, the parts a client needs. Schemes: http, https, ws, wss.
// Built from slipway::Url (core/url.hpp, Boost.URL), with its leniency: characters not allowed in
// the path or query are percent-encoded ("/a b" is sent as "/a%20b"); a userinfo is ignored.
struct Url {
  std::string scheme;  // lower case
  std::string host;    // without brackets for IPv6
  std::string port;    // always set: the scheme's default when absent
  std::string target;  // path and query, at least "/"

  [[nodiscard]] bool secure() const { return scheme == "https" || scheme == "wss"; }
  // host, or host:port when the port is not the scheme's default (the Host header's value).
  [[nodiscard]] std::string authority() const;
  // scheme://authority (no target).
  [[nodiscard]] std::string origin() const;
  [[nodiscard]] std::string str() const { return origin() + target; }

  // Fails on a missing or unknown scheme, an empty or invalid host or a bad port; the message quotes
  // `text` without its password.
  static Result<Url> parse(std::string_view text);
};

// `base` joined with `relative`: an absolute URL is kept, "/x" replaces the path, "x" is
// appended to the base's path with one slash between.
std::string join_url(std::string_view base, std::string_view relative);

using Headers = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (case-insensitive), or empty.
std::string header_value(const Headers& headers, std::string_view name);
// Every value of header `name`, in order.
std::vector<std::string> header_values(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  std::chrono::microseconds elapsed{0};  // from the write of the request to the end of the body
  // https: the notAfter of the certificate the server showed on this connection; http: the epoch.
  std::chrono::system_clock::time_point certificate_not_after{};

  [[nodiscard]] std::string header(std::string_view name) const { return header_value(headers, name); }
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10'000};
  bool verify_peer = true;  // check the chain and the host name
  std::string ca_file;      // PEM file of CAs to trust besides the system's
  std::size_t body_limit = 64 * 1024 * 1024;
  Headers headers;  // sent with every request and WebSocket handshake, unless the request has its own
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and reads the whole response. Connections are kept alive per origin.
  // Fails (environment) on DNS, connect, TLS, timeout or protocol errors, naming the URL.
  Result<HttpResponse> send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slipway::net
