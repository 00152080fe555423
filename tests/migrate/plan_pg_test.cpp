// The plan file: annotations, the header's summary, and SQL that parses back and runs.
#include "core/fs.hpp"
#include "fixture.hpp"
#include "migrate/plan.hpp"
#include "pg/catalog.hpp"
#include "process.hpp"
#include "sql/parse.hpp"

namespace slipway::migrate::test {
namespace {

class PlanFile : public MigrateDb {
 protected:
  void SetUp() override {
    MigrateDb::SetUp();
    fs::create_directories(dir / "prisma");
    fs::copy(slipway::test::source_path("examples/loans/prisma/migrations"), dir / "prisma" / "migrations",
             fs::copy_options::recursive);
  }
  std::string render(const Folder& f, lint::Settings settings = {}) {
    status_.emplace(status(f));
    auto live = pg::load_live_schema(*conn);
    EXPECT_TRUE(live);
    live_ = *live;
    plan_ = make_plan(*status_, &live_, settings);
    return render_plan_sql(
        *status_, plan_, &live_,
        {"2026-05-01 10:00:00 UTC", "loans (PostgreSQL 15)", std::chrono::seconds(5), std::chrono::minutes(15)});
  }
  static bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

  std::optional<Status> status_;
  pg::LiveSchema live_;
  Plan plan_;
};

TEST_F(PlanFile, V3OnABigLoansTableIsAnnotatedDangerousWithItsLockSizeAndRecipe) {
  // v1 and v2 are applied; loans holds 5,000 rows, above a lowered dangerous threshold.
  const Folder all = folder();
  fs::rename(dir / "prisma/migrations/20260301000000_loan_amount_bigint", dir / "v3");
  ASSERT_EQ(apply(folder()).status, ApplyStatus::applied);
  fs::rename(dir / "v3", dir / "prisma/migrations/20260301000000_loan_amount_bigint");
  conn->execute(
      "INSERT INTO unions (name, charter_number) VALUES ('u', 'c1');"
      "INSERT INTO members (union_id, full_name) VALUES (1, 'm');"
      "INSERT INTO loans (member_id, amount, interest_rate, term_months) "
      "SELECT 1, g, 5, 12 FROM generate_series(1, 5000) g; ANALYZE loans; ANALYZE members");
  lint::Settings settings;
  settings.thresholds.review_rows = 100;
  settings.thresholds.dangerous_rows = 1000;
  const std::string text = render(folder(), settings);

  EXPECT_TRUE(has(text, "-- pending:    1 migration, 2 statements: 0 safe, 0 review, 2 dangerous\n")) << text;
  EXPECT_TRUE(has(text, "-- tables:     members (1 rows")) << text;
  EXPECT_TRUE(has(text, "loans (5k rows")) << text;
  EXPECT_TRUE(has(text, "-- locks:      ACCESS EXCLUSIVE on members, loans\n")) << text;
  EXPECT_TRUE(has(text, "-- database:   loans (PostgreSQL 15)\n"));
  EXPECT_TRUE(has(text, "20260301000000_loan_amount_bigint/migration.sql:18:1  verdict: dangerous")) << text;
  EXPECT_TRUE(has(text, "-- lock: ACCESS EXCLUSIVE on loans (blocks reads and writes)\n")) << text;
  EXPECT_TRUE(has(text, "-- [changing-column-type] dangerous:")) << text;
  EXPECT_TRUE(has(text, "--   safer: ")) << text;
  EXPECT_TRUE(has(text, "-- [ban-drop-column] dangerous:")) << text;
  EXPECT_TRUE(has(text, "ALTER TABLE \"loans\" ALTER COLUMN \"amount\" SET DATA TYPE BIGINT;\n")) << text;
  EXPECT_TRUE(has(text, "SET lock_timeout = '5000ms';\nSET statement_timeout = '900000ms';\n")) << text;

  // Valid SQL: it parses back, and its statements are the migration's between BEGIN and COMMIT.
  const sql::ParsedFile parsed = sql::ParsedFile::parse(text);
  EXPECT_TRUE(parsed.errors().empty()) << parsed.errors().front().message;
  std::vector<std::string> kinds;
  for (const auto& s : parsed.statements()) kinds.emplace_back(parsed.source(s).substr(0, 11));
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"SET lock_ti", "SET stateme", "BEGIN", "ALTER TABLE", "ALTER TABLE", "COMMIT"}));
}

TEST_F(PlanFile, TheWholeExampleRunsStatementByStatementAsPsqlWouldRunIt) {
  const std::string text = render(folder());
  EXPECT_TRUE(has(text, "-- pending:    3 migrations, 32 statements")) << text;
  EXPECT_TRUE(has(text, "-- Migration 1/3: 20260101000000_init\n"));
  EXPECT_TRUE(has(text, "-- Migration 3/3: 20260301000000_loan_amount_bigint\n"));
  const sql::ParsedFile parsed = sql::ParsedFile::parse(text);
  ASSERT_TRUE(parsed.errors().empty());
  EXPECT_EQ(parsed.statements().size(), 32U + 2 + 3 * 2);
  for (const auto& s : parsed.statements()) {
    auto r = conn->execute(std::string(parsed.source(s)));
    ASSERT_TRUE(r) << r.error().message << "\n" << parsed.source(s);
  }
  EXPECT_EQ(value("SELECT data_type FROM information_schema.columns WHERE table_name = 'loans' AND column_name = "
                  "'amount'"),
            "bigint");
  EXPECT_EQ(value("SELECT to_regclass('_prisma_migrations') IS NULL"), "t") << "running the plan records nothing";
}

TEST_F(PlanFile, ConcurrentIndexIsItsOwnStepAndNotFlagged) {
  fs::remove_all(dir / "prisma");
  write("1_index.sql",
        "CREATE TABLE t (id int, email text);\n"
        "CREATE INDEX CONCURRENTLY t_email ON t (email); -- trailing comment\n"
        "INSERT INTO t VALUES (1, 'a')\n"
        "-- a comment right before the semicolon\n"
        ";\n");
  const std::string text = render(folder());
  EXPECT_TRUE(has(text, "-- runs alone, outside a transaction: CREATE INDEX CONCURRENTLY cannot run inside one\n"))
      << text;
  EXPECT_FALSE(has(text, "concurrently-in-transaction")) << text;
  ASSERT_EQ(plan_.migrations.size(), 1U);
  const auto& steps = plan_.migrations[0].steps;
  ASSERT_EQ(steps.size(), 3U);
  EXPECT_TRUE(steps[0].transaction);
  EXPECT_FALSE(steps[1].transaction);
  EXPECT_TRUE(steps[2].transaction);
  const sql::ParsedFile parsed = sql::ParsedFile::parse(text);
  EXPECT_TRUE(parsed.errors().empty()) << text;
  EXPECT_EQ(parsed.statements().size(), 2U + 3 + 4);
}

TEST_F(PlanFile, NothingPendingIsACommentOnlyFile) {
  ASSERT_EQ(apply(folder()).status, ApplyStatus::applied);
  const std::string text = render(folder());
  EXPECT_TRUE(has(text, "-- Nothing to apply")) << text;
  EXPECT_TRUE(sql::ParsedFile::parse(text).statements().empty());
}

TEST(NonTransactional, KnowsTheStatementsThatRefuseATransactionBlock) {
  const auto why = [](const std::string& sql, int major = 15) {
    const auto p = sql::ParsedFile::parse(sql);
    return non_transactional(*p.statements().front().node, major);
  };
  EXPECT_EQ(why("CREATE INDEX CONCURRENTLY i ON t (a)"), "CREATE INDEX CONCURRENTLY");
  EXPECT_EQ(why("DROP INDEX CONCURRENTLY i"), "DROP INDEX CONCURRENTLY");
  EXPECT_EQ(why("REINDEX INDEX CONCURRENTLY i"), "REINDEX CONCURRENTLY");
  EXPECT_EQ(why("VACUUM t"), "VACUUM");
  EXPECT_EQ(why("CREATE DATABASE x"), "CREATE DATABASE");
  EXPECT_EQ(why("ALTER TYPE mood ADD VALUE 'meh'", 11), "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)");
  EXPECT_EQ(why("ALTER TYPE mood ADD VALUE 'meh'", 12), "");
  EXPECT_EQ(why("ANALYZE t"), "");
  EXPECT_EQ(why("CREATE INDEX i ON t (a)"), "");
  EXPECT_EQ(why("DROP INDEX i"), "");
}

}  // namespace
}  // namespace slipway::migrate::test
