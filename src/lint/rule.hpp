// What a lint rule sees and what it reports.
//
// A rule is a function that looks at one statement through a Context and calls report() for
// each problem. It says how bad the problem is on a small table (`base`) and how the cost grows
// with the table (`cost`); the linter turns that into the final verdict using what it knows of
// the table:
//
//   table created earlier in this run      -> safe (nobody uses it yet)
//   no database given (size unknown)       -> base, raised to review when the cost grows with size
//   live size known                        -> base, raised to review past review_rows/review_size;
//                                             a cost that blocks reads and writes is raised to
//                                             dangerous past dangerous_rows/dangerous_size
//
// so "ALTER TABLE loans ALTER amount TYPE bigint" (base review, cost blocks_all) reads
// "review" without a database and "dangerous" on a 2.3M-row loans table.
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lint/locks.hpp"
#include "lint/state.hpp"
#include "lint/verdict.hpp"
#include "pg/catalog.hpp"
#include "sql/parse.hpp"

namespace slipway::lint {

// How a finding's cost grows with the size of the table it touches.
enum class Cost {
  none,           // the same on any table
  blocks_writes,  // writes wait for a scan or build that grows with the table
  blocks_all,     // reads and writes wait for a scan or rewrite under ACCESS EXCLUSIVE
};

struct Finding {
  std::string rule;  // the rule id, filled in by the linter
  Verdict base = Verdict::safe;
  Cost cost = Cost::none;
  std::string table;       // qualified key of the table the cost is about, or ""
  std::string message;     // one line: what happens ("rewrites loans")
  std::string hint;        // the safer recipe
  std::size_t offset = 0;  // file offset for the caret; 0 = the statement's start

  // Filled in by the linter.
  Verdict verdict = Verdict::safe;
  bool suppressed = false;
  std::string suppression_reason;
};

struct Thresholds {
  std::uint64_t review_rows = 100'000;
  std::uint64_t dangerous_rows = 1'000'000;
  std::uint64_t review_bytes = 100'000'000;
  std::uint64_t dangerous_bytes = 1'000'000'000;
};

struct Settings {
  Thresholds thresholds;
  int postgres_version = 15;  // the target server's major version
  // The migration tool runs each multi-statement file in one transaction (Prisma,
  // golang-migrate and Flyway do; psql -f does not).
  bool file_in_transaction = false;
  std::set<std::string> disabled;             // rule ids that never run
  std::optional<std::set<std::string>> only;  // when set, only these rules run (fixtures)
};

class Context {
 public:
  Context(const sql::ParsedFile& file, std::size_t index, std::span<const LockInfo> locks, const SchemaState& state,
          const pg::LiveSchema* live, const Settings& settings)
      : file_(file),
        statement_(file.statements()[index]),
        index_(index),
        locks_(locks),
        state_(state),
        live_(live),
        settings_(settings) {}

  [[nodiscard]] const sql::Node& node() const { return *statement_.node; }
  [[nodiscard]] const sql::Statement& statement() const { return statement_; }
  [[nodiscard]] const sql::ParsedFile& file() const { return file_; }
  // The statement's index in file().statements().
  [[nodiscard]] std::size_t index() const { return index_; }
  // The lock this statement takes, and the lock of the file's statement `i` (computed once).
  [[nodiscard]] const LockInfo& lock() const { return locks_[index_]; }
  [[nodiscard]] const LockInfo& lock_of(std::size_t i) const { return locks_[i]; }
  [[nodiscard]] const SchemaState& state() const { return state_; }
  [[nodiscard]] const Settings& settings() const { return settings_; }
  [[nodiscard]] const pg::LiveSchema* live() const { return live_; }

  // True when the statement runs inside a transaction (explicit, or the tool's per-file one).
  [[nodiscard]] bool in_transaction() const { return state_.in_transaction(); }
  // True when `table` was created earlier in this run and the live database does not have it.
  [[nodiscard]] bool is_new_table(const std::string& table) const;
  // The column's current type, from the live database or from this run; nullopt when unknown.
  [[nodiscard]] std::optional<std::string> column_type(const std::string& table, const std::string& column) const;
  // The file offset of a node's location in this statement.
  [[nodiscard]] std::size_t offset_of(int location) const { return file_.offset_of(statement_, location); }

  void report(Finding f);
  std::vector<Finding>& findings() { return findings_; }

 private:
  const sql::ParsedFile& file_;
  const sql::Statement& statement_;
  std::size_t index_;
  std::span<const LockInfo> locks_;
  const SchemaState& state_;
  const pg::LiveSchema* live_;
  const Settings& settings_;
  std::vector<Finding> findings_;
};

using CheckFn = void (*)(Context&);

struct Rule {
  std::string_view id;       // kebab-case, stable: users write it in ignores
  std::string_view summary;  // one line for `slipway lint --rules` and the docs index
  CheckFn check;
};

}  // namespace slipway::lint
