// Feeds arbitrary text to the URL parsers: core's Url (Boost.URL with its leniency) and the HTTP
// client's net::Url built from it. Nothing may crash; a parsed URL written back with str() parses
// to the same parts; a failure gives one of the known reasons, which never quote the text; a
// password in a userinfo is masked in what a message may quote.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/url.hpp"
#include "net/http_client.hpp"

namespace {

bool same(const slipway::Url& a, const slipway::Url& b) {
  return a.scheme == b.scheme && a.user == b.user && a.password == b.password && a.has_password == b.has_password &&
         a.host == b.host && a.port == b.port && a.path == b.path && a.query == b.query && a.has_query == b.has_query &&
         a.fragment == b.fragment;
}

bool same(const slipway::net::Url& a, const slipway::net::Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.target == b.target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto url = slipway::Url::parse(text);
  if (url) {
    const auto again = slipway::Url::parse(url->str());
    if (!again || !same(*url, *again) || again->str() != url->str()) __builtin_trap();
    if (slipway::url_scheme(text) != url->scheme) __builtin_trap();
    if (url->has_password && slipway::mask_url_password(text).find("***") == std::string::npos) __builtin_trap();
    (void)slipway::query_names(*url);
  } else {
    const std::string& why = url.error().message;
    if (why != "is not a URL (expected scheme://host...)" && why != "has an invalid host" &&
        why != "has an invalid port") {
      __builtin_trap();
    }
  }

  const auto endpoint = slipway::net::Url::parse(text);
  if (endpoint) {
    if (!url || endpoint->target.empty() || endpoint->target.front() != '/' || endpoint->port.empty()) __builtin_trap();
    const auto again = slipway::net::Url::parse(endpoint->str());
    if (!again || !same(*endpoint, *again)) __builtin_trap();
  }
  return 0;
}
