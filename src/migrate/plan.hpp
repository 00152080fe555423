// The migration plan: the pending migrations, linted against the live schema the way
// `slipway lint --database` lints them, and cut into the steps `apply` runs.
//
// A migration runs in one transaction, except the statements PostgreSQL refuses inside one,
// which run alone between transactions, in file order:
//
//   CREATE TABLE report_sessions (...);            -- step 1: BEGIN ... COMMIT
//   INSERT INTO report_sessions ...;               --         (same transaction)
//   CREATE INDEX CONCURRENTLY rs_user ON ...;      -- step 2: alone, outside a transaction
//   ALTER TABLE report_sessions ADD CONSTRAINT ...;-- step 3: BEGIN ... COMMIT
//
// A file with BEGIN/COMMIT of its own is run as written, one statement at a time.
//
// render_plan_sql() writes the checklist's plan file (migration_plan_YYYYMMDD.sql): the steps as
// SQL psql could run, each statement under comments with its verdict, lock, table sizes and the
// safer recipe, after a header that sums it all up.
#pragma once

#include <string>
#include <vector>

#include "core/units.hpp"
#include "lint/report.hpp"
#include "migrate/status.hpp"
#include "pg/catalog.hpp"

namespace slipway::migrate {

struct Step {
  bool transaction = true;              // false: the statement runs alone, outside a transaction
  std::vector<std::size_t> statements;  // indices into the file's statements, in order
};

struct PlannedMigration {
  const MigrationStatus* status = nullptr;  // points into the Status the plan was made from
  lint::FileReport report;                  // the parsed file, each statement's verdict and lock
  std::vector<Step> steps;
  bool own_transactions = false;  // the file has BEGIN/COMMIT/ROLLBACK of its own
};

struct Plan {
  std::vector<PlannedMigration> migrations;
  lint::Summary summary;
  std::size_t statements = 0;

  // Syntax errors as "path:line:col: message" (a plan with any cannot be applied).
  [[nodiscard]] std::vector<std::string> errors() const;
};

// Why `node` cannot run inside a transaction block on a server of `server_major`
// ("CREATE INDEX CONCURRENTLY"), or "" when it can.
std::string non_transactional(const sql::Node& node, int server_major);

// Lints the pending migrations of `status` in one run (the live schema, when given, says what
// exists) and cuts each into steps. `settings` come from slipway.toml's [lint].
Plan make_plan(const Status& status, const pg::LiveSchema* live, lint::Settings settings);

struct PlanHeader {
  std::string generated_at;  // "2026-05-01 10:15 UTC"
  std::string database;      // "loans (PostgreSQL 15.4)"
  Duration lock_timeout{};
  Duration statement_timeout{};
};

// The plan file: valid SQL, annotated in comments.
std::string render_plan_sql(const Status& status, const Plan& plan, const pg::LiveSchema* live,
                            const PlanHeader& header);

// The tables each lock mode of the plan is taken on, strongest mode first.
std::vector<std::pair<lint::LockMode, std::vector<std::string>>> locks_by_mode(const Plan& plan);
// "ACCESS EXCLUSIVE on loans, members; SHARE on users".
std::string lock_summary(const Plan& plan);

}  // namespace slipway::migrate
