// Instants as text: RFC 3339 in UTC ("2026-03-12T10:15:00Z", "2026-03-12T10:15:00.042Z"), the
// one spelling of a time in Slipway's files, catalogs and JSON reports. Such strings sort as text
// when they share a precision.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-03-12T10:15:00Z"; with `milliseconds`, "2026-03-12T10:15:00.042Z". Truncates, never rounds.
std::string format_rfc3339(SystemTime t, bool milliseconds = false);
// Milliseconds since the Unix epoch, as the state store keeps instants, and back.
std::int64_t to_unix_ms(SystemTime t);
SystemTime from_unix_ms(std::int64_t ms);

// The current time, as format_rfc3339.
std::string now_rfc3339(bool milliseconds = false);

// How an age (or any span between two instants) is written.
enum class AgeStyle {
  exact,         // whole seconds as format_duration() spells them: "1d6h", "4min3s", "0s"
  largest_unit,  // one unit, rounded down, for a table column: "42s", "12min", "30h" (under two days), "3d"
};
// The time from `from` to `to` (negative spans count as 0 in largest_unit style).
std::string format_age(SystemTime from, SystemTime to, AgeStyle style = AgeStyle::exact);

// Reads "YYYY-MM-DDTHH:MM:SS", an optional fraction of up to 9 digits, and "Z" or "+HH:MM" /
// "-HH:MM" ('t', 'z' and a space for 'T' accepted). Fails with an input error quoting the text.
Result<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace slipway
