// The metrics probe's arithmetic, with set times: counters' growth over a window with resets,
// histogram_quantile as Prometheus computes it, and a scrape reduced to the gate's names.
#include "watch/request_window.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;
constexpr double kInf = std::numeric_limits<double>::infinity();

Scrape scrape(double requests, double errors, Buckets buckets = {}) {
  Scrape s;
  s.requests = requests;
  s.errors = errors;
  s.buckets = std::move(buckets);
  s.has_requests = true;
  return s;
}

TEST(HistogramQuantile, InterpolatesInsideTheBucketLikePrometheus) {
  const Buckets b{{0.1, 90}, {0.5, 98}, {kInf, 100}};
  EXPECT_NEAR(histogram_quantile(0.95, b), 0.35, 1e-12);                      // 0.1 + 0.4 * (95 - 90) / (98 - 90)
  EXPECT_NEAR(histogram_quantile(0.5, b), 0.1 * 50 / 90, 1e-12);              // the first bucket starts at 0
  EXPECT_EQ(histogram_quantile(0.99, b), 0.5);                                // in +Inf: the highest finite bound
  EXPECT_TRUE(std::isnan(histogram_quantile(0.5, {{0.1, 0}, {kInf, 0}})));    // nothing observed
  EXPECT_TRUE(std::isnan(histogram_quantile(0.5, {{0.1, 1}, {0.5, 2}})));     // no +Inf bucket
  EXPECT_NEAR(histogram_quantile(0.5, {{kInf, 10}, {0.2, 10}}), 0.1, 1e-12);  // sorted first
}

TEST(RequestWindow, GrowthIsTheIncreaseOverTheWindowWithResetsCountedFromZero) {
  RequestWindow w(5min);
  const RequestWindow::TimePoint t0{};
  w.add(t0, scrape(100, 1));
  EXPECT_EQ(w.growth().requests, 0);  // one scrape: no growth yet
  w.add(t0 + 1min, scrape(160, 4));
  w.add(t0 + 2min, scrape(40, 2));  // restarted: 40 since
  const auto g = w.growth();
  EXPECT_EQ(g.requests, 100);
  EXPECT_EQ(g.errors, 5);
  EXPECT_EQ(g.span, 2min);
}

TEST(RequestWindow, ScrapesOlderThanTheWindowLeaveButOneStaysAsTheBaseline) {
  RequestWindow w(5min);
  const RequestWindow::TimePoint t0{};
  for (int m = 0; m <= 10; ++m) w.add(t0 + std::chrono::minutes(m), scrape(m * 100.0, m < 3 ? m * 50.0 : 100));
  const auto g = w.growth();  // from minute 5 to minute 10: no new errors since minute 2
  EXPECT_EQ(g.requests, 500);
  EXPECT_EQ(g.errors, 0);
  EXPECT_EQ(g.span, 5min);
}

TEST(RequestWindow, KeepsAtMostMaxScrapes) {
  RequestWindow w(1h, 3);
  const RequestWindow::TimePoint t0{};
  for (int s = 0; s < 10; ++s) w.add(t0 + std::chrono::seconds(s), scrape(s * 10.0, 0));
  EXPECT_EQ(w.growth().requests, 20);  // the last 3 scrapes: 70 -> 90
}

TEST(RequestWindow, BucketsGrowPerBoundAndResetTogether) {
  RequestWindow w(5min);
  const RequestWindow::TimePoint t0{};
  w.add(t0, scrape(10, 0, {{0.1, 8}, {kInf, 10}}));
  w.add(t0 + 1min, scrape(30, 0, {{0.1, 20}, {kInf, 30}}));
  w.add(t0 + 2min, scrape(5, 0, {{0.1, 1}, {kInf, 5}}));  // restarted
  const auto g = w.growth();
  ASSERT_EQ(g.buckets.size(), 2u);
  EXPECT_EQ(g.buckets[0], (std::pair<double, double>{0.1, 13}));
  EXPECT_EQ(g.buckets[1], (std::pair<double, double>{kInf, 25}));
}

TEST(ReduceScrape, SumsTheCounterAndTheHistogramOverTheirOtherLabels) {
  auto text = parse_prometheus_text(
      "# TYPE lat histogram\n"
      "req{mode=\"normal\",status=\"200\"} 90\n"
      "req{mode=\"maintenance\",status=\"503\"} 4\n"
      "req{code=\"502\"} 1\n"
      "req{status_code=\"404\"} 5\n"
      "lat_bucket{route=\"a\",le=\"0.1\"} 3\n"
      "lat_bucket{route=\"b\",le=\"0.1\"} 4\n"
      "lat_bucket{route=\"a\",le=\"+Inf\"} 5\n"
      "lat_bucket{route=\"b\",le=\"+Inf\"} 6\n"
      "lat_bucket{route=\"b\",le=\"many\"} 6\n"
      "lat_sum 1\n");
  ASSERT_TRUE(text);
  const auto s = reduce_scrape(*text, "req", "lat");
  EXPECT_TRUE(s.has_requests);
  EXPECT_TRUE(s.has_histogram);
  EXPECT_EQ(s.requests, 100);
  EXPECT_EQ(s.errors, 5);
  EXPECT_EQ(s.buckets, (Buckets{{0.1, 7}, {kInf, 11}}));
  const auto none = reduce_scrape(*text, "other_total", "lat2");
  EXPECT_FALSE(none.has_requests);
  EXPECT_FALSE(none.has_histogram);
}

}  // namespace
}  // namespace slipway::watch
