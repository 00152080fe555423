// apply against a real server: lock timeouts really caused by a second connection, the advisory
// lock, failures in the middle, statements that must run outside a transaction, refusals.
#include <atomic>
#include <thread>

#include "fixture.hpp"

namespace slipway::migrate::test {
namespace {

using namespace std::chrono_literals;

class Apply : public MigrateDb {
 protected:
  pg::Connection second() {
    auto c = pg::Connection::open(url);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }
  // Waits until some backend waits for a lock on `table` (polling pg_locks; never a fixed sleep).
  static bool wait_for_lock_waiter(pg::Connection& watcher, const std::string& table) {
    for (int i = 0; i < 2000; ++i) {
      auto rows =
          watcher.query("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = to_regclass($1)", {table});
      if (rows && rows->text(0, 0) != "0") return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

TEST_F(Apply, LockTimeoutIsRetriedAfterTheHolderLetsGo) {
  conn->execute("CREATE TABLE loans (id int)");
  write("1_add.sql", "ALTER TABLE loans ADD COLUMN note text;\nCREATE TABLE audit (id int);\n");
  // A long transaction that read loans: its ACCESS SHARE lock blocks ALTER TABLE.
  pg::Connection holder = second();
  ASSERT_TRUE(holder.execute("BEGIN; SELECT count(*) FROM loans"));

  // A watcher sees apply's backend really wait for the lock, before the first timeout.
  std::atomic<bool> saw_waiter{false};
  std::atomic<bool> watching{false};
  std::thread watcher_thread([&] {
    pg::Connection watcher = second();
    watching = true;
    saw_waiter = wait_for_lock_waiter(watcher, "loans");
  });
  while (!watching) std::this_thread::yield();
  RecordingWaiter waiter;
  waiter.on_sleep = [&] {
    if (watcher_thread.joinable()) watcher_thread.join();
    if (waiter.waits.size() == 1) {
      ASSERT_TRUE(holder.execute("COMMIT"));  // let go after the first retry
    }
  };
  ApplyOptions options;
  options.lock_timeout = 500ms;
  options.lock_retries = 3;
  options.retry_backoff = 100ms;
  options.waiter = &waiter;
  const ApplyReport r = apply(folder(), options);
  if (watcher_thread.joinable()) watcher_thread.join();

  EXPECT_TRUE(saw_waiter);
  ASSERT_EQ(r.status, ApplyStatus::applied) << r.message;
  EXPECT_EQ(r.retries, 1);
  ASSERT_EQ(r.migrations.size(), 1U);
  EXPECT_EQ(r.migrations[0].retries, 1);
  ASSERT_EQ(waiter.waits.size(), 1U);
  EXPECT_EQ(waiter.waits[0], 100ms);  // random() = 0.5: exactly the backoff
  ASSERT_EQ(r.retry_log.size(), 1U);
  EXPECT_NE(r.retry_log[0].find("1_add.sql:1:1"), std::string::npos) << r.retry_log[0];
  EXPECT_NE(r.retry_log[0].find("retry 1 of 3"), std::string::npos) << r.retry_log[0];
  EXPECT_EQ(value("SELECT count(*) FROM information_schema.columns WHERE table_name = 'loans' AND column_name = "
                  "'note'"),
            "1");
  EXPECT_EQ(value("SELECT count(*) FROM slipway_migrations WHERE success"), "1");
}

TEST_F(Apply, RetriesExhaustedFailWithTheLockTimeoutAndBackOffExponentially) {
  conn->execute("CREATE TABLE loans (id int)");
  write("1_add.sql", "CREATE TABLE audit (id int);\nALTER TABLE loans ADD COLUMN note text;\n");
  pg::Connection holder = second();
  ASSERT_TRUE(holder.execute("BEGIN; LOCK TABLE loans IN ACCESS SHARE MODE"));
  RecordingWaiter waiter;
  ApplyOptions options;
  options.lock_timeout = 50ms;
  options.lock_retries = 2;
  options.retry_backoff = 100ms;
  options.waiter = &waiter;
  const ApplyReport r = apply(folder(), options);
  ASSERT_TRUE(holder.execute("ROLLBACK"));

  EXPECT_EQ(r.status, ApplyStatus::failed);
  EXPECT_EQ(r.retries, 2);
  EXPECT_EQ(waiter.waits, (std::vector<Duration>{100ms, 200ms}));
  ASSERT_EQ(r.migrations.size(), 1U);
  const MigrationResult& m = r.migrations[0];
  EXPECT_EQ(m.sqlstate, "55P03");
  EXPECT_EQ(m.failed_statement, 2U);
  EXPECT_NE(m.error.find("gave up after 2 retries"), std::string::npos) << m.error;
  ASSERT_EQ(m.statements.size(), 2U);
  EXPECT_EQ(m.statements[0].state, StatementState::rolled_back);
  EXPECT_EQ(m.statements[1].state, StatementState::failed);
  EXPECT_EQ(value("SELECT to_regclass('audit') IS NULL"), "t");
}

TEST_F(Apply, JitterStaysWithinHalfAndOneAndAHalfTimesTheBackoff) {
  conn->execute("CREATE TABLE loans (id int)");
  write("1_add.sql", "ALTER TABLE loans ADD COLUMN note text;\n");
  pg::Connection holder = second();
  ASSERT_TRUE(holder.execute("BEGIN; LOCK TABLE loans IN ACCESS SHARE MODE"));
  RecordingWaiter waiter;
  waiter.r = 0.0;
  ApplyOptions options;
  options.lock_timeout = 20ms;
  options.lock_retries = 1;
  options.retry_backoff = 400ms;
  options.waiter = &waiter;
  (void)apply(folder(), options);
  ASSERT_TRUE(holder.execute("ROLLBACK"));
  EXPECT_EQ(waiter.waits, (std::vector<Duration>{200ms}));
}

TEST_F(Apply, ReadingTableSizesDoesNotWaitBehindALock) {
  // A session holds ACCESS EXCLUSIVE on a table the whole time: the catalog read falls back to
  // the page counts it can read without a lock, so the apply neither hangs nor needs a retry.
  conn->execute("CREATE TABLE loans (id int)");
  write("1_add.sql", "CREATE TABLE audit (id int);\n");
  pg::Connection holder = second();
  ASSERT_TRUE(holder.execute("BEGIN; LOCK TABLE loans IN ACCESS EXCLUSIVE MODE"));
  RecordingWaiter waiter;
  ApplyOptions options;
  options.lock_timeout = 50ms;
  options.waiter = &waiter;
  const ApplyReport r = apply(folder(), options);
  EXPECT_EQ(r.status, ApplyStatus::applied) << r.message;
  EXPECT_EQ(r.retries, 0);
  ASSERT_TRUE(holder.execute("COMMIT"));
}

TEST_F(Apply, TwoAppliesNeverRunAtOnce) {
  write("1_init.sql", "CREATE TABLE t (id int);\n");
  pg::Connection other = second();
  ASSERT_TRUE(other.execute("SET application_name = 'deploy-bot'"));
  ASSERT_TRUE(other.query("SELECT pg_advisory_lock($1::bigint)", {std::to_string(kApplyLockKey)}));

  const ApplyReport r = apply(folder());
  EXPECT_EQ(r.status, ApplyStatus::locked);
  EXPECT_EQ(r.exit_code(), 1);
  ASSERT_TRUE(r.holder);
  EXPECT_EQ(r.holder->pid, other.backend_pid());
  EXPECT_EQ(r.holder->application_name, "deploy-bot");
  EXPECT_NE(r.message.find("another apply holds the migration lock"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(std::to_string(other.backend_pid())), std::string::npos) << r.message;
  EXPECT_EQ(value("SELECT to_regclass('t') IS NULL"), "t");

  ASSERT_TRUE(other.query("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kApplyLockKey)}));
  EXPECT_EQ(apply(folder()).status, ApplyStatus::applied);
  // The lock is released after an apply: the other session can take it again.
  EXPECT_EQ(other.query("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(kApplyLockKey)})->text(0, 0), "t");
}

TEST_F(Apply, PrismaFoldersAlsoTakePrismaMigratesLock) {
  write("20260101000000_init/migration.sql", "CREATE TABLE t (id int);\n");
  pg::Connection prisma = second();
  ASSERT_TRUE(prisma.query("SELECT pg_advisory_lock(72707369)"));
  const ApplyReport r = apply(folder("prisma"));
  EXPECT_EQ(r.status, ApplyStatus::locked);
  EXPECT_NE(r.message.find("72707369"), std::string::npos) << r.message;
}

TEST_F(Apply, AFailureInTheMiddleReportsWhatRanAndWhatDidNot) {
  write("1_init.sql", "CREATE TABLE a (id int);\n");
  write("2_broken.sql",
        "CREATE TABLE b (id int);\n"
        "\n"
        "  INSERT INTO missing VALUES (1);\n"
        "CREATE TABLE c (id int);\n");
  write("3_later.sql", "CREATE TABLE d (id int);\n");
  const ApplyReport r = apply(folder());
  EXPECT_EQ(r.status, ApplyStatus::failed);
  EXPECT_EQ(r.exit_code(), 1);
  ASSERT_EQ(r.migrations.size(), 3U);
  EXPECT_EQ(r.migrations[0].outcome, ApplyOutcome::committed);
  EXPECT_EQ(r.migrations[0].statements[0].state, StatementState::committed);

  const MigrationResult& m = r.migrations[1];
  EXPECT_EQ(m.outcome, ApplyOutcome::failed);
  EXPECT_EQ(m.failed_statement, 2U);
  EXPECT_EQ(m.at, (dir / "2_broken.sql").string() + ":3:3");
  EXPECT_EQ(m.sqlstate, "42P01");
  EXPECT_EQ(m.error, "relation \"missing\" does not exist");
  EXPECT_FALSE(m.partly_committed);
  ASSERT_EQ(m.statements.size(), 3U);
  EXPECT_EQ(m.statements[0].state, StatementState::rolled_back);
  EXPECT_EQ(m.statements[1].state, StatementState::failed);
  EXPECT_EQ(m.statements[2].state, StatementState::not_run);

  EXPECT_EQ(r.migrations[2].outcome, ApplyOutcome::not_run);
  EXPECT_EQ(r.migrations[2].statements[0].state, StatementState::not_run);
  EXPECT_NE(r.message.find("2_broken.sql failed at statement 2"), std::string::npos) << r.message;

  EXPECT_EQ(value("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN "
                  "('a','b','c','d')"),
            "a");
  EXPECT_EQ(value("SELECT string_agg(name, ',') FROM slipway_migrations"), "1_init.sql");
}

TEST_F(Apply, ConcurrentIndexRunsOutsideTheTransaction) {
  write("20260101000000_init/migration.sql", "CREATE TABLE t (id int);\n");
  write("20260201000000_index/migration.sql",
        "ALTER TABLE t ADD COLUMN email text;\n"
        "CREATE INDEX CONCURRENTLY t_email ON t (email);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id);\n"
        "COMMENT ON TABLE t IS 'indexed';\n");
  const ApplyReport r = apply(folder("prisma"));
  ASSERT_EQ(r.status, ApplyStatus::applied) << r.message;
  const MigrationResult& m = r.migrations[1];
  ASSERT_EQ(m.statements.size(), 4U);
  EXPECT_FALSE(m.statements[0].alone);
  EXPECT_TRUE(m.statements[1].alone);
  EXPECT_TRUE(m.statements[2].alone);
  EXPECT_FALSE(m.statements[3].alone);
  for (const auto& s : m.statements) EXPECT_EQ(s.state, StatementState::committed);
  EXPECT_EQ(value("SELECT bool_and(indisvalid)::text || count(*) FROM pg_index WHERE indexrelid::regclass::text IN "
                  "('t_email', 't_id')"),
            "true2");
  EXPECT_EQ(value("SELECT obj_description('t'::regclass)"), "indexed");
  EXPECT_EQ(value("SELECT applied_steps_count::text || (finished_at IS NOT NULL) FROM _prisma_migrations WHERE "
                  "migration_name = '20260201000000_index'"),
            "1true");
}

TEST_F(Apply, DangerousStatementsRefuseUnlessIgnoredOrAllowed) {
  conn->execute("CREATE TABLE members (id int, legacy_code text)");
  write("1_drop.sql", "ALTER TABLE members DROP COLUMN legacy_code;\n");
  ApplyReport r = apply(folder());
  EXPECT_EQ(r.status, ApplyStatus::refused);
  ASSERT_EQ(r.refusals.size(), 1U);
  EXPECT_EQ(r.refusals[0].rule, "ban-drop-column");
  EXPECT_EQ(r.refusals[0].at, (dir / "1_drop.sql").string() + ":1:1");
  EXPECT_EQ(value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'legacy_code'"), "1");

  write("1_drop.sql",
        "-- slipway:ignore ban-drop-column v2 stopped reading it two releases ago\n"
        "ALTER TABLE members DROP COLUMN legacy_code;\n");
  r = apply(folder());
  EXPECT_EQ(r.status, ApplyStatus::applied) << r.message;
  EXPECT_EQ(value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'legacy_code'"), "0");

  write("2_truncate.sql", "TRUNCATE members;\n");
  EXPECT_EQ(apply(folder()).status, ApplyStatus::refused);
  ApplyOptions allow;
  allow.allow_dangerous = true;
  EXPECT_EQ(apply(folder(), allow).status, ApplyStatus::applied);
}

TEST_F(Apply, TimeoutsAreSetForTheMigrations) {
  write("1_show.sql",
        "CREATE TABLE settings_seen AS SELECT current_setting('lock_timeout') AS lock, "
        "current_setting('statement_timeout') AS stmt;\n");
  ApplyOptions options;
  options.lock_timeout = 3s;
  options.statement_timeout = 2min;
  ASSERT_EQ(apply(folder(), options).status, ApplyStatus::applied);
  EXPECT_EQ(value("SELECT lock || ' ' || stmt FROM settings_seen"), "3s 2min");
}

TEST_F(Apply, StatementTimeoutStopsALongStatement) {
  write("1_slow.sql", "SELECT pg_sleep(5);\n");
  ApplyOptions options;
  options.statement_timeout = 50ms;
  const ApplyReport r = apply(folder(), options);
  EXPECT_EQ(r.status, ApplyStatus::failed);
  ASSERT_EQ(r.migrations.size(), 1U);
  EXPECT_EQ(r.migrations[0].sqlstate, "57014");
  EXPECT_EQ(r.retries, 0) << "only lock timeouts are retried";
}

}  // namespace
}  // namespace slipway::migrate::test
