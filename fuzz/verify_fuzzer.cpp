// Feeds arbitrary text to verify's parsers: the threshold syntax, JSON paths, flow expressions and
// flow files (expected values expanded from templates, toInt / toFloat filters, flow headers, retry), and the load
// generator's response framing (fed whole and byte by byte: both must agree). Whatever parses is evaluated; an error
// must point inside the text (or just past its end).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/json_path.hpp"
#include "verify/response_framing.hpp"
#include "verify/settings.hpp"
#include "verify/smoke.hpp"
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

  // Flow expressions (asserts and captures) and whole flow files.
  const auto assertion = slipway::verify::parse_assertion(text);
  if (assertion) {
    slipway::net::HttpResponse r;
    r.status = 200;
    r.body = R"({"a":[1,"x",{"b":null}]})";
    r.headers = {{"Set-Cookie", "a=b"}, {"X", "y"}};
    (void)slipway::verify::evaluate_assertion(*assertion, r);
    // An expected value with {{...}} or ${...} is expanded first, as a step does.
    slipway::verify::Variables vars;
    vars.captures["id"] = 1;
    vars.captures["name"] = "x";
    static const slipway::Environment env({{"MIN", "0"}, {"OWNER", "x"}}, false);
    const auto resolved = slipway::verify::resolve_assertion(*assertion, vars, env, "run");
    if (resolved) {
      if (resolved->predicate.templated) __builtin_trap();
      (void)slipway::verify::evaluate_assertion(*resolved, r);
    }
  } else if (assertion.error().column > size + 1) {
    __builtin_trap();
  }
  (void)slipway::verify::parse_flow_file(text, "fuzz.toml");

  slipway::verify::ResponseFraming whole, bytewise;
  whole.reset();
  bytewise.reset();
  const std::size_t used = whole.feed(text);
  std::size_t used_bytewise = 0;
  while (used_bytewise < size && !bytewise.done() && !bytewise.error())
    used_bytewise += bytewise.feed(text.substr(used_bytewise, 1));
  if (used > size || whole.done() != bytewise.done() || whole.error() != bytewise.error()) __builtin_trap();
  if (whole.done() &&
      (used != used_bytewise || whole.status() != bytewise.status() || whole.body_bytes() != bytewise.body_bytes()))
    __builtin_trap();
  return 0;
}
