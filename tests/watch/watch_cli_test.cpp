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

}  // namespace
}  // namespace slipway
