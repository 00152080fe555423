#include "verify/report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "core/redact.hpp"

namespace slipway::verify {
namespace {

// Parts in the order they run, then any other.
std::vector<std::string> parts_in_order(const std::vector<Check>& checks) {
  std::vector<std::string> parts;
  for (const auto& c : checks) {
    if (std::find(parts.begin(), parts.end(), c.part) == parts.end()) parts.push_back(c.part);
  }
  return parts;
}

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pass: return "pass";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
  }
  return "fail";
}

Check& Report::add(std::string id, std::string part, Status status, std::string message, std::string subject) {
  checks_.push_back({std::move(id), std::move(part), status, std::move(message), std::move(subject)});
  return checks_.back();
}

std::size_t Report::count(Status s) const {
  return static_cast<std::size_t>(
      std::count_if(checks_.begin(), checks_.end(), [s](const Check& c) { return c.status == s; }));
}

void Report::add_note(std::string part, std::string text) {
  notes_.emplace_back(std::move(part), std::move(text));
}

std::string Report::render(Format format, const Style& style) const {
  std::string out;
  switch (format) {
    case Format::json: out = render_json(); break;
    case Format::junit: out = render_junit(); break;
    case Format::markdown: out = render_markdown(); break;
    default: out = render_text(style); break;
  }
  return redact(out);
}

std::string Report::render_text(const Style& style) const {
  std::string out;
  std::vector<std::string> parts = parts_in_order(checks_);
  for (const auto& [part, _] : notes_) {
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(part);
  }
  for (const auto& part : parts) {
    out += style.paint(Color::bold, part) + "\n";
    for (const auto& [p, text] : notes_) {
      if (p == part) out += text + (text.ends_with('\n') ? "" : "\n");
    }
    for (const auto& c : checks_) {
      if (c.part != part) continue;
      const std::string tag = c.status == Status::pass   ? style.paint(Color::green, "pass")
                              : c.status == Status::warn ? style.paint(Color::yellow, "warn")
                              : c.status == Status::skip ? style.paint(Color::dim, "skip")
                                                         : style.paint(Color::red, "FAIL");
      out += fmt::format("  {}  {}{}  {}\n", tag, style.paint(Color::dim, c.id),
                         c.subject.empty() ? "" : fmt::format(" [{}]", c.subject), c.message);
    }
  }
  const auto pass = count(Status::pass), warn = count(Status::warn), fail = count(Status::fail),
             skip = count(Status::skip);
  const std::string verdict = fail ? style.paint(Color::red, "FAILED") : style.paint(Color::green, "ok");
  out += fmt::format("\nverify: {}: {} passed, {} warning{}, {} failed{}\n", verdict, pass, warn, warn == 1 ? "" : "s",
                     fail, skip ? fmt::format(", {} skipped", skip) : "");
  return out;
}

std::string Report::render_json() const {
  boost::json::object root;
  boost::json::array checks;
  for (const auto& c : checks_) {
    boost::json::object o;
    o["id"] = c.id;
    o["part"] = c.part;
    o["status"] = to_string(c.status);
    o["message"] = c.message;
    if (!c.subject.empty()) o["subject"] = c.subject;
    if (c.duration_ms >= 0) o["duration_ms"] = c.duration_ms;
    checks.push_back(std::move(o));
  }
  root["checks"] = std::move(checks);
  for (const auto& [k, v] : extra_) root[k] = v;
  boost::json::object summary;
  summary["pass"] = count(Status::pass);
  summary["warn"] = count(Status::warn);
  summary["fail"] = count(Status::fail);
  summary["skip"] = count(Status::skip);
  summary["total"] = checks_.size();
  summary["status"] = failed() ? "fail" : (count(Status::warn) ? "warn" : "pass");
  root["summary"] = std::move(summary);
  return json_text(root) + "\n";
}

std::string Report::render_junit() const {
  std::string body;
  for (const auto& part : parts_in_order(checks_)) {
    std::size_t tests = 0, failures = 0, skipped = 0;
    double seconds = 0;
    std::string cases;
    for (const auto& c : checks_) {
      if (c.part != part) continue;
      ++tests;
      if (c.duration_ms > 0) seconds += c.duration_ms / 1000;
      const std::string name = c.subject.empty() ? c.id : fmt::format("{}: {}", c.id, c.subject);
      cases += fmt::format("    <testcase classname=\"slipway.verify.{}\" name=\"{}\" time=\"{:.3f}\"",
                           xml_escape(part), xml_escape(name), c.duration_ms > 0 ? c.duration_ms / 1000 : 0.0);
      if (c.status == Status::fail) {
        ++failures;
        cases += fmt::format(">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>\n", xml_escape(c.message),
                             xml_escape(c.id));
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
        "  <testsuite name=\"slipway verify {}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
        "time=\"{:.3f}\">\n{}  </testsuite>\n",
        xml_escape(part), tests, failures, skipped, seconds, cases);
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"slipway verify\" tests=\"{}\" "
      "failures=\"{}\">\n{}</testsuites>\n",
      checks_.size(), count(Status::fail), body);
}

std::string Report::render_markdown() const {
  std::string out = fmt::format("### slipway verify: {}\n\n", failed() ? "failed" : "ok");
  for (const auto& [part, text] : notes_) out += fmt::format("**{}**\n\n```\n{}\n```\n\n", part, text);
  out += "| status | part | check | subject | message |\n|---|---|---|---|---|\n";
  for (const auto& c : checks_) {
    const char* icon = c.status == Status::pass   ? "✅ pass"
                       : c.status == Status::warn ? "⚠️ warn"
                       : c.status == Status::skip ? "⏭️ skip"
                                                  : "❌ fail";
    out += fmt::format("| {} | {} | `{}` | {} | {} |\n", icon, c.part, c.id, markdown_cell(c.subject),
                       markdown_cell(c.message));
  }
  const auto skip = count(Status::skip);
  out += fmt::format("\n{} passed, {} warnings, {} failed{}\n", count(Status::pass), count(Status::warn),
                     count(Status::fail), skip ? fmt::format(", {} skipped", skip) : "");
  return out;
}

}  // namespace slipway::verify
