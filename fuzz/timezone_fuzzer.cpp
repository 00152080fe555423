// Fuzzes the time zone readers: the input as a TZif file and as a POSIX TZ string. Every input
// must give a zone or an error, never a crash, and a zone must answer for any instant a
// system_clock can hold.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/timezone.hpp"

namespace {

void probe(const slipway::TimeZone& zone) {
  using namespace std::chrono;
  // From 1678 to 2262 (the span of system_clock's nanoseconds), a day apart, plus the extremes.
  for (std::int64_t t = -9'200'000'000; t <= 9'200'000'000; t += 86'400 * 997) {
    (void)zone.to_local(sys_seconds{seconds{t}});
  }
  for (std::int64_t t : {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, INT64_MAX}) {
    (void)zone.utc_offset(sys_seconds{seconds{t}});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto zone = slipway::TimeZone::from_tzif("fuzz", bytes)) probe(*zone);
  if (auto zone = slipway::TimeZone::from_posix("fuzz", bytes)) probe(*zone);
  return 0;
}
