// Each kind of probe against a real local server: ok, or failed with a reason.
#include "watch/probe.hpp"

#include <gtest/gtest.h>

#include "deploy/sinks.hpp"
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

}  // namespace
}  // namespace slipway::watch
