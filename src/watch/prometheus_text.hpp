// A bounded reader of the Prometheus text exposition format (version 0.0.4), for the metrics
// probe, which scrapes an endpoint it does not control: a line longer than `max_line` bytes, more
// than `max_series` samples and TYPE lines, or a sample with more than `max_labels` labels fails
// the parse instead of growing without end. What it reads:
//
//   # TYPE slipway_gate_requests_total counter
//   slipway_gate_requests_total{mode="normal",status="200"} 412
//   slipway_gate_upstream_latency_seconds_bucket{le="0.25"} 398 1733622821000
//
// gives the samples (name, labels in order, value; a trailing timestamp is read and dropped) and
// the TYPE lines (name, type). Other comments and blank lines are skipped; a value is a float,
// +Inf, -Inf or NaN; a label value's \\, \" and \n are unescaped. A malformed line fails the
// whole parse with its line number, as a Prometheus scrape would.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace slipway::watch {

struct PromSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;

  // The value of label `key`, or "" when the sample has none.
  [[nodiscard]] std::string_view label(std::string_view key) const;
};

struct PromText {
  std::vector<PromSample> samples;
  std::vector<std::pair<std::string, std::string>> types;  // "# TYPE name type"
};

struct PromLimits {
  std::size_t max_line = 64 * 1024;
  std::size_t max_series = 100'000;  // samples and TYPE lines, kept or not
  std::size_t max_labels = 64;
};

// Parses `text`, keeping the samples whose name `keep` accepts (every one when `keep` is empty).
// Fails (input) with "line N: what is wrong" on a malformed line or a bound passed.
Result<PromText> parse_prometheus_text(std::string_view text, const std::function<bool(std::string_view)>& keep = {},
                                       const PromLimits& limits = {});

// A value as the format writes it (Go's ParseFloat): "0.25", "1e3", "+Inf", "-Inf", "NaN".
bool parse_prometheus_value(std::string_view text, double& out);

}  // namespace slipway::watch
