// Feeds arbitrary text to the metrics probe's Prometheus text reader (the endpoint it scrapes may
// be hostile), with small bounds so that they are reached. Nothing may crash; what parses keeps
// the bounds and holds only well-formed names; an error names its line. Whatever parses is then
// reduced, windowed (twice, and after a reset) and its percentiles computed: growth is never
// negative and a percentile, when there is one, lies within the histogram's bounds.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "watch/prometheus_text.hpp"
#include "watch/request_window.hpp"

namespace {

bool metric_name(std::string_view s) {
  if (s.empty() || (s.front() >= '0' && s.front() <= '9')) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == ':'))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace slipway::watch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  PromLimits limits;
  limits.max_line = 256;
  limits.max_series = 64;
  limits.max_labels = 8;

  const auto parsed = parse_prometheus_text(text, {}, limits);
  if (!parsed) {
    if (!parsed.error().message.starts_with("line ")) __builtin_trap();
    return 0;
  }
  if (parsed->samples.size() + parsed->types.size() > limits.max_series) __builtin_trap();
  for (const auto& s : parsed->samples) {
    if (!metric_name(s.name) || s.labels.size() > limits.max_labels) __builtin_trap();
    for (const auto& [k, v] : s.labels) {
      if (!metric_name(k)) __builtin_trap();
    }
  }

  for (std::string_view requests : {"a", "slipway_gate_requests_total"}) {
    const Scrape scrape = reduce_scrape(*parsed, requests, "a");
    if (!(scrape.requests >= 0) || !(scrape.errors >= 0) || scrape.errors > scrape.requests) __builtin_trap();
    RequestWindow window(std::chrono::minutes(5), 4);
    const RequestWindow::TimePoint t0{};
    window.add(t0, scrape);
    window.add(t0 + std::chrono::seconds(1), scrape);
    window.add(t0 + std::chrono::seconds(2), Scrape{});  // a reset to nothing
    window.add(t0 + std::chrono::seconds(3), scrape);
    const auto g = window.growth();
    if (!(g.requests >= 0) || !(g.errors >= 0)) __builtin_trap();
    double lowest = 0, highest = 0;
    for (const auto& [le, count] : g.buckets) {
      if (!(count >= 0)) __builtin_trap();
      if (std::isfinite(le)) {
        lowest = std::min(lowest, le);
        highest = std::max(highest, le);
      }
    }
    for (double q : {0.0, 0.5, 0.95, 0.99, 1.0}) {
      const double v = histogram_quantile(q, g.buckets);
      if (!std::isnan(v) && (v < lowest || v > highest)) __builtin_trap();
    }
  }
  return 0;
}
