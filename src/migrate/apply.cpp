#include "migrate/apply.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "migrate/plan.hpp"
#include "migrate/status.hpp"
#include "pg/catalog.hpp"
#include "pg/connection.hpp"

namespace slipway::migrate {
namespace {

constexpr std::string_view kLockNotAvailable = "55P03";

class SystemWaiter final : public Waiter {
 public:
  void sleep(Duration d) override { std::this_thread::sleep_for(d); }
  double random() override { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  std::mt19937_64 rng_{std::random_device{}()};
};

// What a person does about a failed or dirty entry, in the tool's own words.
std::string resolution(const HistoryTable& h, const MigrationStatus& m) {
  switch (h.layout()) {
    case Layout::prisma:
      return fmt::format(
          "undo what it changed, then `npx prisma migrate resolve --rolled-back {}` to run it again "
          "(or `--applied {}` if it did complete)",
          m.name, m.name);
    case Layout::flyway: return "undo what it changed, then `flyway repair` to remove the failed entry";
    case Layout::golang_migrate: return m.message;
    case Layout::plain:
      return fmt::format("check what it changed, then DELETE FROM {} WHERE name = '{}' to run it again", h.table(),
                         m.key);
  }
  return {};
}

std::string server_message(const pg::ServerError& e, const Error& fallback) {
  if (e.message.empty()) return fallback.message;
  std::string out = e.message;
  if (!e.detail.empty()) out += "\nDETAIL: " + e.detail;
  if (!e.hint.empty()) out += "\nHINT: " + e.hint;
  return out;
}

// retry_backoff * 2^tries, jittered to between half and one and a half times that, at most a minute.
Duration backoff(const ApplyOptions& options, Waiter& waiter, int tries) {
  const double base = static_cast<double>(options.retry_backoff.count()) * std::pow(2.0, tries);
  const double jittered = base * (0.5 + waiter.random());
  return Duration(static_cast<long long>(std::min(jittered, 60'000.0)));
}

struct StepFailure {
  std::size_t statement = 0;  // index into the file's statements
  std::string sqlstate;
  std::string message;
};

class Runner {
 public:
  Runner(pg::Connection& conn, const HistoryTable& history, const ApplyOptions& options, ApplyReport& report)
      : conn_(conn),
        history_(history),
        options_(options),
        report_(report),
        waiter_(options.waiter ? *options.waiter : system_waiter()) {}

  // Runs one migration; false when it failed (the report says how).
  bool run(const PlannedMigration& pm, MigrationResult& result) {
    const auto started = std::chrono::steady_clock::now();
    const MigrationStatus& m = *pm.status;
    const sql::ParsedFile& file = *pm.report.parsed;
    say(fmt::format("applying {}", m.name));
    auto attempt = history_.record_start(conn_, m.file, m.text);
    if (!attempt) {
      fail_before(result, attempt.error());
      return false;
    }
    bool committed_any = false;
    for (std::size_t si = 0; si < pm.steps.size(); ++si) {
      const Step& step = pm.steps[si];
      const bool last = si + 1 == pm.steps.size();
      auto failure = run_step(pm, step, last ? &*attempt : nullptr, result);
      if (failure) {
        result.outcome = ApplyOutcome::failed;
        result.failed_statement = failure->statement + 1;
        result.at = format_location(pm.report.path, file.statements()[failure->statement].pos);
        result.sqlstate = failure->sqlstate;
        result.error = failure->message;
        result.partly_committed = committed_any;
        result.duration_ms = ms_since(started);
        Failure f{m.name, failure->sqlstate, failure->message, committed_any};
        if (auto r = history_.record_failure(conn_, *attempt, m.file, m.text, f); !r) {
          report_.warnings.push_back(
              fmt::format("could not record the failure in {}: {}", history_.table(), r.error().message));
        }
        say(fmt::format("  failed at statement {} ({}): {}", result.failed_statement, result.at,
                        first_line(result.error)));
        return false;
      }
      committed_any = true;
    }
    if (pm.steps.empty() || !pm.steps.back().transaction) {
      // No transaction to record it in: record it on its own, as the tool would after the script.
      if (auto r = history_.record_finish(conn_, *attempt, m.file, m.text); !r) {
        result.outcome = ApplyOutcome::failed;
        result.error = fmt::format("applied, but recording it in {} failed: {}", history_.table(), r.error().message);
        result.partly_committed = true;
        return false;
      }
    }
    result.outcome = ApplyOutcome::committed;
    result.duration_ms = ms_since(started);
    say(fmt::format("  committed ({} statement{}, {} ms)", result.statements.size(),
                    result.statements.size() == 1 ? "" : "s", result.duration_ms));
    return true;
  }

 private:
  // Runs a step, retrying it after a lock timeout. `attempt` is set for the migration's last
  // step: its transaction also records the migration.
  std::optional<StepFailure> run_step(const PlannedMigration& pm, const Step& step, const Attempt* attempt,
                                      MigrationResult& result) {
    const sql::ParsedFile& file = *pm.report.parsed;
    for (int tries = 0;; ++tries) {
      auto failure = try_step(pm, step, attempt);
      if (!failure) {
        for (std::size_t i : step.statements) result.statements[i].state = StatementState::committed;
        return std::nullopt;
      }
      const bool lock_timeout = failure->sqlstate == kLockNotAvailable;
      if (!lock_timeout || tries >= options_.lock_retries) {
        for (std::size_t i : step.statements) {
          result.statements[i].state = i < failure->statement    ? StatementState::rolled_back
                                       : i == failure->statement ? StatementState::failed
                                                                 : StatementState::not_run;
        }
        if (!step.transaction) result.statements[failure->statement].state = StatementState::failed;
        if (lock_timeout) {
          failure->message += fmt::format("\n(gave up after {} retr{}: lock_timeout is {}ms)", tries,
                                          tries == 1 ? "y" : "ies", options_.lock_timeout.count());
        }
        return failure;
      }
      const Duration wait = backoff(options_, waiter_, tries);
      ++result.retries;
      ++report_.retries;
      const std::string line =
          fmt::format("lock timeout at {} ({}); retry {} of {} in {}ms",
                      format_location(pm.report.path, file.statements()[failure->statement].pos),
                      step.transaction ? "the transaction was rolled back" : "the statement did not run", tries + 1,
                      options_.lock_retries, wait.count());
      report_.retry_log.push_back(line);
      say("  " + line);
      waiter_.sleep(wait);
    }
  }

  std::optional<StepFailure> try_step(const PlannedMigration& pm, const Step& step, const Attempt* attempt) {
    const sql::ParsedFile& file = *pm.report.parsed;
    const auto rollback = [&] {
      if (step.transaction) (void)conn_.execute("ROLLBACK");
    };
    if (step.transaction) {
      if (auto r = conn_.execute("BEGIN"); !r) return StepFailure{step.statements.front(), "", r.error().message};
    }
    for (std::size_t i : step.statements) {
      const sql::Statement& stmt = file.statements()[i];
      if (auto r = conn_.execute(std::string(file.source(stmt))); !r) {
        StepFailure f{i, conn_.last_error().sqlstate, server_message(conn_.last_error(), r.error())};
        rollback();
        return f;
      }
    }
    if (step.transaction && attempt) {
      const MigrationStatus& m = *pm.status;
      if (auto r = history_.record_finish(conn_, *attempt, m.file, m.text); !r) {
        StepFailure f{step.statements.back(), conn_.last_error().sqlstate,
                      fmt::format("recording the migration in {} failed: {}", history_.table(), r.error().message)};
        rollback();
        return f;
      }
    }
    if (step.transaction) {
      if (auto r = conn_.execute("COMMIT"); !r) {
        return StepFailure{step.statements.back(), conn_.last_error().sqlstate,
                           server_message(conn_.last_error(), r.error())};
      }
    }
    return std::nullopt;
  }

  void fail_before(MigrationResult& result, const Error& e) {
    result.outcome = ApplyOutcome::failed;
    result.error = fmt::format("recording its start in {} failed: {}", history_.table(), e.message);
  }

  static long long ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
  }
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
  void say(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }

  pg::Connection& conn_;
  const HistoryTable& history_;
  const ApplyOptions& options_;
  ApplyReport& report_;
  Waiter& waiter_;
};

}  // namespace

Waiter& system_waiter() {
  static SystemWaiter waiter;
  return waiter;
}

std::string_view to_string(StatementState s) {
  switch (s) {
    case StatementState::not_run: return "not_run";
    case StatementState::committed: return "committed";
    case StatementState::rolled_back: return "rolled_back";
    case StatementState::failed: return "failed";
  }
  return "not_run";
}

std::string_view to_string(ApplyOutcome o) {
  switch (o) {
    case ApplyOutcome::committed: return "committed";
    case ApplyOutcome::failed: return "failed";
    case ApplyOutcome::not_run: return "not_run";
  }
  return "not_run";
}

std::string_view to_string(ApplyStatus s) {
  switch (s) {
    case ApplyStatus::applied: return "applied";
    case ApplyStatus::nothing_pending: return "nothing_pending";
    case ApplyStatus::refused: return "refused";
    case ApplyStatus::locked: return "locked";
    case ApplyStatus::failed: return "failed";
  }
  return "failed";
}

int ApplyReport::exit_code() const {
  return status == ApplyStatus::applied || status == ApplyStatus::nothing_pending ? 0 : 1;
}

Result<std::optional<LockHolder>> try_advisory_lock(pg::Connection& conn, std::int64_t key) {
  auto got = conn.query("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key)});
  if (!got) return fail(Error::environment(got.error().message, "pg_try_advisory_lock"));
  if (got->text(0, 0) == "t") return std::optional<LockHolder>{};
  // A bigint key sits in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
  auto rows = conn.query(
      "SELECT l.pid, coalesce(a.application_name, '') FROM pg_locks l "
      "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND (l.classid::bigint << 32) | l.objid::bigint = $1::bigint LIMIT 1",
      {std::to_string(key)});
  LockHolder holder;
  if (rows && rows->size() == 1) {
    holder.pid = std::atoi(rows->text(0, 0).c_str());
    holder.application_name = rows->text(0, 1);
  }
  return std::optional<LockHolder>{holder};
}

Result<ApplyReport> apply(pg::Connection& conn, const Folder& folder, std::unique_ptr<HistoryTable> history,
                          const lint::Settings& settings, const ApplyOptions& options) {
  ApplyReport report;
  if (auto r = conn.execute("SET application_name = 'slipway migrate apply'"); !r) return fail(r.error());

  // 1. One apply at a time (and never beside `prisma migrate deploy`).
  std::vector<std::int64_t> keys{kApplyLockKey};
  if (folder.layout == Layout::prisma) keys.push_back(kPrismaLockKey);
  std::vector<std::int64_t> held_keys;
  struct Unlock {
    pg::Connection& conn;
    std::vector<std::int64_t>& keys;
    ~Unlock() {
      for (std::int64_t k : keys) (void)conn.query("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(k)});
    }
  } unlock{conn, held_keys};
  for (std::int64_t key : keys) {
    auto held = try_advisory_lock(conn, key);
    if (!held) return fail(held.error());
    if (*held) {
      report.status = ApplyStatus::locked;
      report.holder = **held;
      const std::string who = report.holder->pid
                                  ? fmt::format(" (pid {}{})", report.holder->pid,
                                                report.holder->application_name.empty()
                                                    ? ""
                                                    : ", application_name '" + report.holder->application_name + "'")
                                  : "";
      report.message = fmt::format(
          "another apply holds the migration lock{}{}: wait for it to finish, or stop it with "
          "SELECT pg_terminate_backend(pid) if it is stuck",
          who, key == kPrismaLockKey ? " (Prisma Migrate's advisory lock 72707369)" : "");
      return report;
    }
    held_keys.push_back(key);
  }

  // 2. The history, read under the lock.
  const std::string table = history->table();
  auto status = read_status(conn, folder, std::move(history));
  if (!status) return fail(status.error());
  for (const MigrationStatus& m : status->migrations) {
    if (m.state == State::drift) report.warnings.push_back(fmt::format("{}: {}", m.name, m.message));
  }
  report.warnings.insert(report.warnings.end(), status->notes.begin(), status->notes.end());
  for (const MigrationStatus& m : status->migrations) {
    if (m.state != State::failed && m.state != State::dirty) continue;
    report.status = ApplyStatus::refused;
    report.message = fmt::format("{} is {} in {}: nothing was applied. {}", m.name, to_string(m.state), table,
                                 resolution(*status->history, m));
    return report;
  }

  // 3. The plan, and the statements that refuse it. load_live_schema never waits long behind a
  // table lock (it falls back to catalog page counts), so this read needs no retry.
  if (auto r = conn.execute(fmt::format("SET lock_timeout = '{}ms'", options.lock_timeout.count())); !r)
    return fail(r.error());
  Result<pg::LiveSchema> live = pg::load_live_schema(conn);
  if (!live) return fail(Error::environment(live.error().message, "reading the catalog"));
  const Plan plan = make_plan(*status, &*live, settings);
  if (const auto errors = plan.errors(); !errors.empty()) {
    std::string list;
    for (const std::string& e : errors) list += (list.empty() ? "" : "\n  ") + e;
    return fail(
        Error::input(fmt::format("{} pending migration statement(s) cannot be parsed:\n  {}", errors.size(), list), "",
                     "fix the SQL; nothing was applied"));
  }
  if (plan.migrations.empty()) {
    report.status = ApplyStatus::nothing_pending;
    return report;
  }
  for (const PlannedMigration& pm : plan.migrations) {
    for (const lint::StatementReport& s : pm.report.statements) {
      for (const lint::Finding& f : s.findings) {
        if (f.suppressed || f.verdict != lint::Verdict::dangerous) continue;
        report.refusals.push_back({format_location(pm.report.path, s.pos), f.rule, f.message});
      }
    }
  }
  if (!report.refusals.empty() && !options.allow_dangerous) {
    report.status = ApplyStatus::refused;
    report.message = fmt::format(
        "{} dangerous statement(s): nothing was applied. Make them safe (see the hints of `slipway lint`), mark "
        "a reviewed one with `-- slipway:ignore <rule> <reason>`, or pass --allow-dangerous",
        report.refusals.size());
    return report;
  }

  // 4. Timeouts, then each migration.
  if (auto r = conn.execute(fmt::format("SET statement_timeout = '{}ms'", options.statement_timeout.count())); !r)
    return fail(r.error());
  if (auto r = status->history->ensure(conn); !r) {
    return fail(Error::environment(fmt::format("cannot create {}: {}", table, r.error().message), table));
  }

  for (const PlannedMigration& pm : plan.migrations) {
    MigrationResult result;
    result.name = pm.status->name;
    result.path = pm.report.path;
    const auto stmts = pm.report.parsed->statements();
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      StatementResult sr;
      sr.pos = stmts[i].pos;
      result.statements.push_back(sr);
    }
    for (const Step& step : pm.steps) {
      if (!step.transaction) result.statements[step.statements.front()].alone = true;
    }
    report.migrations.push_back(std::move(result));
  }
  Runner runner(conn, *status->history, options, report);
  report.status = ApplyStatus::applied;
  for (std::size_t i = 0; i < plan.migrations.size(); ++i) {
    if (!runner.run(plan.migrations[i], report.migrations[i])) {
      report.status = ApplyStatus::failed;
      const MigrationResult& r = report.migrations[i];
      report.message =
          r.at.empty() ? fmt::format("{} failed: {}", r.name, r.error)
                       : fmt::format("{} failed at statement {} ({}): {}", r.name, r.failed_statement, r.at, r.error);
      break;
    }
  }
  (void)conn.execute("RESET lock_timeout; RESET statement_timeout");
  return report;
}

}  // namespace slipway::migrate
