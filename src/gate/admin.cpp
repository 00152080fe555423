#include "gate/admin.hpp"

#include <arpa/inet.h>

#include <algorithm>
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

std::string_view query_value(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

Result<IpRange> parse_ip_range(std::string_view text, std::string_view key) {
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
    return fail(Error::input(fmt::format("\"{}\" is not an IP address or CIDR range", text), std::string(key),
                             "write addresses like 10.0.0.7 or ranges like 10.0.0.0/8"));
  }
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || prefix < 0 || prefix > max_prefix) {
      return fail(Error::input(fmt::format("\"{}\" has a bad prefix length", text), std::string(key)));
    }
  }
  r.prefix = prefix + (max_prefix == 32 ? 96 : 0);
  return r;
}

Result<std::vector<IpRange>> parse_ip_ranges(const std::vector<std::string>& texts, std::string_view key) {
  std::vector<IpRange> ranges;
  for (const auto& text : texts) {
    auto range = parse_ip_range(text, key);
    if (!range) return fail(range.error());
    ranges.push_back(*range);
  }
  return ranges;
}

bool in_range(const IpRange& range, const Address& address) {
  int bits = range.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((range.bytes[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

bool in_any(const std::vector<IpRange>& ranges, const Address& address) {
  for (const auto& range : ranges) {
    if (in_range(range, address)) return true;
  }
  return false;
}

std::optional<Address> parse_address(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  Address a{};
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, &v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(a.data(), &v6, 16);
    return a;
  }
  return std::nullopt;
}

std::string address_text(const Address& address) {
  char text[INET6_ADDRSTRLEN] = {};
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), address.begin())) {
    inet_ntop(AF_INET, address.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, address.data(), text, sizeof text);
  }
  return text;
}

std::optional<Address> forwarded_client(const Address& peer, std::span<const std::string_view> forwarded_for,
                                        const std::vector<IpRange>& trusted) {
  if (!in_any(trusted, peer)) return peer;
  std::optional<Address> leftmost;
  for (auto header = forwarded_for.rbegin(); header != forwarded_for.rend(); ++header) {
    std::string_view rest = *header;
    while (!rest.empty()) {
      const auto comma = rest.rfind(',');
      std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
      while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
      if (entry.empty()) continue;
      const auto address = parse_address(entry);
      if (!address) return std::nullopt;
      if (!in_any(trusted, *address)) return address;
      leftmost = address;
    }
  }
  return leftmost ? leftmost : std::optional<Address>(peer);
}

std::vector<std::string> admin_warnings(const GateConfig& config) {
  std::vector<std::string> warnings;
  auto admins = parse_ip_ranges(config.admin.ips, "gate.admin.ips");
  auto proxies = parse_ip_ranges(config.trusted_proxies, "gate.trusted_proxies");
  if (!admins || !proxies) return warnings;  // Gate::create reports those
  const Address v4_loopback = *parse_address("127.0.0.1");
  const Address v6_loopback = *parse_address("::1");
  for (std::size_t i = 0; i < admins->size(); ++i) {
    const IpRange& admin = (*admins)[i];
    const bool loopback = in_range(admin, v4_loopback) || in_range(admin, v6_loopback);
    if (loopback && proxies->empty()) {
      warnings.push_back(fmt::format(
          "gate.admin.ips names {}, a loopback address, and gate.trusted_proxies is empty: behind a proxy on "
          "this host (nginx) every client comes from there and counts as an admin; set gate.trusted_proxies to "
          "the proxy's address so the client is read from X-Forwarded-For",
          config.admin.ips[i]));
    }
    for (const IpRange& proxy : *proxies) {
      if (in_range(admin, proxy.bytes) || in_range(proxy, admin.bytes)) {
        warnings.push_back(
            fmt::format("gate.admin.ips names {}, which is also a trusted proxy: a request it forwards without "
                        "X-Forwarded-For counts as an admin's",
                        config.admin.ips[i]));
        break;
      }
    }
  }
  return warnings;
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
  check.query_param_ = config.query_param;
  auto ips = parse_ip_ranges(config.ips, "gate.admin.ips");
  if (!ips) return fail(ips.error());
  check.ips_ = std::move(*ips);
  return check;
}

bool AdminCheck::is_admin(const Request& request, std::int64_t now, std::string* why) const {
  if (request.has_client && in_any(ips_, request.client)) return true;
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
  if (token.empty() && !query_param_.empty()) token = query_value(request.target, query_param_);
  if (token.empty()) {
    if (why) *why = "no token";
    return false;
  }
  auto ok = verifier_.verify(token, now, claim_, values_);
  if (!ok && why) *why = ok.error().message;
  return ok.has_value();
}

}  // namespace slipway::gate
