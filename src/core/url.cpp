#include "core/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/url/encode.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/sub_delim_chars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace slipway {
namespace {

namespace urls = boost::urls;

constexpr std::string_view kNotAUrl = "is not a URL (expected scheme://host...)";

// What RFC 3986 allows, unencoded, in a userinfo and in what follows the authority.
constexpr urls::grammar::lut_chars kUserChars = urls::unreserved_chars + urls::sub_delim_chars;
constexpr urls::grammar::lut_chars kUserinfoChars = kUserChars + ':';
constexpr urls::grammar::lut_chars kTailChars = urls::pchars + '/' + '?';

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

urls::string_view boost_view(std::string_view s) {
  return {s.data(), s.size()};
}

std::string_view std_view(urls::string_view s) {
  return {s.data(), s.size()};
}

// `text` cut where Boost.URL would cut it, so that the lenient parts can be encoded before it reads them.
struct Pieces {
  std::string_view scheme;    // before "://"
  std::string_view userinfo;  // before the authority's last '@'
  bool has_userinfo = false;
  std::string_view host_port;
  std::string_view tail;  // from the first '/', '?' or '#' after "://"
};

std::optional<Pieces> cut(std::string_view text) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  Pieces p;
  p.scheme = text.substr(0, sep);
  const std::string_view rest = text.substr(sep + 3);
  const auto end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, end);
  p.tail = rest.substr(end);
  p.host_port = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    p.has_userinfo = true;
    p.userinfo = authority.substr(0, at);
    p.host_port = authority.substr(at + 1);
  }
  return p;
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// `s` with every character outside `allowed` percent-encoded, except a '%' that starts an escape,
// and a first '#' when `fragment_ok`.
std::string encode_stray(std::string_view s, const urls::grammar::lut_chars& allowed, bool fragment_ok) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  bool in_fragment = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool escape = c == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2]);
    const bool hash = c == '#' && fragment_ok && !in_fragment;
    if (hash) in_fragment = true;
    if (allowed(c) || escape || hash) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

bool valid_port(std::string_view port) {
  if (port.empty()) return true;
  if (port.size() > 5) return false;
  int value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && ptr == port.data() + port.size() && value > 0 && value < 65536;
}

// Why `host_port` does not parse: the host, or only the port after a good host.
std::string_view host_port_problem(std::string_view host_port) {
  std::size_t colon = std::string_view::npos;
  if (host_port.starts_with('[')) {
    if (const auto close = host_port.find(']'); close != std::string_view::npos && close + 1 < host_port.size()) {
      colon = close + 1;
    }
  } else {
    colon = host_port.rfind(':');
  }
  if (colon != std::string_view::npos && host_port[colon] == ':') {
    const auto host = urls::parse_authority(boost_view(host_port.substr(0, colon)));
    if (host && !host->has_port() && !host->has_userinfo()) return "has an invalid port";
  }
  return "has an invalid host";
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  const auto pieces = cut(text);
  if (!pieces) return fail(Error::input(std::string(kNotAUrl)));
  std::string authority;
  if (pieces->has_userinfo) authority = encode_stray(pieces->userinfo, kUserinfoChars, false) + "@";
  authority += pieces->host_port;
  const std::string normal =
      std::string(pieces->scheme) + "://" + authority + encode_stray(pieces->tail, kTailChars, true);
  const auto parsed = urls::parse_uri(boost_view(normal));
  // What Boost.URL saw must be our cut: "x:/a:/b://c" is scheme x and a path to it, and 1.81 reads
  // "http://h:1:2" as port 1 and path ":2".
  if (!parsed || std_view(parsed->scheme()) != pieces->scheme || !parsed->has_authority() ||
      std_view(parsed->encoded_authority()) != authority) {
    if (url_scheme(text).empty()) return fail(Error::input(std::string(kNotAUrl)));
    return fail(Error::input(std::string(host_port_problem(pieces->host_port))));
  }
  const urls::url_view& u = *parsed;
  if (!valid_port(std_view(u.port()))) return fail(Error::input("has an invalid port"));
  Url url;
  url.scheme = lower(std_view(u.scheme()));
  url.user = u.user();
  url.has_password = u.has_password();
  url.password = u.password();
  url.host = std::string(std_view(u.encoded_host()));
  url.port = std::string(std_view(u.port()));
  url.path = std::string(std_view(u.encoded_path()));
  url.has_query = u.has_query();
  url.query = std::string(std_view(u.encoded_query()));
  url.fragment = std::string(std_view(u.encoded_fragment()));
  return url;
}

std::string Url::str() const {
  std::string out = scheme + "://";
  if (!user.empty() || has_password) {
    out += urls::encode(boost_view(user), kUserChars);
    if (has_password) out += ":" + urls::encode(boost_view(password), kUserinfoChars);
    out += "@";
  }
  out += host;
  if (!port.empty()) out += ":" + port;
  out += path;
  if (has_query) out += "?" + query;
  if (!fragment.empty()) out += "#" + fragment;
  return out;
}

std::string url_scheme(std::string_view text) {
  const auto pieces = cut(text);
  if (!pieces) return {};
  const std::string alone = std::string(pieces->scheme) + ":";
  const auto parsed = urls::parse_uri(boost_view(alone));
  if (!parsed || std_view(parsed->scheme()) != pieces->scheme) return {};  // "x:/a:" is scheme x, path "/a:"
  return lower(pieces->scheme);
}

std::string mask_url_password(std::string_view text) {
  const auto pieces = cut(text);
  if (!pieces || !pieces->has_userinfo) return std::string(text);
  const auto colon = pieces->userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(text);
  const std::size_t start = pieces->userinfo.data() - text.data() + colon + 1;
  const std::size_t end = pieces->host_port.data() - text.data() - 1;  // the '@'
  return std::string(text.substr(0, start)) + "***" + std::string(text.substr(end));
}

std::vector<std::string> query_names(const Url& url) {
  std::vector<std::string> names;
  const auto params = urls::parse_query(boost_view(url.query));
  if (!params) return names;
  for (const auto& param : *params) {
    if (!param.key.empty()) names.push_back(lower(std_view(param.key)));
  }
  return names;
}

}  // namespace slipway
