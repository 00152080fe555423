// The integrity part: row counts (and optional checksums of chosen columns) of the tables named
// in [verify.integrity], recorded before a deploy and compared after it.
//
//   before:  slipway verify integrity --snapshot     -> a row in Slipway's state store
//   after:   slipway verify integrity                -> compared with the latest snapshot
//
// A count that moved fails unless the table is declared: may_grow (users sign up during the
// deploy), may_shrink, or may_change (either way, and its checksum may differ). A checksum is
// md5 over the md5 of each row's chosen columns, sorted, so it ignores physical row order:
// an UPDATE that rewrote emails with the same row count shows as "rows changed".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/connection.hpp"
#include "state/store.hpp"
#include "verify/report.hpp"
#include "verify/settings.hpp"

namespace slipway::verify {

struct TableMeasure {
  std::string table;
  std::int64_t rows = 0;
  std::string checksum;  // empty when no columns were chosen
  bool exists = true;    // false: no such table (yet: a first deploy snapshots an empty database)
};

struct Snapshot {
  std::int64_t id = 0;
  std::string taken_at;  // UTC, ISO 8601
  std::vector<TableMeasure> tables;
};

// Counts (and checksums) every configured table. Fails (bad input) naming a missing table or
// column, (environment) on a lost connection.
Result<std::vector<TableMeasure>> measure_tables(pg::Connection& db, const IntegritySettings& settings);

// Snapshots in Slipway's state store (state.url: SQLite or PostgreSQL), keyed by the database
// they describe.
class SnapshotStore {
 public:
  explicit SnapshotStore(state::Store& store) : store_(&store) {}

  Result<Snapshot> save(const std::string& database, const std::vector<TableMeasure>& tables);
  // The newest snapshot of `database`, or nullopt when there is none.
  Result<std::optional<Snapshot>> latest(const std::string& database);
  // Snapshot `id` of `database`, or nullopt when there is no such snapshot of it.
  Result<std::optional<Snapshot>> find(const std::string& database, std::int64_t id);

 private:
  static Result<std::optional<Snapshot>> read(Result<std::optional<state::SnapshotRow>> row);
  state::Store* store_;
};

// Adds an "integrity-rows" check per table (and "integrity-checksum" where chosen) to `report`.
void compare_snapshot(const Snapshot& before, const std::vector<TableMeasure>& now, const IntegritySettings& settings,
                      Report& report);

}  // namespace slipway::verify
