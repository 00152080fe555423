#include "gate/http.hpp"

#include <fmt/format.h>
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

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void append_field(std::string& out, const Fields::value_type& f) {
  append_field(out, sv(f.name_string()), sv(f.value()));
}

// Which fields stop at this hop: the hop-by-hop fields, and those the Connection header names
// (except the message framing, which the gate checks and keeps). Upgrade passes on an upgrade
// request. The Connection fields are found in one walk over the list at construction (a lookup
// by name is a case-insensitive tree search), and most name nothing but close, keep-alive or
// upgrade, which then need no check per field.
template <bool isRequest>
class HopByHop {
 public:
  HopByHop(const http::header<isRequest, Fields>& h, bool keep_upgrade) : h_(h), keep_upgrade_(keep_upgrade) {
    for (const auto& f : h) {
      if (f.name() != http::field::connection) continue;
      for (auto token : http::token_list{f.value()}) {
        if (!beast::iequals(token, "close") && !beast::iequals(token, "keep-alive") &&
            !beast::iequals(token, "upgrade")) {
          names_fields_ = true;
        }
      }
    }
  }

  bool operator()(const Fields::value_type& f) const {
    switch (f.name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::proxy_authorization:
      case http::field::te:
      case http::field::trailer: return true;
      case http::field::upgrade: return !keep_upgrade_;
      case http::field::transfer_encoding:
      case http::field::content_length: return false;
      default: break;
    }
    if (!names_fields_) return false;
    for (const auto& c : h_) {
      if (c.name() != http::field::connection) continue;
      for (auto token : http::token_list{c.value()}) {
        if (beast::iequals(token, f.name_string())) return true;
      }
    }
    return false;
  }

 private:
  const http::header<isRequest, Fields>& h_;
  bool keep_upgrade_;
  bool names_fields_ = false;  // the Connection header names a field to drop
};

void append_start_line(std::string& out, const RequestHeader& h) {
  out += sv(h.method_string());
  out += ' ';
  out += sv(h.target());
  out += " HTTP/1.1\r\n";
}

void append_status_line(std::string& out, unsigned version, unsigned code, std::string_view reason) {
  const char line[] = {'H',
                       'T',
                       'T',
                       'P',
                       '/',
                       char('0' + version / 10),
                       '.',
                       char('0' + version % 10),
                       ' ',
                       char('0' + code / 100 % 10),
                       char('0' + code / 10 % 10),
                       char('0' + code % 10),
                       ' '};
  out.append(line, sizeof line);
  out += reason.empty() ? sv(http::obsolete_reason(http::int_to_status(code))) : reason;
  out += "\r\n";
}

void append_security_headers(std::string& out, const ResponseHeader* response, const std::vector<SecurityHeader>* all) {
  if (!all) return;
  for (const auto& h : *all) {
    if (!response || response->find(h.name) == response->end()) append_field(out, h.name, h.value);
  }
}

}  // namespace

std::string_view check_request(const RequestHeader& request, bool chunked) {
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

bool is_upgrade(const RequestHeader& request) {
  if (request.find(http::field::upgrade) == request.end()) return false;
  for (auto it = request.find(http::field::connection); it != request.end() && it->name() == http::field::connection;
       ++it) {
    for (auto token : http::token_list{it->value()}) {
      if (beast::iequals(token, "upgrade")) return true;
    }
  }
  return false;
}

void write_upstream_request(std::string& out, const RequestHeader& request, const Forwarding& f, bool upgrade) {
  append_start_line(out, request);
  const bool keep_proto = f.proto == "keep";
  const Fields::value_type* host = nullptr;
  bool forwarded_host = false;
  bool forwarded_proto = false;
  bool forwarded_for = false;
  const HopByHop<true> hop_by_hop(request, upgrade);
  for (const auto& field : request) {
    if (hop_by_hop(field)) continue;
    const auto name = sv(field.name_string());
    if (beast::iequals(name, "X-Forwarded-For")) {
      forwarded_for = true;  // joined with ours, below
      continue;
    }
    if (beast::iequals(name, kBypassHeader)) continue;  // a deploy's token stays at the gate
    if (beast::iequals(name, "X-Forwarded-Proto")) {
      if (!keep_proto) continue;
      forwarded_proto = true;
    } else if (beast::iequals(name, "X-Forwarded-Host")) {
      forwarded_host = true;
    } else if (field.name() == http::field::host) {
      host = &field;
    }
    append_field(out, field);
  }
  if (upgrade) append_field(out, "Connection", "Upgrade");
  if (!host) {
    append_field(out, "Host", f.upstream);
  } else if (!forwarded_host) {
    append_field(out, "X-Forwarded-Host", sv(host->value()));
  }
  if (!keep_proto || !forwarded_proto) append_field(out, "X-Forwarded-Proto", keep_proto ? "http" : f.proto);
  out += "X-Forwarded-For: ";
  if (forwarded_for) {
    for (const auto& field : request) {
      if (!beast::iequals(sv(field.name_string()), "X-Forwarded-For")) continue;
      out += trim(sv(field.value()));
      out += ", ";
    }
  }
  out += f.client_ip;
  out += "\r\n\r\n";
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

void write_client_response(std::string& out, const ResponseHeader& response, const ClientResponse& how) {
  append_status_line(out, 11, response.result_int(), sv(response.reason()));
  bool chunked_said = false;
  const HopByHop<false> hop_by_hop(response, false);
  for (const auto& field : response) {
    if (hop_by_hop(field)) continue;
    if (field.name() == http::field::transfer_encoding && how.chunked != ClientResponse::Chunked::keep) {
      // Dropped: the codings other than chunked stay. Added: said once, below.
      std::string codings;
      for (auto token : http::token_list{field.value()}) {
        if (beast::iequals(token, "chunked")) continue;
        if (!codings.empty()) codings += ", ";
        codings += sv(token);
      }
      if (how.chunked == ClientResponse::Chunked::add) {
        if (!codings.empty()) codings += ", ";
        codings += "chunked";
        chunked_said = true;
      }
      if (!codings.empty()) append_field(out, "Transfer-Encoding", codings);
      continue;
    }
    append_field(out, field);
  }
  if (how.chunked == ClientResponse::Chunked::add && !chunked_said) append_field(out, "Transfer-Encoding", "chunked");
  append_security_headers(out, &response, how.security_headers);
  if (!how.keep_alive) {
    append_field(out, "Connection", "close");
  } else if (how.http10) {
    append_field(out, "Connection", "keep-alive");
  }
  out += "\r\n";
}

void write_header(std::string& out, const ResponseHeader& response) {
  append_status_line(out, response.version(), response.result_int(), sv(response.reason()));
  for (const auto& field : response) append_field(out, field);
  out += "\r\n";
}

void write_reply(std::string& out, const Reply& r) {
  append_status_line(out, r.version == 10 ? 10 : 11, r.status, {});
  append_field(out, "Server", "slipway-gate");
  append_field(out, "Content-Type", r.content_type);
  append_field(out, "Cache-Control", "no-store");
  if (r.retry_after > 0) fmt::format_to(std::back_inserter(out), "Retry-After: {}\r\n", r.retry_after);
  append_security_headers(out, nullptr, r.security_headers);
  fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", r.content_length);
  if (!r.keep_alive) {
    append_field(out, "Connection", "close");
  } else if (r.version == 10) {
    append_field(out, "Connection", "keep-alive");
  }
  out += "\r\n";
}

void write_chunk_head(std::string& out, std::size_t size) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", size);
  if (size == 0) out += "\r\n";
}

}  // namespace slipway::gate
