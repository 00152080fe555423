// The load generator against real servers: nginx for throughput and framing, and a server that
// stalls on a schedule for the open model's coordinated-omission correction.
#include "verify/load.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <memory>
#include <regex>
#include <thread>

#include "process.hpp"
#include "server.hpp"
#include "verify/perf.hpp"

namespace slipway::verify {
namespace {

const char* kStatic = R"(
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:@PORT0@;
    root @DIR@;
    location = /gone { return 404; }
    location = /chunked { chunked_transfer_encoding on; return 200 "chunks"; }
    location = /close { keepalive_timeout 0; return 200 "bye"; }
  }
)";

TEST(Load, ClosedModelCountsEveryResponseAgainstNginx) {
  test::Nginx nginx(kStatic);
  std::ofstream(nginx.dir() + "/index.html") << "hello\n";
  LoadOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/index.html";
  o.connections = 8;
  o.threads = 2;
  o.duration = std::chrono::milliseconds(500);
  auto r = run_load(o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GT(r->requests, 100U);
  EXPECT_EQ(r->errors, 0U);
  EXPECT_EQ(r->status_classes[2], r->requests);
  EXPECT_EQ(r->latency.count(), r->requests);
  EXPECT_EQ(r->body_bytes, r->requests * 6);
  EXPECT_FALSE(r->open_model);
}

TEST(Load, StatusErrorsAndClosedConnectionsAreCounted) {
  test::Nginx nginx(kStatic);
  LoadOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/gone";
  o.connections = 2;
  o.threads = 1;
  o.duration = std::chrono::milliseconds(300);
  auto r = run_load(o);
  ASSERT_TRUE(r);
  EXPECT_GT(r->requests, 0U);
  EXPECT_EQ(r->errors, r->requests);
  EXPECT_EQ(r->status_classes[4], r->requests);

  o.url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/close";
  r = run_load(o);
  ASSERT_TRUE(r);
  EXPECT_GT(r->requests, 0U);
  EXPECT_EQ(r->errors, 0U);
}

TEST(Load, RefusedPortIsErrorsNotACrash) {
  LoadOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/";
  o.connections = 2;
  o.duration = std::chrono::milliseconds(200);
  auto r = run_load(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->requests, 0U);
  EXPECT_GT(r->transport_errors, 0U);
  EXPECT_NE(r->first_error.find("connect"), std::string::npos);
}

TEST(Load, BadUrlIsBadInput) {
  LoadOptions o;
  o.url = "ftp://example.com/";
  auto r = run_load(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
}

// A server that stalls 400 ms in every 1 s period. At 200 req/s the open model has about 80
// requests due during each stall, each late by up to 400 ms: p99 shows the stall. The closed
// model has only its 4 connections waiting through a stall, a few requests among thousands.
TEST(Load, OpenModelShowsAStallTheClosedModelHides) {
  test::ChildServer server({"node", test::source_path("bench/stall_server.js"), "0", "1000", "400"});
  LoadOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  o.connections = 4;
  o.threads = 1;
  o.duration = std::chrono::milliseconds(2500);
  o.rate = 200;
  auto open = run_load(o);
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->open_model);
  EXPECT_GE(open->latency.percentile(99), 200'000U) << "the open model must see the stall in p99";

  o.rate = 0;
  auto closed = run_load(o);
  ASSERT_TRUE(closed);
  EXPECT_GE(closed->latency.max(), 100'000U) << "some request waited through a stall";
  EXPECT_LT(closed->latency.percentile(99), 100'000U) << "yet p99 hides it";
}

// A short run against nginx's /index.html, two connections.
PerfTarget index_target(const test::Nginx& nginx) {
  std::ofstream(nginx.dir() + "/index.html") << "hello\n";
  PerfTarget t;
  t.name = "index";
  t.load.url = "http://127.0.0.1:" + std::to_string(nginx.port()) + "/index.html";
  t.load.connections = 2;
  t.load.duration = std::chrono::milliseconds(200);
  return t;
}

TEST(Perf, BudgetsBecomeChecksAndJsonHasTheContractFields) {
  test::Nginx nginx(kStatic);
  PerfTarget t = index_target(nginx);
  t.thresholds = {*parse_threshold("rate(errors) < 0.05"), *parse_threshold("p(99) < 1us")};
  Report report;
  ASSERT_TRUE(run_perf({t}, report, false));
  ASSERT_EQ(report.checks().size(), 3U);
  EXPECT_EQ(report.checks()[0].id, "perf-run");
  EXPECT_EQ(report.checks()[0].status, Status::pass);
  EXPECT_EQ(report.checks()[1].status, Status::pass);
  EXPECT_EQ(report.checks()[2].status, Status::fail);  // nothing answers in a microsecond
  const auto& run = report.extra().at("perf").as_array().at(0).as_object();
  for (const char* key : {"requests", "rps", "errors", "latency_ms"}) EXPECT_TRUE(run.contains(key)) << key;
  for (const char* key : {"p50", "p95", "p99", "max"}) EXPECT_TRUE(run.at("latency_ms").as_object().contains(key));
}

// "rps":1.5366E4 in `verify --format json`: boost::json writes doubles with an exponent.
TEST(Perf, JsonNumbersAreNotInScientificNotation) {
  test::Nginx nginx(kStatic);
  PerfTarget t = index_target(nginx);
  Report report;
  ASSERT_TRUE(run_perf({t}, report, false));
  const std::string json = report.render(Format::json, Style(false));
  EXPECT_TRUE(json.find("\"rps\":") != std::string::npos) << json;
  EXPECT_FALSE(std::regex_search(json, std::regex("[0-9][eE][-+]?[0-9]"))) << json;
  EXPECT_FALSE(std::regex_search(report.render(Format::text, Style(false)), std::regex("[0-9][eE][-+]?[0-9]")));
}

// `verify perf` with two endpoints sometimes never returned: a worker whose end-of-run timer and
// timeout sweep expired in the same pass ran the stop first, so the sweep's cancel() found
// nothing to cancel, and the sweep's already-queued handler then re-armed itself forever. The
// sweep's first tick comes 100 ms after the worker starts and the deadline 20 ms + duration after
// the run started, so 80 ms runs put the two on the same instant. Each run is bounded by a
// bound, so a hang fails the test instead of hanging it.
TEST(Perf, TwoEndpointsWithShortDurationsAlwaysReturn) {
  test::Nginx nginx(kStatic);
  std::ofstream(nginx.dir() + "/index.html") << "hello\n";
  const std::string base = "http://127.0.0.1:" + std::to_string(nginx.port());
  for (int i = 0; i < 120; ++i) {
    std::vector<PerfTarget> targets(2);
    targets[0].name = "index";
    targets[0].load.url = base + "/index.html";
    targets[0].load.duration = std::chrono::milliseconds(80);  // deadline and first sweep coincide
    targets[1].name = "gone";
    targets[1].load.url = base + "/gone";
    targets[1].load.duration = std::chrono::milliseconds(1 + i % 5);  // over before connections are up
    for (auto& t : targets) {
      t.load.connections = 4;
      t.load.threads = 4;
    }
    // The run owns its inputs, so that a hung run can be left behind while the test fails.
    auto report = std::make_shared<Report>();
    auto done = std::make_shared<std::promise<bool>>();
    auto returned = done->get_future();
    std::thread run([targets, report, done] { done->set_value(static_cast<bool>(run_perf(targets, *report, false))); });
    if (returned.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      run.detach();
      FAIL() << "run_perf with two endpoints did not return within 10 s (iteration " << i
             << "): a load worker was never stopped";
    }
    run.join();
    ASSERT_TRUE(returned.get()) << "iteration " << i;
    ASSERT_EQ(report->checks().size(), 2U) << "iteration " << i;
  }
}

}  // namespace
}  // namespace slipway::verify
