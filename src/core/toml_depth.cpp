#include "core/toml_depth.hpp"

#include <cstddef>
#include <vector>

#include <fmt/format.h>

#include "core/source.hpp"

namespace slipway {
namespace {

// One open array or inline table: the level of its items (arrays) or of the table itself
// (inline tables, whose keys add their parts to it).
struct Frame {
  bool array = false;
  int level = 0;
  bool in_key = false;  // inline tables: reading a key, before its '='
  int key_parts = 0;
  int value_level = 0;  // inline tables: the level of the value after '='
};

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // The byte offset where the text nests too deep, or npos.
  std::size_t run() {
    bool line_start = true;
    bool top_in_key = false;
    int top_value_level = 0;
    while (i_ < text_.size() && bad_ == npos) {
      const char c = text_[i_];
      if (c == '"' || c == '\'') {
        skip_string();
        continue;
      }
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
        continue;
      }
      if (stack_.empty()) {
        if (c == '\n') {
          line_start = true;
          top_in_key = false;
          ++i_;
          continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
          ++i_;
          continue;
        }
        if (line_start) {
          line_start = false;
          if (c == '[') {
            header();
            continue;
          }
          top_in_key = true;
          parts_ = 1;
        }
        if (top_in_key) {
          if (c == '.') dot(header_parts_);
          if (c == '=') {
            top_in_key = false;
            top_value_level = header_parts_ + parts_;
            if (top_value_level > kMaxTomlDepth) bad_ = i_;
          }
          ++i_;
          continue;
        }
        open(c, top_value_level);
        ++i_;
        continue;
      }
      Frame& top = stack_.back();
      if (top.array) {
        if (c == ']')
          stack_.pop_back();
        else
          open(c, top.level);
      } else if (top.in_key) {
        if (c == '.') {
          parts_ = top.key_parts;
          dot(top.level);
          top.key_parts = parts_;
        } else if (c == '=') {
          top.in_key = false;
          top.value_level = top.level + top.key_parts;
          if (top.value_level > kMaxTomlDepth) bad_ = i_;
        } else if (c == '}') {
          stack_.pop_back();
        }
      } else {
        if (c == ',') {
          top.in_key = true;
          top.key_parts = 1;
        } else if (c == '}') {
          stack_.pop_back();
        } else {
          open(c, top.value_level);
        }
      }
      ++i_;
    }
    return bad_;
  }

  static constexpr std::size_t npos = std::string_view::npos;

 private:
  // A '[' or '{' that starts a value at `level`.
  void open(char c, int level) {
    if (c == '[') {
      if (level + 1 > kMaxTomlDepth) bad_ = i_;
      stack_.push_back({true, level + 1});
    } else if (c == '{') {
      stack_.push_back({false, level, true, 1, 0});
    }
  }

  // One more part of a dotted key whose first part sits at base + 1.
  void dot(int base) {
    ++parts_;
    if (base + parts_ > kMaxTomlDepth && bad_ == npos) bad_ = i_;
  }

  // [a.b.c] or [[a.b.c]]: the keys below it sit at as many levels as it has parts.
  void header() {
    parts_ = 1;
    while (i_ < text_.size() && text_[i_] == '[') ++i_;
    while (i_ < text_.size() && text_[i_] != ']' && text_[i_] != '\n' && bad_ == npos) {
      if (text_[i_] == '"' || text_[i_] == '\'') {
        skip_string();
        continue;
      }
      if (text_[i_] == '.') dot(0);
      ++i_;
    }
    header_parts_ = parts_;
    while (i_ < text_.size() && text_[i_] == ']') ++i_;
  }

  // Past a "basic", 'literal', """multi-line""" or '''multi-line''' string.
  void skip_string() {
    const char quote = text_[i_];
    const std::string_view triple = quote == '"' ? R"(""")" : "'''";
    const bool multi = text_.substr(i_, 3) == triple;
    i_ += multi ? 3 : 1;
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\\' && quote == '"') {
        i_ += 2;
        continue;
      }
      if (c == '\n' && !multi) return;
      if (c == quote && (!multi || text_.substr(i_, 3) == triple)) {
        i_ += multi ? 3 : 1;
        return;
      }
      ++i_;
    }
  }

  std::string_view text_;
  std::size_t i_ = 0;
  std::size_t bad_ = npos;
  std::vector<Frame> stack_;
  int header_parts_ = 0;
  int parts_ = 0;
};

}  // namespace

Result<void> check_toml_depth(std::string_view text, std::string_view path) {
  const std::size_t bad = Scanner(text).run();
  if (bad == Scanner::npos) return {};
  return fail(Error::input(fmt::format("the document is nested more than {} levels deep", kMaxTomlDepth),
                           format_location(path, LineIndex(text).position(bad)),
                           "flatten the tables, arrays and dotted keys; see docs/config.md"));
}

}  // namespace slipway
