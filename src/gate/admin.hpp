// Who counts as an admin at the gate: a request with a valid admin JWT (in `Authorization:
// Bearer`, in the configured cookie, or, when opted in, in a query parameter), a request carrying
// the bypass cookie, or one from an address in the admin allow-list.
//
// The client's address is the TCP peer's, unless the peer is a trusted proxy (`gate.trusted_proxies`,
// nginx on the same host): then it is read from X-Forwarded-For, right to left, as nginx's
// `real_ip_recursive` does. With nginx at 127.0.0.1 and `X-Forwarded-For: 6.6.6.6, 10.0.0.7`
// (the client forged the first entry, nginx appended the second), the client is 10.0.0.7 when
// only 127.0.0.1 is trusted, and 6.6.6.6 (still not an admin) when 10.0.0.0/8 is trusted too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "net/jwt.hpp"

namespace slipway::gate {

// The value of cookie `name` in a Cookie header, or empty.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);
// The raw value of query parameter `name` in a request target ("/a?x=1&t=v" -> "v"), or empty.
std::string_view query_value(std::string_view target, std::string_view name);

using Address = std::array<unsigned char, 16>;  // IPv4 addresses are stored IPv4-mapped

struct IpRange {
  Address bytes{};
  int prefix = 128;
};
// "10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8"; `key` names the setting in an error.
Result<IpRange> parse_ip_range(std::string_view text, std::string_view key);
// Each of `texts`, or the first error.
Result<std::vector<IpRange>> parse_ip_ranges(const std::vector<std::string>& texts, std::string_view key);
bool in_range(const IpRange& range, const Address& address);
bool in_any(const std::vector<IpRange>& ranges, const Address& address);
// "10.0.0.7", "::1", "[::1]"; nothing for anything else (a port, a name, "unknown").
std::optional<Address> parse_address(std::string_view text);
// The address as text: "10.0.0.7" for an IPv4-mapped one, "2001:db8::1" else.
std::string address_text(const Address& address);

// The client behind the proxies: `peer` when it is not trusted; else the rightmost address in
// the X-Forwarded-For values (in the order received) that is not trusted, or the leftmost when
// all are, or `peer` when there is none. Nothing when an entry on the way is not an address.
std::optional<Address> forwarded_client(const Address& peer, std::span<const std::string_view> forwarded_for,
                                        const std::vector<IpRange>& trusted);

// Warnings about the gate's settings that let more users in than meant: loopback addresses in
// `gate.admin.ips` without a trusted proxy (behind nginx on the same host every client is
// 127.0.0.1), an admin range that is also a trusted proxy.
std::vector<std::string> admin_warnings(const GateConfig& config);

class AdminCheck {
 public:
  // Reads the keys named in `config` (PEM, JWKS). Fails on an unreadable key.
  static Result<AdminCheck> create(const GateAdminConfig& config);

  struct Request {
    std::string_view authorization;  // the Authorization header
    std::string_view cookies;        // the Cookie header
    std::string_view target;         // the request target, for gate.admin.query_param
    Address client{};                // IPv4-mapped for IPv4
    bool has_client = false;         // false: unknown (a trusted proxy named no address)
  };
  // True when the request comes from an admin; `why`, when given, gets the reason a token was refused.
  bool is_admin(const Request& request, std::int64_t now, std::string* why = nullptr) const;

 private:
  net::JwtVerifier verifier_;
  std::string claim_;
  std::vector<std::string> values_;
  std::string cookie_;
  std::string query_param_;
  std::vector<IpRange> ips_;
  std::string bypass_secret_;
  std::string bypass_cookie_;
};

}  // namespace slipway::gate
