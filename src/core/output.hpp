// How commands print: the output format (--format) and terminal colour.
//
// Colour is on only when stdout is a terminal, NO_COLOR is unset or empty
// (https://no-color.org), and TERM is not "dumb". --color=always|never overrides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace boost::json {
class value;
}

namespace slipway {

enum class Format { text, json, sarif, github, junit, markdown };

std::string_view to_string(Format f);
// Parses a --format value, checking it against the formats a command supports.
Result<Format> parse_format(std::string_view text, std::initializer_list<Format> supported);

// Text for one cell of a Markdown table: '|' escaped, newlines folded to spaces.
std::string markdown_cell(std::string_view text);
// Text for an XML attribute or element (JUnit reports): the five entities, control characters
// (not allowed in XML 1.0) as spaces.
std::string xml_escape(std::string_view text);

// A number as people and JSON readers expect it: plain decimal, the shortest text that reads back
// as the same double, never an exponent: 15366.0 -> "15366", 11.441 -> "11.441", 1e-7 ->
// "0.0000001". Infinity and NaN (no JSON number) -> "null". With `max_decimals`, rounded to
// that many first: format_number(0.05 * 100, 3) -> "5", not "5.000000000000001".
std::string format_number(double value, int max_decimals = -1);
// Compact JSON like boost::json::serialize, but with doubles through format_number, so that
// {"rps":15366.0} prints as {"rps":15366}, not {"rps":1.5366E4}. Every JSON output goes through it.
std::string json_text(const boost::json::value& value);

// "a" or "an" before `word`, by its first letter: "an array", "a string", "an object".
std::string with_article(std::string_view word);

enum class Color { red, yellow, green, cyan, dim, bold };

class Style {
 public:
  explicit Style(bool enabled) : enabled_(enabled) {}
  // Colour when stdout is a terminal and NO_COLOR is not set; `force` is --color.
  static Style for_stdout(std::optional<bool> force = std::nullopt);

  [[nodiscard]] bool enabled() const { return enabled_; }
  [[nodiscard]] std::string paint(Color c, std::string_view text) const;

 private:
  bool enabled_;
};

}  // namespace slipway
