// Time zones of the IANA tz database, read from the system's zone files.
//
// libstdc++ 12 has the C++20 calendar (year_month_day, weekdays) but not std::chrono::tzdb, and
// localtime_r under a changed TZ is process-global state. So Slipway reads the zone file itself:
// $TZDIR/<name>, else /usr/share/zoneinfo/<name> (Debian's tzdata package), in the TZif format of
// RFC 8536. A file holds the zone's transitions (instant -> UTC offset) up to some year, and a
// POSIX TZ string for the instants after the last one, for example Europe/Berlin's
// "CET-1CEST,M3.5.0,M10.5.0/3": standard time CET at UTC+1, summer time CEST at UTC+2 from the
// last Sunday (5th week, day 0) of March at 02:00 local to the last Sunday of October at 03:00.
//
//   Europe/Berlin, 2026-03-29T00:59:59Z -> +01:00; 2026-03-29T01:00:00Z -> +02:00
//   so the local day 2026-03-29 lasts 23 hours, and 2026-10-25 lasts 25.
//
// Leap-second zones (right/...) are refused: system_clock counts no leap seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway {

class TimeZone {
 public:
  // Coordinated Universal Time; needs no zone file.
  static TimeZone utc();
  // The zone named `name` ("Europe/Berlin"; "UTC" needs no file) from $TZDIR or
  // /usr/share/zoneinfo. Fails with bad input for a malformed or unknown name (with a "did you
  // mean"), with an environment error when the tz database is missing or the file is corrupt.
  static Result<TimeZone> load(std::string_view name);
  // The same, from the zone files under `dir`.
  static Result<TimeZone> load(std::string_view name, const std::filesystem::path& dir);
  // Parses the bytes of a TZif file (versions 1 to 4). Fails with bad input naming the defect.
  static Result<TimeZone> from_tzif(std::string_view name, std::string_view bytes);
  // Parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3" (with RFC 8536's extensions:
  // hours -167..167 in rule times). Fails with bad input naming the defect.
  static Result<TimeZone> from_posix(std::string_view name, std::string_view tz);

  [[nodiscard]] const std::string& name() const { return name_; }
  // The offset from UTC (east positive) in effect at `t`.
  [[nodiscard]] std::chrono::seconds utc_offset(std::chrono::sys_seconds t) const;
  // The wall-clock time in this zone at `t`.
  [[nodiscard]] std::chrono::local_seconds to_local(std::chrono::sys_seconds t) const {
    return std::chrono::local_seconds{t.time_since_epoch() + utc_offset(t)};
  }

 private:
  // A date of a POSIX rule: "Jn" (1..365, Feb 29 never counted), "n" (0..365), "Mm.w.d".
  struct RuleDate {
    enum class Kind { julian, zero_based, month_week_day } kind = Kind::julian;
    int day = 1;  // Jn and n
    int month = 1, week = 1, weekday = 0;
    int time = 7200;  // seconds after local midnight, may be negative or beyond a day
  };
  struct PosixRule {
    std::int32_t std_offset = 0;  // seconds east of UTC
    bool has_dst = false;
    std::int32_t dst_offset = 0;
    RuleDate start, end;  // start is in standard time, end in daylight time
  };

  static std::chrono::sys_days rule_day(const RuleDate& d, int year);
  static std::int64_t rule_offset(const PosixRule& rule, std::int64_t t);
  static Result<PosixRule> parse_posix(std::string_view tz);

  std::string name_;
  std::vector<std::int64_t> transitions_;   // seconds since the epoch, strictly ascending
  std::vector<std::int32_t> offset_after_;  // the offset from transitions_[i] on
  std::int32_t initial_offset_ = 0;         // before the first transition (time type 0)
  std::optional<PosixRule> rule_;           // after the last transition (the footer)
};

}  // namespace slipway
