#include "core/report.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/redact.hpp"

namespace slipway::report {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 4> kStatuses{"pass", "warn", "fail", "skip"};

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "3 passed, 1 warning, 0 failed[, 2 skipped]"
std::string counts(const Summary& s) {
  return fmt::format("{} passed, {}, {} failed{}", s.pass, plural(static_cast<std::size_t>(s.warn), "warning"), s.fail,
                     s.skip ? fmt::format(", {} skipped", s.skip) : "");
}

const json::value* member(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

Result<std::string> text_member(const json::object& o, std::string_view key, bool required) {
  const json::value* v = member(o, key);
  if (!v) {
    if (required) return fail(Error::input(fmt::format("a report's check has no \"{}\"", key)));
    return std::string();
  }
  if (!v->is_string())
    return fail(Error::input(fmt::format("a report's check has a \"{}\" that is not a string", key)));
  return std::string(v->as_string());
}

}  // namespace

std::string_view to_string(Status s) {
  return kStatuses[static_cast<std::size_t>(s)];
}

std::string_view Summary::status() const {
  return fail ? "fail" : warn ? "warn" : "pass";
}

Check& Report::add(std::string id, std::string group, Status status, std::string message) {
  Check c;
  c.id = std::move(id);
  c.group = std::move(group);
  c.status = status;
  c.message = std::move(message);
  checks_.push_back(std::move(c));
  return checks_.back();
}

Summary Report::summary() const {
  Summary s;
  for (const Check& c : checks_) {
    switch (c.status) {
      case Status::pass: ++s.pass; break;
      case Status::warn: ++s.warn; break;
      case Status::fail: ++s.fail; break;
      case Status::skip: ++s.skip; break;
    }
  }
  return s;
}

std::size_t Report::count(Status s) const {
  return static_cast<std::size_t>(
      std::count_if(checks_.begin(), checks_.end(), [s](const Check& c) { return c.status == s; }));
}

const Check* Report::find(std::string_view id) const {
  auto it = std::find_if(checks_.begin(), checks_.end(), [&](const Check& c) { return c.id == id; });
  return it == checks_.end() ? nullptr : &*it;
}

const Check* Report::first_failure() const {
  auto it = std::find_if(checks_.begin(), checks_.end(), [](const Check& c) { return c.status == Status::fail; });
  return it == checks_.end() ? nullptr : &*it;
}

void Report::drop(const std::vector<std::string>& ids) {
  std::erase_if(checks_, [&](const Check& c) { return std::find(ids.begin(), ids.end(), c.id) != ids.end(); });
}

void Report::add_note(std::string group, std::string text) {
  notes_.emplace_back(std::move(group), std::move(text));
}

bool Report::utf8_locale() {
  const char* value = nullptr;
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    if (const char* v = std::getenv(name); v && *v) {
      value = v;
      break;
    }
  }
  if (!value) return false;
  std::string l(value);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return l.find("utf-8") != std::string::npos || l.find("utf8") != std::string::npos;
}

// Groups in the order their checks (then their notes) first appear.
std::vector<std::string> Report::groups() const {
  std::vector<std::string> out;
  const auto see = [&](const std::string& g) {
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  };
  for (const auto& c : checks_) see(c.group);
  for (const auto& [group, _] : notes_) see(group);
  return out;
}

std::string Report::render(Format format, const Style& style, bool unicode) const {
  switch (format) {
    case Format::json: return redact(json_text(to_json()) + "\n");
    case Format::junit: return redact(render_junit());
    case Format::markdown: return redact(render_markdown());
    default: return redact(render_text(style, unicode));
  }
}

std::string Report::render_text(const Style& style, bool unicode) const {
  std::size_t width = 0;
  for (const Check& c : checks_) width = std::max(width, c.id.size());
  const auto mark = [&](Status s) {
    switch (s) {
      case Status::pass: return style.paint(Color::green, unicode ? "✓" : "PASS");
      case Status::warn: return style.paint(Color::yellow, unicode ? "⚠" : "WARN");
      case Status::fail: return style.paint(Color::red, unicode ? "✗" : "FAIL");
      case Status::skip: break;
    }
    return style.paint(Color::dim, unicode ? "–" : "SKIP");
  };
  std::string out;
  for (const std::string& group : groups()) {
    out += style.paint(Color::bold, group) + "\n";
    for (const auto& [g, text] : notes_) {
      if (g == group) out += text + (text.ends_with('\n') ? "" : "\n");
    }
    for (const Check& c : checks_) {
      if (c.group != group) continue;
      std::string message = c.message;
      // Masked secrets end in "…"; without UTF-8 it becomes "...".
      for (std::size_t pos; !unicode && (pos = message.find("…")) != std::string::npos;) message.replace(pos, 3, "...");
      // Ids line up; one with a subject is followed by it instead: "smoke-step [login > GET /]".
      const std::string id = c.subject.empty() ? fmt::format("{:<{}}", c.id, width) : c.id;
      out += fmt::format("  {} {}{}  {}\n", mark(c.status), style.paint(Color::dim, id),
                         c.subject.empty() ? "" : " [" + c.subject + "]", message);
      if (!c.hint.empty() && c.status != Status::pass) {
        const std::size_t indent = 2 + (unicode ? 1 : 4) + 1 + width + 2;  // under the message
        out += fmt::format("{}{}\n", std::string(indent, ' '), style.paint(Color::cyan, "hint: " + c.hint));
      }
    }
  }
  const Summary s = summary();
  const std::string verdict = s.fail ? style.paint(Color::red, "FAILED") : style.paint(Color::green, "ok");
  out += fmt::format("\n{}: {}: {}\n", title_, verdict, counts(s));
  return out;
}

json::object Report::to_json() const {
  json::array checks;
  for (const Check& c : checks_) {
    json::object o{
        {"id", c.id}, {group_key_, c.group}, {"status", to_string(c.status)}, {"message", c.message}, {"hint", c.hint}};
    if (!c.subject.empty()) o["subject"] = c.subject;
    if (c.duration_ms >= 0) o["duration_ms"] = c.duration_ms;
    checks.push_back(std::move(o));
  }
  json::object root{{"checks", std::move(checks)}};
  for (const auto& [k, v] : extra_) root[k] = v;
  const Summary s = summary();
  root["summary"] = json::object{{"pass", s.pass}, {"warn", s.warn},     {"fail", s.fail},
                                 {"skip", s.skip}, {"total", s.total()}, {"status", s.status()}};
  return root;
}

Result<Report> Report::from_json(const json::value& v, std::string title, std::string group_key) {
  Report r(std::move(title), std::move(group_key));
  const json::object* root = v.if_object();
  const json::value* checks = root ? member(*root, "checks") : nullptr;
  if (!checks || !checks->is_array()) return fail(Error::input("not a report: no \"checks\" array"));
  for (const json::value& item : checks->as_array()) {
    const json::object* o = item.if_object();
    if (!o) return fail(Error::input("a report's check is not an object"));
    Check c;
    auto id = text_member(*o, "id", true);
    auto group = text_member(*o, r.group_key_, true);
    auto status = text_member(*o, "status", true);
    auto message = text_member(*o, "message", true);
    auto hint = text_member(*o, "hint", false);
    auto subject = text_member(*o, "subject", false);
    for (auto* field : {&id, &group, &status, &message, &hint, &subject})
      if (!*field) return fail(field->error());
    const auto known = std::find(kStatuses.begin(), kStatuses.end(), *status);
    if (known == kStatuses.end()) return fail(Error::input(fmt::format("a report's check has status \"{}\"", *status)));
    c.id = std::move(*id);
    c.group = std::move(*group);
    c.status = static_cast<Status>(known - kStatuses.begin());
    c.message = std::move(*message);
    c.hint = std::move(*hint);
    c.subject = std::move(*subject);
    if (const json::value* d = member(*o, "duration_ms"); d && d->is_number()) c.duration_ms = d->to_number<double>();
    r.checks_.push_back(std::move(c));
  }
  for (const auto& [k, value] : *root)
    if (k != "checks" && k != "summary") r.extra_[k] = value;
  return r;
}

std::string Report::render_junit() const {
  std::string body;
  for (const auto& group : groups()) {
    std::size_t tests = 0, failures = 0, skipped = 0;
    double seconds = 0;
    std::string cases;
    for (const auto& c : checks_) {
      if (c.group != group) continue;
      ++tests;
      if (c.duration_ms > 0) seconds += c.duration_ms / 1000;
      const std::string name = c.subject.empty() ? c.id : fmt::format("{}: {}", c.id, c.subject);
      cases += fmt::format("    <testcase classname=\"slipway.{}.{}\" name=\"{}\" time=\"{:.3f}\"", xml_escape(title_),
                           xml_escape(group), xml_escape(name), c.duration_ms > 0 ? c.duration_ms / 1000 : 0.0);
      if (c.status == Status::fail) {
        ++failures;
        cases += c.hint.empty()
                     ? fmt::format(">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>\n",
                                   xml_escape(c.message), xml_escape(c.id))
                     : fmt::format(">\n      <failure message=\"{}\" type=\"{}\">hint: {}</failure>\n    </testcase>\n",
                                   xml_escape(c.message), xml_escape(c.id), xml_escape(c.hint));
      } else if (c.status == Status::skip) {
        ++skipped;
        cases += fmt::format(">\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml_escape(c.message));
      } else if (c.status == Status::warn) {
        cases += fmt::format(">\n      <system-out>warning: {}</system-out>\n    </testcase>\n", xml_escape(c.message));
      } else {
        cases += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(c.message));
      }
    }
    body += fmt::format(
        "  <testsuite name=\"slipway {} {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
        "time=\"{:.3f}\">\n{}  </testsuite>\n",
        xml_escape(title_), xml_escape(group), tests, failures, skipped, seconds, cases);
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"slipway {}\" tests=\"{}\" "
      "failures=\"{}\">\n{}</testsuites>\n",
      xml_escape(title_), checks_.size(), count(Status::fail), body);
}

std::string Report::render_markdown() const {
  std::string out = fmt::format("### slipway {}: {}\n\n", title_, failed() ? "failed" : "ok");
  for (const auto& [group, text] : notes_) out += fmt::format("**{}**\n\n```\n{}\n```\n\n", group, text);
  out += fmt::format("| status | {} | check | subject | message |\n|---|---|---|---|---|\n", group_key_);
  for (const auto& c : checks_) {
    const char* icon = c.status == Status::pass   ? "✅ pass"
                       : c.status == Status::warn ? "⚠️ warn"
                       : c.status == Status::skip ? "⏭️ skip"
                                                  : "❌ fail";
    std::string message = markdown_cell(c.message);
    if (!c.hint.empty() && c.status != Status::pass) message += " (hint: " + markdown_cell(c.hint) + ")";
    out += fmt::format("| {} | {} | `{}` | {} | {} |\n", icon, c.group, c.id, markdown_cell(c.subject), message);
  }
  out += fmt::format("\n{}\n", counts(summary()));
  return out;
}

}  // namespace slipway::report
