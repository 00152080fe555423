// HTTP message rules of the gate, on Boost.Beast types (include only from the gate's Beast
// translation units: proxy.cpp, http.cpp and the request fuzzer).
//
// - check_request: refuses what could smuggle a second request past the gate or the backend:
//   Transfer-Encoding other than a single "chunked", Content-Length together with
//   Transfer-Encoding (Beast's parser refuses that too), HTTP versions other than 1.0 and 1.1.
// - rewrite_request / rewrite_response: hop-by-hop headers (RFC 9110 section 7.6.1) removed,
//   X-Forwarded-For appended, X-Forwarded-Proto and -Host set, keep-alive towards the upstream,
//   the configured security headers added to responses that lack them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

namespace slipway::gate {

namespace http = boost::beast::http;

// Empty when the request may pass; else the reason it is refused with 400.
std::string_view check_request(const http::request_header<>& request, bool chunked);

// True for a WebSocket (or other) upgrade request.
bool is_upgrade(const http::request_header<>& request);

struct Forwarding {
  std::string_view client_ip;
  std::string_view proto;     // "http", "https", or "keep" (keep the incoming value when present)
  std::string_view upstream;  // Host when the client sent none
};

void rewrite_request(http::request_header<>& request, const Forwarding& forwarding, bool upgrade);

struct SecurityHeader {
  std::string name;
  std::string value;
};
// "Strict-Transport-Security: max-age=63072000" -> {name, value}; skips malformed entries.
std::vector<SecurityHeader> parse_security_headers(const std::vector<std::string>& entries);

void rewrite_response(http::response_header<>& response, bool keep_alive,
                      const std::vector<SecurityHeader>& security_headers);

}  // namespace slipway::gate
