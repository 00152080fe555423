// How deep a TOML document nests, bounded before toml++ parses it.
//
// toml++ turns a dotted key into nested tables and builds, walks and frees them recursively, so
// one 100 KB line `a.a.a....a = 1` (50,000 parts) overflows the stack. It bounds nested arrays
// and inline tables (at 256) but not dotted keys or table headers. check_toml_depth() walks the
// text once, without recursion, and refuses a document whose values sit deeper than
// kMaxTomlDepth levels. A level is one table or array around a value:
//
//   [a.b]            # the keys below sit at level 2
//   c.d = [[1]]      # c.d is at 4, the outer array's items at 5, the 1 at 6
//   e = { f.g = 1 }  # f.g is at 2 + 1 + 2 = 5
//
// Brackets, braces and dots inside strings and comments are text. A document that is not
// valid TOML is left to toml++ to report, unless it nests too deep first.
#pragma once

#include <string_view>

#include "core/error.hpp"

namespace slipway {

inline constexpr int kMaxTomlDepth = 64;

// Fails with an input error at "path:line:col" where the text first nests deeper than
// kMaxTomlDepth.
Result<void> check_toml_depth(std::string_view text, std::string_view path);

}  // namespace slipway
