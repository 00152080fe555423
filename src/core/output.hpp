// How commands print: the output format (--format) and terminal colour.
//
// Colour is on only when stdout is a terminal, NO_COLOR is unset or empty
// (https://no-color.org), and TERM is not "dumb". --color=always|never overrides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

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
