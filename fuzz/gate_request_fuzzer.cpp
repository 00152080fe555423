// Fuzzes what the gate does with the bytes of a client request before anything reaches the
// backend: Beast's parser with the gate's limits, the smuggling checks, the mode decision with
// the admin check (cookies, Authorization), the header written upstream (which must parse again as one request header)
// and the 503 rendering.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/http.hpp>

#include "gate/admin.hpp"
#include "gate/http.hpp"
#include "gate/policy.hpp"

namespace {

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
  if (!ec) {
    parser.put(boost::asio::buffer(p + used, size - used), ec);
    if (ec == http::error::need_more) ec = {};
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
  for (Mode mode : {Mode::normal, Mode::maintenance, Mode::read_only}) {
    (void)decide(mode, rules, {method.data(), method.size()}, {target.data(), target.size()}, is_admin);
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
