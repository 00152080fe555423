// Selecting values from a JSON response, for captures and assertions in smoke flows.
//
// Two notations, told apart by their first character:
//   JSON Pointer (RFC 6901)  /data/0/id          ~0 is "~", ~1 is "/"
//   JSONPath subset          $.data[0].id        $, .name, ['name'], [N] (negative counts from
//                            $.items[*].name     the end), [*] and .* (every element or member)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>
#include <tl/expected.hpp>

namespace slipway::verify {

struct PathError {
  std::size_t column = 1;  // 1-based, into the path
  std::string message;
};

class JsonPath {
 public:
  static tl::expected<JsonPath, PathError> parse(std::string_view text);

  // The values the path selects in `doc` (none when a member or index is missing). A path
  // without a wildcard selects at most one.
  [[nodiscard]] std::vector<const boost::json::value*> select(const boost::json::value& doc) const;

  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  struct Step {
    enum class Kind { member, index, wildcard } kind = Kind::member;
    std::string name;
    long long index = 0;
  };
  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace slipway::verify
