// The real `slipway watch run` with what it knows of the rest: the windows a real `slipway deploy`
// opens (fail and recover inside: nothing; down past the close: one alert at the close; down
// before and up after: one "recovered"), two instances on one PostgreSQL state store (kill -9 of
// the leader while an alert is pending: exactly one notification), and kill -9 while a delivery
// is in flight (sent once after the restart). Timings are scaled down through the config; every
// wait is bounded.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/quiet_check.hpp"
#include "net/http_client.hpp"
#include "postgres.hpp"
#include "server.hpp"
#include "test_dir.hpp"
#include "watch/daemon.hpp"

namespace slipway {
namespace {

namespace fs = std::filesystem;

// A backend whose /health answers 503 while the file `down` exists in `dir`, else 200: the
// deploy's release step turns it down and up with touch and rm.
std::unique_ptr<net::HttpServer> flag_backend(const fs::path& dir, int port) {
  auto server = net::HttpServer::start("127.0.0.1:" + std::to_string(port), "backend", [dir](const auto&) {
    return fs::exists(dir / "down") ? net::ServerAnswer{503, "text/plain", "down\n"}
                                    : net::ServerAnswer{200, "text/plain", "ok\n"};
  });
  EXPECT_TRUE(server) << server.error().render();
  return server ? std::move(*server) : nullptr;
}

test::RunResult slipway(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"timeout", "-s", "KILL", "120", test::slipway_binary()});
  return test::run(args, {}, {{"NO_COLOR", "1"}}, dir.string());
}

boost::json::object watch_status(const fs::path& dir) {
  const auto r = slipway(dir, {"watch", "status", "--format", "json"});
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::string probe_state(const fs::path& dir) {
  const auto s = watch_status(dir);
  if (!s.contains("probes")) return "?";
  return std::string(s.at("probes").at(0).at("state").as_string());
}

// slipway_watch_probes_total of `probe` from watch's /metrics, -1 when it cannot be read.
long probes_run(int listen) {
  net::HttpClient client(net::ClientOptions{.timeout = 5s});
  auto r = client.send({.url = "http://127.0.0.1:" + std::to_string(listen) + "/metrics"});
  if (!r) return -1;
  const std::string key = "slipway_watch_probes_total{probe=\"api\"} ";
  const auto at = r->body.find(key);
  return at == std::string::npos ? -1 : std::stol(r->body.substr(at + key.size()));
}

// Waits until `n` more probes ran: enough for anything they decided to have been sent.
void let_probes_run(int listen, long n = 8) {
  const long from = probes_run(listen);
  EXPECT_TRUE(eventually([&] { return probes_run(listen) >= from + n; })) << "watch stopped probing";
}

TEST(WatchDeployWindows, TheThreeCasesWithTheWindowOfARealDeploy) {
  const auto dir = test::fresh_test_dir("watch-deploy");
  test::HttpSink hook;
  const int port = test::free_port();
  const int listen = test::free_port();
  const std::string db = test::Postgres::instance().create_database();
  const auto project = [&](const std::string& release) {
    std::ofstream(dir / "slipway.toml") << test::quiet_check(R"("db-superuser", "db-schema-owner", "db-grants")")
                                        << "[project]\nname = \"shop\"\n[database]\nurl = \"" << db
                                        << "\"\n[backup]\nrepository = \"backups\"\n[deploy]\nmaintenance = \"off\"\n"
                                        << "[[deploy.steps]]\nname = \"web\"\nrun = \"" << release << "\"\n"
                                        << "[notify]\nwebhook = \"" << hook.url("/hook") << "\"\n"
                                        << "[watch]\nlisten = \"127.0.0.1:" << listen << "\"\n"
                                        << "[[watch.probe]]\nname = \"api\"\nurl = \"http://127.0.0.1:" << port
                                        << "/health\"\nevery = \"100ms\"\nretry_every = \"100ms\"\n"
                                        << "down_after = \"0s\"\nup_after = 1\nrepeat = \"0s\"\n";
  };
  const auto deploy = [&](const std::string& version) {
    const auto r = slipway(dir, {"deploy", "--version", version});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  };
  auto backend = flag_backend(dir, port);
  project("true");
  WatchDaemon watch(dir);
  ASSERT_TRUE(eventually([&] { return probe_state(dir) == "up"; })) << watch.log();

  // 1. Down and up again inside the deploy: watch saw it fail, and says nothing.
  project("touch down; sleep 1; rm down");
  const long before = probes_run(listen);
  const auto failures = [&] {
    net::HttpClient client(net::ClientOptions{.timeout = 5s});
    auto r = client.send({.url = "http://127.0.0.1:" + std::to_string(listen) + "/metrics"});
    return r && r->body.find("slipway_watch_probe_failures_total{probe=\"api\"} 0\n") == std::string::npos;
  };
  deploy("v1");
  let_probes_run(listen);
  EXPECT_GT(probes_run(listen), before);
  EXPECT_TRUE(failures()) << "the probe never failed during the deploy: the case proves nothing";
  const auto said = [&] {  // what watch sent (the deploy's own start and success go there too)
    std::vector<std::string> out;
    for (const auto& r : hook.requests())
      if (r.body.find(R"("source":"watch")") != std::string::npos) out.push_back(r.body);
    return out;
  };
  for (const auto& body : said()) ADD_FAILURE() << "sent about a deploy's window: " << body << "\n" << watch.log();

  // 2. Down at the end of the deploy and still down: one alert, at the close.
  project("touch down");
  deploy("v2");
  ASSERT_TRUE(eventually([&] { return events(hook, "firing").size() == 1; })) << watch.log();
  let_probes_run(listen);
  EXPECT_EQ(said().size(), 1u);
  EXPECT_NE(std::string(events(hook, "firing")[0].at("message").as_string()).find("during deploy d-"),
            std::string::npos)
      << boost::json::serialize(events(hook, "firing")[0]);

  // 3. Down before the deploy, up after it: one "resolved".
  project("rm -f down");
  deploy("v3");
  ASSERT_TRUE(eventually([&] { return events(hook, "resolved").size() == 1; })) << watch.log();
  let_probes_run(listen);
  EXPECT_EQ(said().size(), 2u);
  EXPECT_EQ(watch.stop(), 0) << watch.log();
  fs::remove_all(dir);
}

// Two `watch run` on one PostgreSQL state store with a short lease.
struct Pair {
  fs::path dir = test::fresh_test_dir("watch-ha");
  test::HttpSink hook;
  int port = test::free_port();

  std::string state = test::Postgres::instance().create_database();

  explicit Pair(const std::string& down_after, const std::string& watch_extra = {}) {
    std::ofstream(dir / "slipway.toml") << "[project]\nname = \"shop\"\n[state]\nurl = \"" << state
                                        << "\"\n[notify]\nwebhook = \"" << hook.url("/hook")
                                        << "\"\n[watch]\nlease = \"2s\"\n"
                                        << watch_extra << "[[watch.probe]]\nname = \"api\"\n"
                                        << "url = \"http://127.0.0.1:" << port << "/health\"\nevery = \"100ms\"\n"
                                        << "retry_every = \"100ms\"\ndown_after = \"" << down_after
                                        << "\"\nrepeat = \"0s\"\n";
  }
  ~Pair() { fs::remove_all(dir); }
  [[nodiscard]] std::string leader() const {
    const auto s = watch_status(dir);
    return s.contains("leader") && s.at("leader").is_string() ? std::string(s.at("leader").as_string()) : "";
  }
  static bool holds(const std::string& leader, const WatchDaemon& w) {
    return leader.find(":" + std::to_string(w.pid()) + ":") != std::string::npos;
  }
};

TEST(WatchLeader, KillingTheLeaderWhileAnAlertIsPendingSendsExactlyOneNotification) {
  Pair p("3s");
  auto backend = flag_backend(p.dir, p.port);
  auto a = std::make_unique<WatchDaemon>(p.dir, "a.log");
  ASSERT_TRUE(eventually([&] { return Pair::holds(p.leader(), *a); })) << a->log();
  WatchDaemon b(p.dir, "b.log");
  ASSERT_TRUE(eventually([&] { return b.log().find("standing by") != std::string::npos; })) << b.log() << a->log();

  std::ofstream(p.dir / "down").close();
  ASSERT_TRUE(eventually([&] { return probe_state(p.dir) == "pending"; })) << a->log();
  a->kill9();
  ASSERT_TRUE(eventually([&] { return Pair::holds(p.leader(), b); }, 200)) << b.log();
  ASSERT_TRUE(eventually([&] { return events(p.hook, "firing").size() == 1; })) << b.log();
  std::this_thread::sleep_for(1s);  // ten more probes, and more than a lease
  EXPECT_EQ(p.hook.requests().size(), 1u) << b.log();
  EXPECT_EQ(b.stop(), 0) << b.log();
}

TEST(WatchOutbox, KilledWhileSendingTheNotificationIsSentOnceAfterTheRestart) {
  Pair p("0s");
  p.hook.silent = true;  // takes the notification and never answers: the send is in flight
  auto backend = flag_backend(p.dir, p.port);
  auto watch = std::make_unique<WatchDaemon>(p.dir);
  ASSERT_TRUE(eventually([&] { return probe_state(p.dir) == "up"; })) << watch->log();
  std::ofstream(p.dir / "down").close();
  ASSERT_TRUE(eventually([&] { return p.hook.requests().size() == 1; })) << watch->log();
  watch->kill9();
  p.hook.silent = false;
  watch = std::make_unique<WatchDaemon>(p.dir);
  ASSERT_TRUE(eventually([&] { return p.hook.requests().size() == 2; })) << watch->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(p.hook.requests().size(), 2u) << watch->log();  // the one in flight, then once
  EXPECT_EQ(watch_status(p.dir).at("outbox").as_int64(), 0);
  EXPECT_EQ(watch->stop(), 0) << watch->log();
}

TEST(WatchStore, AStateStoreThatStopsAnsweringIsOneAlertAndItsReturnResolvesIt) {
  Pair p("0s", "store_down_after = \"1s\"\n");
  auto backend = start_backend(p.port);
  WatchDaemon watch(p.dir);
  ASSERT_TRUE(eventually([&] { return probe_state(p.dir) == "up"; })) << watch.log();
  // The state database refuses new sessions and its open ones end: what an outage looks like.
  auto& pg = test::Postgres::instance();
  const std::string name = p.state.substr(p.state.rfind('/') + 1);
  pg.exec(pg.admin_url(), "ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
  pg.exec(pg.admin_url(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
  ASSERT_TRUE(eventually([&] { return events(p.hook, "firing").size() == 1; })) << watch.log();
  const auto firing = events(p.hook, "firing").front();
  EXPECT_EQ(firing.at("alert"), "state-store");
  EXPECT_NE(std::string(firing.at("message").as_string()).find(name), std::string::npos)
      << boost::json::serialize(firing);
  std::this_thread::sleep_for(1s);  // still down: said once
  EXPECT_EQ(events(p.hook, "firing").size(), 1u);
  pg.exec(pg.admin_url(), "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
  ASSERT_TRUE(eventually([&] { return events(p.hook, "resolved").size() == 1; })) << watch.log();
  EXPECT_EQ(events(p.hook, "resolved").front().at("alert"), "state-store");
  EXPECT_EQ(watch.stop(), 0) << watch.log();
}

}  // namespace
}  // namespace slipway
