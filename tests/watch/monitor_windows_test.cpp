// The monitor's holds and its leader, over a real SQLite state store, a real HTTP backend the test
// turns up and down, and local sinks for the channels, stepped with a fake clock: windows (a
// deploy's, a silence, one that expired), depends_on, flapping, routing per channel, grouping, the
// hourly rate limit, and two monitors sharing the store's lease.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "deploy/sinks.hpp"
#include "server.hpp"
#include "watch/monitor.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

std::int64_t ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The events a sink received, in order ("firing:api", "resolved:api", ...), from webhook bodies.
std::vector<std::string> events(const test::HttpSink& sink) {
  std::vector<std::string> out;
  for (const auto& r : sink.requests()) {
    const auto field = [&](const std::string& key) {
      const auto at = r.body.find("\"" + key + "\":\"");
      if (at == std::string::npos) return std::string();
      const auto from = at + key.size() + 4;
      return r.body.substr(from, r.body.find('"', from) - from);
    };
    out.push_back(field("event") + ":" + field("alert"));
  }
  return out;
}

struct Env {
  std::filesystem::path db_path = std::filesystem::temp_directory_path() /
                                  ("slipway-windows-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
  test::HttpSink hook;
  test::HttpSink app;  // the backend probed: 200 up, 503 down
  Config config;
  std::unique_ptr<state::Store> store;
  TimePoint now = TimePoint(std::chrono::hours(490'000));

  Env() {
    std::filesystem::remove(db_path);
    config.project.name = "shop";
    config.notify.webhook = hook.url("/hook");
    auto s = state::open_file(db_path);
    EXPECT_TRUE(s) << s.error().render();
    store = std::move(*s);
  }
  ~Env() { std::filesystem::remove(db_path); }

  WatchProbe& add(const std::string& name, std::string url = {}) {
    WatchProbe p;
    p.name = name;
    p.key = "watch.probe[" + std::to_string(config.watch.probes.size()) + "]";
    p.url = url.empty() ? app.url("/health") : url;
    p.timeout = 2s;
    p.down_after = 0s;
    p.up_after = 1;
    p.every = 1min;
    p.retry_every = 1min;
    config.watch.probes.push_back(p);
    return config.watch.probes.back();
  }
  std::unique_ptr<Monitor> open(std::string holder = {}) {
    auto m = Monitor::open(config, *store, {}, std::move(holder));
    EXPECT_TRUE(m) << m.error().render();
    return m ? std::move(*m) : nullptr;
  }
  // One turn at `now`, then the clock moves a minute.
  void turn(Monitor& m) {
    auto r = m.turn(now);
    EXPECT_TRUE(r) << r.error().render();
    now += 1min;
  }
  std::int64_t window(const std::string& kind, const std::string& probes, Duration length = 1h) {
    auto id = store->open_window({.kind = kind,
                                  .ref = "d-1",
                                  .probes = probes,
                                  .reason = "deploy v3",
                                  .opened_ms = ms(now),
                                  .expires_ms = ms(now + length)});
    EXPECT_TRUE(id) << id.error().render();
    return *id;
  }
  void close(std::int64_t id) { EXPECT_TRUE(*store->close_window(id, ms(now), "test")); }
};

TEST(MonitorWindows, FailAndRecoverInsideADeployWindowSendsNothing) {
  Env e;
  e.add("api");
  auto m = e.open();
  e.turn(*m);
  const auto w = e.window("deploy", "");
  e.app.status = 503;
  e.turn(*m);
  e.turn(*m);
  e.app.status = 200;
  e.turn(*m);
  e.close(w);
  e.turn(*m);
  EXPECT_TRUE(events(e.hook).empty());
}

TEST(MonitorWindows, DownPastTheCloseSendsOneAlertAtTheClose) {
  Env e;
  e.add("api");
  auto m = e.open();
  e.turn(*m);
  const auto w = e.window("deploy", "");
  e.app.status = 503;
  e.turn(*m);
  e.turn(*m);
  EXPECT_TRUE(events(e.hook).empty());
  e.close(w);
  e.now += 1s;  // no probe is due: the close makes it run at once
  ASSERT_TRUE(m->turn(e.now));
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:api"});
  EXPECT_NE(e.hook.requests()[0].body.find("deploy d-1's window"), std::string::npos) << e.hook.requests()[0].body;
  e.turn(*m);
  e.turn(*m);
  EXPECT_EQ(events(e.hook).size(), 1u);
}

TEST(MonitorWindows, DownBeforeAndUpAfterSendsOneRecovered) {
  Env e;
  e.add("api");
  auto m = e.open();
  e.app.status = 503;
  e.turn(*m);
  const auto w = e.window("maintenance", "");
  e.app.status = 200;
  e.turn(*m);
  e.turn(*m);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:api"});
  e.close(w);
  e.turn(*m);
  EXPECT_EQ(events(e.hook), (std::vector<std::string>{"firing:api", "resolved:api"}));
}

TEST(MonitorWindows, AProbeWithDeployWindowOffAlertsDuringADeploy) {
  Env e;
  e.add("api");
  e.add("payments").deploy_window = false;
  auto m = e.open();
  e.window("deploy", "");
  e.app.status = 503;
  e.turn(*m);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:payments"});
}

TEST(MonitorWindows, ASilenceOfOneProbeLeavesTheOthersAlerting) {
  Env e;
  e.add("api");
  e.add("web");
  auto m = e.open();
  e.window("silence", "api");
  e.app.status = 503;
  e.turn(*m);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:web"});
}

TEST(MonitorWindows, ADeployWindowThatExpiredSaysWindowClosedOnceAndAlertsResume) {
  Env e;
  e.add("api");
  auto m = e.open();
  e.window("deploy", "", 2min);
  e.app.status = 503;
  e.turn(*m);
  e.turn(*m);
  EXPECT_TRUE(events(e.hook).empty());
  e.turn(*m);  // 2 minutes on: expired
  e.turn(*m);
  EXPECT_EQ(events(e.hook), (std::vector<std::string>{"window-closed:deploy-window", "firing:api"}));
  auto windows = e.store->windows(ms(e.now), 0);
  ASSERT_EQ(windows->size(), 1u);
  EXPECT_EQ(windows->front().closed_by, "expired");
}

TEST(MonitorHolds, FiftyProbesDownBehindOneDependencySendOneMessagePerChannel) {
  Env e;
  test::HttpSink slack;
  e.config.notify.slack_webhook = slack.url("/slack");
  test::HttpSink db;  // the dependency, an HTTP stand-in
  e.add("db", db.url("/"));
  for (int i = 0; i < 50; ++i) e.add("svc-" + std::to_string(i)).depends_on = "db";
  auto m = e.open();
  e.turn(*m);
  db.status = 503;
  e.app.status = 503;
  for (int i = 0; i < 3; ++i) e.turn(*m);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:db"});
  EXPECT_EQ(slack.requests().size(), 1u);
  // The dependency comes back and its dependents stay down: now they are theirs to say.
  db.status = 200;
  e.turn(*m);
  EXPECT_EQ(events(e.hook).size(), 52u);   // db resolved, 50 firings
  EXPECT_EQ(slack.requests().size(), 2u);  // one message listing the 51 notices
  EXPECT_NE(slack.requests()[1].body.find("51 watch notices"), std::string::npos) << slack.requests()[1].body;
}

TEST(MonitorHolds, ADependentFailingFirstAsksItsDependencyAgainBeforeAlerting) {
  Env e;
  test::HttpSink db;
  auto& dbp = e.add("db", db.url("/"));
  dbp.every = 1h;  // last probed long ago when the dependent fails
  e.add("api").depends_on = "db";
  auto m = e.open();
  e.turn(*m);
  db.status = 503;
  e.app.status = 503;
  e.turn(*m);  // api is due, db is not: db is asked again first
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:db"});
}

TEST(MonitorHolds, AFlappingTargetSendsOneFlappingNotice) {
  Env e;
  auto& p = e.add("api");
  p.down_after = 3min;  // alternating results never stay down that long
  auto m = e.open();
  for (int i = 0; i < 40; ++i) {
    e.app.status = i % 2 == 0 ? 200 : 503;
    e.turn(*m);
  }
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"flapping:api"});
}

TEST(MonitorChannels, AChannelThatRefusedIsRetriedAloneAndTheOthersAreNotSentTwice) {
  Env e;
  test::HttpSink slack;
  e.config.notify.slack_webhook = slack.url("/slack");
  e.hook.status = 500;
  e.add("api");
  auto m = e.open();
  e.app.status = 503;
  e.turn(*m);
  EXPECT_EQ(slack.requests().size(), 1u);
  const auto tries = e.hook.requests().size();
  EXPECT_GE(tries, 1u);
  e.hook.status = 200;
  e.now += 10min;
  e.turn(*m);
  EXPECT_EQ(e.hook.requests().size(), tries + 1);
  EXPECT_EQ(slack.requests().size(), 1u);
  EXPECT_TRUE(e.store->outbox()->empty());
}

TEST(MonitorChannels, RoutingBySeveritySendsWarningsOnlyWhereTheyAreRouted) {
  Env e;
  test::HttpSink slack;
  e.config.notify.slack_webhook = slack.url("/slack");
  e.config.watch.route_warning = {"slack"};
  e.add("disk").severity = "warning";
  auto m = e.open();
  e.app.status = 503;
  e.turn(*m);
  EXPECT_TRUE(e.hook.requests().empty());
  EXPECT_EQ(slack.requests().size(), 1u);
}

TEST(MonitorChannels, TheRateLimitHoldsMessagesAndSendsThemTogetherInTheNextHour) {
  Env e;
  test::HttpSink slack;
  e.config.notify.slack_webhook = slack.url("/slack");
  e.config.watch.rate_limit = 1;
  e.add("api");
  auto m = e.open();
  e.app.status = 503;
  e.turn(*m);  // api fires: the hour's one message
  e.app.status = 200;
  e.turn(*m);  // api resolves: held
  e.app.status = 503;
  e.turn(*m);  // api fires again: held
  EXPECT_EQ(slack.requests().size(), 1u);
  EXPECT_EQ(events(e.hook).size(), 3u);  // webhook has no limit here
  e.now += 1h;
  e.turn(*m);
  ASSERT_EQ(slack.requests().size(), 2u);
  // The two held, and the reminder (critical: every 30 minutes) that came due meanwhile.
  EXPECT_NE(slack.requests()[1].body.find("3 watch notices"), std::string::npos) << slack.requests()[1].body;
  EXPECT_NE(slack.requests()[1].body.find("api is still down, for 1h"), std::string::npos) << slack.requests()[1].body;
  EXPECT_TRUE(e.store->outbox()->empty());
}

TEST(MonitorChannels, SmsGoesAsAFormPostWithBasicAuthToEachNumber) {
  Env e;
  test::HttpSink twilio;
  twilio.status = 201;
  e.config.notify.sms = {.url = twilio.url("/2010-04-01/Accounts/AC1/Messages.json"),
                         .username = "AC1",
                         .password = "token-secret",
                         .from = "+15550100",
                         .to = {"+15550111", "+15550122"}};
  e.add("api");
  auto m = e.open();
  e.app.status = 503;
  e.turn(*m);
  const auto r = twilio.requests();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r[0].headers.at("authorization"), "Basic QUMxOnRva2VuLXNlY3JldA==");
  EXPECT_TRUE(r[0].body.starts_with("To=%2B15550111&From=%2B15550100&Body=shop%3A%20api%20is%20down")) << r[0].body;
  EXPECT_TRUE(r[1].body.starts_with("To=%2B15550122&")) << r[1].body;
}

TEST(MonitorLeader, OnlyTheLeaderProbesAndSendsAndTheOtherTakesOverAfterTheLease) {
  Env e;
  e.config.watch.lease = 30s;
  auto& p = e.add("api");
  p.down_after = 3min;
  auto a = e.open("a");
  auto b = e.open("b");
  e.app.status = 503;
  ASSERT_TRUE(a->turn(e.now));
  ASSERT_TRUE(b->turn(e.now));
  EXPECT_TRUE(a->leading());
  EXPECT_FALSE(b->leading());
  EXPECT_EQ(e.app.requests().size(), 1u);  // b did not probe
  // a is killed while api is pending: b takes over after the lease and fires once, on time.
  a.reset();
  e.now += 20s;
  ASSERT_TRUE(b->turn(e.now));
  EXPECT_FALSE(b->leading());
  e.now += 20s;
  ASSERT_TRUE(b->turn(e.now));
  EXPECT_TRUE(b->leading());
  for (int i = 0; i < 4; ++i) e.turn(*b);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:api"});
}

TEST(MonitorLeader, ADeposedLeaderNeitherWritesNorSends) {
  Env e;
  e.config.watch.lease = 30s;
  e.add("api");
  auto a = e.open("a");
  auto b = e.open("b");
  ASSERT_TRUE(a->turn(e.now));
  EXPECT_TRUE(a->leading());
  // a stalls past its lease; b takes over; then a wakes up and carries on where it was.
  e.now += 1min;
  ASSERT_TRUE(b->turn(e.now));
  EXPECT_TRUE(b->leading());
  e.now += 10s;
  e.app.status = 503;
  EXPECT_FALSE(a->probe_due(e.now));  // its write is fenced
  EXPECT_TRUE(e.store->outbox()->empty());
  ASSERT_TRUE(a->turn(e.now));
  EXPECT_FALSE(a->leading());
  e.turn(*b);
  e.turn(*b);
  EXPECT_EQ(events(e.hook), std::vector<std::string>{"firing:api"});
}

// The gate's counters as a Prometheus endpoint serves them: `fast` requests under 100 ms and
// `slow` ones under 1 s so far, `errors` of them 503s.
std::string gate_metrics(int fast, int slow, int errors = 0) {
  const int total = fast + slow;
  return fmt::format(
      "# TYPE slipway_gate_requests_total counter\n"
      "slipway_gate_requests_total{{status=\"200\"}} {}\n"
      "slipway_gate_requests_total{{status=\"503\"}} {}\n"
      "# TYPE slipway_gate_upstream_latency_seconds histogram\n"
      "slipway_gate_upstream_latency_seconds_bucket{{le=\"0.1\"}} {}\n"
      "slipway_gate_upstream_latency_seconds_bucket{{le=\"1\"}} {}\n"
      "slipway_gate_upstream_latency_seconds_bucket{{le=\"+Inf\"}} {}\n",
      total - errors, errors, fast, total, total);
}

TEST(MonitorWindows, TheGatesOwn503sInMaintenanceDoNotFireTheMetricsProbeAfterTheWindow) {
  Env e;
  test::HttpSink gate;
  auto& p = e.add("traffic", gate.url("/metrics"));
  p.kind = "metrics";
  p.min_requests = 10;
  auto m = e.open();
  gate.reply = gate_metrics(100, 0);
  e.turn(*m);
  const auto w = e.window("maintenance", "");
  gate.reply = gate_metrics(150, 0, 50);  // maintenance: the gate answered 503 to everyone
  e.turn(*m);
  e.close(w);
  gate.reply = gate_metrics(250, 0, 50);  // back: 100 requests, all fine
  e.turn(*m);
  e.turn(*m);
  EXPECT_TRUE(events(e.hook).empty());
}

TEST(MonitorPostDeploy, ADeployThatMadeTheAppSlowIsOneRegressionAndOneThatDidNotSaysNothing) {
  Env e;
  test::HttpSink gate;  // the gate's /metrics
  auto& p = e.add("api", gate.url("/metrics"));
  p.kind = "metrics";
  p.p95_above = 0s;  // no absolute bound: only the comparison with before the deploy
  p.error_rate_above = 100;
  p.min_requests = 10;
  auto m = e.open();
  gate.reply = gate_metrics(100, 0);
  e.turn(*m);
  gate.reply = gate_metrics(200, 0);
  e.turn(*m);  // p95 95 ms over the window
  const auto w = e.window("deploy", "");
  gate.reply = gate_metrics(250, 0);
  e.turn(*m);
  e.close(w);
  gate.reply = gate_metrics(250, 100);  // after the release: every request slow
  e.turn(*m);
  e.turn(*m);
  ASSERT_EQ(events(e.hook), std::vector<std::string>{"regression:api"});
  EXPECT_NE(e.hook.requests()[0].body.find("deploy v3 (d-1) raised p95 from 95 ms to 955 ms"), std::string::npos)
      << e.hook.requests()[0].body;

  // The next deploy leaves it as it was: nothing more.
  const auto w2 = e.window("deploy", "");
  e.turn(*m);
  e.close(w2);
  gate.reply = gate_metrics(250, 200);
  e.turn(*m);
  e.turn(*m);
  EXPECT_EQ(events(e.hook).size(), 1u);
}

TEST(MonitorPostDeploy, AnErrorRateThatRoseAfterTheDeployIsARegression) {
  Env e;
  test::HttpSink gate;
  auto& p = e.add("api", gate.url("/metrics"));
  p.kind = "metrics";
  p.p95_above = 0s;
  p.error_rate_above = 100;
  p.min_requests = 10;
  auto m = e.open();
  gate.reply = gate_metrics(100, 0);
  e.turn(*m);
  gate.reply = gate_metrics(200, 0);
  e.turn(*m);
  const auto w = e.window("deploy", "");
  e.turn(*m);
  e.close(w);
  gate.reply = gate_metrics(300, 0, 10);  // 10 of the next 100 failed
  e.turn(*m);
  ASSERT_EQ(events(e.hook), std::vector<std::string>{"regression:api"});
  EXPECT_NE(e.hook.requests()[0].body.find("raised the error rate from 0.0 % to 10.0 %"), std::string::npos)
      << e.hook.requests()[0].body;
}

}  // namespace
}  // namespace slipway::watch
