#include "check/render.hpp"
#include "core/output.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace slipway::check {

bool utf8_locale() {
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

std::string render_text(const Report& report, const Style& style, bool unicode) {
  std::vector<std::string> sections;
  std::size_t width = 0;
  for (const Check& c : report.checks()) {
    if (std::find(sections.begin(), sections.end(), c.section) == sections.end()) sections.push_back(c.section);
    width = std::max(width, c.id.size());
  }
  std::string out;
  for (const std::string& section : sections) {
    out += style.paint(Color::bold, section) + "\n";
    for (const Check& c : report.checks()) {
      if (c.section != section) continue;
      std::string mark;
      switch (c.status) {
        case Status::pass: mark = style.paint(Color::green, unicode ? "✓" : "PASS"); break;
        case Status::warn: mark = style.paint(Color::yellow, unicode ? "⚠" : "WARN"); break;
        case Status::fail: mark = style.paint(Color::red, unicode ? "✗" : "FAIL"); break;
      }
      std::string message = c.message;
      // Masked secrets end in "…"; without UTF-8 it becomes "...".
      for (std::size_t pos; !unicode && (pos = message.find("…")) != std::string::npos;) message.replace(pos, 3, "...");
      out += fmt::format("  {} {}  {}\n", mark, style.paint(Color::dim, fmt::format("{:<{}}", c.id, width)), message);
      if (!c.hint.empty() && c.status != Status::pass) {
        const std::size_t indent = 2 + (unicode ? 1 : 4) + 1 + width + 2;  // under the message
        out += fmt::format("{}{}\n", std::string(indent, ' '), style.paint(Color::cyan, "hint: " + c.hint));
      }
    }
  }
  const Summary s = report.summary();
  out += fmt::format("\n{} passed, {} warning{}, {} failed\n", s.pass, s.warn, s.warn == 1 ? "" : "s",
                     s.fail > 0 ? style.paint(Color::red, std::to_string(s.fail)) : std::string("0"));
  return out;
}

std::string render_json(const Report& report) {
  boost::json::array checks;
  for (const Check& c : report.checks()) {
    checks.push_back(boost::json::object{{"id", c.id},
                                         {"section", c.section},
                                         {"status", std::string(to_string(c.status))},
                                         {"message", c.message},
                                         {"hint", c.hint}});
  }
  const Summary s = report.summary();
  boost::json::object root{{"checks", std::move(checks)},
                           {"summary", boost::json::object{{"pass", s.pass}, {"warn", s.warn}, {"fail", s.fail}}}};
  return json_text(root) + "\n";
}

}  // namespace slipway::check
