#include "check/report.hpp"

#include <algorithm>
#include <cctype>

namespace slipway::check {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pass: return "pass";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
  }
  return "fail";
}

Summary Report::summary() const {
  Summary s;
  for (const Check& c : checks_) {
    (c.status == Status::pass ? s.pass : c.status == Status::warn ? s.warn : s.fail) += 1;
  }
  return s;
}

const Check* Report::find(std::string_view id) const {
  auto it = std::find_if(checks_.begin(), checks_.end(), [&](const Check& c) { return c.id == id; });
  return it == checks_.end() ? nullptr : &*it;
}

void Report::skip(const std::vector<std::string>& ids) {
  std::erase_if(checks_, [&](const Check& c) { return std::find(ids.begin(), ids.end(), c.id) != ids.end(); });
}

std::string kebab(std::string_view name) {
  std::string out;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(ch == '_' || ch == '.' || ch == ' ' ? '-' : static_cast<char>(std::tolower(c)));
  }
  return out;
}

Status severity(std::string_view configured) {
  return configured == "warn" ? Status::warn : Status::fail;
}

}  // namespace slipway::check
