#include "core/timezone.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "core/fs.hpp"
#include "core/suggest.hpp"

namespace slipway {
namespace {

using namespace std::chrono;

constexpr std::string_view kDefaultZoneDir = "/usr/share/zoneinfo";
constexpr std::string_view kNameHint =
    R"(use an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC")";

// RFC 8536 bounds a UT offset to -25:59:59..+25:59:59.
constexpr std::int64_t kMaxOffset = 93599;
// Instants are clamped to about +-3000 years before any calendar arithmetic, so no input can
// overflow a chrono::year; a system_clock time_point spans only +-292 years anyway.
constexpr std::int64_t kMaxInstant = 100'000'000'000;

// Big-endian reads from a TZif file, with a bounds check for each block.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  [[nodiscard]] bool has(std::uint64_t n) const { return n <= bytes_.size() - pos_; }
  [[nodiscard]] std::size_t position() const { return pos_; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(bytes_[pos_++]); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return static_cast<std::int64_t>(v);
  }
  std::int64_t i32() { return static_cast<std::int32_t>(u32()); }
  std::string_view take(std::size_t n) {
    auto s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(std::uint64_t n) { pos_ += static_cast<std::size_t>(n); }
  [[nodiscard]] std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;  // 0, '2', '3', '4'
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // The size of the data block that follows, with `time_size`-byte transition times.
  [[nodiscard]] std::uint64_t block_size(int time_size) const {
    return std::uint64_t{timecnt} * (time_size + 1) + std::uint64_t{typecnt} * 6 + charcnt +
           std::uint64_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

Result<Header> read_header(Reader& r) {
  if (!r.has(44)) return fail(Error::input("truncated header"));
  if (r.take(4) != "TZif") return fail(Error::input("not a TZif file (the first bytes are not \"TZif\")"));
  Header h;
  h.version = static_cast<char>(r.u8());
  if (h.version != 0 && (h.version < '2' || h.version > '4')) {
    return fail(Error::input(fmt::format("unknown TZif version byte 0x{:02x}", static_cast<unsigned>(h.version))));
  }
  r.skip(15);
  h.isutcnt = r.u32();
  h.isstdcnt = r.u32();
  h.leapcnt = r.u32();
  h.timecnt = r.u32();
  h.typecnt = r.u32();
  h.charcnt = r.u32();
  if (h.typecnt == 0) return fail(Error::input("no local time types"));
  if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    return fail(Error::input("UT/standard indicator counts differ from the type count"));
  }
  if (h.leapcnt != 0) {
    return fail(Error::input("the zone counts leap seconds (a right/ zone), which Slipway does not support", {},
                             "use the zone without the right/ prefix"));
  }
  return h;
}

// Civil arithmetic on whole seconds since the epoch.
std::int64_t days_to_seconds(sys_days d) {
  return std::int64_t{d.time_since_epoch().count()} * 86400;
}

// A cursor over a POSIX TZ string.
class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}
  [[nodiscard]] bool done() const { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : s_[pos_]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // "CET" (3+ letters) or "<+0530>" (letters, digits, + and -).
  Result<void> name(std::string_view what) {
    std::size_t n = 0;
    if (accept('<')) {
      while (!done() && peek() != '>') {
        const char c = peek();
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-') {
          return fail(Error::input(fmt::format("bad character '{}' in the {} name", c, what)));
        }
        ++pos_;
        ++n;
      }
      if (!accept('>')) return fail(Error::input(fmt::format("the {} name has no closing '>'", what)));
    } else {
      while (std::isalpha(static_cast<unsigned char>(peek()))) {
        ++pos_;
        ++n;
      }
    }
    if (n < 3) return fail(Error::input(fmt::format("the {} name is shorter than 3 characters", what)));
    return {};
  }

  // [+-]hh[:mm[:ss]] in seconds, hours at most `max_hours`.
  Result<std::int64_t> hms(std::string_view what, int max_hours) {
    std::int64_t sign = 1;
    if (accept('-')) {
      sign = -1;
    } else {
      accept('+');
    }
    auto number = [&](int max_digits) -> std::optional<std::int64_t> {
      std::int64_t v = 0;
      int digits = 0;
      while (digits < max_digits && std::isdigit(static_cast<unsigned char>(peek()))) {
        v = v * 10 + (s_[pos_++] - '0');
        ++digits;
      }
      if (digits == 0) return std::nullopt;
      return v;
    };
    const auto h = number(3);
    if (!h || *h > max_hours) return fail(Error::input(fmt::format("bad hours in the {}", what)));
    std::int64_t total = *h * 3600;
    if (accept(':')) {
      const auto m = number(2);
      if (!m || *m > 59) return fail(Error::input(fmt::format("bad minutes in the {}", what)));
      total += *m * 60;
      if (accept(':')) {
        const auto sec = number(2);
        if (!sec || *sec > 59) return fail(Error::input(fmt::format("bad seconds in the {}", what)));
        total += *sec;
      }
    }
    return sign * total;
  }

  std::optional<int> integer(int min, int max) {
    int v = 0;
    int digits = 0;
    while (digits < 3 && std::isdigit(static_cast<unsigned char>(peek()))) {
      v = v * 10 + (s_[pos_++] - '0');
      ++digits;
    }
    if (digits == 0 || v < min || v > max) return std::nullopt;
    return v;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// The zone names under `dir` (files that start with "TZif"), for "did you mean".
std::vector<std::string> zone_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto rel = it->path().lexically_relative(dir).string();
    if (it->is_directory(ec)) {
      if (rel == "posix" || rel == "right") it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, 4) && std::string_view(magic, 4) == "TZif") names.push_back(rel);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '+' && c != '.') return false;
    }
    start = slash + 1;
  }
  return true;
}

}  // namespace

TimeZone TimeZone::utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

Result<TimeZone::PosixRule> TimeZone::parse_posix(std::string_view tz) {
  PosixParser p(tz);
  PosixRule rule;
  if (auto ok = p.name("standard time"); !ok) return fail(ok.error());
  auto std_offset = p.hms("standard offset", 24);
  if (!std_offset) return fail(std_offset.error());
  rule.std_offset = static_cast<std::int32_t>(-*std_offset);  // POSIX counts west of Greenwich
  if (p.done()) return rule;

  if (auto ok = p.name("daylight time"); !ok) return fail(ok.error());
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (p.peek() != ',') {
    auto dst_offset = p.hms("daylight offset", 24);
    if (!dst_offset) return fail(dst_offset.error());
    rule.dst_offset = static_cast<std::int32_t>(-*dst_offset);
  }
  if (!p.accept(',')) return fail(Error::input("a daylight time without the rule that says when it applies"));
  for (RuleDate* date : {&rule.start, &rule.end}) {
    if (p.accept('J')) {
      date->kind = RuleDate::Kind::julian;
      auto d = p.integer(1, 365);
      if (!d) return fail(Error::input("a Jn day outside 1..365"));
      date->day = *d;
    } else if (p.accept('M')) {
      date->kind = RuleDate::Kind::month_week_day;
      auto m = p.integer(1, 12);
      if (!m || !p.accept('.')) return fail(Error::input("a month outside 1..12 in Mm.w.d"));
      auto w = p.integer(1, 5);
      if (!w || !p.accept('.')) return fail(Error::input("a week outside 1..5 in Mm.w.d"));
      auto d = p.integer(0, 6);
      if (!d) return fail(Error::input("a weekday outside 0..6 in Mm.w.d"));
      date->month = *m;
      date->week = *w;
      date->weekday = *d;
    } else {
      date->kind = RuleDate::Kind::zero_based;
      auto d = p.integer(0, 365);
      if (!d) return fail(Error::input("a rule date that is not Jn, n or Mm.w.d"));
      date->day = *d;
    }
    date->time = 7200;
    if (p.accept('/')) {
      auto t = p.hms("rule time", 167);
      if (!t) return fail(t.error());
      date->time = static_cast<int>(*t);
    }
    if (date == &rule.start && !p.accept(',')) return fail(Error::input("the rule has a start but no end"));
  }
  if (!p.done()) return fail(Error::input("unexpected text after the rule"));
  if (std::abs(rule.std_offset) > kMaxOffset || std::abs(rule.dst_offset) > kMaxOffset) {
    return fail(Error::input("an offset beyond 25:59:59"));
  }
  return rule;
}

Result<TimeZone> TimeZone::from_posix(std::string_view name, std::string_view tz) {
  auto rule = parse_posix(tz);
  if (!rule) return fail(Error::input(fmt::format("bad TZ string \"{}\": {}", tz, rule.error().message)));
  TimeZone z;
  z.name_ = std::string(name);
  z.initial_offset_ = rule->std_offset;
  z.rule_ = *rule;
  return z;
}

Result<TimeZone> TimeZone::from_tzif(std::string_view name, std::string_view bytes) {
  Reader r(bytes);
  auto header = read_header(r);
  if (!header) return fail(header.error());
  int time_size = 4;
  if (header->version != 0) {
    // Skip the 32-bit data; the 64-bit header and data follow it.
    if (!r.has(header->block_size(4))) return fail(Error::input("truncated version 1 data block"));
    r.skip(header->block_size(4));
    header = read_header(r);
    if (!header) return fail(header.error());
    time_size = 8;
  }
  const Header& h = *header;
  if (!r.has(h.block_size(time_size))) return fail(Error::input("truncated data block"));

  TimeZone z;
  z.name_ = std::string(name);
  z.transitions_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::int64_t t = time_size == 8 ? r.i64() : r.i32();
    if (!z.transitions_.empty() && t <= z.transitions_.back()) {
      return fail(Error::input("transition times are not in ascending order"));
    }
    z.transitions_.push_back(t);
  }
  std::vector<std::uint8_t> type_of(h.timecnt);
  for (auto& t : type_of) {
    t = r.u8();
    if (t >= h.typecnt) return fail(Error::input("a transition names a local time type that does not exist"));
  }
  std::vector<std::int32_t> offsets(h.typecnt);
  for (auto& off : offsets) {
    const std::int64_t utoff = r.i32();
    const std::uint8_t isdst = r.u8();
    const std::uint8_t desigidx = r.u8();
    if (utoff < -kMaxOffset || utoff > kMaxOffset) return fail(Error::input("a UT offset beyond 25:59:59"));
    if (isdst > 1 || (h.charcnt != 0 && desigidx >= h.charcnt))
      return fail(Error::input("a malformed local time type"));
    off = static_cast<std::int32_t>(utoff);
  }
  r.skip(std::uint64_t{h.charcnt} + h.isstdcnt + h.isutcnt);  // designations and indicators: unused
  z.initial_offset_ = offsets[0];
  z.offset_after_.reserve(h.timecnt);
  for (auto t : type_of) z.offset_after_.push_back(offsets[t]);

  if (time_size == 8) {
    // The footer: "\n" TZ-string "\n"; an empty string means no rule after the last transition.
    const std::string_view rest = r.rest();
    if (rest.empty() || rest.front() != '\n') return fail(Error::input("missing footer"));
    const std::size_t close = rest.find('\n', 1);
    if (close == std::string_view::npos) return fail(Error::input("unterminated footer"));
    const std::string_view tz = rest.substr(1, close - 1);
    if (!tz.empty()) {
      auto rule = parse_posix(tz);
      if (!rule) {
        return fail(Error::input(fmt::format("bad TZ string \"{}\" in the footer: {}", tz, rule.error().message)));
      }
      z.rule_ = *rule;
    }
  }
  return z;
}

Result<TimeZone> TimeZone::load(std::string_view name) {
  const char* env = std::getenv("TZDIR");
  const std::filesystem::path dir =
      env != nullptr && *env != '\0' ? std::filesystem::path(env) : std::filesystem::path(kDefaultZoneDir);
  return load(name, dir);
}

Result<TimeZone> TimeZone::load(std::string_view name, const std::filesystem::path& dir) {
  if (name == "UTC") return utc();
  if (!valid_zone_name(name)) {
    return fail(Error::input(fmt::format("\"{}\" is not a time zone name", name), {}, std::string(kNameHint)));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(Error::environment(fmt::format("no time zone database at {}", dir.string()), {},
                                   "install the tzdata package (scripts/setup.sh does), or set TZDIR"));
  }
  const auto path = dir / std::string(name);
  if (!std::filesystem::is_regular_file(path, ec)) {
    const auto known = zone_names(dir);
    const std::vector<std::string_view> candidates(known.begin(), known.end());
    return fail(Error::input(fmt::format("unknown time zone \"{}\"{}", name, did_you_mean(name, candidates)), {},
                             std::string(kNameHint)));
  }
  auto text = read_text_file(path, kMaxConfigFileBytes);
  if (!text) {
    return fail(
        Error::environment(fmt::format("cannot read the time zone file: {}", text.error().message), path.string()));
  }
  auto zone = from_tzif(name, *text);
  if (!zone) {
    return fail(Error::environment(fmt::format("corrupt time zone file: {}", zone.error().message), path.string(),
                                   "reinstall the tzdata package"));
  }
  return zone;
}

sys_days TimeZone::rule_day(const RuleDate& d, int year_value) {
  const year y{year_value};
  switch (d.kind) {
    case RuleDate::Kind::julian: {  // Jn: 1..365, February 29 is never counted
      const int index = d.day - 1 + (y.is_leap() && d.day >= 60 ? 1 : 0);
      return sys_days{y / January / 1} + days{index};
    }
    case RuleDate::Kind::zero_based:  // n: 0..365, February 29 counted
      return sys_days{y / January / 1} + days{d.day};
    case RuleDate::Kind::month_week_day:  // the w-th (5 = last) weekday d (0 = Sunday) of month m
      break;
  }
  const weekday wd{static_cast<unsigned>(d.weekday)};
  const month m{static_cast<unsigned>(d.month)};
  if (d.week == 5) return sys_days{y / m / wd[last]};
  return sys_days{y / m / wd[static_cast<unsigned>(d.week)]};
}

std::int64_t TimeZone::rule_offset(const PosixRule& rule, std::int64_t t) {
  if (!rule.has_dst) return rule.std_offset;
  // The transitions of the years around t's year; the last one at or before t decides. Rule
  // times reach 167 hours past a date, so a year's changes can fall into the next year: two
  // years back always hold one change before t.
  const std::int64_t local = std::clamp<std::int64_t>(t, -kMaxInstant, kMaxInstant) + rule.std_offset;
  const int y = static_cast<int>(year_month_day{floor<days>(sys_seconds{seconds{local}})}.year());
  struct Change {
    std::int64_t at;
    bool dst;
  };
  std::array<Change, 8> changes{};
  std::size_t n = 0;
  for (int year_value = y - 2; year_value <= y + 1; ++year_value) {
    for (const RuleDate* d : {&rule.start, &rule.end}) {
      const bool starts = d == &rule.start;
      const sys_days day = rule_day(*d, year_value);
      changes[n++] = {days_to_seconds(day) + d->time - (starts ? rule.std_offset : rule.dst_offset), starts};
    }
  }
  // Stable: at equal instants the later year's change wins (DST all year: "J1/0,J365/25").
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.at < b.at; });
  bool dst = false;
  for (const auto& c : changes) {
    if (c.at > t) break;
    dst = c.dst;
  }
  return dst ? rule.dst_offset : rule.std_offset;
}

seconds TimeZone::utc_offset(sys_seconds t) const {
  const std::int64_t s = t.time_since_epoch().count();
  if (transitions_.empty() || s >= transitions_.back()) {
    if (rule_) return seconds{rule_offset(*rule_, s)};
    return seconds{transitions_.empty() ? initial_offset_ : offset_after_.back()};
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (it == transitions_.begin()) return seconds{initial_offset_};
  return seconds{offset_after_[static_cast<std::size_t>(it - transitions_.begin()) - 1]};
}

}  // namespace slipway
