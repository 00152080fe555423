// Probe history over a real SQLite file and a real PostgreSQL (the same SQL runs on both):
// results folded into hourly rows without losing a run, a backlog worked off a bounded slice at a
// time, retention, and percentiles within their 5 %. Times come from a fake clock.
#include "watch/history.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "core/time.hpp"
#include "postgres.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(std::chrono::hours(490'000)) + 17min;  // not on an hour

std::filesystem::path db_path() {
  return std::filesystem::temp_directory_path() /
         ("slipway-history-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
}

// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL store.
void on_both_stores(const std::function<void(state::Store&)>& body) {
  const auto path = db_path();
  std::filesystem::remove(path);
  {
    auto sqlite = state::open_file(path);
    ASSERT_TRUE(sqlite) << sqlite.error().render();
    SCOPED_TRACE("sqlite");
    body(**sqlite);
  }
  std::filesystem::remove(path);
  auto pg = state::open_url(test::Postgres::instance().create_database());
  ASSERT_TRUE(pg) << pg.error().render();
  SCOPED_TRACE("postgresql");
  body(**pg);
}

std::int64_t stored_runs(state::Store& store) {
  std::int64_t runs = 0;
  auto raw = store.watch_results({.from_ms = 0, .to_ms = to_unix_ms(kNow) + 1});
  EXPECT_TRUE(raw);
  if (raw) runs += static_cast<std::int64_t>(raw->size());
  auto hours = store.watch_hours({.from_ms = 0, .to_ms = to_unix_ms(kNow) + 1});
  EXPECT_TRUE(hours);
  if (hours)
    for (const auto& h : *hours) runs += h.runs;
  return runs;
}

TEST(LatenciesTest, PercentilesAreWithinFivePercentAndSurviveTheirText) {
  Latencies l;
  for (std::int64_t ms = 1; ms <= 1000; ++ms) l.add(ms * 1000);
  EXPECT_EQ(l.count(), 1000);
  EXPECT_NEAR(static_cast<double>(l.quantile(0.5)), 500'000.0, 25'000.0);
  EXPECT_NEAR(static_cast<double>(l.quantile(0.95)), 950'000.0, 47'500.0);
  const Latencies back = Latencies::parse(l.text());
  EXPECT_EQ(back.count(), 1000);
  EXPECT_EQ(back.quantile(0.95), l.quantile(0.95));
  EXPECT_EQ(Latencies::parse("x 3:y -1:2 7:0").count(), 0);
  EXPECT_EQ(Latencies().quantile(0.5), 0);
}

TEST(HistoryTest, OldResultsAreFoldedIntoHoursWithoutLosingARun) {
  on_both_stores([](state::Store& store) {
    const HistoryPolicy policy{.raw = 1h, .keep = 24h};
    History history(policy);
    // Three hours ago: 10 runs (2 failed) at 10..80 ms; ten minutes ago: 5 runs at 20 ms.
    for (int i = 0; i < 10; ++i)
      history.add("api", kNow - 3h + i * 1min, i < 8, std::chrono::milliseconds(10 * (i + 1)), "refused");
    for (int i = 0; i < 5; ++i) history.add("api", kNow - 10min + i * 1s, true, 20ms, "");
    ASSERT_TRUE(history.flush(store, kNow - 24h, true));  // a flush folds too, but nothing is old yet
    EXPECT_EQ(history.pending(), 0u);
    EXPECT_EQ(stored_runs(store), 15);

    auto folded = downsample(store, kNow, policy);
    ASSERT_TRUE(folded) << folded.error().render();
    EXPECT_EQ(*folded, 10u);
    EXPECT_EQ(store.watch_results({.from_ms = 0, .to_ms = to_unix_ms(kNow)})->size(), 5u);
    auto hours = store.watch_hours({.from_ms = 0, .to_ms = to_unix_ms(kNow)});
    ASSERT_TRUE(hours);
    std::int64_t runs = 0;
    std::int64_t failures = 0;
    std::int64_t max = 0;
    for (const auto& h : *hours) {
      EXPECT_EQ(h.hour_ms % 3'600'000, 0);
      runs += h.runs;
      failures += h.failures;
      max = std::max(max, h.latency_max_us);
    }
    EXPECT_EQ(runs, 10);
    EXPECT_EQ(failures, 2);
    EXPECT_EQ(max, 80'000);  // the failed runs' 90 and 100 ms do not count

    auto report = read_history(store, {"api", "db"}, "", kNow - 24h, kNow);
    ASSERT_TRUE(report) << report.error().render();
    ASSERT_EQ(report->probes.size(), 2u);
    EXPECT_EQ(report->probes[0].name, "api");
    EXPECT_EQ(report->probes[0].runs, 15);
    EXPECT_EQ(report->probes[0].failures, 2);
    EXPECT_NEAR(report->probes[0].uptime(), 13.0 / 15.0, 1e-9);
    EXPECT_NEAR(static_cast<double>(report->probes[0].p50_us), 20'000.0, 1'000.0);  // 8 of 13 at 20 ms
    EXPECT_EQ(report->probes[1].name, "db");
    EXPECT_EQ(report->probes[1].runs, 0);

    // A second fold of the same hour adds to it.
    history.add("api", kNow - 3h + 30min, false, 0us, "refused");
    ASSERT_TRUE(history.flush(store, kNow, true));
    ASSERT_TRUE(downsample(store, kNow, policy));
    EXPECT_EQ(stored_runs(store), 16);
    EXPECT_EQ(read_history(store, {}, "api", kNow - 24h, kNow)->probes.at(0).failures, 3);
  });
}

TEST(HistoryTest, ABacklogIsFoldedABoundedSliceAtATime) {
  on_both_stores([](state::Store& store) {
    const HistoryPolicy policy{.raw = 1h, .keep = 24h};
    History history(policy);
    // 1,200 runs of 3 probes over the 20 hours before the raw limit; 30 of them at one instant.
    for (int i = 0; i < 370; ++i)
      for (const char* p : {"a", "b", "c"}) history.add(p, kNow - 21h + i * 3min, true, 5ms, "");
    for (int i = 0; i < 30; ++i) history.add("tie" + std::to_string(i), kNow - 2h, i % 2 == 0, 5ms, "down");
    ASSERT_TRUE(history.flush(store, kNow - 24h, true));  // nothing is old yet
    ASSERT_EQ(stored_runs(store), 1140);

    std::size_t calls = 0;
    std::size_t total = 0;
    for (; calls < 100; ++calls) {
      auto folded = downsample(store, kNow, policy, 100);
      ASSERT_TRUE(folded) << folded.error().render();
      EXPECT_LE(*folded, 100u);
      if (*folded == 0) break;
      total += *folded;
    }
    EXPECT_GE(calls, 12u);  // 1,140 rows, at most 100 at a time
    EXPECT_LT(calls, 100u);
    EXPECT_EQ(total, 1140u);
    EXPECT_TRUE(store.watch_results({.from_ms = 0, .to_ms = to_unix_ms(kNow)})->empty());
    EXPECT_EQ(stored_runs(store), 1140);

    // Thirty rows at one instant with a slice of ten: folded whole, not stuck.
    for (int i = 0; i < 30; ++i) history.add("same", kNow - 2h, true, 1ms, "");
    ASSERT_TRUE(history.flush(store, kNow - 24h + 1s, true));  // no second fold within a minute
    auto folded = downsample(store, kNow, policy, 10);
    ASSERT_TRUE(folded);
    EXPECT_EQ(*folded, 30u);
    EXPECT_EQ(read_history(store, {}, "same", kNow - 24h, kNow)->probes.at(0).runs, 30);
  });
}

TEST(HistoryTest, HoursAndEventsOlderThanKeepAreDeleted) {
  on_both_stores([](state::Store& store) {
    const HistoryPolicy policy{.raw = 1h, .keep = 48h};
    ASSERT_TRUE(
        store.save_watch_hour({.probe = "api", .hour_ms = to_unix_ms(kNow - 72h) / 3'600'000 * 3'600'000, .runs = 4}));
    ASSERT_TRUE(
        store.save_watch_hour({.probe = "api", .hour_ms = to_unix_ms(kNow - 24h) / 3'600'000 * 3'600'000, .runs = 6}));
    ASSERT_TRUE(record_event(store, "api", kNow - 72h, "firing", "old"));
    ASSERT_TRUE(record_event(store, "api", kNow - 2h, "firing", "api is down"));
    ASSERT_TRUE(record_event(store, "api", kNow - 1h, "resolved", "api is up again"));
    ASSERT_TRUE(downsample(store, kNow, policy));
    EXPECT_EQ(stored_runs(store), 6);
    auto events = store.watch_events({.from_ms = 0, .to_ms = to_unix_ms(kNow)});
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ(events->at(0).event, "resolved");  // newest first
    EXPECT_EQ(events->at(1).message, "api is down");
  });
}

}  // namespace
}  // namespace slipway::watch
