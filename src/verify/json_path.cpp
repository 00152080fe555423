#include "verify/json_path.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <cctype>
#include <charconv>

namespace slipway::verify {

namespace {

tl::unexpected<PathError> error(std::size_t pos, std::string message) {
  return tl::unexpected(PathError{pos + 1, std::move(message)});
}

}  // namespace

tl::expected<JsonPath, PathError> JsonPath::parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  if (text.empty()) return error(0, "empty path: write /field (JSON Pointer) or $.field (JSONPath)");

  if (text.front() == '/') {
    std::size_t pos = 1;
    while (true) {
      const std::size_t end = std::min(text.find('/', pos), text.size());
      std::string token;
      for (std::size_t i = pos; i < end; ++i) {
        if (text[i] != '~') {
          token += text[i];
        } else if (i + 1 < end && (text[i + 1] == '0' || text[i + 1] == '1')) {
          token += text[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          return error(i, "\"~\" must be followed by 0 or 1 in a JSON Pointer (~0 is ~, ~1 is /)");
        }
      }
      // A token is an array index when the value is an array and the token is all digits; that
      // is decided at select time, so keep it as a member name.
      path.steps_.push_back({Step::Kind::member, std::move(token), 0});
      if (end == text.size()) break;
      pos = end + 1;
    }
    return path;
  }

  if (text.front() != '$') return error(0, "a path starts with / (JSON Pointer) or $ (JSONPath)");
  std::size_t pos = 1;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '.') {
      ++pos;
      if (pos < text.size() && text[pos] == '*') {
        path.steps_.push_back({Step::Kind::wildcard, {}, 0});
        ++pos;
        continue;
      }
      const std::size_t start = pos;
      while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_' ||
                                   text[pos] == '-' || text[pos] == '$'))
        ++pos;
      if (pos == start) return error(pos, "expected a member name after \".\"");
      path.steps_.push_back({Step::Kind::member, std::string(text.substr(start, pos - start)), 0});
    } else if (c == '[') {
      ++pos;
      if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
        const char quote = text[pos++];
        const std::size_t close = text.find(quote, pos);
        if (close == std::string_view::npos) return error(pos - 1, "unterminated quoted member name");
        path.steps_.push_back({Step::Kind::member, std::string(text.substr(pos, close - pos)), 0});
        pos = close + 1;
      } else if (pos < text.size() && text[pos] == '*') {
        path.steps_.push_back({Step::Kind::wildcard, {}, 0});
        ++pos;
      } else {
        long long index = 0;
        const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), index);
        if (ec != std::errc()) return error(pos, "expected an index, * or a quoted name inside [ ]");
        path.steps_.push_back({Step::Kind::index, {}, index});
        pos = static_cast<std::size_t>(ptr - text.data());
      }
      if (pos >= text.size() || text[pos] != ']') return error(pos, "expected \"]\"");
      ++pos;
    } else {
      return error(pos, fmt::format("unexpected \"{}\": expected .name, [N], ['name'] or [*]", c));
    }
  }
  return path;
}

std::vector<const boost::json::value*> JsonPath::select(const boost::json::value& doc) const {
  std::vector<const boost::json::value*> current{&doc};
  std::vector<const boost::json::value*> next;
  for (const auto& step : steps_) {
    next.clear();
    for (const auto* v : current) {
      switch (step.kind) {
        case Step::Kind::member:
          if (const auto* obj = v->if_object()) {
            if (const auto* m = obj->if_contains(step.name)) next.push_back(m);
          } else if (const auto* arr = v->if_array()) {
            // A JSON Pointer token on an array is an index: digits only, no leading zero.
            std::size_t i = 0;
            const auto& n = step.name;
            const auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), i);
            if (ec == std::errc() && ptr == n.data() + n.size() && !(n.size() > 1 && n[0] == '0') && i < arr->size())
              next.push_back(&(*arr)[i]);
          }
          break;
        case Step::Kind::index:
          if (const auto* arr = v->if_array()) {
            const auto size = static_cast<long long>(arr->size());
            const long long i = step.index < 0 ? size + step.index : step.index;
            if (i >= 0 && i < size) next.push_back(&(*arr)[static_cast<std::size_t>(i)]);
          }
          break;
        case Step::Kind::wildcard:
          if (const auto* arr = v->if_array()) {
            for (const auto& e : *arr) next.push_back(&e);
          } else if (const auto* obj = v->if_object()) {
            for (const auto& m : *obj) next.push_back(&m.value());
          }
          break;
      }
    }
    current.swap(next);
    if (current.empty()) break;
  }
  return current;
}

}  // namespace slipway::verify
