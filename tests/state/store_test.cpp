// Opening the PostgreSQL state store: the schema it creates (once, even when two open at the
// same moment), and what a user sees when state.url is wrong or the server is away.
#include "state/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include <unistd.h>

#include "pg/connection.hpp"
#include "postgres.hpp"

namespace slipway::state {
namespace {

std::string one_value(const std::string& url, const std::string& sql) {
  auto conn = pg::Connection::open(url);
  EXPECT_TRUE(conn.has_value());
  if (!conn) return {};
  auto rows = conn->query(sql);
  EXPECT_TRUE(rows.has_value()) << (rows ? "" : rows.error().render());
  return rows && rows->size() ? rows->text(0, 0) : std::string();
}

TEST(PgStateStore, CreatesSchemaSlipwayOnceAndOpensItAgain) {
  const auto url = test::Postgres::instance().create_database();
  for (int i = 0; i < 3; ++i) {
    auto store = open_url(url);
    ASSERT_TRUE(store.has_value()) << store.error().render();
  }
  EXPECT_EQ(one_value(url, "SELECT version FROM slipway.schema_version"), "5");
  EXPECT_EQ(one_value(url, "SELECT count(*) FROM slipway.schema_version"), "1");
  EXPECT_EQ(one_value(url,
                      "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                      "WHERE table_schema = 'slipway'"),
            "deploy_lock,deploys,schema_version,verify_snapshots,watch_alerts,watch_events,watch_leader,watch_outbox,"
            "watch_results,watch_results_hourly,watch_windows");
  // Nothing outside its own schema.
  EXPECT_EQ(one_value(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"), "0");
}

TEST(PgStateStore, TwoFirstOpenersAtOnceBothSucceed) {
  const auto url = test::Postgres::instance().create_database();
  constexpr int kOpeners = 4;
  std::vector<std::string> errors(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_url(url);
      if (!store) errors[static_cast<std::size_t>(i)] = store.error().render();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(one_value(url, "SELECT version FROM slipway.schema_version"), "5");
}

TEST(PgStateStore, AConnectionTheServerEndedIsOpenedAgainAtTheNextTransaction) {
  const auto url = test::Postgres::instance().create_database();
  auto store = open_url(url);
  ASSERT_TRUE(store.has_value()) << store.error().render();
  ASSERT_TRUE((*store)->save_watch_alert({.probe = "api", .state = "ok", .since_ms = 1, .updated_ms = 1}));
  // What a server restart does to every session.
  test::Postgres::instance().exec(url,
                                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  auto written = (*store)->transaction([&]() -> Result<void> {
    return (*store)->save_watch_alert({.probe = "api", .state = "firing", .since_ms = 2, .updated_ms = 2});
  });
  ASSERT_TRUE(written) << written.error().render();
  auto alerts = (*store)->watch_alerts();
  ASSERT_TRUE(alerts) << alerts.error().render();
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().state, "firing");
}

TEST(PgStateStore, AnOlderSchemaIsUpgradedStepByStep) {
  const auto url = test::Postgres::instance().create_database();
  ASSERT_TRUE(open_url(url).has_value());
  // What version 1 left: no snapshots table, nor watch's.
  test::Postgres::instance().exec(url,
                                  "DROP TABLE slipway.verify_snapshots, slipway.watch_alerts, slipway.watch_outbox, "
                                  "slipway.watch_windows, slipway.watch_leader, slipway.watch_results, "
                                  "slipway.watch_results_hourly, slipway.watch_events; "
                                  "UPDATE slipway.schema_version SET version = 1");
  auto store = open_url(url);
  ASSERT_TRUE(store.has_value()) << store.error().render();
  EXPECT_EQ(one_value(url, "SELECT version FROM slipway.schema_version"), "5");
  auto saved = (*store)->save_snapshot("postgresql://app@db/loans", R"([{"table":"users","rows":3}])");
  ASSERT_TRUE(saved.has_value()) << saved.error().render();
  EXPECT_EQ(saved->taken_at.size(), 20U) << saved->taken_at;  // 2026-11-21T09:35:02Z
  auto latest = (*store)->latest_snapshot("postgresql://app@db/loans");
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  EXPECT_EQ((*latest)->id, saved->id);
  EXPECT_EQ((*latest)->tables, R"([{"table":"users","rows":3}])");
}

TEST(PgStateStore, ASchemaFromANewerSlipwayIsRefused) {
  const auto url = test::Postgres::instance().create_database();
  ASSERT_TRUE(open_url(url).has_value());
  test::Postgres::instance().exec(url, "UPDATE slipway.schema_version SET version = 99");
  auto store = open_url(url);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().exit_code(), ExitCode::environment);
  EXPECT_NE(store.error().message.find("newer Slipway"), std::string::npos) << store.error().message;
}

TEST(PgStateStore, ARoleWithoutCreateOnTheDatabaseUsesAnExistingSchema) {
  const auto url = test::Postgres::instance().create_database();
  ASSERT_TRUE(open_url(url).has_value());  // the owner creates it
  auto& pg = test::Postgres::instance();
  auto store = open_url(pg.create_role(url, "state_user",
                                       "GRANT USAGE ON SCHEMA slipway TO state_user; GRANT SELECT, INSERT, UPDATE, "
                                       "DELETE ON ALL TABLES IN SCHEMA slipway TO state_user"));
  EXPECT_TRUE(store.has_value()) << store.error().render();
  store = {};

  // Without the schema, the same role is told which privilege it lacks (exit 3).
  const auto empty = pg.create_database();
  pg.exec(empty, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  std::string empty_url = empty;
  empty_url.replace(empty_url.find("postgres@"), 9, "state_user@");  // the role exists: roles are per server
  auto denied = open_url(empty_url);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().exit_code(), ExitCode::environment);
  EXPECT_NE(denied.error().hint.find("CREATE on the database"), std::string::npos) << denied.error().render();
  pg.exec(url, "DROP OWNED BY state_user");
  pg.exec(empty, "DROP OWNED BY state_user; DROP ROLE state_user");
}

TEST(PgStateStore, AnUnreachableServerIsAnEnvironmentErrorWithoutThePassword) {
  auto store = open_url("postgresql://deployer:s3cret-pw@127.0.0.1:1/ops?connect_timeout=2");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().exit_code(), ExitCode::environment);
  const std::string all = store.error().render();
  EXPECT_EQ(all.find("s3cret-pw"), std::string::npos) << all;
  EXPECT_NE(all.find("postgresql://deployer@127.0.0.1:1/ops"), std::string::npos) << all;
}

TEST(PgStateStore, AMalformedUrlIsBadInput) {
  auto store = open_url("postgresql://deployer:s3cret-pw@db/ops?no_such_option=1");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().exit_code(), ExitCode::bad_input);
  EXPECT_EQ(store.error().render().find("s3cret-pw"), std::string::npos) << store.error().render();
}

TEST(StateUrl, PostgresUrlsAreToldFromFiles) {
  EXPECT_TRUE(is_postgres_url("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_url("postgres://u@h/db"));
  EXPECT_FALSE(is_postgres_url(".slipway/state.db"));
  EXPECT_FALSE(is_postgres_url("/srv/postgres-state.db"));
}

TEST(StateUrl, TheApplicationsOwnDatabaseIsRefused) {
  EXPECT_TRUE(same_database("postgresql://deployer:x@db:5432/loans", "postgresql://app@db/loans?sslmode=require"));
  EXPECT_FALSE(same_database("postgresql://deployer@db/slipway_state", "postgresql://app@db/loans"));
  EXPECT_FALSE(same_database("postgresql://deployer@db:6432/loans", "postgresql://app@db/loans"));

  Config config = default_config(std::filesystem::temp_directory_path());
  config.database.url = "postgresql://app:pw@db.internal/loans";
  config.state.url = "postgresql://deployer:pw@db.internal:5432/loans";
  auto store = open(config);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().exit_code(), ExitCode::bad_input);
  EXPECT_NE(store.error().hint.find("database of its own"), std::string::npos) << store.error().render();
}

// watch's alert state and outbox, the same on both stores: a state change and its outbox row are
// written together or not at all, and a row stays until it is deleted.
void exercise_watch_tables(Store& store) {
  auto none = store.watch_alerts();
  ASSERT_TRUE(none.has_value()) << none.error().render();
  EXPECT_TRUE(none->empty());
  const WatchAlertRow firing{.probe = "api",
                             .state = "firing",
                             .since_ms = 2000,
                             .first_failure_ms = 1000,
                             .successes = 0,
                             .last_notice_ms = 2000,
                             .reason = "connection refused",
                             .updated_ms = 2000};
  auto written = store.transaction([&]() -> Result<void> {
    if (auto r = store.save_watch_alert(firing); !r) return r;
    auto id = store.add_outbox({.probe = "api", .event = "firing", .payload = "{}", .created_ms = 2000});
    if (!id) return fail(id.error());
    return {};
  });
  ASSERT_TRUE(written.has_value()) << written.error().render();
  // A failed transaction leaves neither.
  auto failed = store.transaction([&]() -> Result<void> {
    auto up = firing;
    up.state = "ok";
    if (auto r = store.save_watch_alert(up); !r) return r;
    if (auto id = store.add_outbox({.probe = "api", .event = "resolved", .payload = "{}", .created_ms = 3000}); !id)
      return fail(id.error());
    return fail(Error::environment("the delivery thread died"));
  });
  EXPECT_FALSE(failed.has_value());
  auto alerts = store.watch_alerts();
  ASSERT_TRUE(alerts.has_value());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().state, "firing");
  EXPECT_EQ(alerts->front().first_failure_ms, 1000);
  EXPECT_EQ(alerts->front().reason, "connection refused");
  auto due = store.due_outbox(2000, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().event, "firing");
  ASSERT_TRUE(store.retry_outbox(due->front().id, 5000, "503 Service Unavailable"));
  EXPECT_TRUE(store.due_outbox(4999, 10)->empty());
  auto later = store.due_outbox(5000, 10);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().attempts, 1);
  EXPECT_EQ(later->front().last_error, "503 Service Unavailable");
  ASSERT_TRUE(store.delete_outbox(later->front().id));
  EXPECT_TRUE(store.outbox()->empty());
}

TEST(PgStateStore, KeepsWatchAlertsAndTheirOutbox) {
  auto store = open_url(test::Postgres::instance().create_database());
  ASSERT_TRUE(store.has_value()) << store.error().render();
  exercise_watch_tables(**store);
}

// Regression: `watch run` and `watch status` opening a new state file at the same moment, the
// second failed with "table deploy_lock already exists" (both had read schema version 0).
TEST(SqliteStateStore, TwoFirstOpenersAtOnceBothSucceed) {
  for (int round = 0; round < 5; ++round) {
    const auto path = std::filesystem::temp_directory_path() / ("slipway-race-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    constexpr int kOpeners = 4;
    std::vector<std::string> errors(kOpeners);
    std::vector<std::thread> threads;
    for (int i = 0; i < kOpeners; ++i) {
      threads.emplace_back([&, i] {
        auto store = open_file(path);
        if (!store) errors[static_cast<std::size_t>(i)] = store.error().render();
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    std::filesystem::remove(path);
  }
}

TEST(SqliteStateStore, KeepsWatchAlertsAndTheirOutbox) {
  const auto path = std::filesystem::temp_directory_path() / ("slipway-watch-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto store = open_file(path);
    ASSERT_TRUE(store.has_value()) << store.error().render();
    exercise_watch_tables(**store);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace slipway::state
