// The table lock a statement takes, and on which table.
//
//   CREATE INDEX ON loans (member_id);            -> SHARE on loans: blocks writes
//   ALTER TABLE loans ADD COLUMN x int;           -> ACCESS EXCLUSIVE on loans: blocks reads and writes
//   CREATE INDEX CONCURRENTLY ON loans (x);       -> SHARE UPDATE EXCLUSIVE: blocks only schema changes
//
// How long it is held (a catalog change, a scan, a rewrite) is the rules' business: their
// findings say so. For ALTER TABLE the strongest lock of its sub-commands wins.
#pragma once

#include <string>
#include <vector>

#include "lint/verdict.hpp"
#include "sql/tree.hpp"

namespace slipway::lint {

struct LockInfo {
  LockMode mode = LockMode::none;
  std::string table;  // qualified key of the main table, or "" when none
};

// The lock `node` takes. An ALTER COLUMN TYPE is assumed to rewrite; the changing-column-type
// rule knows better when the live column type is known.
LockInfo lock_for(const sql::Node& node);

// Every table the statement names, qualified, in order of first mention.
std::vector<std::string> tables_of(const sql::Node& node);

}  // namespace slipway::lint
