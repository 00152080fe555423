// The real `slipway watch` against a real local backend that the test stops and starts, with a
// local webhook sink counting what arrives. Timings are scaled down through the config (every
// 200ms, down_after 1s); every wait is bounded in count and time, and nothing asserts how long
// anything took.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "certs.hpp"
#include "deploy/sinks.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "server.hpp"
#include "test_dir.hpp"
#include "watch/daemon.hpp"

namespace slipway {
namespace {

using namespace std::chrono_literals;

std::string probe_state(const std::filesystem::path& dir) {
  auto r = test::run({test::slipway_binary(), "watch", "status", "--format", "json"}, "", {}, dir.string());
  if (r.exit_code != 0) return "status exit " + std::to_string(r.exit_code) + ": " + r.err;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  if (ec) return "not JSON: " + r.out;
  return std::string(v.at("probes").at(0).at("state").as_string());
}

TEST(WatchCli, AlertsOnceWhenDownResolvesOnceWhenUpAndARestartSendsNoDuplicate) {
  const auto dir = test::fresh_test_dir("watch");
  test::HttpSink sink;
  const int port = test::free_port();
  const int listen = test::free_port();
  std::ofstream(dir / "slipway.toml") << R"([project]
name = "loans"
[state]
url = "state.db"
[notify]
webhook = ")" << sink.url("/hook") << R"("
[watch]
listen = "127.0.0.1:)" << listen << R"("
[[watch.probe]]
name = "api"
url = "http://127.0.0.1:)" << port << R"(/health"
conditions = ["status == 200", "json $.status == \"ok\""]
every = "200ms"
retry_every = "100ms"
down_after = "1s"
up_after = 2
repeat = "0s"
timeout = "2s"
)";
  auto backend = start_backend(port);
  auto watch = std::make_unique<WatchDaemon>(dir);
  ASSERT_TRUE(eventually([&] { return probe_state(dir) == "up"; })) << probe_state(dir) << watch->log();
  {
    net::HttpClient client(net::ClientOptions{.timeout = 5s});
    const std::string own = "http://127.0.0.1:" + std::to_string(listen);
    auto health = client.send({.url = own + "/health"});
    ASSERT_TRUE(health) << health.error().render();
    EXPECT_EQ(health->status, 200);
    auto metrics = client.send({.url = own + "/metrics"});
    ASSERT_TRUE(metrics) << metrics.error().render();
    EXPECT_NE(metrics->body.find(R"(slipway_watch_probe_up{probe="api"} 1)"), std::string::npos) << metrics->body;
  }

  backend.reset();  // down
  ASSERT_TRUE(eventually([&] { return !events(sink, "firing").empty(); })) << watch->log();
  std::this_thread::sleep_for(1s);  // ten more failed probes
  ASSERT_EQ(events(sink, "firing").size(), 1u);
  const auto firing = events(sink, "firing").front();
  EXPECT_EQ(firing.at("source"), "watch");
  EXPECT_EQ(firing.at("alert"), "api");
  EXPECT_EQ(firing.at("severity"), "critical");
  EXPECT_EQ(firing.at("project"), "loans");
  EXPECT_TRUE(firing.contains("started_at"));
  EXPECT_NE(std::string(firing.at("message").as_string()).find("api is down"), std::string::npos)
      << boost::json::serialize(firing);
  EXPECT_EQ(probe_state(dir), "down");

  // A restart while the probe is still down: nothing new to say.
  EXPECT_EQ(watch->stop(), 0) << watch->log();
  watch = std::make_unique<WatchDaemon>(dir);
  ASSERT_TRUE(eventually([&] { return watch->log().find("slipway watch: 1 probe(s)") != std::string::npos; }))
      << watch->log();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(events(sink, "firing").size(), 1u) << watch->log();
  EXPECT_TRUE(events(sink, "resolved").empty());

  backend = start_backend(port);  // up again
  ASSERT_TRUE(eventually([&] { return !events(sink, "resolved").empty(); })) << watch->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(events(sink, "resolved").size(), 1u);
  EXPECT_EQ(events(sink, "firing").size(), 1u);
  EXPECT_EQ(events(sink, "resolved").front().at("alert"), "api");
  EXPECT_EQ(probe_state(dir), "up");
  EXPECT_EQ(watch->stop(), 0) << watch->log();
  std::filesystem::remove_all(dir);
}

TEST(WatchCli, CheckRunsEveryProbeOnceAndFailsWhenOneFails) {
  const auto dir = test::fresh_test_dir("watch");
  const int port = test::free_port();
  auto backend = start_backend(port);
  std::ofstream(dir / "slipway.toml") << "[[watch.probe]]\nname = \"api\"\nurl = \"http://127.0.0.1:" << port
                                      << "/health\"\n[[watch.probe]]\nname = \"db\"\nkind = \"tcp\"\naddress = "
                                         "\"127.0.0.1:"
                                      << test::free_port() << "\"\n";
  auto r = test::run({test::slipway_binary(), "watch", "check", "--format", "json"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = boost::json::parse(r.out).as_object();
  const auto& checks = report.at("checks").as_array();
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].at("status"), "pass");
  EXPECT_EQ(checks[1].at("status"), "fail");
  std::filesystem::remove_all(dir);
}

// `watch check` runs the tls, sql, host and metrics kinds against real parts: nginx with a
// certificate from a test CA, the test PostgreSQL, this machine, and a local /metrics.
TEST(WatchCli, CheckRunsTheTlsSqlHostAndMetricsKinds) {
  const auto dir = test::fresh_test_dir("watch");
  test::Nginx nginx(R"(server { listen 127.0.0.1:@PORT0@ ssl; ssl_certificate @DIR@/server.pem;
                        ssl_certificate_key @DIR@/server.key; return 200 "ok\n"; })",
                    1, [](const std::string& d) {
                      test::make_ca(d);
                      test::make_ca_signed_cert(d, "server", "IP:127.0.0.1", 365);
                    });
  const auto database = test::Postgres::instance().create_database();
  test::HttpSink metrics;
  metrics.reply =
      "# TYPE slipway_gate_requests_total counter\n"
      "slipway_gate_requests_total{mode=\"normal\",status=\"200\"} 7\n"
      "# TYPE slipway_gate_upstream_latency_seconds histogram\n"
      "slipway_gate_upstream_latency_seconds_bucket{le=\"0.1\"} 7\n"
      "slipway_gate_upstream_latency_seconds_bucket{le=\"+Inf\"} 7\n";
  const auto write = [&](const std::string& condition) {
    std::ofstream(dir / "slipway.toml") << "[[watch.probe]]\nname = \"cert\"\nkind = \"tls\"\naddress = \"127.0.0.1:"
                                        << nginx.port() << "\"\nca_file = \"" << nginx.dir() << "/ca.pem\"\n"
                                        << "[[watch.probe]]\nname = \"logins\"\nkind = \"sql\"\ndatabase_url = \""
                                        << database << "\"\nquery = \"SELECT 3\"\ncondition = \"" << condition
                                        << "\"\n[[watch.probe]]\nname = \"memory\"\nkind = \"host\"\ncheck = "
                                           "\"memory\"\nabove = 100\n"
                                        << "[[watch.probe]]\nname = \"disk\"\nkind = \"host\"\ncheck = \"disk\"\n"
                                           "above = 100\nforecast = \"24h\"\n"
                                        << "[[watch.probe]]\nname = \"errors\"\nkind = \"metrics\"\nurl = \""
                                        << metrics.url("/metrics") << "\"\n";
  };
  write("value < 5");
  auto r = test::run({test::slipway_binary(), "watch", "check", "--format", "json"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = boost::json::parse(r.out).as_object();
  const auto& checks = report.at("checks").as_array();
  ASSERT_EQ(checks.size(), 5u) << r.out;
  for (const auto& c : checks) EXPECT_EQ(c.at("status"), "pass") << r.out;
  const auto message = [&](std::size_t i) { return std::string(checks[i].at("message").as_string()); };
  EXPECT_NE(message(0).find("cert_days_left 364"), std::string::npos) << message(0);
  EXPECT_NE(message(1).find("value 3"), std::string::npos) << message(1);
  EXPECT_NE(message(2).find("percent "), std::string::npos) << message(2);
  EXPECT_NE(message(4).find("fewer than min_requests = 20"), std::string::npos) << message(4);

  write("value < 2");
  r = test::run({test::slipway_binary(), "watch", "check"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("value 3 breaks value < 2"), std::string::npos) << r.out;

  write("value << 2");
  r = test::run({test::slipway_binary(), "watch", "check"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("slipway.toml:11:13"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is not `value OPERATOR NUMBER`"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(WatchCli, BadConfigIsExit2WithItsPosition) {
  const auto dir = test::fresh_test_dir("watch");
  std::ofstream(dir / "slipway.toml") << "[[watch.probe]]\nname = \"api\"\nurl = \"http://127.0.0.1:1/\"\n"
                                         "down_afer = \"1m\"\n";
  auto r = test::run({test::slipway_binary(), "watch", "check"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("slipway.toml:4:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'down_after'"), std::string::npos) << r.err;

  std::ofstream(dir / "slipway.toml") << "[[watch.probe]]\nname = \"api\"\nurl = \"http://127.0.0.1:1/\"\n"
                                         "conditions = [\"status === 200\"]\n";
  r = test::run({test::slipway_binary(), "watch", "run"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("slipway.toml:4:"), std::string::npos) << r.err;

  std::ofstream(dir / "slipway.toml") << "[project]\nname = \"x\"\n";
  r = test::run({test::slipway_binary(), "watch", "run"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no probe"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(WatchCli, SilenceOpensAWindowThatStatusListsAndEndEndsIt) {
  const auto dir = test::fresh_test_dir("watch");
  std::ofstream(dir / "slipway.toml") << "[[watch.probe]]\nname = \"api\"\nurl = \"http://127.0.0.1:1/\"\n"
                                         "[[watch.probe]]\nname = \"web\"\nurl = \"http://127.0.0.1:1/\"\n";
  const auto slipway = [&](std::vector<std::string> args) {
    args.insert(args.begin(), test::slipway_binary());
    return test::run(args, "", {{"NO_COLOR", "1"}}, dir.string());
  };
  auto r =
      slipway({"watch", "silence", "--for", "30m", "--probe", "api", "--reason", "db upgrade", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto opened = boost::json::parse(r.out).as_object();
  EXPECT_EQ(opened.at("probes"), "api");
  const auto id = opened.at("id").as_int64();
  r = slipway({"watch", "status", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto windows = boost::json::parse(r.out).at("windows").as_array();
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].at("kind"), "silence");
  EXPECT_EQ(windows[0].at("reason"), "db upgrade");

  r = slipway({"watch", "silence", "--for", "30m", "--probe", "nope", "--reason", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the probes are: api, web"), std::string::npos) << r.err;
  r = slipway({"watch", "silence", "--probe", "api", "--reason", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--for"), std::string::npos) << r.err;
  r = slipway({"watch", "silence", "--for", "30m"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--reason"), std::string::npos) << r.err;
  r = slipway({"watch", "silence", "--for", "8d", "--reason", "x"});
  EXPECT_EQ(r.exit_code, 2);

  r = slipway({"watch", "silence", "--end", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = slipway({"watch", "silence", "--end", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 2) << "a window ends once";
  r = slipway({"watch", "status", "--format", "json"});
  EXPECT_TRUE(boost::json::parse(r.out).at("windows").as_array().empty()) << r.out;
  std::filesystem::remove_all(dir);
}

std::string metrics_of(int listen) {
  net::HttpClient client(net::ClientOptions{.timeout = 5s});
  auto r = client.send({.url = "http://127.0.0.1:" + std::to_string(listen) + "/metrics"});
  return r ? r->body : "error: " + r.error().render();
}

std::string watch_toml(const std::string& hook, int listen, int port, const std::string& extra_probe) {
  return R"([project]
name = "loans"
[state]
url = "state.db"
[notify]
webhook = ")" +
         hook + R"("
[watch]
listen = "127.0.0.1:)" +
         std::to_string(listen) + R"("
log_format = "json"
[[watch.probe]]
name = "api"
url = "http://127.0.0.1:)" +
         std::to_string(port) + R"(/health"
every = "200ms"
retry_every = "100ms"
down_after = "0s"
repeat = "0s"
timeout = "2s"
)" + extra_probe;
}

TEST(WatchCli, SighupReloadsTheConfigAndKeepsTheOldOneWhenTheNewOneIsInvalid) {
  const auto dir = test::fresh_test_dir("watch");
  test::HttpSink sink;
  const int port = test::free_port();
  const int listen = test::free_port();
  auto backend = start_backend(port);
  std::ofstream(dir / "slipway.toml") << watch_toml(sink.url("/hook"), listen, port, "");
  WatchDaemon watch(dir);
  ASSERT_TRUE(eventually([&] { return metrics_of(listen).find(R"(probe_up{probe="api"} 1)") != std::string::npos; }))
      << metrics_of(listen) << watch.log();
  EXPECT_EQ(metrics_of(listen).find(R"(probe="db")"), std::string::npos);

  // A valid config with a second probe: the new probe shows up, nothing is sent again.
  std::ofstream(dir / "slipway.toml") << watch_toml(sink.url("/hook"), listen, port,
                                                    "[[watch.probe]]\nname = \"db\"\nkind = \"tcp\"\naddress = "
                                                    "\"127.0.0.1:" +
                                                        std::to_string(port) + "\"\nevery = \"200ms\"\n");
  watch.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return metrics_of(listen).find(R"(probe_up{probe="db"} 1)") != std::string::npos; }))
      << metrics_of(listen) << watch.log();
  EXPECT_NE(watch.log().find(R"("event":"reload")"), std::string::npos) << watch.log();

  // An invalid one (a misspelt key on line 18): logged with its position, the old config runs on.
  std::ofstream(dir / "slipway.toml") << watch_toml(sink.url("/hook"), listen, port, "down_afer = \"1m\"\n");
  watch.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return watch.log().find("reload-failed") != std::string::npos; })) << watch.log();
  EXPECT_NE(watch.log().find("slipway.toml:18:1"), std::string::npos) << watch.log();
  EXPECT_NE(watch.log().find("still running the previous"), std::string::npos) << watch.log();
  std::this_thread::sleep_for(500ms);  // several more probe rounds
  EXPECT_TRUE(watch.running()) << watch.log();
  const std::string after = metrics_of(listen);
  EXPECT_NE(after.find(R"(probe_up{probe="db"} 1)"), std::string::npos) << after;
  EXPECT_NE(after.find(R"(probe_up{probe="api"} 1)"), std::string::npos) << after;
  EXPECT_TRUE(events(sink, "firing").empty()) << watch.log();
  EXPECT_EQ(watch.stop(), 0) << watch.log();

  // Every line of the log is one JSON object with time, level and msg.
  std::istringstream lines(watch.log());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    ASSERT_TRUE(v.is_object()) << line;
    EXPECT_TRUE(v.as_object().contains("time") && v.as_object().contains("level") && v.as_object().contains("msg"))
        << line;
  }
  EXPECT_GE(count, 4);  // start, reload, reload-failed, stop
  EXPECT_NE(watch.log().find(R"("event":"start")"), std::string::npos) << watch.log();
  EXPECT_NE(watch.log().find(R"("event":"stop")"), std::string::npos) << watch.log();
  std::filesystem::remove_all(dir);
}

TEST(WatchCli, HistoryShowsRunsFailuresAndTheAlertEvents) {
  const auto dir = test::fresh_test_dir("watch");
  test::HttpSink sink;
  const int port = test::free_port();  // nothing listens: down at once
  const int listen = test::free_port();
  std::ofstream(dir / "slipway.toml") << watch_toml(sink.url("/hook"), listen, port, "");
  {
    WatchDaemon watch(dir);
    ASSERT_TRUE(eventually([&] { return !events(sink, "firing").empty(); })) << watch.log();
    EXPECT_NE(watch.log().find(R"("to":"firing")"), std::string::npos) << watch.log();
    EXPECT_EQ(watch.stop(), 0) << watch.log();  // writes what it buffered
  }
  auto r = test::run({test::slipway_binary(), "watch", "history", "--format", "json"}, "", {}, dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto v = boost::json::parse(r.out).as_object();
  const auto& api = v.at("probes").at(0).as_object();
  EXPECT_EQ(api.at("name"), "api");
  EXPECT_GE(api.at("runs").as_int64(), 1);
  EXPECT_EQ(api.at("failures"), api.at("runs"));
  EXPECT_EQ(api.at("uptime").to_number<double>(), 0.0);
  EXPECT_TRUE(api.at("p50_ms").is_null());  // no run passed
  ASSERT_EQ(v.at("events").as_array().size(), 1u) << r.out;
  EXPECT_EQ(v.at("events").at(0).at("event"), "firing");
  EXPECT_EQ(v.at("events").at(0).at("probe"), "api");

  r = test::run({test::slipway_binary(), "watch", "history", "--since", "1h"}, "", {}, dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0.000 %"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("firing"), std::string::npos) << r.out;
  r = test::run({test::slipway_binary(), "watch", "history", "--probe", "apx"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("configured: api"), std::string::npos) << r.err;
  r = test::run({test::slipway_binary(), "watch", "history", "--since", "yesterday"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  std::filesystem::remove_all(dir);
}

TEST(WatchCli, TestAlertSaysPerChannelDeliveredOrFailedAndExits1OnAFailure) {
  const auto dir = test::fresh_test_dir("watch");
  test::HttpSink sink;
  std::ofstream(dir / "slipway.toml") << "[notify]\nwebhook = \"" << sink.url("/hook") << "\"\n";
  auto r = test::run({test::slipway_binary(), "watch", "test-alert"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("webhook    delivered"), std::string::npos) << r.out;
  ASSERT_EQ(sink.requests().size(), 1u);
  EXPECT_NE(sink.requests()[0].body.find("if you can read this, webhook works"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "slipway.toml"));

  std::ofstream(dir / "slipway.toml") << "[notify]\nwebhook = \"" << sink.url("/hook") << "\"\nslack_webhook = "
                                      << "\"http://127.0.0.1:" << test::free_port() << "/slack\"\n";
  r = test::run({test::slipway_binary(), "watch", "test-alert", "--format", "json"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto v = boost::json::parse(r.out).as_object();
  ASSERT_EQ(v.at("channels").as_array().size(), 2u);
  EXPECT_EQ(v.at("channels").at(0).at("ok"), true);
  EXPECT_EQ(v.at("channels").at(1).at("channel"), "slack");
  EXPECT_EQ(v.at("channels").at(1).at("ok"), false);

  r = test::run({test::slipway_binary(), "watch", "test-alert", "--channel", "sms"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  r = test::run({test::slipway_binary(), "watch", "test-alert", "--severity", "loud"}, "", {}, dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  std::filesystem::remove_all(dir);
}

// systemd-analyze verify on contrib/systemd/slipway-watch.service, with ExecStart pointed at the
// binary under test (verify checks that the command exists): no error, no warning.
TEST(WatchCli, TheSystemdUnitVerifies) {
  if (!std::filesystem::exists("/usr/bin/systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
  const auto dir = test::fresh_test_dir("watch");
  std::ifstream in(test::source_path("contrib/systemd/slipway-watch.service"));
  std::string unit{std::istreambuf_iterator<char>(in), {}};
  for (std::string_view line :
       {"Type=simple\n", "ExecStart=/usr/bin/slipway watch run --config /etc/slipway/slipway.toml\n",
        "ExecReload=/bin/kill -HUP $MAINPID\n", "Restart=on-failure\n", "NoNewPrivileges=yes\n",
        "ProtectSystem=strict\n", "ProtectHome=yes\n", "PrivateTmp=yes\n", "User=slipway\n",
        "EnvironmentFile=-/etc/slipway/env\n", "ReadWritePaths=/var/lib/slipway\n"})
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  const auto at = unit.find("/usr/bin/slipway");
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, std::string_view("/usr/bin/slipway").size(), test::slipway_binary());
  std::ofstream(dir / "slipway-watch.service") << unit;
  auto r = test::run({"/usr/bin/systemd-analyze", "verify", (dir / "slipway-watch.service").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "") << r.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace slipway
