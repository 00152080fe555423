// The gate's rules, as pure functions: which requests pass in which mode, and the 503 answer.
//
//   mode         GET /x (user)   GET /x (admin)   POST /x (admin)            allow-listed   health path
//   normal       pass            pass             pass                       pass           pass
//   maintenance  503             pass             503 unless admin_writes    pass           200 from the gate
//   read-only    pass            pass             503 unless admin_writes    pass           pass
//
// A read is GET, HEAD or OPTIONS; every other method (WebDAV's, PURGE, unknown ones) is a write.
// The admin question is asked only when the answer depends on it, so normal mode and writes
// never pay for token verification.
//
// Outside normal mode the rules match a normalised path, so that the backend and the gate agree on
// what a request names. `/public/%61pi` is matched as `/public/api` (unreserved characters are
// decoded, RFC 3986 6.2.2.2), and a target that names a dot segment in any spelling is refused
// with 400 rather than resolved: `/public/../api/users`, `/public/%2e%2e/api`, `/public/..;/api`,
// `/public\..\api`, `/public/..%2fapi` (a backend that resolves these would serve `/api/...` for
// a rule that allowed `/public/*`; browsers never send them). An exact entry also matches its path
// with one trailing slash (`/auth/login/` for `/auth/login`), which frameworks route the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/state.hpp"

namespace slipway::gate {

enum class Action { pass, reject, health, bad_path };

// Anything but GET, HEAD and OPTIONS may modify data.
bool is_write(std::string_view method);
// `path` (normalised, without the query) equals an entry or the entry with a trailing slash, or
// starts with an entry that ends in '*' (without the '*').
bool path_allowed(const std::vector<std::string>& allow, std::string_view path);
// `path` equals `entry`, or `entry` followed by one slash.
bool path_allowed_exact(std::string_view entry, std::string_view path);
// The path part of a request target: "/a/b?x=1" -> "/a/b".
std::string_view path_of(std::string_view target);
// The path the rules match: `path` with percent-encoded unreserved characters decoded, in
// `scratch` when anything was decoded (else `path` itself). Nothing when the path holds a dot
// segment in any spelling (see above), an encoded NUL, or a malformed escape.
std::optional<std::string_view> normalised_path(std::string_view path, std::string& scratch);

struct Rules {
  const std::vector<std::string>* allow = nullptr;
  std::string_view health_path;
  bool admin_writes = false;
};

template <typename IsAdmin>
Action decide(Mode mode, const Rules& rules, std::string_view method, std::string_view target, IsAdmin&& is_admin) {
  if (mode == Mode::normal) return Action::pass;
  std::string scratch;
  const auto normal = normalised_path(path_of(target), scratch);
  if (!normal) return Action::bad_path;
  const std::string_view path = *normal;
  if (rules.allow && path_allowed(*rules.allow, path)) return Action::pass;
  const bool write = is_write(method);
  if (mode == Mode::read_only) {
    if (!write) return Action::pass;
    return rules.admin_writes && is_admin() ? Action::pass : Action::reject;
  }
  if (!write && path_allowed_exact(rules.health_path, path)) return Action::health;
  if (write && !rules.admin_writes) return Action::reject;
  return is_admin() ? Action::pass : Action::reject;
}

// True when an Accept header asks for HTML (a browser) rather than JSON (an API client).
bool wants_html(std::string_view accept);

struct Rejection {
  std::string content_type;
  std::string body;
};

// The built-in maintenance page; {{message}}, {{retry_after}} ("10min") and
// {{retry_after_seconds}} are filled in, HTML-escaped.
std::string_view default_page();
// The 503 body: `page` filled in for HTML, else
// {"error":"maintenance"|"read_only","message":...,"retry_after":seconds}.
Rejection render_rejection(Mode mode, std::string_view message, std::int64_t retry_after, bool html,
                           std::string_view page);

}  // namespace slipway::gate
