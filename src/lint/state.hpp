// What the statements linted so far in this run did to the schema, so that later statements
// are judged in context:
//
//   CREATE TABLE report_sessions (...);            -- report_sessions is new
//   CREATE INDEX ON report_sessions (user_id);     -- safe: nobody reads a new table yet
//   BEGIN; ALTER TABLE loans ...;                  -- in a transaction: CONCURRENTLY would fail
//
// The run spans files: a table created by an earlier migration file of the same run is new in
// later ones. With a live database, a table the database already has is never new, whatever
// the files say (the migration that created it was applied long ago).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

namespace slipway::lint {

struct SchemaState {
  // Qualified keys ("public.loans"): things created by earlier statements of this run.
  std::set<std::string> new_tables;
  std::set<std::string> new_indexes;
  std::set<std::string> new_types;
  // table key -> column -> type spelled as format_type() would, for columns created in the run.
  std::map<std::string, std::map<std::string, std::string>> new_columns;

  // (table key, column) pairs known NOT NULL through a validated CHECK (col IS NOT NULL).
  std::set<std::pair<std::string, std::string>> validated_not_null_checks;
  // constraint name -> (table key, column) for CHECK (col IS NOT NULL) NOT VALID, awaiting VALIDATE.
  std::map<std::string, std::pair<std::string, std::string>> not_null_checks_not_valid;
  // Constraints added NOT VALID in the current transaction (validating them there holds the lock).
  std::set<std::string> not_valid_in_transaction;

  bool explicit_transaction = false;  // inside BEGIN ... COMMIT
  bool file_transaction = false;      // the migration tool runs the whole file in one transaction
  bool lock_timeout_set = false;      // SET lock_timeout seen in this run
  bool statement_timeout_set = false;
  // Tables locked ACCESS EXCLUSIVE earlier in the current transaction.
  std::set<std::string> access_exclusive_held;

  [[nodiscard]] bool in_transaction() const { return explicit_transaction || file_transaction; }
};

}  // namespace slipway::lint
