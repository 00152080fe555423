// `slipway watch test-alert` against local sinks: one marked message per channel, each naming
// its channel; a channel that fails is reported as failed; PagerDuty's test incident is resolved.
#include "watch/test_alert.hpp"

#include <gtest/gtest.h>

#include "deploy/sinks.hpp"
#include "server.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

TEST(TestAlertTest, EachChannelGetsAMarkedMessageAndAFailureIsReported) {
  test::HttpSink hook;
  Config config;
  config.project.name = "loans";
  config.notify.webhook = hook.url("/hook");
  config.notify.slack_webhook = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/slack";  // refused
  notify::NotifyOptions options;
  options.timeout = 2s;
  options.retry_pause = 10ms;
  auto sent = send_test_alert(config, "", false, options);
  ASSERT_TRUE(sent) << sent.error().render();
  ASSERT_EQ(sent->size(), 2u);
  EXPECT_EQ(sent->at(0).channel, "webhook");
  EXPECT_TRUE(sent->at(0).ok) << sent->at(0).message;
  EXPECT_EQ(sent->at(1).channel, "slack");
  EXPECT_FALSE(sent->at(1).ok);
  ASSERT_EQ(hook.requests().size(), 1u);
  const std::string body = hook.requests()[0].body;
  EXPECT_NE(body.find("test alert from slipway watch on "), std::string::npos) << body;
  EXPECT_NE(body.find("if you can read this, webhook works"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("test":true)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("severity":"warning")"), std::string::npos) << body;

  auto one = send_test_alert(config, "webhook", true, options);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
  EXPECT_EQ(hook.requests().size(), 2u);
  auto unknown = send_test_alert(config, "pagerduty", true, options);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::bad_input);
  EXPECT_NE(unknown.error().hint.find("webhook, slack"), std::string::npos) << unknown.error().render();
  EXPECT_FALSE(send_test_alert(Config{}, "", true, options));
}

TEST(TestAlertTest, PagerDutyGetsATriggerAndAtOnceItsResolve) {
  test::HttpSink pd;
  pd.status = 202;
  Config config;
  config.project.name = "loans";
  config.notify.pagerduty_routing_key = "R0ut1ngKeyForTheTestAlert";
  config.notify.pagerduty_url = pd.url("/v2/enqueue");
  auto sent = send_test_alert(config, "pagerduty", true);
  ASSERT_TRUE(sent) << sent.error().render();
  ASSERT_EQ(sent->size(), 1u);
  EXPECT_TRUE(sent->at(0).ok) << sent->at(0).message;
  ASSERT_EQ(pd.requests().size(), 2u);
  EXPECT_NE(pd.requests()[0].body.find(R"("event_action":"trigger")"), std::string::npos) << pd.requests()[0].body;
  EXPECT_NE(pd.requests()[0].body.find(R"("severity":"critical")"), std::string::npos) << pd.requests()[0].body;
  EXPECT_NE(pd.requests()[1].body.find(R"("event_action":"resolve")"), std::string::npos) << pd.requests()[1].body;
  EXPECT_NE(pd.requests()[1].body.find("slipway-loans-watch-test-alert"), std::string::npos) << pd.requests()[1].body;
}

}  // namespace
}  // namespace slipway::watch
