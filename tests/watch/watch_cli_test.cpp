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

#include "deploy/sinks.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "process.hpp"
#include "server.hpp"
#include "test_dir.hpp"

namespace slipway {
namespace {

using namespace std::chrono_literals;

// `slipway watch run` in the background, its output in a file; stopped with SIGTERM.
class WatchDaemon {
 public:
  explicit WatchDaemon(const std::filesystem::path& dir) : log_(dir / "watch.log") {
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(dir.c_str()) != 0) _exit(127);
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string bin = test::slipway_binary();
      execl(bin.c_str(), bin.c_str(), "watch", "run", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~WatchDaemon() {
    if (pid_ > 0) stop();
  }
  // SIGTERM, then at most 10 s for it to exit (SIGKILL after): its exit code, or -1.
  int stop() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  [[nodiscard]] bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// The backend's /health: up while it exists, refused once destroyed.
std::unique_ptr<net::HttpServer> start_backend(int port) {
  auto server = net::HttpServer::start("127.0.0.1:" + std::to_string(port), "backend", [](const auto&) {
    return net::ServerAnswer{200, "application/json", R"({"status":"ok"})"};
  });
  EXPECT_TRUE(server) << server.error().render();
  return server ? std::move(*server) : nullptr;
}

// Polls `done` every 50 ms, at most `tries` times.
bool eventually(const std::function<bool()>& done, int tries = 300) {
  for (int i = 0; i < tries; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

std::vector<boost::json::object> events(const test::HttpSink& sink, std::string_view kind) {
  std::vector<boost::json::object> out;
  for (const auto& r : sink.requests()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (!ec && v.is_object() && v.as_object().contains("event") && v.as_object().at("event").is_string() &&
        v.as_object().at("event").get_string() == kind)
      out.push_back(v.as_object());
  }
  return out;
}

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
