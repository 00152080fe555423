#include "gate/policy.hpp"

#include "core/output.hpp"  // xml_escape: the page's text is escaped as XML, which HTML accepts

#include <boost/json.hpp>

#include "core/units.hpp"

namespace slipway::gate {

bool is_write(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string_view path_of(std::string_view target) {
  const auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool path_allowed(const std::vector<std::string>& allow, std::string_view path) {
  for (const std::string& entry : allow) {
    if (!entry.empty() && entry.back() == '*') {
      if (path.starts_with(std::string_view(entry).substr(0, entry.size() - 1))) return true;
    } else if (path == entry) {
      return true;
    }
  }
  return false;
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
