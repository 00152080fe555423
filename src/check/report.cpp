#include "check/report.hpp"

#include <cctype>

namespace slipway::check {

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
