#include "verify/threshold.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include "core/output.hpp"

namespace slipway::verify {

namespace {

using Stat = Threshold::Stat;
using Op = Threshold::Op;

struct StatName {
  std::string_view name;
  Stat stat;
};
constexpr std::array<StatName, 8> kStats{{{"p", Stat::percentile},
                                          {"avg", Stat::avg},
                                          {"min", Stat::min},
                                          {"med", Stat::med},
                                          {"max", Stat::max},
                                          {"count", Stat::count},
                                          {"rate", Stat::rate},
                                          {"rps", Stat::rps}}};

struct OpName {
  std::string_view text;
  Op op;
};
// Two-character operators first, so `<=` is not read as `<`.
constexpr std::array<OpName, 7> kOps{
    {{"<=", Op::le}, {">=", Op::ge}, {"==", Op::eq}, {"!=", Op::ne}, {"<", Op::lt}, {">", Op::gt}, {"=", Op::eq}}};

std::string_view op_text(Op op) {
  for (const auto& o : kOps)
    if (o.op == op) return o.text;
  return "?";
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  [[nodiscard]] bool done() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : text_[pos_]; }
  bool eat(std::string_view s) {
    if (text_.substr(pos_).starts_with(s)) {
      pos_ += s.size();
      return true;
    }
    return false;
  }
  std::string_view word() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool number(double& out) {
    const char* first = text_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, text_.data() + text_.size(), out);
    if (ec != std::errc()) return false;
    pos_ += static_cast<std::size_t>(ptr - first);
    return true;
  }
  [[nodiscard]] std::size_t column() const { return pos_ + 1; }
  [[nodiscard]] std::size_t pos() const { return pos_; }

  [[nodiscard]] tl::unexpected<ThresholdError> error(std::string message, std::string hint = {}) const {
    return tl::unexpected(ThresholdError{column(), std::move(message), std::move(hint)});
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

constexpr std::string_view kSyntaxHint = "write it as k6 does: p(95) < 500ms, avg < 200ms, rate(errors) < 0.05";

// A latency limit in microseconds: a number with an optional unit (default ms).
tl::expected<double, ThresholdError> latency_limit(Reader& r, double value) {
  r.skip_spaces();
  const std::size_t unit_column = r.column();
  const std::string_view unit = r.word();
  if (unit.empty() || unit == "ms") return value * 1000.0;
  if (unit == "us" || unit == "µs") return value;
  if (unit == "s") return value * 1'000'000.0;
  if (unit == "m" || unit == "min") return value * 60'000'000.0;
  return tl::unexpected(ThresholdError{unit_column, fmt::format("unknown unit \"{}\"", unit), "use us, ms, s or m"});
}

}  // namespace

bool Threshold::is_latency() const {
  return stat == Stat::percentile || stat == Stat::avg || stat == Stat::min || stat == Stat::med || stat == Stat::max;
}

tl::expected<Threshold, ThresholdError> parse_threshold(std::string_view text) {
  Threshold t;
  t.text = std::string(text);
  Reader r(text);
  r.skip_spaces();
  if (r.done()) return r.error("empty threshold", std::string(kSyntaxHint));

  // The statistic; none means every request must meet the limit (the maximum).
  if (std::isalpha(static_cast<unsigned char>(r.peek()))) {
    const std::size_t stat_column = r.column();
    const std::string_view name = r.word();
    const auto* found = std::find_if(kStats.begin(), kStats.end(), [&](const StatName& s) { return s.name == name; });
    if (found == kStats.end())
      return tl::unexpected(ThresholdError{stat_column, fmt::format("unknown statistic \"{}\"", name),
                                           "use p(N), avg, min, med, max, count, rate or rps"});
    t.stat = found->stat;
    r.skip_spaces();
    if (t.stat == Stat::percentile) {
      if (!r.eat("(")) return r.error("expected \"(\" after p", "write a percentile as p(95) or p(99.9)");
      r.skip_spaces();
      const std::size_t percent_column = r.column();
      if (!r.number(t.percent) || t.percent <= 0 || t.percent > 100)
        return tl::unexpected(
            ThresholdError{percent_column, "expected a percentile between 0 and 100", "p(95), p(99.9)"});
      r.skip_spaces();
      if (!r.eat(")")) return r.error("expected \")\"");
    } else if (t.stat == Stat::rate && r.eat("(")) {
      r.skip_spaces();
      const std::size_t of_column = r.column();
      const std::string_view of = r.word();
      if (of != "errors")
        return tl::unexpected(ThresholdError{of_column, fmt::format("unknown rate \"{}\"", of),
                                             "the rate Slipway measures is rate(errors)"});
      r.skip_spaces();
      if (!r.eat(")")) return r.error("expected \")\"");
    }
    r.skip_spaces();
  }

  const auto* op = std::find_if(kOps.begin(), kOps.end(), [&](const OpName& o) { return r.eat(o.text); });
  if (op == kOps.end()) return r.error("expected a comparison: <, <=, >, >=, == or !=", std::string(kSyntaxHint));
  t.op = op->op;
  r.skip_spaces();

  double value = 0;
  if (!r.number(value) || value < 0) return r.error("expected a non-negative number", std::string(kSyntaxHint));
  if (t.is_latency()) {
    auto us = latency_limit(r, value);
    if (!us) return tl::unexpected(us.error());
    t.limit = *us;
  } else if (t.stat == Stat::rate) {
    t.limit = r.eat("%") ? value / 100.0 : value;
    if (t.limit > 1) return r.error("a rate is a fraction of requests, at most 1 (or 100%)", "rate(errors) < 0.05");
  } else {
    t.limit = value;
  }
  r.skip_spaces();
  if (!r.done()) return r.error("unexpected text after the limit", std::string(kSyntaxHint));
  return t;
}

Verdict evaluate(const Threshold& t, const Observed& o) {
  Verdict v;
  const Histogram empty;
  const Histogram& h = o.latency ? *o.latency : empty;
  double actual = 0;
  switch (t.stat) {
    case Stat::percentile: actual = static_cast<double>(h.percentile(t.percent)); break;
    case Stat::avg: actual = h.mean(); break;
    case Stat::min: actual = static_cast<double>(h.min()); break;
    case Stat::med: actual = static_cast<double>(h.percentile(50)); break;
    case Stat::max: actual = static_cast<double>(h.max()); break;
    case Stat::count: actual = static_cast<double>(o.requests); break;
    case Stat::rate: actual = o.requests ? static_cast<double>(o.errors) / static_cast<double>(o.requests) : 0.0; break;
    case Stat::rps: actual = o.seconds > 0 ? static_cast<double>(o.requests) / o.seconds : 0.0; break;
  }
  switch (t.op) {
    case Op::lt: v.pass = actual < t.limit; break;
    case Op::le: v.pass = actual <= t.limit; break;
    case Op::gt: v.pass = actual > t.limit; break;
    case Op::ge: v.pass = actual >= t.limit; break;
    case Op::eq: v.pass = actual == t.limit; break;
    case Op::ne: v.pass = actual != t.limit; break;
  }
  // An empty run cannot meet a latency budget: there is nothing to show it was met.
  if (t.is_latency() && h.count() == 0) v.pass = false;

  std::string name;
  switch (t.stat) {
    case Stat::percentile: name = fmt::format("p({})", format_number(t.percent, 3)); break;
    case Stat::avg: name = "avg"; break;
    case Stat::min: name = "min"; break;
    case Stat::med: name = "med"; break;
    case Stat::max: name = "max"; break;
    case Stat::count: name = "count"; break;
    case Stat::rate: name = "rate(errors)"; break;
    case Stat::rps: name = "rps"; break;
  }
  if (t.is_latency()) {
    v.actual = actual / 1000.0;
    v.message = h.count() == 0 ? fmt::format("{}: no requests measured, budget {} {}ms", name, op_text(t.op),
                                             format_number(t.limit / 1000.0, 3))
                               : fmt::format("{} = {:.1f}ms, budget {} {}ms", name, v.actual, op_text(t.op),
                                             format_number(t.limit / 1000.0, 3));
  } else if (t.stat == Stat::rate) {
    v.actual = actual;
    v.message = fmt::format("{} = {:.2f}% ({} of {}), budget {} {}%", name, actual * 100.0, o.errors, o.requests,
                            op_text(t.op), format_number(t.limit * 100.0, 3));
  } else {
    v.actual = actual;
    v.message =
        fmt::format("{} = {}, budget {} {}", name, format_number(actual, 1), op_text(t.op), format_number(t.limit, 3));
  }
  return v;
}

}  // namespace slipway::verify
