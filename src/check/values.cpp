#include "check/values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway::check {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') return host.back() == ']';  // IPv6 literal
  return std::all_of(host.begin(), host.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '%'; });
}

std::optional<std::string> url_problem(std::string_view value) {
  auto url = Url::parse(value);
  if (!url) return url.error().message;
  if (url->host.empty()) return "has no host";
  if (!valid_host(url->host)) return "has an invalid host";
  return std::nullopt;
}

std::optional<std::string> origin_problem(std::string_view value) {
  if (value == "*") return "is the wildcard '*', which lets any site call the API";
  if (value.find("://") == std::string_view::npos) return "has no protocol (write https://...)";
  if (auto p = url_problem(value)) return p;
  auto url = Url::parse(value);
  if (url->scheme != "https" && url->scheme != "http") return "must be http:// or https://";
  if (url->has_password || !url->user.empty()) return "must not carry a user or password";
  if (url->path == "/") return "has a trailing slash (browsers send the origin without it)";
  if (!url->path.empty()) return "has a path (an origin is scheme://host[:port] only)";
  if (!url->query.empty() || !url->fragment.empty()) return "has a query or fragment";
  return std::nullopt;
}

std::optional<std::string> email_problem(std::string_view value) {
  const auto at = value.find('@');
  if (at == std::string_view::npos || at == 0 || value.find('@', at + 1) != std::string_view::npos) {
    return "is not an email address (expected name@domain)";
  }
  const std::string_view domain = value.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= domain.size()) return "has no domain with a dot";
  if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c); })) {
    return "contains spaces";
  }
  return std::nullopt;
}

}  // namespace

std::optional<bool> parse_bool(std::string_view text) {
  const std::string v = lower(text);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

std::optional<std::string> type_problem(std::string_view type, std::string_view value) {
  if (type == "int") {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) return "is not an integer";
    return std::nullopt;
  }
  if (type == "bool") {
    if (!parse_bool(value)) return "is not a boolean (true/false, 1/0, yes/no, on/off)";
    return std::nullopt;
  }
  if (type == "url") return url_problem(value);
  if (type == "origin") return origin_problem(value);
  if (type == "email") return email_problem(value);
  if (type == "duration") {
    if (auto d = parse_duration(value); !d) return fmt::format("is not a duration ({})", d.error().message);
    return std::nullopt;
  }
  if (type == "postgres-url") {
    const std::string scheme = url_scheme(value);
    if (scheme != "postgres" && scheme != "postgresql") {
      return "is not a postgres URL (expected postgresql://user:password@host:5432/database)";
    }
    if (auto p = url_problem(value)) return p;
    if (Url::parse(value)->path.size() <= 1) return "names no database (add /database after the host)";
    return std::nullopt;
  }
  return std::nullopt;  // string, enum
}

std::vector<std::string> pooling_signs(const Url& url) {
  std::vector<std::string> signs;
  static constexpr std::string_view kParams[] = {"pgbouncer", "connection_limit", "pool_timeout", "pool_mode",
                                                 "statement_cache_size"};
  for (const std::string& name : query_names(url)) {
    if (std::find(std::begin(kParams), std::end(kParams), name) != std::end(kParams)) {
      signs.push_back(fmt::format("the parameter {}", name));
    }
  }
  const std::string host = lower(url.host);
  if (host.find("-pooler.") != std::string::npos || host.find("pooler.") != std::string::npos) {
    signs.push_back("a pooler host");
  }
  if (url.port == "6432" || url.port == "6543") signs.push_back(fmt::format("the pooler port {}", url.port));
  return signs;
}

}  // namespace slipway::check
