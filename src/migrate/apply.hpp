// slipway migrate apply: the pending migrations, run the safe way.
//
//   1. pg_try_advisory_lock: two applies never run at once (and, for Prisma, neither do Slipway
//      and `prisma migrate deploy`, whose lock key Slipway takes too). The loser stops at once
//      and names the holder's pid and application_name.
//   2. The history: a failed (Prisma, Flyway, Slipway) or dirty (golang-migrate) migration stops
//      everything until a person resolves it, as the tools themselves do.
//   3. The plan (plan.hpp): a dangerous statement refuses the whole apply unless it carries a
//      `-- slipway:ignore <rule> <reason>` or --allow-dangerous is given.
//   4. lock_timeout and statement_timeout for the session; then each migration, step by step
//      (a transaction, or a statement that must run alone). A step that hits the lock timeout
//      (SQLSTATE 55P03) is rolled back and run again after an exponential, jittered wait:
//      500ms, 1s, 2s... (each between half and one and a half times that), at most lock_retries
//      times.
//   5. The history is written the way the tool would (history.hpp); on a failure apply stops and
//      reports, per migration and per statement, what committed, what rolled back, what failed
//      (file:line:col and PostgreSQL's message) and what never ran.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/source.hpp"
#include "core/units.hpp"
#include "lint/rule.hpp"
#include "migrate/folder.hpp"
#include "migrate/history.hpp"

namespace slipway::pg {
class Connection;
}

namespace slipway::migrate {

// Waiting between retries: the seam tests drive instead of sleeping.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void sleep(Duration d) = 0;
  // A random number in [0, 1) for the jitter.
  virtual double random() = 0;
};
// Sleeps for real, with a random jitter.
Waiter& system_waiter();

struct ApplyOptions {
  bool allow_dangerous = false;
  Duration lock_timeout = std::chrono::seconds(5);
  Duration statement_timeout = std::chrono::minutes(15);
  int lock_retries = 5;
  Duration retry_backoff = std::chrono::milliseconds(500);
  Waiter* waiter = nullptr;                          // null: system_waiter()
  std::function<void(const std::string&)> progress;  // one line per event, or null
};

enum class StatementState { not_run, committed, rolled_back, failed };
std::string_view to_string(StatementState s);

struct StatementResult {
  Position pos;
  StatementState state = StatementState::not_run;
  bool alone = false;  // ran outside a transaction
};

enum class ApplyOutcome { committed, failed, not_run };
std::string_view to_string(ApplyOutcome o);

struct MigrationResult {
  std::string name;
  std::string path;
  ApplyOutcome outcome = ApplyOutcome::not_run;
  std::vector<StatementResult> statements;
  int retries = 0;
  long long duration_ms = 0;
  // When it failed:
  std::size_t failed_statement = 0;  // 1-based
  std::string at;                    // "path:line:col" of the failed statement
  std::string sqlstate;
  std::string error;  // PostgreSQL's message (with DETAIL and HINT lines)
  bool partly_committed = false;
};

enum class ApplyStatus { applied, nothing_pending, refused, locked, failed };
std::string_view to_string(ApplyStatus s);

struct Refusal {
  std::string at;  // "path:line:col"
  std::string rule;
  std::string message;
};

struct LockHolder {
  int pid = 0;
  std::string application_name;  // "" when not visible to this user
};

struct ApplyReport {
  ApplyStatus status = ApplyStatus::nothing_pending;
  std::string message;  // why it stopped and what to do; "" on success
  std::vector<Refusal> refusals;
  std::vector<MigrationResult> migrations;
  std::vector<std::string> warnings;  // drift, notes
  std::vector<std::string> retry_log;
  int retries = 0;
  std::optional<LockHolder> holder;

  // 0 applied or nothing pending, 1 refused, locked or failed.
  [[nodiscard]] int exit_code() const;
};

// The advisory lock key of `slipway migrate apply` (per database), and Prisma Migrate's.
inline constexpr std::int64_t kApplyLockKey = 0x736c6970776179;  // "slipway"
inline constexpr std::int64_t kPrismaLockKey = 72707369;

// Tries the advisory lock `key`: nullopt when taken, else who holds it.
Result<std::optional<LockHolder>> try_advisory_lock(pg::Connection& conn, std::int64_t key);

// Applies the pending migrations of `folder` (see the top of this file). Fails with an input
// error for unreadable files or syntax errors, an environment error when the database fails
// outside a migration; a refusal or a failed migration is a report, not an error.
Result<ApplyReport> apply(pg::Connection& conn, const Folder& folder, std::unique_ptr<HistoryTable> history,
                          const lint::Settings& settings, const ApplyOptions& options);

}  // namespace slipway::migrate
