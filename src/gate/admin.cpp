#include "gate/admin.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "core/fs.hpp"

namespace slipway::gate {

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
  }
  return {};
}

Result<IpRange> parse_ip_range(std::string_view text) {
  IpRange r;
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  in_addr v4{};
  in6_addr v6{};
  int max_prefix = 128;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    r.bytes[10] = r.bytes[11] = 0xff;
    std::memcpy(r.bytes.data() + 12, &v4, 4);
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    std::memcpy(r.bytes.data(), &v6, 16);
  } else {
    return fail(Error::input(fmt::format("\"{}\" is not an IP address or CIDR range", text), "gate.admin.ips",
                             "write addresses like 10.0.0.7 or ranges like 10.0.0.0/8"));
  }
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || prefix < 0 || prefix > max_prefix) {
      return fail(Error::input(fmt::format("\"{}\" has a bad prefix length", text), "gate.admin.ips"));
    }
  }
  r.prefix = prefix + (max_prefix == 32 ? 96 : 0);
  return r;
}

bool in_range(const IpRange& range, const std::array<unsigned char, 16>& address) {
  int bits = range.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((range.bytes[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

Result<AdminCheck> AdminCheck::create(const GateAdminConfig& config) {
  net::JwtVerifier::Options options;
  options.secret = config.jwt_secret;
  options.leeway = config.leeway;
  if (!config.jwt_public_key.empty()) {
    auto pem = read_text_file(config.jwt_public_key, kMaxKeyFileBytes);
    if (!pem) return fail(pem.error());
    options.public_key_pem = std::move(*pem);
  }
  if (!config.jwks_file.empty()) {
    auto jwks = read_text_file(config.jwks_file, kMaxKeyFileBytes);
    if (!jwks) return fail(jwks.error());
    options.jwks_json = std::move(*jwks);
  }
  auto verifier = net::JwtVerifier::create(options);
  if (!verifier) return fail(verifier.error());
  AdminCheck check;
  check.verifier_ = std::move(*verifier);
  check.claim_ = config.claim;
  check.values_ = config.values;
  check.cookie_ = config.cookie;
  check.bypass_secret_ = config.bypass_secret;
  check.bypass_cookie_ = config.bypass_cookie;
  for (const auto& ip : config.ips) {
    auto range = parse_ip_range(ip);
    if (!range) return fail(range.error());
    check.ips_.push_back(*range);
  }
  return check;
}

bool AdminCheck::is_admin(const Request& request, std::int64_t now, std::string* why) const {
  if (request.has_client) {
    for (const auto& range : ips_) {
      if (in_range(range, request.client)) return true;
    }
  }
  if (!bypass_secret_.empty()) {
    const std::string_view v = cookie_value(request.cookies, bypass_cookie_);
    if (v.size() == bypass_secret_.size() && CRYPTO_memcmp(v.data(), bypass_secret_.data(), v.size()) == 0) {
      return true;
    }
  }
  if (!verifier_.configured()) return false;
  std::string_view token;
  std::string_view auth = request.authorization;
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    token = auth.substr(7);
  } else if (!cookie_.empty()) {
    token = cookie_value(request.cookies, cookie_);
  }
  if (token.empty()) {
    if (why) *why = "no token";
    return false;
  }
  auto ok = verifier_.verify(token, now, claim_, values_);
  if (!ok && why) *why = ok.error().message;
  return ok.has_value();
}

}  // namespace slipway::gate
