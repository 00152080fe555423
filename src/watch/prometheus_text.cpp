#include "watch/prometheus_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace slipway::watch {

namespace {

bool name_start(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
}
bool name_char(char ch) {
  return name_start(ch) || (ch >= '0' && ch <= '9');
}

// A cursor over one line; each reader returns false on text it does not accept.
struct Line {
  std::string_view rest;

  void blanks() {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  }
  bool eat(char ch) {
    if (rest.empty() || rest.front() != ch) return false;
    rest.remove_prefix(1);
    return true;
  }
  // A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); label names are the same without ':', which a
  // reader does not need to tell apart.
  bool name(std::string_view& out) {
    if (rest.empty() || !name_start(rest.front())) return false;
    std::size_t n = 1;
    while (n < rest.size() && name_char(rest[n])) ++n;
    out = rest.substr(0, n);
    rest.remove_prefix(n);
    return true;
  }
  bool quoted(std::string& out) {
    if (!eat('"')) return false;
    while (!rest.empty()) {
      const char ch = rest.front();
      rest.remove_prefix(1);
      if (ch == '"') return true;
      if (ch != '\\') {
        out += ch;
        continue;
      }
      if (rest.empty()) return false;
      const char escaped = rest.front();
      rest.remove_prefix(1);
      out += escaped == 'n' ? '\n' : escaped;  // \\ and \" are themselves; Prometheus keeps others
    }
    return false;
  }
  // The next blank-separated word.
  std::string_view word() {
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != ' ' && rest[n] != '\t') ++n;
    const auto out = rest.substr(0, n);
    rest.remove_prefix(n);
    return out;
  }
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool parse_prometheus_value(std::string_view text, double& out) {
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (iequals(text, "inf") || iequals(text, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (iequals(text, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text.empty() || !((text.front() >= '0' && text.front() <= '9') || text.front() == '.')) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) return false;
  if (negative) out = -out;
  return true;
}

namespace {

// "# TYPE name type": the name and type, or nothing for any other comment.
bool type_line(Line line, std::pair<std::string, std::string>& out) {
  line.eat('#');
  line.blanks();
  if (line.word() != "TYPE") return false;
  line.blanks();
  std::string_view name;
  if (!line.name(name)) return false;
  line.blanks();
  const auto type = line.word();
  if (type.empty()) return false;
  out = {std::string(name), std::string(type)};
  return true;
}

// One sample line into `out`; "" or what is wrong with it.
std::string sample_line(Line line, const PromLimits& limits, PromSample& out) {
  std::string_view name;
  if (!line.name(name)) return "a sample does not start with a metric name";
  out.name = std::string(name);
  line.blanks();
  if (line.eat('{')) {
    for (;;) {
      line.blanks();
      if (line.eat('}')) break;
      std::string_view label;
      if (!line.name(label)) return "a label name is missing or malformed";
      line.blanks();
      if (!line.eat('=')) return fmt::format("label {} has no '='", label);
      line.blanks();
      std::string value;
      if (!line.quoted(value)) return fmt::format("label {} has no quoted value", label);
      if (out.labels.size() == limits.max_labels) return fmt::format("more than {} labels", limits.max_labels);
      out.labels.emplace_back(std::string(label), std::move(value));
      line.blanks();
      if (line.eat('}')) break;
      if (!line.eat(',')) return "labels are not separated by ','";
    }
    line.blanks();
  }
  const auto value = line.word();
  if (value.empty()) return "a sample has no value";
  if (!parse_prometheus_value(value, out.value)) return fmt::format("\"{}\" is not a number", value.substr(0, 40));
  line.blanks();
  if (const auto timestamp = line.word(); !timestamp.empty()) {
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ms);
    if (ec != std::errc() || end != timestamp.data() + timestamp.size()) return "the timestamp is not an integer";
  }
  line.blanks();
  if (!line.rest.empty()) return "text after the timestamp";
  return {};
}

}  // namespace

std::string_view PromSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return {};
}

Result<PromText> parse_prometheus_text(std::string_view text, const std::function<bool(std::string_view)>& keep,
                                       const PromLimits& limits) {
  PromText out;
  std::size_t series = 0;
  std::size_t number = 0;
  const auto bad = [&](std::string_view why) {
    return fail(Error::input(fmt::format("line {}: {}", number, why), "",
                             "is this a Prometheus text endpoint (Content-Type text/plain; version=0.0.4)?"));
  };
  while (!text.empty()) {
    ++number;
    const auto newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (raw.size() > limits.max_line) return bad(fmt::format("longer than {} bytes", limits.max_line));
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    Line line{raw};
    line.blanks();
    if (line.rest.empty()) continue;
    const bool comment = line.rest.front() == '#';
    std::pair<std::string, std::string> type;
    if (comment && !type_line(line, type)) continue;
    if (++series > limits.max_series) return bad(fmt::format("more than {} series", limits.max_series));
    if (comment) {
      out.types.push_back(std::move(type));
      continue;
    }
    PromSample sample;
    if (auto why = sample_line(line, limits, sample); !why.empty()) return bad(why);
    if (!keep || keep(sample.name)) out.samples.push_back(std::move(sample));
  }
  return out;
}

}  // namespace slipway::watch
