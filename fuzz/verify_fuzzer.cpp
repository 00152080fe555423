// Feeds arbitrary text to verify's small parsers: the threshold syntax and JSON paths. Whatever
// parses is evaluated; an error must point inside the text (or just past its end).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/json_path.hpp"
#include "verify/threshold.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto threshold = slipway::verify::parse_threshold(text);
  if (threshold) {
    slipway::verify::Histogram h;
    h.record(size * 997);
    (void)slipway::verify::evaluate(*threshold, {&h, 3, 1, 0.5});
  } else if (threshold.error().column > size + 1) {
    __builtin_trap();
  }

  static const boost::json::value doc = boost::json::parse(R"({"a":[1,{"b":[2,3]},[4]],"a/b":{"~":null},"":{"":[]}})");
  const auto path = slipway::verify::JsonPath::parse(text);
  if (path) {
    (void)path->select(doc);
  } else if (path.error().column > size + 1) {
    __builtin_trap();
  }
  return 0;
}
