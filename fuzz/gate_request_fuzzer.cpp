// Fuzzes what the gate does with the bytes of a client request before anything reaches the
// backend: Beast's parser with the gate's limits, the smuggling checks, the mode decision with
// the admin check (cookies, Authorization), the header written upstream (which must parse again as one request header)
// and the 503 rendering.
//
// The decision is checked against a reference model of the rules, written apart from policy.cpp:
// whenever the gate lets a non-admin request through in maintenance or read-only mode, every way
// a backend may read its path (as sent; escapes decoded once or until none is left; backslashes
// as slashes; dot segments resolved as RFC 3986 5.2.4 does) must still be allowed by the rules,
// and a write must never pass read-only mode unless its path is allowed. A request body that is a
// JSON object is also signed as a token's claims, and the admin check must agree with the model
// of the claim rule (a string equal to a value, or an array with such a string; nothing else).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "core/base64.hpp"
#include "gate/admin.hpp"
#include "gate/http.hpp"
#include "gate/policy.hpp"
#include "net/jwt.hpp"

namespace {

// ---- the reference model ----

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every escape decoded once; a '%' that starts none stays.
std::string decode_once(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// RFC 3986 section 5.2.4, with ";params" dropped from "..;" as Tomcat does.
std::string remove_dot_segments(std::string in) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= in.size()) {
    const auto slash = in.find('/', i);
    std::string seg = in.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
    const std::string bare = seg.substr(0, seg.find(';'));
    if (bare == "..") {
      if (out.size() > 1) out.pop_back();
    } else if (bare != ".") {
      out.push_back(seg);
    }
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  std::string path;
  for (std::size_t k = 0; k < out.size(); ++k) path += (k ? "/" : "") + out[k];
  return path.empty() || path[0] != '/' ? "/" + path : path;
}

bool model_allowed(const std::vector<std::string>& allow, const std::string& path) {
  for (const auto& e : allow) {
    if (e.back() == '*' ? path.rfind(e.substr(0, e.size() - 1), 0) == 0 : (path == e || path == e + "/")) return true;
  }
  return false;
}

// Escapes of unreserved characters decoded: the same path by RFC 3986 section 6.2.2.2.
std::string decode_unreserved(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int c = in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0
                      ? hex(in[i + 1]) * 16 + hex(in[i + 2])
                      : -1;
    if (c >= 0 && (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')) {
      out.push_back(static_cast<char>(c));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// The paths a backend may take the request for.
std::vector<std::string> readings(const std::string& raw) {
  std::vector<std::string> r{decode_unreserved(raw)};
  std::string d = raw;
  for (int i = 0; i < 3; ++i) r.push_back(d = decode_once(d));
  const std::size_t n = r.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string slashes = r[i];
    for (char& c : slashes) c = c == '\\' ? '/' : c;
    r.push_back(slashes);
  }
  const std::size_t m = r.size();
  for (std::size_t i = 0; i < m; ++i) r.push_back(remove_dot_segments(r[i]));
  return r;
}

std::string hs256(const std::string& claims) {
  const auto base64url_encode = [](std::string_view b) { return slipway::base64_encode(b, slipway::Base64::url); };
  const std::string input = base64url_encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + base64url_encode(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), "fuzz-secret", 11, reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<const char*>(mac), len));
}

bool model_admin_claim(const boost::json::value& role) {
  const auto is_admin_string = [](const boost::json::value& v) { return v.is_string() && v.as_string() == "ADMIN"; };
  if (role.is_array()) {
    for (const auto& item : role.as_array()) {
      if (is_admin_string(item)) return true;
    }
    return false;
  }
  return is_admin_string(role);
}

const slipway::gate::AdminCheck& admin() {
  static const auto check = [] {
    slipway::GateAdminConfig config;
    config.jwt_secret = "fuzz-secret";
    config.values = {"ADMIN"};
    config.cookie = "session";
    config.ips = {"10.0.0.0/8", "fd00::/8"};
    config.bypass_secret = "bypass";
    return *slipway::gate::AdminCheck::create(config);
  }();
  return check;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace http = boost::beast::http;
  using namespace slipway::gate;
  http::request_parser<http::string_body, Allocator> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  boost::beast::error_code ec;
  // Feed in two pieces, as the network would.
  const auto* p = reinterpret_cast<const char*>(data);
  const std::size_t half = size / 2;
  std::size_t used = parser.put(boost::asio::buffer(p, half), ec);
  if (ec == http::error::need_more) ec = {};
  // Then the rest, as long as the parser takes bytes (it stops after the header, then the body).
  while (!ec && used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(p + used, size - used), ec);
    if (ec == http::error::need_more) ec = {};
    if (n == 0) break;
    used += n;
  }
  if (ec || !parser.is_header_done()) return 0;
  auto& req = parser.get();
  if (!check_request(req, parser.chunked()).empty()) return 0;

  const std::vector<std::string> allow{"/api/auth/login", "/public/*"};
  const Rules rules{&allow, "/health", false};
  const auto method = req.method_string();
  const auto target = req.target();
  const auto is_admin = [&] {
    AdminCheck::Request r;
    r.authorization = {req[http::field::authorization].data(), req[http::field::authorization].size()};
    r.cookies = {req[http::field::cookie].data(), req[http::field::cookie].size()};
    r.has_client = true;
    r.client[15] = 1;
    return admin().is_admin(r, 1'800'000'000);
  };
  const auto nobody = [] { return false; };
  const std::string raw_path(path_of({target.data(), target.size()}));
  const std::string_view m{method.data(), method.size()};
  const bool model_write = m != "GET" && m != "HEAD" && m != "OPTIONS";
  for (Mode mode : {Mode::normal, Mode::maintenance, Mode::read_only}) {
    (void)decide(mode, rules, m, {target.data(), target.size()}, is_admin);
    if (mode == Mode::normal) continue;
    const Action action = decide(mode, rules, m, {target.data(), target.size()}, nobody);
    if (action != Action::pass) continue;
    // A non-admin got through: only a read in read-only mode, or an allowed path, may.
    if (mode == Mode::read_only && !model_write) continue;
    for (const auto& reading : readings(raw_path)) {
      if (!model_allowed(allow, reading)) __builtin_trap();
    }
  }
  // The claim rule, on a token signed over the body when it is a JSON object without time claims.
  boost::system::error_code jec;
  const auto claims = boost::json::parse(req.body(), jec);
  if (!jec && claims.is_object() && !claims.as_object().contains("exp") && !claims.as_object().contains("nbf") &&
      !claims.as_object().contains("https://x/roles")) {
    AdminCheck::Request r;
    const std::string header = "Bearer " + hs256(req.body());
    r.authorization = header;
    const auto* role = claims.as_object().if_contains("role");
    const bool expected = role && model_admin_claim(*role);
    if (admin().is_admin(r, 1'800'000'000) != expected) __builtin_trap();
  }
  const auto accept = req[http::field::accept];
  (void)render_rejection(Mode::maintenance, {target.data(), target.size()}, 600,
                         wants_html({accept.data(), accept.size()}), default_page());
  std::string forwarded;
  write_upstream_request(forwarded, req, {"127.0.0.1", "keep", "127.0.0.1:3000"}, is_upgrade(req));
  // What goes upstream must be one well-formed request header, whatever came in.
  http::request_parser<http::empty_body> again;
  again.put(boost::asio::buffer(forwarded), ec);
  if (ec || !again.is_header_done()) __builtin_trap();
  return 0;
}
