#include "core/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace slipway {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::array<Unit, 9> kDurationUnits{{
    {"ms", 1},
    {"s", 1000},
    {"sec", 1000},
    {"m", 60'000},
    {"min", 60'000},
    {"h", 3'600'000},
    {"hr", 3'600'000},
    {"d", 86'400'000},
    {"day", 86'400'000},
}};

constexpr std::array<Unit, 12> kSizeUnits{{
    {"b", 1},
    {"kb", 1000},
    {"mb", 1000'000},
    {"gb", 1000'000'000},
    {"tb", 1000'000'000'000},
    {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},
    {"gib", 1ULL << 30},
    {"tib", 1ULL << 40},
    {"k", 1000},
    {"m", 1000'000},
    {"g", 1000'000'000},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads a decimal number (digits, '_' separators, one optional '.') from the front of `s`.
bool read_number(std::string_view& s, double& value) {
  std::string digits;
  std::size_t i = 0;
  bool dot = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == '_' && !digits.empty()) {
      continue;
    } else if (c == '.' && !dot) {
      dot = true;
      digits += c;
    } else {
      break;
    }
  }
  if (digits.empty() || digits == ".") return false;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  s.remove_prefix(i);
  return true;
}

std::string_view read_unit(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  std::size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  std::string_view unit = s.substr(0, i);
  s.remove_prefix(i);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return unit;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return fail(Error::input(fmt::format("invalid duration '{}'", text), {},
                             "write a number and a unit, e.g. 500ms, 5s, 15min, 2h, 1h30m"));
  };
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty()) return bad();
  double total = 0;
  while (!s.empty()) {
    double value = 0;
    if (!read_number(s, value)) return bad();
    const std::string unit = lower(read_unit(s));
    const Unit* found = nullptr;
    for (const Unit& u : kDurationUnits) {
      if (u.name == unit) found = &u;
    }
    if (!found) return bad();
    total += value * static_cast<double>(found->factor);
  }
  if (total > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) return bad();
  return Duration(static_cast<std::int64_t>(total + 0.5));
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  constexpr std::array<std::pair<std::int64_t, std::string_view>, 5> parts{
      {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "min"}, {1000, "s"}, {1, "ms"}}};
  for (auto [factor, unit] : parts) {
    if (ms >= factor) {
      out += fmt::format("{}{}", ms / factor, unit);
      ms %= factor;
    }
  }
  return out;
}

std::string format_seconds(Duration d) {
  return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
}

Result<std::uint64_t> parse_size(std::string_view text) {
  const auto bad = [&] {
    return fail(
        Error::input(fmt::format("invalid size '{}'", text), {}, "write a number and a unit, e.g. 512MB, 1GB, 4GiB"));
  };
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double value = 0;
  if (!read_number(s, value)) return bad();
  const std::string unit = lower(read_unit(s));
  if (!s.empty()) return bad();
  std::uint64_t factor = 1;
  if (!unit.empty()) {
    const Unit* found = nullptr;
    for (const Unit& u : kSizeUnits) {
      if (u.name == unit) found = &u;
    }
    if (!found) return bad();
    factor = found->factor;
  }
  const double bytes = value * static_cast<double>(factor);
  if (bytes > 1.8e19) return bad();
  return static_cast<std::uint64_t>(bytes + 0.5);
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::array<std::string_view, 5> units{"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1000 && u + 1 < units.size()) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_count(std::uint64_t n) {
  if (n < 1000) return fmt::format("{}", n);
  const auto scaled = [](double v, std::string_view unit) {
    std::string s = fmt::format("{:.1f}", v);
    if (s.ends_with(".0")) s.resize(s.size() - 2);
    return s + std::string(unit);
  };
  if (n < 1000'000) return scaled(static_cast<double>(n) / 1e3, "k");
  if (n < 1000'000'000) return scaled(static_cast<double>(n) / 1e6, "M");
  return scaled(static_cast<double>(n) / 1e9, "B");
}

}  // namespace slipway
