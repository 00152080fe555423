// Size-aware verdicts against a real PostgreSQL with tables really filled past the default
// thresholds (100k rows: review; 1M rows: dangerous for work under ACCESS EXCLUSIVE).
#include <gtest/gtest.h>

#include "lint/linter.hpp"
#include "pg/catalog.hpp"
#include "pg/connection.hpp"
#include "postgres.hpp"

namespace slipway::lint {
namespace {

class SizeEscalation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& server = test::Postgres::instance();
    url_ = new std::string(server.create_database());
    server.exec(*url_,
                "CREATE TABLE tiny (id int, code varchar(20), amount integer);"
                "INSERT INTO tiny SELECT g, 'c', g FROM generate_series(1, 100) g;"
                "CREATE TABLE medium (id int, code varchar(20), amount integer);"
                "INSERT INTO medium SELECT g, 'c', g FROM generate_series(1, 150000) g;"
                "CREATE TABLE big (id int, code varchar(20), amount integer);"
                "INSERT INTO big SELECT g, 'c', g FROM generate_series(1, 1100000) g;"
                "ANALYZE;");
    auto conn = pg::Connection::open(*url_);
    ASSERT_TRUE(conn);
    auto schema = pg::load_live_schema(*conn);
    ASSERT_TRUE(schema);
    live_ = new pg::LiveSchema(std::move(*schema));
  }
  static void TearDownTestSuite() {
    delete live_;
    delete url_;
  }

  // The verdict and first message of a one-statement migration, linted against the live schema.
  static std::pair<Verdict, std::string> lint_one(const std::string& sql, const pg::LiveSchema* live = live_) {
    Linter linter(Settings{}, live);
    FileReport r = linter.lint("m.sql", sql);
    EXPECT_TRUE(r.errors.empty());
    const StatementReport& s = r.statements.back();
    // The message of the finding that decided the verdict.
    const Finding* worst = nullptr;
    for (const Finding& f : s.findings) {
      if (!worst || f.verdict > worst->verdict) worst = &f;
    }
    return {s.verdict, worst ? worst->message : std::string()};
  }

  static std::string* url_;
  static pg::LiveSchema* live_;
};

std::string* SizeEscalation::url_ = nullptr;
pg::LiveSchema* SizeEscalation::live_ = nullptr;

TEST_F(SizeEscalation, BlockingIndexBuildIsSafeOnASmallTableAndReviewPastTheThreshold) {
  EXPECT_EQ(lint_one("CREATE INDEX ON tiny (code);").first, Verdict::safe);
  auto [verdict, message] = lint_one("CREATE INDEX ON medium (code);");
  EXPECT_EQ(verdict, Verdict::review);
  EXPECT_NE(message.find("builds: 150k rows"), std::string::npos) << message;
  EXPECT_NE(message.find("blocks writes"), std::string::npos) << message;
  // It blocks writes, not reads: never dangerous, however large.
  EXPECT_EQ(lint_one("CREATE INDEX ON big (code);").first, Verdict::review);
  // Without a database the size is unknown: review.
  EXPECT_EQ(lint_one("CREATE INDEX ON tiny (code);", nullptr).first, Verdict::review);
}

TEST_F(SizeEscalation, RewriteUnderAccessExclusiveBecomesDangerousOnAMillionRows) {
  auto [verdict, message] = lint_one("ALTER TABLE big ALTER COLUMN amount TYPE bigint;");
  EXPECT_EQ(verdict, Verdict::dangerous);
  EXPECT_NE(message.find("from integer to bigint rewrites big: 1.1M rows"), std::string::npos) << message;
  EXPECT_NE(message.find("blocks reads and writes"), std::string::npos) << message;
  EXPECT_EQ(lint_one("ALTER TABLE medium ALTER COLUMN amount TYPE bigint;").first, Verdict::review);
  // A real type change stays review even on a tiny table: the application reads the new type.
  EXPECT_EQ(lint_one("ALTER TABLE tiny ALTER COLUMN amount TYPE bigint;").first, Verdict::review);
}

TEST_F(SizeEscalation, OnlyTheRealColumnTypeLowersAVerdict) {
  // varchar(20) -> text needs no rewrite: safe even on 1.1M rows.
  EXPECT_EQ(lint_one("ALTER TABLE big ALTER COLUMN code TYPE text;").first, Verdict::safe);
  // Without the database the current type is unknown: review.
  EXPECT_EQ(lint_one("ALTER TABLE big ALTER COLUMN code TYPE text;", nullptr).first, Verdict::review);
  // Shrinking the limit rewrites.
  EXPECT_EQ(lint_one("ALTER TABLE big ALTER COLUMN code TYPE varchar(10);").first, Verdict::dangerous);
}

TEST_F(SizeEscalation, NullableAddColumnIsSafeOnAnySize) {
  EXPECT_EQ(lint_one("ALTER TABLE big ADD COLUMN note text;").first, Verdict::safe);
}

TEST_F(SizeEscalation, ALiveTableIsNeverNewEvenWhenTheRunCreatesIt) {
  // Linting a whole folder against a database that already applied its first migration.
  Linter linter(Settings{}, live_);
  linter.lint("1.sql", "CREATE TABLE big (id int, code varchar(20), amount integer);");
  FileReport r = linter.lint("2.sql", "ALTER TABLE big ALTER COLUMN amount TYPE bigint;");
  EXPECT_EQ(r.statements[0].verdict, Verdict::dangerous);
  // While a table only this run creates is new, and safe.
  linter.lint("3.sql", "CREATE TABLE fresh (amount integer);");
  FileReport f = linter.lint("4.sql", "ALTER TABLE fresh ALTER COLUMN amount TYPE bigint;");
  EXPECT_EQ(f.statements[0].verdict, Verdict::safe);
}

TEST_F(SizeEscalation, ThresholdsComeFromSettings) {
  Settings strict;
  strict.thresholds.review_rows = 50;
  strict.thresholds.dangerous_rows = 90;
  Linter linter(strict, live_);
  FileReport r = linter.lint("m.sql", "CREATE INDEX ON tiny (code); ALTER TABLE tiny ALTER COLUMN amount TYPE bigint;");
  EXPECT_EQ(r.statements[0].verdict, Verdict::review);
  EXPECT_EQ(r.statements[1].verdict, Verdict::dangerous);
}

}  // namespace
}  // namespace slipway::lint
