// HTTP message rules of the gate, on Boost.Beast types (include only from the gate's Beast
// translation units: proxy.cpp, http.cpp and the request fuzzer).
//
// Beast parses; the gate writes. The headers it sends are written in one piece straight from
// the parsed ones, never by editing the parsed fields (which costs an allocation per field set):
//
// - check_request: refuses what could smuggle a second request past the gate or the backend:
//   Transfer-Encoding other than a single "chunked", Content-Length together with
//   Transfer-Encoding (Beast's parser refuses that too), HTTP versions other than 1.0 and 1.1.
// - write_upstream_request / write_client_response: hop-by-hop headers (RFC 9110 section 7.6.1)
//   and those the Connection header names are dropped, X-Forwarded-For appended,
//   X-Forwarded-Proto and -Host set, keep-alive towards the upstream, the configured security
//   headers added to responses that lack them.
// - write_reply: the gate's own answers (503, health, errors).
// - write_chunk: chunked transfer coding, for bodies that stream through.
//
// Parsed fields live in a per-thread pool (Fields' allocator), not in malloc.
#pragma once

#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

namespace slipway::gate {

// The header a deploy's own verification sends its one-time bypass token in (Gate::bypass); it
// is never forwarded upstream.
inline constexpr std::string_view kBypassHeader = "X-Slipway-Bypass";

namespace http = boost::beast::http;

using Allocator = std::pmr::polymorphic_allocator<char>;
using Fields = http::basic_fields<Allocator>;
using RequestHeader = http::request_header<Fields>;
using ResponseHeader = http::response_header<Fields>;

// Empty when the request may pass; else the reason it is refused with 400.
std::string_view check_request(const RequestHeader& request, bool chunked);

// True for a WebSocket (or other) upgrade request.
bool is_upgrade(const RequestHeader& request);

struct Forwarding {
  std::string_view client_ip;
  std::string_view proto;     // "http", "https", or "keep" (keep the incoming value when present)
  std::string_view upstream;  // Host when the client sent none
};

// Appends the request line and header as the upstream gets them (HTTP/1.1, keep-alive).
void write_upstream_request(std::string& out, const RequestHeader& request, const Forwarding& forwarding, bool upgrade);

struct SecurityHeader {
  std::string name;
  std::string value;
};
// "Strict-Transport-Security: max-age=63072000" -> {name, value}; skips malformed entries.
std::vector<SecurityHeader> parse_security_headers(const std::vector<std::string>& entries);

struct ClientResponse {
  bool keep_alive = true;  // the connection stays open after this answer
  bool http10 = false;     // the client speaks HTTP/1.0 (keep-alive must be said)
  enum class Chunked { keep, drop, add } chunked = Chunked::keep;  // the body's framing, if it changes
  const std::vector<SecurityHeader>* security_headers = nullptr;
};

// Appends the upstream's response line and header as the client gets them.
void write_client_response(std::string& out, const ResponseHeader& response, const ClientResponse& how);

// Appends a header exactly as parsed (a 101 Switching Protocols passes on unchanged).
void write_header(std::string& out, const ResponseHeader& response);

struct Reply {
  unsigned version = 11;  // the client's
  unsigned status = 200;
  std::string_view content_type;
  std::size_t content_length = 0;
  bool keep_alive = true;
  std::int64_t retry_after = 0;  // seconds, 0 = none
  const std::vector<SecurityHeader>* security_headers = nullptr;
};

// Appends the header of one of the gate's own answers.
void write_reply(std::string& out, const Reply& reply);

// Appends the framing of one chunk of `size` bytes ("1f40\r\n"; the data and "\r\n" follow), or
// of the last chunk when size is 0 ("0\r\n\r\n", complete).
void write_chunk_head(std::string& out, std::size_t size);

}  // namespace slipway::gate
