// Feeds arbitrary text to the threshold parser, and evaluates whatever parses.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/threshold.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto threshold = slipway::verify::parse_threshold(text);
  if (threshold) {
    slipway::verify::Histogram h;
    h.record(size * 997);
    (void)slipway::verify::evaluate(*threshold, {&h, 3, 1, 0.5});
  } else if (threshold.error().column > size + 1) {
    __builtin_trap();  // an error must point inside the text (or just past its end)
  }
  return 0;
}
