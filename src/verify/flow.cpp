#include "verify/flow.hpp"

#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "core/units.hpp"

namespace slipway::verify {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[nodiscard]] bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  [[nodiscard]] std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }

  // A word up to whitespace; brackets and quotes inside it may hold spaces ($['a b']).
  std::string_view word() {
    skip_space();
    const std::size_t start = pos_;
    int depth = 0;
    char quote = 0;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (depth <= 0 && std::isspace(static_cast<unsigned char>(c))) {
        break;
      }
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  std::string_view rest() {
    skip_space();
    std::string_view r = text_.substr(pos_);
    while (!r.empty() && std::isspace(static_cast<unsigned char>(r.back()))) r.remove_suffix(1);
    pos_ = text_.size();
    return r;
  }

  tl::unexpected<ExprError> error(std::size_t at, std::string message) const {
    return tl::unexpected(ExprError{at + 1, std::move(message)});
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

tl::expected<Query, ExprError> query(Scanner& s) {
  s.skip_space();
  const std::size_t start = s.pos();
  const std::string_view kind = s.word();
  Query q;
  if (kind == "status")
    q.kind = Query::Kind::status;
  else if (kind == "duration")
    q.kind = Query::Kind::duration;
  else if (kind == "body")
    q.kind = Query::Kind::body;
  else if (kind == "json" || kind == "header" || kind == "cookie") {
    q.kind = kind == "json" ? Query::Kind::json : kind == "header" ? Query::Kind::header : Query::Kind::cookie;
    s.skip_space();
    const std::size_t arg_start = s.pos();
    const std::string_view arg = s.word();
    if (arg.empty())
      return s.error(arg_start,
                     fmt::format("'{}' needs {}", kind, kind == "json" ? "a path ($.field or /field)" : "a name"));
    if (q.kind == Query::Kind::json) {
      auto path = JsonPath::parse(arg);
      if (!path) return s.error(arg_start + path.error().column - 1, path.error().message);
      q.path = std::move(*path);
    }
    q.arg = std::string(arg);
  } else {
    return s.error(start,
                   kind.empty()
                       ? "empty expression: start with status, duration, body, json, header or cookie"
                       : fmt::format("unknown query '{}': use status, duration, body, json, header or cookie", kind));
  }
  // An optional filter (Hurl's spelling); any other word is the operator.
  s.skip_space();
  const std::size_t before = s.pos();
  const std::string_view filter = s.word();
  if (filter == "toInt")
    q.cast = Query::Cast::to_int;
  else if (filter == "toFloat")
    q.cast = Query::Cast::to_float;
  else
    s.seek(before);
  return q;
}

bool is_template(std::string_view text) {
  return text.find("{{") != std::string_view::npos || text.find("${") != std::string_view::npos;
}

// A JSON literal, or a duration (500ms) as a number of milliseconds.
tl::expected<boost::json::value, ExprError> literal(Scanner& s, const Query& q) {
  s.skip_space();
  const std::size_t start = s.pos();
  const std::string_view text = s.rest();
  if (text.empty()) return s.error(start, "a value is missing after the operator");
  // Hurl writes a capture unquoted: == {{id}}. Kept as the template text, expanded at run time.
  if (text.starts_with("{{") && text.ends_with("}}") && text.find("{{", 2) == std::string_view::npos)
    return boost::json::value(text);
  if (q.kind == Query::Kind::duration && !text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
    // "250" alone is milliseconds, as in k6.
    double ms = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec == std::errc() && p == text.data() + text.size()) return boost::json::value(ms);
    auto d = parse_duration(text);
    if (!d) return s.error(start, d.error().message);
    return boost::json::value(static_cast<double>(d->count()));
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return s.error(start, fmt::format("'{}' is not a JSON value: quote strings (\"text\")", text));
  return v;
}

}  // namespace

std::string_view to_string(Query::Kind kind) {
  switch (kind) {
    case Query::Kind::status: return "status";
    case Query::Kind::duration: return "duration";
    case Query::Kind::body: return "body";
    case Query::Kind::json: return "json";
    case Query::Kind::header: return "header";
    case Query::Kind::cookie: return "cookie";
  }
  return "status";
}

tl::expected<Query, ExprError> parse_query(std::string_view text) {
  Scanner s(text);
  auto q = query(s);
  if (!q) return q;
  if (!s.at_end()) return s.error(s.pos(), "unexpected text after the query (a capture takes no operator)");
  return q;
}

tl::expected<Assertion, ExprError> parse_assertion(std::string_view text) {
  Scanner s(text);
  auto q = query(s);
  if (!q) return tl::unexpected(q.error());
  Assertion a;
  a.text = std::string(text);
  a.query = std::move(*q);
  s.skip_space();
  const std::size_t op_start = s.pos();
  std::string_view op = s.word();
  using Op = Predicate::Op;
  if (op.empty())
    return s.error(op_start, "an operator is missing: ==, !=, <, <=, >, >=, exists, contains, matches, is");
  if (op == "not") {
    const std::string_view second = s.word();
    if (second == "exists")
      op = "not exists";
    else if (second == "contains")
      op = "not contains";
    else
      return s.error(op_start, "'not' goes with exists or contains");
  }
  static constexpr std::pair<std::string_view, Op> kOps[] = {{"==", Op::eq},
                                                             {"!=", Op::ne},
                                                             {"<", Op::lt},
                                                             {"<=", Op::le},
                                                             {">", Op::gt},
                                                             {">=", Op::ge},
                                                             {"exists", Op::exists},
                                                             {"not exists", Op::not_exists},
                                                             {"contains", Op::contains},
                                                             {"not contains", Op::not_contains},
                                                             {"matches", Op::matches},
                                                             {"is", Op::is}};
  bool known = false;
  for (const auto& [name, value] : kOps) {
    if (op == name) {
      a.predicate.op = value;
      known = true;
    }
  }
  if (!known)
    return s.error(op_start,
                   fmt::format("unknown operator '{}': use ==, !=, <, <=, >, >=, exists, contains, matches or is", op));
  switch (a.predicate.op) {
    case Op::exists:
    case Op::not_exists:
      if (!s.at_end()) return s.error(s.pos(), "exists takes no value");
      break;
    case Op::is: {
      const std::size_t at = s.pos();
      const std::string_view type = s.rest();
      if (type != "number" && type != "string" && type != "boolean" && type != "array" && type != "object" &&
          type != "null") {
        return s.error(at, "'is' takes number, string, boolean, array, object or null");
      }
      a.predicate.text = std::string(type);
      break;
    }
    default: {
      s.skip_space();
      const std::size_t at = s.pos();
      auto v = literal(s, a.query);
      if (!v) return tl::unexpected(v.error());
      a.predicate.value = std::move(*v);
      a.predicate.templated = a.predicate.value.is_string() && is_template(a.predicate.value.as_string());
      const bool ordered =
          a.predicate.op == Op::lt || a.predicate.op == Op::le || a.predicate.op == Op::gt || a.predicate.op == Op::ge;
      if (ordered && !a.predicate.value.is_number() && !a.predicate.templated)
        return s.error(at, "<, <=, > and >= compare numbers (or a template such as {{min}})");
      if (a.predicate.op == Op::contains || a.predicate.op == Op::not_contains || a.predicate.op == Op::matches) {
        if (!a.predicate.value.is_string()) return s.error(at, "contains and matches take a quoted string");
        a.predicate.text = std::string(a.predicate.value.as_string());
      }
    }
  }
  return a;
}

}  // namespace slipway::verify
