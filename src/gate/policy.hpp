// The gate's rules, as pure functions: which requests pass in which mode, and the 503 answer.
//
//   mode         GET /x (user)   GET /x (admin)   POST /x (admin)            allow-listed   health path
//   normal       pass            pass             pass                       pass           pass
//   maintenance  503             pass             503 unless admin_writes    pass           200 from the gate
//   read-only    pass            pass             503 unless admin_writes    pass           pass
//
// The admin question is asked only when the answer depends on it, so normal mode and writes
// never pay for token verification.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gate/state.hpp"

namespace slipway::gate {

enum class Action { pass, reject, health };

// POST, PUT, PATCH and DELETE modify data; anything else is a read.
bool is_write(std::string_view method);
// `path` (without the query) equals an entry, or starts with an entry that ends in '*'.
bool path_allowed(const std::vector<std::string>& allow, std::string_view path);
// The path part of a request target: "/a/b?x=1" -> "/a/b".
std::string_view path_of(std::string_view target);

struct Rules {
  const std::vector<std::string>* allow = nullptr;
  std::string_view health_path;
  bool admin_writes = false;
};

template <typename IsAdmin>
Action decide(Mode mode, const Rules& rules, std::string_view method, std::string_view target, IsAdmin&& is_admin) {
  if (mode == Mode::normal) return Action::pass;
  const std::string_view path = path_of(target);
  if (rules.allow && path_allowed(*rules.allow, path)) return Action::pass;
  const bool write = is_write(method);
  if (mode == Mode::read_only) {
    if (!write) return Action::pass;
    return rules.admin_writes && is_admin() ? Action::pass : Action::reject;
  }
  if (path == rules.health_path && !write) return Action::health;
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
