// Time zones of the IANA tz database, through Howard Hinnant's date library (libstdc++ 12 has the
// C++20 calendar but not std::chrono::tzdb). Debian's libdate-tz is built with USE_OS_TZDB: it
// reads the compiled zone files of /usr/share/zoneinfo (the tzdata package) and never downloads
// anything. It does not read TZDIR, and it leaves out the right/ (leap second) and posix/ trees.
//
//   Europe/Berlin, 2026-03-29T00:59:59Z -> +01:00; 2026-03-29T01:00:00Z -> +02:00
//   so the local day 2026-03-29 lasts 23 hours, and 2026-10-25 lasts 25.
//
// A limit of the library (HowardHinnant/date#794): it uses a zone file's transitions and not the
// rule at the file's end for the instants after them. Debian's files list transitions to 2037, so
// from 2038 on a zone keeps the offset of its last listed transition (Berlin stays at +01:00).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace date {
class time_zone;
}

namespace slipway {

class TimeZone {
 public:
  // Coordinated Universal Time; needs no tz database.
  static TimeZone utc();
  // The zone named `name` ("Europe/Berlin"; "UTC" needs no database). Fails with bad input for a
  // malformed or unknown name (with a "did you mean") and for leap-second zones (right/...), with
  // an environment error when the tz database is missing or a zone file cannot be read.
  static Result<TimeZone> load(std::string_view name);

  [[nodiscard]] const std::string& name() const { return name_; }
  // The offset from UTC (east positive) in effect at `t`.
  [[nodiscard]] std::chrono::seconds utc_offset(std::chrono::sys_seconds t) const;
  // The wall-clock time in this zone at `t`.
  [[nodiscard]] std::chrono::local_seconds to_local(std::chrono::sys_seconds t) const {
    return std::chrono::local_seconds{t.time_since_epoch() + utc_offset(t)};
  }

 private:
  std::string name_;
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC. Owned by date's tzdb, which lives until exit.
};

}  // namespace slipway
