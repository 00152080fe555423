// Positions in text files: byte offsets turned into 1-based line and column.
//
// Columns count characters, not bytes, so a caret lines up under UTF-8 text in a terminal:
// in "SELECT 'é', x" the byte offset of x is 13 but its column is 13 (1-based, 12 characters
// before it).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace slipway {

struct Position {
  int line = 0;    // 1-based; 0 means unknown
  int column = 0;  // 1-based, in characters
};

// "path:line:col", or just "path" when the position is unknown.
std::string format_location(std::string_view path, Position pos);

class LineIndex {
 public:
  explicit LineIndex(std::string_view text);

  // The position of a byte offset; offsets past the end map to the end.
  [[nodiscard]] Position position(std::size_t offset) const;
  // The text of a 1-based line, without its line break.
  [[nodiscard]] std::string_view line_text(int line) const;

 private:
  std::string_view text_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace slipway
