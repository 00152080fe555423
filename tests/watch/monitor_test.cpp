// The monitor over a real SQLite state store and a local webhook sink, stepped with a fake clock:
// a notice goes through the outbox, a row left by a crash is sent after the restart, and a
// refused delivery stays for a later attempt; results go to the history in batches.
#include "watch/monitor.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "core/time.hpp"
#include "deploy/sinks.hpp"
#include "server.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  std::filesystem::path db_path = std::filesystem::temp_directory_path() /
                                  ("slipway-monitor-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
  test::HttpSink hook;
  Config config;
  std::unique_ptr<state::Store> store;
  TimePoint now = TimePoint(std::chrono::hours(490'000));

  Fixture() {
    std::filesystem::remove(db_path);
    config.project.name = "loans";
    config.notify.webhook = hook.url("/hook");
    WatchProbe p;
    p.name = "api";
    p.key = "watch.probe[0]";
    p.kind = "tcp";
    p.address = "127.0.0.1:" + std::to_string(test::free_port());  // nothing listens: down
    p.timeout = 1s;
    p.down_after = 0s;
    config.watch.probes.push_back(p);
    auto s = state::open_file(db_path);
    EXPECT_TRUE(s) << s.error().render();
    store = std::move(*s);
  }
  ~Fixture() { std::filesystem::remove(db_path); }
};

TEST(MonitorTest, AFiringNoticeGoesThroughTheOutboxOnce) {
  Fixture f;
  auto m = Monitor::open(f.config, *f.store);
  ASSERT_TRUE(m) << m.error().render();
  ASSERT_TRUE((*m)->probe_due(f.now));
  EXPECT_EQ(f.store->outbox()->size(), 1u);  // decided, not sent yet
  EXPECT_TRUE(f.hook.requests().empty());
  ASSERT_TRUE((*m)->deliver(f.now));
  ASSERT_EQ(f.hook.requests().size(), 1u);
  EXPECT_NE(f.hook.requests()[0].body.find(R"("event":"firing")"), std::string::npos) << f.hook.requests()[0].body;
  EXPECT_TRUE(f.store->outbox()->empty());
  ASSERT_TRUE((*m)->probe_due((*m)->next_due()));
  ASSERT_TRUE((*m)->deliver((*m)->next_due()));
  EXPECT_EQ(f.hook.requests().size(), 1u);
}

TEST(MonitorTest, ARowLeftByACrashIsSentAfterTheRestartAndNoNewOneIsMade) {
  Fixture f;
  {
    auto m = Monitor::open(f.config, *f.store);
    ASSERT_TRUE(m);
    ASSERT_TRUE((*m)->probe_due(f.now));  // killed before deliver()
  }
  auto restarted = Monitor::open(f.config, *f.store);
  ASSERT_TRUE(restarted);
  ASSERT_TRUE((*restarted)->probe_due(f.now + 1min));  // still down: nothing new
  ASSERT_TRUE((*restarted)->deliver(f.now + 1min));
  ASSERT_EQ(f.hook.requests().size(), 1u);
  EXPECT_TRUE(f.store->outbox()->empty());
}

TEST(MonitorTest, ARefusedDeliveryStaysAndIsTriedAgainLater) {
  Fixture f;
  f.hook.status = 500;
  auto m = Monitor::open(f.config, *f.store);
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->probe_due(f.now));
  ASSERT_TRUE((*m)->deliver(f.now));
  auto rows = f.store->outbox();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().attempts, 1);
  EXPECT_GT(rows->front().next_attempt_ms,
            std::chrono::duration_cast<std::chrono::milliseconds>(f.now.time_since_epoch()).count());
  const auto tries = f.hook.requests().size();
  ASSERT_TRUE((*m)->deliver(f.now + 1s));  // not due yet
  EXPECT_EQ(f.hook.requests().size(), tries);
  f.hook.status = 200;
  ASSERT_TRUE((*m)->deliver(f.now + 1h));
  EXPECT_TRUE(f.store->outbox()->empty());
}

TEST(MonitorTest, ResultsAreBufferedForTheHistoryAndEachOutboxRowIsAnEvent) {
  Fixture f;
  auto m = Monitor::open(f.config, *f.store);
  ASSERT_TRUE(m) << m.error().render();
  History history({});
  std::FILE* log_file = std::tmpfile();
  ASSERT_NE(log_file, nullptr);
  Log log(true, log_file);
  (*m)->attach(&history, &log);
  const auto span = state::WatchSpan{.from_ms = 0, .to_ms = to_unix_ms(f.now) + 3'600'000};

  ASSERT_TRUE((*m)->probe_due(f.now));  // fails: firing at once
  ASSERT_TRUE((*m)->probe_due((*m)->next_due()));
  EXPECT_EQ(history.pending(), 2u);  // buffered, not written per probe
  EXPECT_TRUE(f.store->watch_results(span)->empty());
  ASSERT_TRUE(history.flush(*f.store, f.now + 1s));  // the first write is due at once
  auto rows = f.store->watch_results(span);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_FALSE(rows->at(0).ok);
  EXPECT_NE(rows->at(0).reason, "");

  auto events = f.store->watch_events(span);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);  // one firing, as in the outbox
  EXPECT_EQ(events->at(0).event, "firing");
  EXPECT_NE(events->at(0).message.find("api is down"), std::string::npos) << events->at(0).message;
  EXPECT_EQ(f.store->outbox()->size(), 1u);

  std::rewind(log_file);
  char buf[4096] = {};
  const std::string logged(buf, std::fread(buf, 1, sizeof buf - 1, log_file));
  std::fclose(log_file);
  EXPECT_NE(logged.find(R"("level":"error")"), std::string::npos) << logged;
  EXPECT_NE(logged.find(R"("probe":"api","from":"ok","to":"firing")"), std::string::npos) << logged;
}

}  // namespace
}  // namespace slipway::watch
