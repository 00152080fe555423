// The linter: runs every rule over every statement of a run of files, in order, keeping the
// schema state between statements and files, and turns findings into verdicts.
#pragma once

#include <string>

#include "lint/report.hpp"
#include "lint/rule.hpp"

namespace slipway::lint {

class Linter {
 public:
  // `live` may be null (no database); it must outlive the linter.
  explicit Linter(Settings settings, const pg::LiveSchema* live = nullptr);

  // Lints one file of the run; files must be given in migration order.
  FileReport lint(std::string path, std::string text);

  // Starts a new run: forgets what earlier files created. Used when each migration of a folder
  // is judged on its own because the earlier ones are presumably applied already.
  void start_run() { state_ = SchemaState{}; }

  // Whether the migration tool runs the next files in one transaction each.
  void set_file_in_transaction(bool value) { settings_.file_in_transaction = value; }

  [[nodiscard]] const SchemaState& state() const { return state_; }

 private:
  Settings settings_;
  const pg::LiveSchema* live_;
  SchemaState state_;
};

// Applies a statement's effect on the schema state (tables it creates, transactions, timeouts).
void advance(SchemaState& state, const sql::Node& node, const LockInfo& lock);

}  // namespace slipway::lint
