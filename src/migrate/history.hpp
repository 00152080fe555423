// The history table of the tool a project already uses, read and written the way that tool
// does, so that the tool still agrees with the database after Slipway applied its migrations.
//
//   layout          table                  one row per                       checksum
//   prisma          _prisma_migrations     attempt (uuid id, finished_at)    SHA-256 hex of migration.sql
//   flyway          flyway_schema_history  applied migration (installed_rank) CRC-32 of the lines, signed int
//   golang-migrate  schema_migrations      nothing: one row (version, dirty) none: drift is undetectable
//   plain           slipway_migrations     file (name)                       SHA-256 hex
//
// Applying a migration is record_start() (outside any transaction), the migration, then
// record_finish() inside the migration's last transaction, or record_failure() after a failure. What each call writes
// is the tool's own sequence: Prisma inserts its row before the script and sets finished_at after it; Flyway inserts
// one row in the migration's transaction; golang-migrate marks the version dirty before and clean after.
// docs/commands/migrate.md cites the source each one follows.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "migrate/folder.hpp"

namespace slipway::pg {
class Connection;
}

namespace slipway::migrate {

// One row of a history table (for golang-migrate, its one version), in the tool's terms.
struct HistoryEntry {
  std::string key;          // what HistoryTable::key_of() gives the file it records
  std::string checksum;     // as stored; "" when the tool keeps none
  bool success = true;      // false: Prisma's unfinished row, Flyway's and Slipway's success = false
  bool dirty = false;       // golang-migrate's dirty flag
  bool baseline = false;    // Flyway's BASELINE row: versions up to its key count as applied
  std::string applied_at;   // timestamp text, or ""
  std::string message;      // Prisma's logs, Slipway's error
  std::string description;  // Flyway's description (repeatable migrations are keyed by it)
};

// What record_start() learnt that record_finish() and record_failure() need.
struct Attempt {
  std::string id;          // Prisma's row id (a UUID v4)
  std::string started_at;  // the server's clock at start, for Slipway's own table
  std::chrono::steady_clock::time_point started{};
};

// How a migration failed, for the tool's failure record.
struct Failure {
  std::string migration;  // the name the tool shows
  std::string sqlstate;
  std::string message;            // PostgreSQL's message, with DETAIL and HINT lines when given
  bool partly_committed = false;  // a statement outside the transaction had already committed
};

class HistoryTable {
 public:
  virtual ~HistoryTable() = default;
  // The history of `layout`'s tool; `table` ("" = the tool's default) may be "schema.table".
  static std::unique_ptr<HistoryTable> for_layout(Layout layout, const std::string& table = {});

  [[nodiscard]] Layout layout() const { return layout_; }
  [[nodiscard]] const std::string& table() const { return table_; }
  [[nodiscard]] virtual std::string_view tool() const = 0;  // "Prisma", "Flyway", "golang-migrate", "Slipway"
  // False for golang-migrate, which stores no checksum.
  [[nodiscard]] virtual bool has_checksum() const { return true; }
  // The key of the history row that records `file`.
  [[nodiscard]] virtual std::string key_of(const MigrationFile& file) const = 0;
  // The checksum the tool stores for a file with this text ("" when it keeps none).
  [[nodiscard]] virtual std::string checksum(std::string_view text) const = 0;
  // Whether `text` still matches a stored checksum, by the tool's own comparison.
  [[nodiscard]] virtual bool matches(std::string_view text, const std::string& stored) const {
    return checksum(text) == stored;
  }

  // Whether the table exists (under search_path when unqualified).
  Result<bool> exists(pg::Connection& conn) const;
  // Creates the table with the tool's own DDL when it does not exist.
  virtual Result<void> ensure(pg::Connection& conn) const = 0;
  // The entries in the order they were recorded; empty when the table does not exist.
  virtual Result<std::vector<HistoryEntry>> read(pg::Connection& conn) const = 0;

  // Before the migration runs, outside any transaction.
  virtual Result<Attempt> record_start(pg::Connection& conn, const MigrationFile& file, std::string_view text) const;
  // After the migration's last statement, inside its transaction when it has one.
  virtual Result<void> record_finish(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                                     std::string_view text) const = 0;
  // After a failure, once the failed transaction was rolled back.
  virtual Result<void> record_failure(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                                      std::string_view text, const Failure& failure) const = 0;

 protected:
  HistoryTable(Layout layout, std::string table) : layout_(layout), table_(std::move(table)) {}
  // The table as SQL: "_prisma_migrations", or "audit"."history" for a qualified name.
  [[nodiscard]] std::string quoted() const;

 private:
  Layout layout_;
  std::string table_;
};

// Flyway's checksum: CRC-32 over the UTF-8 bytes of each line without its terminator (\n, \r or
// \r\n), a byte-order mark stripped from the first, as a signed 32-bit integer.
std::int32_t flyway_checksum(std::string_view text);
// Prisma's checksum comparison: SHA-256 hex of the script as is, with CRLF turned into LF, or LF
// into CRLF; old rows may hold hex without zero padding.
bool prisma_checksum_matches(std::string_view text, const std::string& stored);
// A random UUID, version 4, as Prisma writes its ids.
std::string uuid_v4();

}  // namespace slipway::migrate
