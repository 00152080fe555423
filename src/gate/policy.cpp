#include "gate/policy.hpp"

#include "core/output.hpp"  // xml_escape: the page's text is escaped as XML, which HTML accepts

#include <cctype>

#include <boost/json.hpp>

#include "core/units.hpp"

namespace slipway::gate {

bool is_write(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string_view path_of(std::string_view target) {
  const auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool path_allowed_exact(std::string_view entry, std::string_view path) {
  if (path.size() == entry.size() + 1 && path.back() == '/') path.remove_suffix(1);
  return path == entry;
}

bool path_allowed(const std::vector<std::string>& allow, std::string_view path) {
  for (const std::string& entry : allow) {
    if (!entry.empty() && entry.back() == '*') {
      if (path.starts_with(std::string_view(entry).substr(0, entry.size() - 1))) return true;
    } else if (path_allowed_exact(entry, path)) {
      return true;
    }
  }
  return false;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

enum class Decode { unreserved, all, again };

// Decodes the escapes in `text`: those of unreserved characters, all of them, or all of them
// once more (where a '%' that starts no escape is a literal one, decoded before). False on a
// malformed escape (but for `again`) or an encoded NUL.
bool percent_decode(std::string_view text, Decode what, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
    if (lo < 0) {
      if (what != Decode::again) return false;
      out.push_back('%');
      continue;
    }
    const auto c = static_cast<unsigned char>(hi * 16 + lo);
    if (c == 0) return false;
    if (what == Decode::unreserved && !is_unreserved(c)) {
      out.append(text.substr(i, 3));
    } else {
      out.push_back(static_cast<char>(c));
    }
    i += 2;
  }
  return true;
}

// True when a segment of `path`, split at '/' and '\\', is "." or ".." before any ";params".
bool has_dot_segment(std::string_view path) {
  while (!path.empty()) {
    const auto end = path.find_first_of("/\\");
    std::string_view segment = path.substr(0, end);
    segment = segment.substr(0, segment.find(';'));
    if (segment == "." || segment == "..") return true;
    if (end == std::string_view::npos) break;
    path.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace

std::optional<std::string_view> normalised_path(std::string_view path, std::string& scratch) {
  // Most paths hold no escape, no backslash and no "/.", and are their own normal form.
  if (path.find_first_of("%\\") == std::string_view::npos && path.find("/.") == std::string_view::npos &&
      !path.starts_with('.')) {
    return path;
  }
  // A dot segment is looked for in every way a backend might decode the path: escapes decoded
  // until none is left (so %252e%252e too), and '\\' as a separator.
  std::string decoded(path);
  for (int round = 0; round < 4 && decoded.find('%') != std::string::npos; ++round) {
    std::string next;
    if (!percent_decode(decoded, round == 0 ? Decode::all : Decode::again, next)) return std::nullopt;
    decoded = std::move(next);
  }
  if (has_dot_segment(decoded) || decoded.find('\0') != std::string::npos) return std::nullopt;
  if (!percent_decode(path, Decode::unreserved, scratch)) return std::nullopt;
  return std::string_view(scratch);
}

bool wants_html(std::string_view accept) {
  return accept.find("text/html") != std::string_view::npos;
}

std::string_view default_page() {
  return R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Under Maintenance</title>
<style>
body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1f2933;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{max-width:32rem;padding:2rem;text-align:center}
h1{font-size:1.8rem;margin-bottom:.5rem}
p{line-height:1.5}
small{color:#6b7785}
</style>
</head>
<body>
<main>
<h1>Under Maintenance</h1>
<p>{{message}}</p>
<small>Please try again in {{retry_after}}.</small>
</main>
</body>
</html>
)";
}

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

Rejection render_rejection(Mode mode, std::string_view message, std::int64_t retry_after, bool html,
                           std::string_view page) {
  Rejection r;
  if (html) {
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(page);
    replace_all(r.body, "{{message}}", xml_escape(message));
    replace_all(r.body, "{{retry_after}}", xml_escape(format_duration(std::chrono::seconds(retry_after))));
    replace_all(r.body, "{{retry_after_seconds}}", std::to_string(retry_after));
    return r;
  }
  boost::json::object o;
  o["error"] = mode == Mode::read_only ? "read_only" : "maintenance";
  o["message"] = message;
  o["retry_after"] = retry_after;
  r.content_type = "application/json";
  r.body = boost::json::serialize(o);
  return r;
}

}  // namespace slipway::gate
