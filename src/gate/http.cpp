#include "gate/http.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace slipway::gate {
namespace beast = boost::beast;

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes the hop-by-hop headers, and every header the Connection header names.
template <bool isRequest>
void strip_hop_by_hop(http::header<isRequest>& h, bool keep_upgrade) {
  std::vector<std::string> listed;
  for (auto it = h.find(http::field::connection); it != h.end() && it->name() == http::field::connection; ++it) {
    for (auto token : http::token_list{it->value()}) {
      if (beast::iequals(token, "upgrade") || beast::iequals(token, "close") || beast::iequals(token, "keep-alive")) {
        continue;
      }
      listed.emplace_back(token);
    }
  }
  for (const auto& name : listed) {
    if (!beast::iequals(name, "transfer-encoding") && !beast::iequals(name, "content-length")) h.erase(name);
  }
  h.erase(http::field::connection);
  h.erase(http::field::keep_alive);
  h.erase(http::field::proxy_connection);
  h.erase(http::field::proxy_authorization);
  h.erase(http::field::te);
  h.erase(http::field::trailer);
  if (!keep_upgrade) h.erase(http::field::upgrade);
}

}  // namespace

std::string_view check_request(const http::request_header<>& request, bool chunked) {
  if (request.version() != 11 && request.version() != 10) return "unsupported HTTP version";
  const auto target = sv(request.target());
  if (target.empty() || (target.front() != '/' && !(target == "*" && request.method() == http::verb::options))) {
    return "the request target must be a path";
  }
  if (request.method() == http::verb::unknown) return "unknown method";
  std::size_t te = 0;
  std::size_t hosts = 0;
  bool content_length = false;
  for (const auto& f : request) {
    if (f.name() == http::field::transfer_encoding) {
      ++te;
      if (!beast::iequals(trim(sv(f.value())), "chunked")) return "unsupported Transfer-Encoding";
    } else if (f.name() == http::field::content_length) {
      content_length = true;
    } else if (f.name() == http::field::host) {
      ++hosts;
    }
  }
  if (te > 1) return "more than one Transfer-Encoding";
  if (te == 1 && content_length) return "both Content-Length and Transfer-Encoding";
  if (te == 1 && !chunked) return "unsupported Transfer-Encoding";
  if (hosts > 1) return "more than one Host";
  if (request.version() == 11 && hosts == 0) return "HTTP/1.1 needs a Host header";
  return {};
}

bool is_upgrade(const http::request_header<>& request) {
  if (request.find(http::field::upgrade) == request.end()) return false;
  for (auto it = request.find(http::field::connection); it != request.end() && it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list{it->value()}) {
      if (beast::iequals(token, "upgrade")) return true;
    }
  }
  return false;
}

void rewrite_request(http::request_header<>& request, const Forwarding& f, bool upgrade) {
  strip_hop_by_hop(request, upgrade);
  request.version(11);
  if (upgrade) request.set(http::field::connection, "Upgrade");
  if (auto it = request.find("X-Forwarded-For"); it != request.end()) {
    std::string joined(sv(it->value()));
    joined += ", ";
    joined += f.client_ip;
    request.set("X-Forwarded-For", joined);
  } else {
    request.set("X-Forwarded-For", f.client_ip);
  }
  if (f.proto != "keep" || request.find("X-Forwarded-Proto") == request.end()) {
    request.set("X-Forwarded-Proto", f.proto == "keep" ? "http" : f.proto);
  }
  auto host = request.find(http::field::host);
  if (host == request.end()) {
    request.set(http::field::host, f.upstream);
  } else if (request.find("X-Forwarded-Host") == request.end()) {
    request.set("X-Forwarded-Host", host->value());
  }
}

std::vector<SecurityHeader> parse_security_headers(const std::vector<std::string>& entries) {
  std::vector<SecurityHeader> out;
  for (const auto& e : entries) {
    const auto colon = e.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    const std::string_view name = trim(std::string_view(e).substr(0, colon));
    const std::string_view value = trim(std::string_view(e).substr(colon + 1));
    if (name.empty() || value.find_first_of("\r\n") != std::string_view::npos) continue;
    out.push_back({std::string(name), std::string(value)});
  }
  return out;
}

void rewrite_response(http::response_header<>& response, bool keep_alive,
                      const std::vector<SecurityHeader>& security_headers) {
  strip_hop_by_hop(response, false);
  for (const auto& h : security_headers) {
    if (response.find(h.name) == response.end()) response.set(h.name, h.value);
  }
  if (!keep_alive) response.set(http::field::connection, "close");
}

}  // namespace slipway::gate
