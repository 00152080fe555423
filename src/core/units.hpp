// Durations ("5s", "15min", "1h30m", "250ms") and sizes ("1GB", "512MiB", "100 MB").
//
// Durations accept a sequence of number+unit pairs with units ms, s, sec, m, min, h, d; a bare
// number is rejected because "5" could mean seconds or minutes. Sizes accept B, kB/KB, MB, GB,
// TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024); a bare number is bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway {

using Duration = std::chrono::milliseconds;

// Fails with a message naming the accepted units.
Result<Duration> parse_duration(std::string_view text);
// The shortest exact spelling: 5000ms -> "5s", 90000ms -> "1min30s".
std::string format_duration(Duration d);

// A measured time in seconds with one decimal, for reports: 6350ms -> "6.3s".
std::string format_seconds(Duration d);

Result<std::uint64_t> parse_size(std::string_view text);
// A human size with one decimal in powers of 1000: 1400000000 -> "1.4 GB".
std::string format_size(std::uint64_t bytes);
// A human count: 2300000 -> "2.3M", 950 -> "950".
std::string format_count(std::uint64_t n);

}  // namespace slipway
