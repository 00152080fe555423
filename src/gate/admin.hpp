// Who counts as an admin at the gate: a request with a valid admin JWT (in `Authorization:
// Bearer` or in the configured cookie), a request carrying the bypass cookie, or one from an
// address in the admin allow-list.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "net/jwt.hpp"

namespace slipway::gate {

// The value of cookie `name` in a Cookie header, or empty.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

struct IpRange {
  std::array<unsigned char, 16> bytes{};  // IPv4 addresses are stored IPv4-mapped
  int prefix = 128;
};
// "10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8".
Result<IpRange> parse_ip_range(std::string_view text);
bool in_range(const IpRange& range, const std::array<unsigned char, 16>& address);

class AdminCheck {
 public:
  // Reads the keys named in `config` (PEM, JWKS). Fails on an unreadable key.
  static Result<AdminCheck> create(const GateAdminConfig& config);

  struct Request {
    std::string_view authorization;          // the Authorization header
    std::string_view cookies;                // the Cookie header
    std::array<unsigned char, 16> client{};  // IPv4-mapped for IPv4
    bool has_client = false;
  };
  // True when the request comes from an admin; `why`, when given, gets the reason a token was refused.
  bool is_admin(const Request& request, std::int64_t now, std::string* why = nullptr) const;

 private:
  net::JwtVerifier verifier_;
  std::string claim_;
  std::vector<std::string> values_;
  std::string cookie_;
  std::vector<IpRange> ips_;
  std::string bypass_secret_;
  std::string bypass_cookie_;
};

}  // namespace slipway::gate
