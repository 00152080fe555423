#include "verify/smoke.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/redact.hpp"

namespace slipway::verify {
namespace {

namespace json = boost::json;

std::string as_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// A value for a message, masked (values under secret names too, captured or not) before it is cut.
std::string short_text(const json::value& v) {
  std::string s = redact(v.is_string() ? "\"" + std::string(v.as_string()) + "\"" : json::serialize(v));
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

bool json_equal(const json::value& a, const json::value& b) {
  const auto x = as_number(a), y = as_number(b);
  if (x && y) return *x == *y;
  return a == b;
}

std::string_view type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "null";
}

// "sid=abc; Path=/; HttpOnly" -> {"sid", "abc"}.
std::pair<std::string, std::string> parse_set_cookie(std::string_view header) {
  const auto semi = header.find(';');
  std::string_view pair = header.substr(0, semi);
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos) return {};
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return std::string(s);
  };
  return {trim(pair.substr(0, eq)), trim(pair.substr(eq + 1))};
}

bool holds(const Predicate& p, const json::value& actual, std::string& why) {
  using Op = Predicate::Op;
  switch (p.op) {
    case Op::eq: return json_equal(actual, p.value);
    case Op::ne: return !json_equal(actual, p.value);
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge: {
      const auto x = as_number(actual);
      if (!x) {
        why = fmt::format("{} is {}, not a number", short_text(actual), with_article(type_name(actual)));
        return false;
      }
      const double y = *as_number(p.value);
      return p.op == Op::lt ? *x < y : p.op == Op::le ? *x <= y : p.op == Op::gt ? *x > y : *x >= y;
    }
    case Op::contains:
    case Op::not_contains: {
      bool found = false;
      if (actual.is_string()) {
        found = std::string_view(actual.as_string()).find(p.text) != std::string_view::npos;
      } else if (actual.is_array()) {
        for (const auto& item : actual.as_array()) found = found || json_equal(item, p.value);
      } else {
        why = fmt::format("{} is {}: contains needs a string or an array", short_text(actual),
                          with_article(type_name(actual)));
        return false;
      }
      return p.op == Op::contains ? found : !found;
    }
    case Op::matches: {
      if (!actual.is_string()) {
        why = fmt::format("{} is {}, not a string", short_text(actual), with_article(type_name(actual)));
        return false;
      }
      try {
        return std::regex_search(std::string(actual.as_string()), std::regex(p.text));
      } catch (const std::regex_error& e) {
        why = fmt::format("bad regular expression: {}", e.what());
        return false;
      }
    }
    case Op::is: return type_name(actual) == p.text;
    case Op::exists:
    case Op::not_exists: return true;
  }
  return false;
}

// toInt / toFloat: "42" -> 42 (a number stays a number), as in Hurl's filters.
Result<json::value> cast(const json::value& v, Query::Cast to) {
  const char* name = to == Query::Cast::to_int ? "toInt" : "toFloat";
  const auto bad = [&] {
    return fail(Error::input(
        fmt::format("{}: {} is not {}", name, short_text(v), to == Query::Cast::to_int ? "an integer" : "a number")));
  };
  if (to == Query::Cast::to_float) {
    if (const auto n = as_number(v)) return json::value(*n);
  } else if (v.is_int64() || v.is_uint64()) {
    return v;
  } else if (v.is_double()) {
    const double d = v.as_double();
    if (std::trunc(d) == d && std::abs(d) < 9.0e18) return json::value(static_cast<std::int64_t>(d));
    return bad();
  }
  if (!v.is_string()) return bad();
  std::string_view text = v.as_string();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return bad();
  if (to == Query::Cast::to_int) {
    std::int64_t i = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec != std::errc() || p != text.data() + text.size()) return bad();
    return json::value(i);
  }
  double d = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(d)) return bad();
  return json::value(d);
}

// A string read as a number for < <= > >=, when the whole of it is one.
std::optional<double> number_in(std::string_view text) {
  double d = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// The capture a template names when it is exactly "{{name}}": it keeps its JSON type (a number
// stays a number) in a JSON body and in an expected value.
const json::value* whole_capture(std::string_view text, const Variables& vars) {
  if (!text.starts_with("{{") || !text.ends_with("}}") || text.find("{{", 2) != std::string_view::npos) return nullptr;
  std::string_view name = text.substr(2, text.size() - 4);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  const auto it = vars.captures.find(std::string(name));
  return it == vars.captures.end() ? nullptr : &it->second;
}

std::string make_run_id() {
  std::random_device rd;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return fmt::format("{:x}{:04x}", std::chrono::duration_cast<std::chrono::seconds>(now).count(), rd() & 0xffff);
}

}  // namespace

Result<std::string> expand_template(std::string_view text, const Variables& vars, const Environment& env,
                                    const std::string& run_id) {
  std::string out;
  std::size_t i = 0;
  const auto from_env = [&](const std::string& name) -> Result<std::string> {
    auto v = env.get(name);
    if (!v) {
      return fail(Error::input(fmt::format("{} is not set", name), "",
                               fmt::format("export {} (flows read credentials from the environment)", name)));
    }
    if (is_secret_name(name)) register_secret(*v);
    return *v;
  };
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") == 0) {
      const auto end = text.find("}}", i + 2);
      if (end == std::string_view::npos) return fail(Error::input(fmt::format("unclosed {{{{ in '{}'", text)));
      std::string name(text.substr(i + 2, end - i - 2));
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (name.starts_with("env.")) {
        auto v = from_env(name.substr(4));
        if (!v) return v;
        out += *v;
      } else if (name == "run_id") {
        out += run_id;
      } else if (auto it = vars.captures.find(name); it != vars.captures.end()) {
        out += as_text(it->second);
      } else {
        return fail(Error::input(fmt::format("{{{{{}}}}} is not a capture of an earlier step", name), "",
                                 "capture it first: capture = { name = \"json $.field\" }"));
      }
      i = end + 2;
    } else if (text.compare(i, 2, "${") == 0) {
      const auto end = text.find('}', i + 2);
      if (end == std::string_view::npos) return fail(Error::input(fmt::format("unclosed ${{ in '{}'", text)));
      auto v = from_env(std::string(text.substr(i + 2, end - i - 2)));
      if (!v) return v;
      out += *v;
      i = end + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

Result<std::vector<json::value>> select(const Query& query, const net::HttpResponse& response) {
  std::vector<json::value> out;
  switch (query.kind) {
    case Query::Kind::status: out.emplace_back(response.status); break;
    case Query::Kind::duration: out.emplace_back(static_cast<double>(response.elapsed.count()) / 1000.0); break;
    case Query::Kind::body: out.emplace_back(response.body); break;
    case Query::Kind::header:
      for (const auto& v : net::header_values(response.headers, query.arg)) out.emplace_back(v);
      break;
    case Query::Kind::cookie:
      for (const auto& h : net::header_values(response.headers, "set-cookie")) {
        auto [name, value] = parse_set_cookie(h);
        if (name == query.arg) out.emplace_back(value);
      }
      break;
    case Query::Kind::json: {
      boost::system::error_code ec;
      const json::value doc = json::parse(response.body, ec);
      if (ec) {
        return fail(Error::input(fmt::format("the response is not JSON ({})", response.header("content-type").empty()
                                                                                  ? "no Content-Type"
                                                                                  : response.header("content-type"))));
      }
      // A value under a secret-looking name ($.refreshToken, /password) is masked in reports.
      const bool secret = is_secret_name(query.arg);
      for (const json::value* v : query.path->select(doc)) {
        if (secret && v->is_string()) register_secret(v->as_string());
        out.push_back(*v);
      }
      break;
    }
  }
  if (query.cast != Query::Cast::none) {
    for (auto& v : out) {
      auto c = cast(v, query.cast);
      if (!c) return fail(c.error());
      v = std::move(*c);
    }
  }
  return out;
}

Result<Assertion> resolve_assertion(const Assertion& assertion, const Variables& vars, const Environment& env,
                                    const std::string& run_id) {
  if (!assertion.predicate.templated) return assertion;
  Assertion a = assertion;
  Predicate& p = a.predicate;
  p.templated = false;
  const std::string_view text = assertion.predicate.value.as_string();
  if (const json::value* capture = whole_capture(text, vars)) {
    p.value = *capture;
  } else {
    auto e = expand_template(text, vars, env, run_id);
    if (!e) return fail(e.error());
    p.value = json::value(*e);
  }
  using Op = Predicate::Op;
  if (p.op == Op::lt || p.op == Op::le || p.op == Op::gt || p.op == Op::ge) {
    std::optional<double> n = as_number(p.value);
    if (!n && p.value.is_string()) n = number_in(p.value.as_string());
    if (!n) {
      return fail(Error::input(fmt::format("the expected value {} is {}, not a number", short_text(p.value),
                                           with_article(type_name(p.value)))));
    }
    p.value = json::value(*n);
  }
  if (p.op == Op::contains || p.op == Op::not_contains || p.op == Op::matches) p.text = as_text(p.value);
  return a;
}

AssertOutcome evaluate_assertion(const Assertion& a, const net::HttpResponse& response) {
  if (a.predicate.templated) return {false, "the expected value is a template that was not expanded"};
  auto values = select(a.query, response);
  if (!values) return {false, values.error().message};
  using Op = Predicate::Op;
  if (a.predicate.op == Op::exists) {
    return {!values->empty(), values->empty() ? "not found" : fmt::format("found {}", short_text(values->front()))};
  }
  if (a.predicate.op == Op::not_exists) {
    return {values->empty(), values->empty() ? "absent" : fmt::format("found {}", short_text(values->front()))};
  }
  if (values->empty()) return {false, "not found"};
  for (const auto& v : *values) {
    std::string why;
    if (holds(a.predicate, v, why)) continue;
    if (!why.empty()) return {false, why};
    if (a.predicate.op == Op::is) {
      return {false, fmt::format("{} is {}, not {}", short_text(v), with_article(type_name(v)),
                                 with_article(a.predicate.text))};
    }
    return {false, fmt::format("got {}", short_text(v))};
  }
  if (a.predicate.op == Op::is) return {true, with_article(a.predicate.text)};
  return {true, fmt::format("got {}", short_text(values->front()))};
}

SmokeRunner::SmokeRunner(const VerifySettings& settings, net::HttpClient& client, const Environment& env)
    : settings_(settings), client_(client), env_(env), run_id_(make_run_id()) {}

std::optional<Variables> SmokeRunner::run_named(const std::string& name, Report* report) {
  if (auto it = done_.find(name); it != done_.end()) return it->second;
  for (const Flow& f : settings_.flows) {
    if (f.name == name) return run(f, report);
  }
  return std::nullopt;
}

std::optional<Variables> SmokeRunner::run(const Flow& flow, Report* report) {
  const auto add = [&](std::string id, Status status, std::string message, std::string subject) -> Check* {
    if (!report) return nullptr;
    return &report->add(std::move(id), "smoke", status, std::move(message)).about(std::move(subject));
  };
  done_[flow.name] = std::nullopt;  // a cycle of `uses` stops here
  Variables vars;
  if (!flow.uses.empty()) {
    auto base = run_named(flow.uses, nullptr);
    if (!base) {
      add("smoke-flow", Status::fail, fmt::format("flow '{}', which this one uses, failed", flow.uses), flow.name);
      return std::nullopt;
    }
    vars = *base;
  }
  // Only the last try's checks reach the report.
  struct Pending {
    std::string id;
    Status status;
    std::string message;
    std::string subject;
    double duration_ms = -1;
  };
  // The step's request, templates expanded; the flow's headers go with it unless the step sets
  // the same header.
  const auto build = [&](const Step& step, std::string& url) -> Result<net::HttpRequest> {
    net::HttpRequest req;
    req.method = step.method;
    auto expanded_url = expand_template(step.url, vars, env_, run_id_);
    if (!expanded_url) return fail(expanded_url.error());
    url = *expanded_url;
    req.url = net::join_url(settings_.base_url, url);
    bool has_cookie = false, has_type = false;
    const auto set_by_step = [&](const std::string& name) {
      return std::any_of(step.headers.begin(), step.headers.end(), [&](const auto& h) {
        return net::header_value({{h.first, "x"}}, name) == "x";
      });
    };
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& h : flow.headers) {
      if (!set_by_step(h.first)) headers.push_back(h);
    }
    headers.insert(headers.end(), step.headers.begin(), step.headers.end());
    for (const auto& [k, v] : headers) {
      auto value = expand_template(v, vars, env_, run_id_);
      if (!value) return fail(value.error());
      // A line break would end the header and start another (header injection), from the file
      // or from a captured value.
      if (value->find_first_of("\r\n") != std::string::npos || k.find_first_of("\r\n:") != std::string::npos)
        return fail(Error::input(fmt::format("header {} holds a line break (or its name a colon); it is not sent", k),
                                 "", "remove the line break; a captured value must not go into a header as is"));
      has_cookie = has_cookie || net::header_value({{k, "x"}}, "cookie") == "x";
      has_type = has_type || net::header_value({{k, "x"}}, "content-type") == "x";
      req.headers.emplace_back(k, *value);
    }
    if (!has_cookie && !vars.cookies.empty()) {
      std::string jar;
      for (const auto& [k, v] : vars.cookies) jar += fmt::format("{}{}={}", jar.empty() ? "" : "; ", k, v);
      req.headers.emplace_back("Cookie", jar);
    }
    std::optional<Error> body_error;
    if (step.json) {
      // Strings are templates; a string that is exactly "{{name}}" takes the capture's JSON type.
      std::function<json::value(const json::value&)> walk = [&](const json::value& v) -> json::value {
        if (v.is_string()) {
          const std::string_view s = v.as_string();
          if (const json::value* capture = whole_capture(s, vars)) return *capture;
          auto e = expand_template(s, vars, env_, run_id_);
          if (!e) {
            body_error = e.error();
            return v;
          }
          return json::value(*e);
        }
        if (v.is_array()) {
          json::array out;
          for (const auto& item : v.as_array()) out.push_back(walk(item));
          return out;
        }
        if (v.is_object()) {
          json::object out;
          for (const auto& [k, item] : v.as_object()) out[k] = walk(item);
          return out;
        }
        return v;
      };
      req.body = json::serialize(walk(*step.json));
      if (!has_type) req.headers.emplace_back("Content-Type", "application/json");
    } else if (!step.form.empty()) {
      for (const auto& [k, v] : step.form) {
        auto e = expand_template(v, vars, env_, run_id_);
        if (!e) {
          body_error = e.error();
          break;
        }
        std::string encoded;
        for (unsigned char c : *e) {
          if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            encoded += static_cast<char>(c);
          else
            encoded += fmt::format("%{:02X}", c);
        }
        req.body += fmt::format("{}{}={}", req.body.empty() ? "" : "&", k, encoded);
      }
      if (!has_type) req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    } else if (!step.body.empty()) {
      auto e = expand_template(step.body, vars, env_, run_id_);
      if (!e)
        body_error = e.error();
      else
        req.body = *e;
    }
    if (body_error) return fail(*body_error);
    return req;
  };
  // Sends one try of `step`; its checks go to `pending`, and `why` says why it failed.
  const auto attempt = [&](const Step& step, const std::string& subject, const net::HttpRequest& req,
                           const std::string& url, std::vector<Pending>& pending, std::string& why) -> bool {
    auto res = client_.send(req);
    if (!res) {
      pending.push_back({"smoke-step", Status::fail, res.error().message, subject});
      why = res.error().message;
      return false;
    }
    const double ms = static_cast<double>(res->elapsed.count()) / 1000.0;
    const bool status_ok = step.status.empty()
                               ? res->status >= 200 && res->status < 300
                               : std::find(step.status.begin(), step.status.end(), res->status) != step.status.end();
    std::string expected;
    if (step.status.empty()) {
      expected = "2xx";
    } else {
      for (int s : step.status) expected += fmt::format("{}{}", expected.empty() ? "" : " or ", s);
    }
    const std::string line = fmt::format("{} {} -> {} in {:.1f} ms", step.method, url, res->status, ms);
    // The body excerpt is masked whole, then cut: a token the step did not capture is a secret too.
    pending.push_back(
        {"smoke-step", status_ok ? Status::pass : Status::fail,
         status_ok ? line : fmt::format("{}, expected {}: {}", line, expected, redact(res->body).substr(0, 200)),
         subject, ms});
    // Cookies go into the flow's jar.
    for (const auto& h : net::header_values(res->headers, "set-cookie")) {
      auto [name, value] = parse_set_cookie(h);
      if (name.empty()) continue;
      register_secret(value);
      vars.cookies[name] = value;
    }
    bool ok = status_ok;
    for (const Capture& cap : step.captures) {
      auto values = select(cap.query, *res);
      if (!values || values->empty()) {
        ok = false;
        pending.push_back({"smoke-capture", Status::fail,
                           fmt::format("{}: {}", cap.name, values ? "nothing found" : values.error().message),
                           subject});
        continue;
      }
      const json::value& v = values->front();
      if (cap.secret) register_secret(as_text(v));
      vars.captures[cap.name] = v;
    }
    for (const Assertion& written : step.asserts) {
      // Expected values may name captures of this very step: they are resolved after the captures.
      auto a = resolve_assertion(written, vars, env_, run_id_);
      const AssertOutcome o = a ? evaluate_assertion(*a, *res) : AssertOutcome{false, a.error().message};
      ok = ok && o.pass;
      pending.push_back({"smoke-assert", o.pass ? Status::pass : Status::fail, o.message,
                         fmt::format("{}: {}", subject, written.text)});
    }
    if (!ok)
      why = status_ok ? "a capture or assertion failed" : fmt::format("status {}, expected {}", res->status, expected);
    return ok;
  };

  std::size_t passed = 0;
  for (const Step& step : flow.steps) {
    const std::string subject = fmt::format("{} > {}", flow.name, step.name);
    const auto stop = [&](std::string why) -> std::optional<Variables> {
      add("smoke-flow", Status::fail,
          fmt::format("stopped at step {} of {} ({}): {}", passed + 1, flow.steps.size(), step.name, why), flow.name);
      return std::nullopt;
    };
    std::vector<Pending> pending;
    std::string why;
    const int tries_allowed = 1 + std::max(0, step.retry);
    int tries = 0;
    bool ok = false;
    while (true) {
      ++tries;
      pending.clear();
      std::string url;
      auto req = build(step, url);
      if (!req) {
        // A template that does not expand will not expand on the next try either.
        add("smoke-step", Status::fail, req.error().message, subject);
        return stop(req.error().message);
      }
      ok = attempt(step, subject, *req, url, pending, why);
      if (ok || tries >= tries_allowed) break;
      std::this_thread::sleep_for(step.retry_interval);
    }
    const std::string of_tries = tries > 1 ? fmt::format(" (try {} of {})", tries, tries_allowed) : "";
    for (auto& p : pending) {
      if (p.id == "smoke-step") p.message += of_tries;
      Check* c = add(std::move(p.id), p.status, std::move(p.message), std::move(p.subject));
      if (c && p.duration_ms >= 0) c->duration_ms = p.duration_ms;
    }
    if (!ok) return stop(tries > 1 ? fmt::format("{}, after {} tries", why, tries) : why);
    ++passed;
  }
  add("smoke-flow", Status::pass, fmt::format("{} step{} passed", passed, passed == 1 ? "" : "s"), flow.name);
  done_[flow.name] = vars;
  return vars;
}

}  // namespace slipway::verify
