#include "core/time.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway {
namespace {

using namespace std::chrono;

// Reads exactly `n` digits from `s` at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, std::string_view chars) {
  if (pos >= s.size() || chars.find(s[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(SystemTime t, bool milliseconds) {
  const auto ms = floor<std::chrono::milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss hms{ms - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  if (milliseconds) out += fmt::format(".{:03}", hms.subseconds().count());
  out += 'Z';
  return out;
}

std::string format_age(SystemTime from, SystemTime to, AgeStyle style) {
  const auto span = floor<seconds>(to - from);
  if (style == AgeStyle::exact) return format_duration(duration_cast<Duration>(span));
  const std::int64_t s = std::max<std::int64_t>(span.count(), 0);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}min", s / 60);
  if (s < 86400 * 2) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

std::int64_t to_unix_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SystemTime from_unix_ms(std::int64_t ms) {
  return SystemTime(std::chrono::milliseconds(ms));
}

std::string now_rfc3339(bool milliseconds) {
  return format_rfc3339(system_clock::now(), milliseconds);
}

Result<SystemTime> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return fail(Error::input(fmt::format("\"{}\" is not an RFC 3339 time", text), {},
                             "write it as 2026-03-12T10:15:00Z (UTC) or with an offset, 2026-03-12T11:15:00+01:00"));
  };
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(text, pos, 4, y) || !expect(text, pos, "-") || !digits(text, pos, 2, mo) || !expect(text, pos, "-") ||
      !digits(text, pos, 2, d) || !expect(text, pos, "Tt ") || !digits(text, pos, 2, h) || !expect(text, pos, ":") ||
      !digits(text, pos, 2, mi) || !expect(text, pos, ":") || !digits(text, pos, 2, s)) {
    return bad();
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t ns = 0;
    std::size_t n = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (n == 9) return bad();
      ns = ns * 10 + (text[pos++] - '0');
      ++n;
    }
    if (n == 0) return bad();
    for (; n < 9; ++n) ns *= 10;
    fraction = nanoseconds{ns};
  }
  seconds offset{0};
  if (expect(text, pos, "Zz")) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(text, pos, 2, oh) || !expect(text, pos, ":") || !digits(text, pos, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = sign * (hours{oh} + minutes{om});
  } else {
    return bad();
  }
  if (pos != text.size()) return bad();
  const auto local = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return time_point_cast<system_clock::duration>(local - offset + fraction);
}

}  // namespace slipway
