// Each tool's history table after Slipway applied its folder, field by field, and what
// `status` reads back: applied, pending, drift, failed, dirty.
#include <regex>

#include "core/fs.hpp"
#include "core/hash.hpp"
#include "fixture.hpp"
#include "process.hpp"

namespace slipway::migrate::test {
namespace {

// --- Prisma -------------------------------------------------------------------------------

class Prisma : public MigrateDb {
 protected:
  // The example app's migrations (v1..v3), copied so a test may edit them.
  fs::path copy_example() {
    const fs::path src = slipway::test::source_path("examples/loans/prisma/migrations");
    fs::create_directories(dir / "prisma");
    fs::copy(src, dir / "prisma" / "migrations", fs::copy_options::recursive);
    return dir;
  }
};

TEST_F(Prisma, ExampleAppAppliesAndRowsAreWhatPrismaMigrateDeployWrites) {
  const Folder f = folder("auto", copy_example());
  ASSERT_EQ(f.layout, Layout::prisma);
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"pending", "pending", "pending"}));

  const ApplyReport r = apply(f);
  ASSERT_EQ(r.status, ApplyStatus::applied) << r.message;

  // The table: Prisma's DDL (postgres.rs create_migrations_table), column by column.
  auto cols = conn->query(
      "SELECT column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable, "
      "coalesce(column_default, '') FROM information_schema.columns WHERE table_name = '_prisma_migrations' "
      "ORDER BY ordinal_position");
  ASSERT_TRUE(cols);
  std::vector<std::string> got;
  for (std::size_t i = 0; i < cols->size(); ++i) {
    got.push_back(cols->text(i, 0) + " " + cols->text(i, 1) + " " + cols->text(i, 2) + " " + cols->text(i, 3) + " " +
                  cols->text(i, 4));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "id character varying 36 NO ",
                     "checksum character varying 64 NO ",
                     "finished_at timestamp with time zone  YES ",
                     "migration_name character varying 255 NO ",
                     "logs text  YES ",
                     "rolled_back_at timestamp with time zone  YES ",
                     "started_at timestamp with time zone  NO now()",
                     "applied_steps_count integer  NO 0",
                 }));
  EXPECT_EQ(value("SELECT string_agg(conname || ':' || contype::text, ',') FROM pg_constraint "
                  "WHERE conrelid = '_prisma_migrations'::regclass"),
            "_prisma_migrations_pkey:p");

  // The rows, field by field.
  auto rows = conn->query(
      "SELECT id, checksum, migration_name, logs IS NULL, rolled_back_at IS NULL, started_at <= finished_at, "
      "applied_steps_count, finished_at IS NOT NULL FROM _prisma_migrations ORDER BY started_at");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3U);
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (std::size_t i = 0; i < 3; ++i) {
    const MigrationFile& file = f.files[i];
    EXPECT_TRUE(std::regex_match(rows->text(i, 0), v4)) << rows->text(i, 0);
    EXPECT_EQ(rows->text(i, 1), sha256_hex(*read_text_file(file.path)));
    EXPECT_EQ(rows->text(i, 2), file.path.parent_path().filename().string());
    EXPECT_EQ(rows->text(i, 3), "t") << "logs is NULL on success";
    EXPECT_EQ(rows->text(i, 4), "t");
    EXPECT_EQ(rows->text(i, 5), "t");
    EXPECT_EQ(rows->text(i, 6), "1");
    EXPECT_EQ(rows->text(i, 7), "t");
  }
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "applied", "applied"}));
  // The schema is the example app's v3: loans.amount became bigint, members.legacy_code is gone.
  EXPECT_EQ(value("SELECT data_type FROM information_schema.columns WHERE table_name = 'loans' AND "
                  "column_name = 'amount'"),
            "bigint");
}

TEST_F(Prisma, EditingAnAppliedFileIsDrift) {
  const Folder f = folder("auto", copy_example());
  ASSERT_EQ(apply(f).status, ApplyStatus::applied);
  const fs::path v2 = f.files[1].path;
  write(fs::relative(v2, dir).string(), *read_text_file(v2) + "\n-- edited after release\n");
  const Status s = status(f);
  EXPECT_EQ(states(s), (std::vector<std::string>{"applied", "drift", "applied"}));
  EXPECT_TRUE(s.has_problems());
  EXPECT_NE(s.migrations[1].message.find("changed since it was applied"), std::string::npos);
  // Line endings alone are not drift, as Prisma sees it.
  std::string text = *read_text_file(f.files[0].path);
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write(fs::relative(f.files[0].path, dir).string(), crlf);
  EXPECT_EQ(to_string(status(f).migrations[0].state), "applied");
}

TEST_F(Prisma, AFailedMigrationIsRecordedAsPrismaDoesAndBlocksTheNextApply) {
  write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
  write("prisma/migrations/20260101000000_init/migration.sql", "CREATE TABLE a (id int);\n");
  write("prisma/migrations/20260201000000_broken/migration.sql",
        "CREATE TABLE b (id int);\nALTER TABLE missing ADD COLUMN x int;\n");
  const Folder f = folder();
  const ApplyReport r = apply(f);
  EXPECT_EQ(r.status, ApplyStatus::failed);
  auto rows = conn->query(
      "SELECT migration_name, finished_at IS NULL, applied_steps_count, logs, rolled_back_at IS NULL "
      "FROM _prisma_migrations ORDER BY started_at");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ(rows->text(1, 0), "20260201000000_broken");
  EXPECT_EQ(rows->text(1, 1), "t");
  EXPECT_EQ(rows->text(1, 2), "0");
  EXPECT_TRUE(
      rows->text(1, 3).starts_with("A migration failed to apply. New migrations cannot be applied before the "
                                   "error is recovered from."))
      << rows->text(1, 3);
  EXPECT_NE(rows->text(1, 3).find("Migration name: 20260201000000_broken\n\nDatabase error code: 42P01"),
            std::string::npos)
      << rows->text(1, 3);
  EXPECT_NE(rows->text(1, 3).find("ERROR: relation \"missing\" does not exist"), std::string::npos);
  EXPECT_EQ(value("SELECT to_regclass('b') IS NULL"), "t") << "the failed migration was rolled back";

  const Status s = status(f);
  EXPECT_EQ(states(s), (std::vector<std::string>{"applied", "failed"}));
  const ApplyReport again = apply(f);
  EXPECT_EQ(again.status, ApplyStatus::refused);
  EXPECT_NE(again.message.find("prisma migrate resolve --rolled-back 20260201000000_broken"), std::string::npos)
      << again.message;

  // `prisma migrate resolve --rolled-back` sets rolled_back_at: the migration is pending again.
  conn->execute("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE finished_at IS NULL");
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "pending"}));
}

TEST_F(Prisma, TableNameFromConfig) {
  write("prisma/migrations/20260101000000_init/migration.sql", "CREATE TABLE a (id int);\n");
  const Folder f = folder("prisma");
  ASSERT_EQ(apply(f, {}, "custom_history").status, ApplyStatus::applied);
  EXPECT_EQ(value("SELECT count(*) FROM custom_history"), "1");
  EXPECT_EQ(value("SELECT to_regclass('_prisma_migrations') IS NULL"), "t");
  EXPECT_EQ(states(status(f, "custom_history")), (std::vector<std::string>{"applied"}));
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"pending"}));
}

// --- Flyway -------------------------------------------------------------------------------

using Flyway = MigrateDb;

TEST_F(Flyway, RowsAreWhatFlywayWrites) {
  write("V1__create_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n");
  write("V1_1__add_accounts_name.sql", "ALTER TABLE accounts ADD COLUMN name text;\n");
  write("R__account_view.sql", "CREATE OR REPLACE VIEW account_names AS SELECT id, name FROM accounts;\n");
  const Folder f = folder();
  ASSERT_EQ(f.layout, Layout::flyway);
  ASSERT_EQ(apply(f).status, ApplyStatus::applied);

  // createMetaDataTable.sql: the columns, the primary key and the index on success.
  EXPECT_EQ(value("SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY "
                  "ordinal_position) FROM information_schema.columns WHERE table_name = 'flyway_schema_history'"),
            "installed_rank integer NO, version character varying YES, description character varying NO, type "
            "character varying NO, script character varying NO, checksum integer YES, installed_by character "
            "varying NO, installed_on timestamp without time zone NO, execution_time integer NO, success boolean NO");
  EXPECT_EQ(value("SELECT conname FROM pg_constraint WHERE conrelid = 'flyway_schema_history'::regclass AND "
                  "contype = 'p'"),
            "flyway_schema_history_pk");
  EXPECT_EQ(value("SELECT indexdef FROM pg_indexes WHERE indexname = 'flyway_schema_history_s_idx'"),
            "CREATE INDEX flyway_schema_history_s_idx ON public.flyway_schema_history USING btree (success)");

  auto rows = conn->query(
      "SELECT installed_rank, coalesce(version, '<null>'), description, type, script, checksum, "
      "installed_by = current_user, execution_time >= 0, success, installed_on IS NOT NULL "
      "FROM flyway_schema_history ORDER BY installed_rank");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3U);
  const std::vector<std::vector<std::string>> expected{
      {"1", "1", "create accounts", "SQL", "V1__create_accounts.sql"},
      {"2", "1.1", "add accounts name", "SQL", "V1_1__add_accounts_name.sql"},
      {"3", "<null>", "account view", "SQL", "R__account_view.sql"},
  };
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t c = 0; c < 5; ++c) EXPECT_EQ(rows->text(i, c), expected[i][c]) << i << "," << c;
    EXPECT_EQ(rows->text(i, 5), std::to_string(flyway_checksum(*read_text_file(dir / expected[i][4]))));
    for (std::size_t c = 6; c < 10; ++c) EXPECT_EQ(rows->text(i, c), "t") << i << "," << c;
  }
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "applied", "applied"}));

  // A changed repeatable migration runs again (a new row); a changed versioned one is drift.
  write("R__account_view.sql", "CREATE OR REPLACE VIEW account_names AS SELECT id, name, email FROM accounts;\n");
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "applied", "pending"}));
  ASSERT_EQ(apply(f).status, ApplyStatus::applied);
  EXPECT_EQ(value("SELECT count(*) FROM flyway_schema_history WHERE version IS NULL"), "2");
  write("V1__create_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, extra int);\n");
  const Status s = status(f);
  EXPECT_EQ(states(s), (std::vector<std::string>{"drift", "applied", "applied"}));
  EXPECT_NE(s.migrations[0].message.find("Flyway checksum"), std::string::npos) << s.migrations[0].message;
}

TEST_F(Flyway, ARolledBackFailureLeavesNoRowAndAPartlyCommittedOneIsRecordedFailed) {
  write("V1__init.sql", "CREATE TABLE t (id int);\n");
  write("V2__broken.sql", "INSERT INTO t VALUES (1);\nINSERT INTO nope VALUES (1);\n");
  Folder f = folder();
  EXPECT_EQ(apply(f).status, ApplyStatus::failed);
  // On PostgreSQL a failed transactional migration is rolled back and not recorded.
  EXPECT_EQ(value("SELECT count(*) FROM flyway_schema_history"), "1");
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "pending"}));

  // One with a statement outside the transaction is recorded with success = false.
  write("V2__broken.sql", "CREATE INDEX CONCURRENTLY t_id ON t (id);\nINSERT INTO nope VALUES (1);\n");
  f = folder();
  const ApplyReport r = apply(f);
  EXPECT_EQ(r.status, ApplyStatus::failed);
  ASSERT_EQ(r.migrations.size(), 1U);
  EXPECT_TRUE(r.migrations[0].partly_committed);
  EXPECT_EQ(value("SELECT success::text || ' ' || version FROM flyway_schema_history WHERE installed_rank = 2"),
            "false 2");
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "failed"}));
  const ApplyReport again = apply(f);
  EXPECT_EQ(again.status, ApplyStatus::refused);
  EXPECT_NE(again.message.find("flyway repair"), std::string::npos) << again.message;
}

// --- golang-migrate -----------------------------------------------------------------------

using Golang = MigrateDb;

TEST_F(Golang, OneRowDirtyDuringAndAfterAFailureCleanAfterSuccess) {
  write("000001_init.up.sql", "CREATE TABLE t (id int);\n");
  write("000001_init.down.sql", "DROP TABLE t;\n");
  write("000002_add_b.up.sql", "ALTER TABLE t ADD COLUMN b int;\n");
  const Folder f = folder();
  ASSERT_EQ(f.layout, Layout::golang_migrate);
  ASSERT_EQ(apply(f).status, ApplyStatus::applied);
  // ensureVersionTable's DDL and SetVersion's one row.
  EXPECT_EQ(value("SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY "
                  "ordinal_position) FROM information_schema.columns WHERE table_name = 'schema_migrations'"),
            "version bigint NO, dirty boolean NO");
  EXPECT_EQ(value("SELECT conname FROM pg_constraint WHERE conrelid = 'schema_migrations'::regclass"),
            "schema_migrations_pkey");
  EXPECT_EQ(value("SELECT count(*)::text || ' ' || max(version) || ' ' || bool_or(dirty) FROM schema_migrations"),
            "1 2 false");
  Status s = status(f);
  EXPECT_EQ(states(s), (std::vector<std::string>{"applied", "applied"}));
  ASSERT_EQ(s.notes.size(), 1U);
  EXPECT_NE(s.notes[0].find("no checksum"), std::string::npos);

  // No checksum: an edited applied file cannot be seen.
  write("000001_init.up.sql", "CREATE TABLE t (id bigint);\n");
  EXPECT_EQ(states(status(f)), (std::vector<std::string>{"applied", "applied"}));

  // A failure leaves the version dirty, as golang-migrate does (dirty = true before it runs).
  write("000003_broken.up.sql", "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE nope ADD COLUMN c int;\n");
  const Folder f3 = folder();
  EXPECT_EQ(apply(f3).status, ApplyStatus::failed);
  EXPECT_EQ(value("SELECT count(*)::text || ' ' || max(version) || ' ' || bool_or(dirty) FROM schema_migrations"),
            "1 3 true");
  s = status(f3);
  EXPECT_EQ(states(s), (std::vector<std::string>{"applied", "applied", "dirty"}));
  EXPECT_TRUE(s.has_problems());
  const ApplyReport again = apply(f3);
  EXPECT_EQ(again.status, ApplyStatus::refused);
  EXPECT_NE(again.message.find("migrate force"), std::string::npos) << again.message;
}

// --- plain folders: Slipway's own table ---------------------------------------------------

using Plain = MigrateDb;

TEST_F(Plain, SlipwayTableRoundTripDriftAndASchemaQualifiedTable) {
  write("1_init.sql", "CREATE TABLE t (id int);\n");
  write("10_more.sql", "CREATE TABLE u (id int);\n");
  write("2_index.sql", "CREATE INDEX t_id ON t (id);\n");
  const Folder f = folder();
  ASSERT_EQ(f.layout, Layout::plain);
  conn->execute("CREATE SCHEMA ops");
  EXPECT_EQ(states(status(f, "ops.history")), (std::vector<std::string>{"pending", "pending", "pending"}));
  ASSERT_EQ(apply(f, {}, "ops.history").status, ApplyStatus::applied);
  EXPECT_EQ(value("SELECT string_agg(name || ':' || success || ':' || (checksum = encode(sha256(convert_to("
                  "CASE name WHEN '1_init.sql' THEN E'CREATE TABLE t (id int);\\n' ELSE '' END, 'UTF8')), 'hex')), "
                  "',' ORDER BY started_at) FROM ops.history"),
            "1_init.sql:true:true,2_index.sql:true:false,10_more.sql:true:false");
  EXPECT_EQ(states(status(f, "ops.history")), (std::vector<std::string>{"applied", "applied", "applied"}));
  write("2_index.sql", "CREATE INDEX t_id ON t (id DESC);\n");
  EXPECT_EQ(states(status(f, "ops.history")), (std::vector<std::string>{"applied", "drift", "applied"}));
  // A row whose file is gone.
  fs::remove(dir / "10_more.sql");
  EXPECT_EQ(states(status(folder(), "ops.history")), (std::vector<std::string>{"applied", "drift", "missing"}));
}

}  // namespace
}  // namespace slipway::migrate::test
