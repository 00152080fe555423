// The metrics probe scraping a real local HTTP server that serves what the gate's own counters
// (gate::Metrics) print, changed between scrapes as requests are counted: the defaults read the
// gate's names, 5xx answers make the error rate, the histogram gives p95, too few requests are
// not judged, and a restart (counters back near zero) is not a negative rate.
#include <gtest/gtest.h>

#include <memory>

#include "deploy/sinks.hpp"
#include "gate/metrics.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

double value(const ProbeResult& r, const std::string& name) {
  for (const auto& [k, v] : r.values) {
    if (k == name) return v;
  }
  ADD_FAILURE() << "no value " << name;
  return -1;
}

class MetricsProbeTest : public ::testing::Test {
 protected:
  MetricsProbeTest() { serve(); }

  void count(int n, unsigned status, double seconds) {
    for (int i = 0; i < n; ++i) {
      gate_->shard(0).request(gate::Mode::normal, status);
      gate_->shard(0).upstream_latency(seconds);
    }
    serve();
  }
  void serve() { endpoint_.reply = gate_->prometheus(gate::Mode::normal, 1, 0); }
  void restart_gate() {
    gate_ = std::make_unique<gate::Metrics>(2);
    serve();
  }

  std::unique_ptr<Probe> probe(Duration p95_above = 2s) {
    WatchProbe p;
    p.name = "api-errors";
    p.key = "watch.probe[0]";
    p.kind = "metrics";
    p.timeout = 5s;
    p.url = endpoint_.url("/metrics");
    p.p95_above = p95_above;
    auto made = make_probe(p, Config{});
    EXPECT_TRUE(made) << made.error().render();
    return made ? std::move(*made) : nullptr;
  }

  std::unique_ptr<gate::Metrics> gate_ = std::make_unique<gate::Metrics>(2);
  test::HttpSink endpoint_;
};

TEST_F(MetricsProbeTest, TheErrorRateOverTheWindowFailsAboveTheBound) {
  auto p = probe();
  ASSERT_TRUE(p);
  auto r = p->run();  // the first scrape is the baseline: nothing to judge yet
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.note, "0 requests in the window, fewer than min_requests = 20");

  count(97, 200, 0.02);
  count(3, 502, 0.02);
  r = p->run();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(value(r, "requests"), 100);
  EXPECT_DOUBLE_EQ(value(r, "error_rate"), 0.03);
  // Every request in (0.01, 0.025]: p95 is 95 % of the way through that bucket.
  EXPECT_NEAR(value(r, "p95_seconds"), 0.01 + 0.015 * 0.95, 1e-9);

  count(90, 200, 0.02);
  count(10, 500, 0.02);
  r = p->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("error rate 6.5 % (13 5xx of 200 requests in the last "), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("above error_rate_above = 5 %"), std::string::npos) << r.reason;
}

TEST_F(MetricsProbeTest, SlowAnswersPushP95AboveTheBound) {
  auto p = probe();
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->run().ok);
  count(30, 200, 0.02);
  count(30, 200, 3.0);  // in (2.5, 5]
  const auto r = p->run();
  EXPECT_FALSE(r.ok);
  // rank 57 of 60: 27 of the 30 in (2.5, 5] -> 2.5 + 2.5 * 27 / 30
  EXPECT_NEAR(value(r, "p95_seconds"), 4.75, 1e-9);
  EXPECT_NE(r.reason.find("p95 4.75 s over 60 requests in the last "), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("above p95_above = 2s"), std::string::npos) << r.reason;
}

TEST_F(MetricsProbeTest, FewerThanMinRequestsAreNotJudged) {
  auto p = probe();
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->run().ok);
  count(6, 200, 0.01);
  count(6, 503, 9.0);  // half of them failed, and slowly: still only 12 requests
  const auto r = p->run();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.note, "12 requests in the window, fewer than min_requests = 20");
  EXPECT_EQ(value(r, "requests"), 12);
}

TEST_F(MetricsProbeTest, AGateRestartIsNotANegativeRate) {
  auto p = probe();
  ASSERT_TRUE(p);
  count(100, 200, 0.02);
  ASSERT_TRUE(p->run().ok);
  restart_gate();
  count(30, 200, 0.02);  // 30 since the restart
  const auto r = p->run();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(value(r, "requests"), 30);
  EXPECT_EQ(value(r, "error_rate"), 0);
}

TEST_F(MetricsProbeTest, AnEndpointThatIsNotPrometheusTextOrLacksTheCounterFails) {
  auto p = probe();
  ASSERT_TRUE(p);
  endpoint_.reply = "<!doctype html>\n<title>hello</title>\n";
  auto r = p->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("/metrics: line 1: "), std::string::npos) << r.reason;

  endpoint_.reply = "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 5\n";
  r = p->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("has no counter slipway_gate_requests_total"), std::string::npos) << r.reason;

  endpoint_.status = 503;
  serve();
  r = p->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("answered 503"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace slipway::watch
