// Budgets in k6's threshold syntax: `p(95) < 500ms`, `avg <= 200`, `rate(errors) < 0.05`,
// `max < 1s`, `count > 100`, `rps >= 50`, and a bare `< 1s` (every request: the maximum).
//
// Latency limits take a unit (us, ms, s, m); a bare number is milliseconds, as in k6. Rates are
// a fraction (0.05) or a percentage (5%).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "verify/histogram.hpp"

namespace slipway::verify {

struct Threshold {
  enum class Stat { percentile, avg, min, med, max, count, rate, rps };
  enum class Op { lt, le, gt, ge, eq, ne };

  Stat stat = Stat::max;
  double percent = 0;  // for Stat::percentile
  Op op = Op::lt;
  double limit = 0;  // microseconds for latency stats, a fraction for rate, a number otherwise
  std::string text;  // as written, for reports

  [[nodiscard]] bool is_latency() const;
};

struct ThresholdError {
  std::size_t column = 1;  // 1-based, into the threshold's text
  std::string message;
  std::string hint;
};

tl::expected<Threshold, ThresholdError> parse_threshold(std::string_view text);

// What a run measured, for evaluating thresholds against.
struct Observed {
  const Histogram* latency = nullptr;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  double seconds = 0;  // the run's length, for rps
};

struct Verdict {
  bool pass = false;
  double actual = 0;    // in the threshold's own unit: ms for latency, a fraction, a count, req/s
  std::string message;  // "p(95) = 212.4ms, budget < 200ms"
};

Verdict evaluate(const Threshold& threshold, const Observed& observed);

}  // namespace slipway::verify
