// Each kind of probe against a real local server: ok, or failed with a reason.
#include "watch/probe.hpp"

#include <gtest/gtest.h>

#include "deploy/sinks.hpp"
#include "postgres.hpp"
#include "server.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

WatchProbe http_probe(const std::string& url, std::vector<std::string> conditions = {}) {
  WatchProbe p;
  p.name = "api";
  p.key = "watch.probe[0]";
  p.url = url;
  p.timeout = 2s;
  for (auto& c : conditions) p.conditions.emplace_back(std::move(c), "slipway.toml:9:15");
  return p;
}

ProbeResult run_once(const WatchProbe& p) {
  auto probe = make_probe(p, Config{});
  EXPECT_TRUE(probe) << probe.error().render();
  return probe ? (*probe)->run() : ProbeResult{};
}

TEST(ProbeTest, HttpPassesOnAnAnswerBelow400AndFailsWithTheConditionThatFailed) {
  test::HttpSink backend;
  backend.reply = R"({"status":"ok","db":"down"})";
  EXPECT_TRUE(run_once(http_probe(backend.url("/health"))).ok);
  auto r = run_once(http_probe(backend.url("/health"), {"status == 200", R"(json $.db == "up")"}));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find(R"(json $.db == "up")"), std::string::npos) << r.reason;
  backend.status = 503;
  r = run_once(http_probe(backend.url("/health")));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("503"), std::string::npos) << r.reason;
}

TEST(ProbeTest, HttpFailsWhenNothingListens) {
  auto r = run_once(http_probe("http://127.0.0.1:" + std::to_string(test::free_port()) + "/health"));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.reason.empty());
}

TEST(ProbeTest, AConditionVerifyCannotParseIsAnInputErrorAtItsPosition) {
  auto probe = make_probe(http_probe("http://127.0.0.1:1/", {"status === 200"}), Config{});
  ASSERT_FALSE(probe);
  EXPECT_EQ(probe.error().kind, ErrorKind::bad_input);
  EXPECT_EQ(probe.error().where, "slipway.toml:9:15");
  EXPECT_NE(probe.error().message.find("watch.probe[0].conditions"), std::string::npos) << probe.error().message;
}

TEST(ProbeTest, TcpConnectsOrSaysWhyNot) {
  test::HttpSink backend;
  WatchProbe p;
  p.key = "watch.probe[0]";
  p.kind = "tcp";
  p.timeout = 2s;
  p.address = "127.0.0.1:" + std::to_string(backend.port());
  EXPECT_TRUE(run_once(p).ok);
  p.address = "127.0.0.1:" + std::to_string(test::free_port());
  auto r = run_once(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("refused"), std::string::npos) << r.reason;
  p.address = "nowhere";
  auto bad = make_probe(p, Config{});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::bad_input);
}

// The "database connection lost" probe: one kept connection; when its backend is terminated the
// probe fails once, then connects again.
TEST(ProbeTest, PostgresKeepsOneConnectionAndReconnectsAfterItDrops) {
  const auto url = test::Postgres::instance().create_database();
  WatchProbe p;
  p.key = "watch.probe[0]";
  p.kind = "postgres";
  p.timeout = 5s;
  p.database_url = url;
  auto probe = make_probe(p, Config{});
  ASSERT_TRUE(probe) << probe.error().render();
  ASSERT_TRUE((*probe)->run().ok);
  ASSERT_TRUE((*probe)->run().ok);
  test::Postgres::instance().exec(
      url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'slipway' AND pid <> "
      "pg_backend_pid()");
  auto dropped = (*probe)->run();
  EXPECT_FALSE(dropped.ok);
  EXPECT_FALSE(dropped.reason.empty());
  EXPECT_TRUE((*probe)->run().ok);

  p.database_url = "postgresql://nobody@127.0.0.1:" + std::to_string(test::free_port()) + "/none";
  auto away = make_probe(p, Config{});
  ASSERT_TRUE(away);
  auto r = (*away)->run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("cannot connect"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace slipway::watch
