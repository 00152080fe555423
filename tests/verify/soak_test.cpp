// The soak part: the growth estimator on synthetic series, the Prometheus reader, and soaks
// against real processes (one that leaks, one that does not), a metrics endpoint, and a real
// PostgreSQL whose connections pile up or hold steady.
#include "verify/soak.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "pg/connection.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "server.hpp"

namespace slipway::verify {
namespace {

using namespace std::chrono_literals;

// ---- the estimator --------------------------------------------------------------------------

std::vector<Sample> series(int n, double step_s, const std::function<double(int)>& value) {
  std::vector<Sample> s;
  for (int i = 0; i < n; ++i) s.push_back({i * step_s, value(i)});
  return s;
}

TEST(Growth, FlatWithNoiseIsNoGrowth) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 2e6);  // 2 MB of jitter around 100 MB
  const auto s = series(360, 10, [&](int) { return 100e6 + noise(rng); });
  const Growth g = estimate_growth(s, 360);
  EXPECT_EQ(g.used, 324U);
  EXPECT_NEAR(g.baseline, 100e6, 1e6);
  EXPECT_LT(std::abs(g.percent()), 2.0);
  EXPECT_LT(std::abs(g.per_hour), 3e6);
  EXPECT_EQ(judge_growth(g, *parse_growth_bound("20%")), GrowthVerdict::pass);
}

TEST(Growth, LinearGrowthIsMeasuredAndItsSlopeReported) {
  // 100 MB growing 60 MB an hour, sampled every 10 s for an hour.
  const auto s = series(361, 10, [](int i) { return 100e6 + 60e6 * (i * 10.0 / 3600); });
  const Growth g = estimate_growth(s, 0);
  EXPECT_NEAR(g.per_hour, 60e6, 1e3);
  // Medians of the first and last quarters: about 3/4 of the hour apart.
  EXPECT_NEAR(g.growth, 45e6, 1e6);
  EXPECT_EQ(judge_growth(g, *parse_growth_bound("20%")), GrowthVerdict::over);
  EXPECT_EQ(judge_growth(g, *parse_growth_bound("100MB")), GrowthVerdict::pass);
  EXPECT_EQ(judge_growth(g, *parse_growth_bound("50MB")), GrowthVerdict::near);
}

TEST(Growth, ASingleSpikeIsNotGrowth) {
  // A garbage-collection peak of +300 MB in one sample, in the middle and in the last quarter.
  for (int at : {180, 340, 360}) {
    const auto s = series(361, 10, [at](int i) { return i == at ? 400e6 : 100e6; });
    const Growth g = estimate_growth(s, 0);
    EXPECT_EQ(g.growth, 0) << "spike at sample " << at;
    EXPECT_EQ(judge_growth(g, *parse_growth_bound("20%")), GrowthVerdict::pass);
  }
  // First-versus-last would have called this a 300% leak.
  const auto s = series(361, 10, [](int i) { return i == 360 ? 400e6 : 100e6; });
  EXPECT_GT(s.back().value / s.front().value, 3.9);
}

TEST(Growth, WarmUpIsSkipped) {
  // Caches fill in the first 20 minutes, then the value is flat.
  const auto s = series(361, 10, [](int i) { return i < 120 ? 50e6 + i * 0.375e6 : 95e6; });
  EXPECT_GT(estimate_growth(s, 0).growth, 20e6);
  EXPECT_EQ(estimate_growth(s, 1200).growth, 0);
}

TEST(Growth, TooFewSamplesAreNoEstimate) {
  const auto s = series(5, 10, [](int i) { return i * 1e6; });
  EXPECT_EQ(estimate_growth(s, 15).used, 3U);
  EXPECT_EQ(estimate_growth(s, 0).used, 5U);
}

TEST(Growth, BoundsParse) {
  auto pct = parse_growth_bound("12.5%");
  ASSERT_TRUE(pct);
  EXPECT_TRUE(pct->percent);
  EXPECT_DOUBLE_EQ(pct->limit(200), 25);
  auto size = parse_growth_bound("50MB");
  ASSERT_TRUE(size);
  EXPECT_FALSE(size->percent);
  EXPECT_DOUBLE_EQ(size->limit(1e9), 50e6);
  EXPECT_DOUBLE_EQ(parse_growth_bound("512MiB")->value, 512.0 * 1024 * 1024);
  for (const char* bad : {"", "%", "abc", "-5%", "20 %x", "12parsecs"}) {
    EXPECT_FALSE(parse_growth_bound(bad)) << bad;
  }
}

TEST(Growth, DownsampleKeepsTheShapeWithinTheBound) {
  const auto s = series(3600, 1, [](int i) { return static_cast<double>(i); });
  const auto d = downsample(s, 720);
  ASSERT_EQ(d.size(), 720U);
  EXPECT_DOUBLE_EQ(d.front().value, 2);  // the mean of 0..4
  EXPECT_DOUBLE_EQ(d.back().value, 3597);
  EXPECT_EQ(downsample(s, 5000).size(), 3600U);
}

// ---- Prometheus text -----------------------------------------------------------------------

TEST(Prometheus, ReadsTheMetricAndSumsItsLabelSets) {
  const std::string text =
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes_other 7\n"
      "process_resident_memory_bytes 1.2345e+08\n"
      "http_requests_total{path=\"/a}b\",code=\"200\"} 12 1700000000000\r\n"
      "http_requests_total{path=\"/x\\\"}\"} 3\n"
      "  worker_rss{worker=\"1\"} 10\n"
      "worker_rss{worker=\"2\"} 20\n"
      "worker_rss{worker=\"3\"} NaN\n";
  EXPECT_DOUBLE_EQ(*prometheus_value(text, "process_resident_memory_bytes"), 1.2345e8);
  EXPECT_DOUBLE_EQ(*prometheus_value(text, "http_requests_total"), 15);
  EXPECT_DOUBLE_EQ(*prometheus_value(text, "worker_rss"), 30);
  auto missing = prometheus_value(text, "go_memstats_alloc_bytes");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("go_memstats_alloc_bytes"), std::string::npos);
}

// ---- soaks against real processes ---------------------------------------------------------

SoakOptions quick() {
  SoakOptions o;
  o.duration = 3s;
  o.interval = 150ms;
  o.warmup = 300ms;
  return o;
}

// Opens the probes and soaks; an empty report when the probes could not be opened.
Report soak(const SoakOptions& o) {
  Report report;
  auto probes = open_probes(o);
  EXPECT_TRUE(probes) << probes.error().message;
  if (probes) run_soak(o, *probes, report);
  return report;
}

// The check `id`, or a failed placeholder saying it is missing.
Check check(const Report& r, std::string_view id) {
  for (const auto& c : r.checks()) {
    if (c.id == id) return c;
  }
  return {std::string(id), "soak", Status::fail, "missing", {}};
}

// Starts `argv` (which prints "ready 0") and soaks its PID.
Report soak_child(const std::vector<std::string>& argv) {
  test::ChildServer child(argv);
  SoakOptions o = quick();
  o.pid = child.pid();
  return soak(o);
}

// Holds 2 MB more every 100 ms, written to so the pages are resident.
const char* kLeaky =
    "const a = []; console.log('ready 0');"
    "setInterval(() => { const b = Buffer.alloc(2 << 20); b.fill(1); a.push(b); }, 100);";

TEST(Soak, AProcessWhoseMemoryGrowsFailsTheBound) {
  const Report report = soak_child({"node", "-e", kLeaky});
  const Check c = check(report, "soak-rss-growth");
  EXPECT_EQ(c.status, Status::fail) << c.message;
  const auto& rss = report.extra().at("soak").at("rss").as_object();
  EXPECT_GT(rss.at("growth").as_double(), rss.at("limit").as_double());
  EXPECT_GT(rss.at("slope_per_hour").as_double(), 0);
  EXPECT_GE(rss.at("series").as_array().size(), 10U);
  EXPECT_EQ(report.extra().at("soak").as_object().count("connections"), 0U);
}

TEST(Soak, AStableProcessPasses) {
  const Report report = soak_child({"sh", "-c", "echo ready 0; exec sleep 60"});
  const Check c = check(report, "soak-rss-growth");
  EXPECT_EQ(c.status, Status::pass) << c.message;
  EXPECT_GT(report.extra().at("soak").at("rss").at("baseline").as_double(), 0);
}

TEST(Soak, AProcessThatExitsDuringTheSoakFails) {
  test::ChildServer doomed({"sh", "-c", "echo ready 0; exec sleep 60"});
  SoakOptions o = quick();
  o.pid = doomed.pid();
  std::thread killer([&] {
    std::this_thread::sleep_for(o.duration / 2);
    ::kill(doomed.pid(), SIGKILL);  // a crash; the ChildServer reaps it
  });
  const Report report = soak(o);
  killer.join();
  const Check c = check(report, "soak-rss-growth");
  EXPECT_EQ(c.status, Status::fail);
  EXPECT_NE(c.message.find("has exited"), std::string::npos) << c.message;
}

TEST(Soak, ARestartSeenThroughThePidFileFails) {
  test::ChildServer first({"sh", "-c", "echo ready 0; exec sleep 60"});
  test::ChildServer second({"sh", "-c", "echo ready 0; exec sleep 60"});
  const auto file = std::filesystem::temp_directory_path() / ("slipway-soak-" + std::to_string(::getpid()) + ".pid");
  std::ofstream(file) << first.pid() << "\n";
  SoakOptions o = quick();
  o.pid_file = file.string();
  std::thread restart([&] {
    std::this_thread::sleep_for(o.duration / 2);
    std::ofstream(file) << second.pid() << "\n";
  });
  const Report report = soak(o);
  restart.join();
  std::filesystem::remove(file);
  const Check c = check(report, "soak-rss-growth");
  EXPECT_EQ(c.status, Status::fail);
  EXPECT_NE(c.message.find("restarted"), std::string::npos) << c.message;
}

TEST(Soak, NoProcessOrNothingToSampleIsRefusedUpFront) {
  SoakOptions o = quick();
  o.pid = 1 << 29;  // above pid_max
  auto p = open_probes(o);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind, ErrorKind::environment);
  EXPECT_FALSE(open_probes(quick()));
  o.metrics_url = "http://127.0.0.1:1/metrics";
  auto both = open_probes(o);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().kind, ErrorKind::bad_input);
}

TEST(Soak, MetricsUrlThatGrowsFailsAndOneThatIsFlatPasses) {
  for (const std::string mode : {"grow", "flat"}) {
    test::ChildServer metrics({"node", test::source_path("tests/verify/metrics_server.js"), mode});
    SoakOptions o = quick();
    o.metrics_url = "http://127.0.0.1:" + std::to_string(metrics.port()) + "/metrics";
    const Report report = soak(o);
    const Check c = check(report, "soak-rss-growth");
    EXPECT_EQ(c.status, mode == "grow" ? Status::fail : Status::pass) << mode << ": " << c.message;
    EXPECT_GE(report.extra().at("soak").at("rss").at("baseline").as_double(), 100e6);
  }
}

// ---- PostgreSQL connections ----------------------------------------------------------------

TEST(Soak, ConnectionsOpenedMidwayFailTheBound) {
  const std::string url = test::Postgres::instance().create_database();
  SoakOptions o = quick();
  o.database_url = url;
  o.max_connection_growth = 2;
  std::vector<pg::Connection> held;
  std::thread opener([&] {
    std::this_thread::sleep_for(o.duration / 2);
    for (int i = 0; i < 6; ++i) {
      auto c = pg::Connection::open(url);
      if (c) held.push_back(std::move(*c));
    }
  });
  const Report report = soak(o);
  opener.join();
  ASSERT_EQ(held.size(), 6U);
  const Check c = check(report, "soak-db-connections");
  EXPECT_EQ(c.status, Status::fail) << c.message;
  const auto& conns = report.extra().at("soak").at("connections").as_object();
  EXPECT_EQ(conns.at("baseline").as_double(), 0);  // the soak's own connection is not counted
  EXPECT_EQ(conns.at("final").as_double(), 6);
}

TEST(Soak, ASteadyConnectionCountPasses) {
  const std::string url = test::Postgres::instance().create_database();
  std::vector<pg::Connection> pool;
  for (int i = 0; i < 3; ++i) pool.push_back(std::move(*pg::Connection::open(url)));
  SoakOptions o = quick();
  o.database_url = url;
  o.max_connection_growth = 2;
  const Report report = soak(o);
  const Check c = check(report, "soak-db-connections");
  EXPECT_EQ(c.status, Status::pass) << c.message;
  EXPECT_EQ(report.extra().at("soak").at("connections").at("baseline").as_double(), 3);
}

// ---- the command ---------------------------------------------------------------------------

struct SoakCli : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("slipway-soak-" + std::to_string(::getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  test::RunResult slipway(std::vector<std::string> args) {
    args.insert(args.begin(), {test::slipway_binary(), "verify", "soak"});
    return test::run(args, {}, {}, dir.string());
  }
  std::filesystem::path dir;
};

TEST_F(SoakCli, MetricsUrlUnderLoadWithConnectionsFromTheConfig) {
  test::ChildServer metrics({"node", test::source_path("tests/verify/metrics_server.js"), "grow"});
  const std::string base = "http://127.0.0.1:" + std::to_string(metrics.port());
  const std::string db = test::Postgres::instance().create_database();
  std::ofstream(dir / "slipway.toml") << "[database]\nurl = \"" << db << "\"\n[verify]\nbase_url = \"" << base
                                      << "\"\n[verify.soak]\nmetrics_url = \"" << base
                                      << "/metrics\"\nmax_rss_growth = \"1GB\"\nmax_connection_growth = 0\n";
  auto r = slipway({"--duration", "2s", "--interval", "100ms", "--url", "/load", "--rate", "20", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = boost::json::parse(r.out).as_object();
  std::map<std::string, std::string> status;
  for (const auto& c : doc.at("checks").as_array()) {
    status[std::string(c.at("id").as_string())] = std::string(c.at("status").as_string());
  }
  EXPECT_EQ(status["soak-rss-growth"], "pass");  // grows, but far less than 1GB
  EXPECT_EQ(status["soak-db-connections"], "pass");
  EXPECT_EQ(status["soak-load"], "pass");
  const auto& soak = doc.at("soak").as_object();
  EXPECT_GT(soak.at("load").as_array()[0].at("requests").to_number<std::uint64_t>(), 0U);
  EXPECT_EQ(r.out.find(db), std::string::npos) << "the database URL's password is redacted";

  // The same soak with the default bound: the growth fails it, exit 1.
  r = slipway({"--duration", "2s", "--interval", "100ms", "--max-rss-growth", "20%", "--no-database"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(r.out.find("FAIL soak-rss-growth") != std::string::npos ||
              r.out.find("✗ soak-rss-growth") != std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("soak-db-connections"), std::string::npos) << r.out;
}

TEST_F(SoakCli, LeakingPidFromTheFlagsExitsOne) {
  test::ChildServer leaky({"node", "-e", kLeaky});
  auto r = slipway({"--pid", std::to_string(leaky.pid()), "-d", "2s", "-i", "100ms", "--max-rss-growth", "10MB"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("soak-rss-growth [pid " + std::to_string(leaky.pid()) + "]"), std::string::npos) << r.out;
}

TEST_F(SoakCli, BadInputExitsTwo) {
  auto r = slipway({"--pid", "1", "--max-rss-growth", "lots"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--max-rss-growth"), std::string::npos) << r.err;
  r = slipway({"--pid", "1", "--duration", "1s", "--interval", "5s"});
  EXPECT_EQ(r.exit_code, 2);
  r = slipway({"--duration", "1s"});  // nothing to sample
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::ofstream(dir / "slipway.toml")
      << "[verify.soak]\npid = 1\nmetrics_url = \"http://x/metrics\"\nmax_rss_growth = \"x\"\n";
  r = slipway({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("more than one memory source"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slipway.toml:4:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace slipway::verify
