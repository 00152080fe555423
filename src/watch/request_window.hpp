// What the metrics probe judges, from the counters of successive scrapes of one endpoint.
//
// Each scrape is reduced to three counters: the requests (every series of the request counter
// summed), the errors (those whose `status`, `code` or `status_code` label is 5xx) and the latency
// histogram's cumulative buckets (summed per `le` over the other labels). A RequestWindow keeps the
// scrapes of the last `window` (plus the one just before it, the baseline) and answers how much
// each counter grew over them, step by step, so that a counter reset (the process restarted and
// counts from 0) is read as Prometheus's increase() reads it: the new value is the growth.
//
//   scrapes at 0s, 60s, 120s: requests 100, 160, 40 (restarted)  ->  60 + 40 = 100 requests
//
// Percentiles come from the buckets' growth, interpolated inside a bucket as histogram_quantile()
// does: p95 of {le 0.1: 90, le 0.5: 98, +Inf: 100} is 0.1 + 0.4 * (95 - 90) / (98 - 90) = 0.35 s.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

#include "watch/prometheus_text.hpp"

namespace slipway::watch {

using Buckets = std::vector<std::pair<double, double>>;  // (le, cumulative count), by le, +Inf last

struct Scrape {
  double requests = 0;
  double errors = 0;
  Buckets buckets;
  bool has_requests = false;   // the counter was there (a sample or its # TYPE line)
  bool has_histogram = false;  // <duration>_bucket samples or a # TYPE line for <duration>
};

// Reduces a parsed scrape to the request counter `requests` and the histogram `duration`.
Scrape reduce_scrape(const PromText& text, std::string_view requests, std::string_view duration);

// The `q` quantile (0..1) of cumulative `buckets` as Prometheus's histogram_quantile computes it;
// NaN when they hold no observation or have no +Inf bucket.
double histogram_quantile(double q, Buckets buckets);

class RequestWindow {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Keeps at most `max_scrapes` (the oldest go first when a short `every` would keep more).
  explicit RequestWindow(std::chrono::milliseconds window, std::size_t max_scrapes = 2048);

  void add(TimePoint at, Scrape scrape);
  // Keeps the last scrape only, as the baseline of what comes next.
  void restart();

  struct Growth {
    double requests = 0;
    double errors = 0;
    Buckets buckets;
    std::chrono::milliseconds span{0};  // from the baseline scrape to the last one
  };
  // How much each counter grew from the baseline to the last scrape (zero with fewer than two).
  [[nodiscard]] Growth growth() const;

 private:
  std::chrono::milliseconds window_;
  std::size_t max_scrapes_;
  std::deque<std::pair<TimePoint, Scrape>> scrapes_;
};

}  // namespace slipway::watch
