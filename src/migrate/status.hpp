// Where each migration of a folder stands, from its history table:
//
//   applied   recorded as applied, and the file still has the checksum it had then
//   pending   not recorded (or, for a Flyway repeatable migration, changed since: it runs again)
//   failed    recorded as failed (Prisma: started but never finished; Flyway/Slipway: success = false)
//   dirty     golang-migrate's version marked dirty: the migration stopped half way
//   drift     recorded as applied, but the file changed since, by the tool's own checksum
//   missing   recorded in the database, but no file has it any more
//
// golang-migrate keeps only the last version: every file up to it counts as applied, and, with
// no checksum, drift cannot be seen there (Status::notes says so).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "migrate/folder.hpp"
#include "migrate/history.hpp"

namespace slipway::pg {
class Connection;
}

namespace slipway::migrate {

enum class State { applied, pending, failed, dirty, drift, missing };
std::string_view to_string(State s);

struct MigrationStatus {
  std::string name;    // the name people know it by: Prisma's folder, the file name
  std::string key;     // the history key (HistoryTable::key_of)
  MigrationFile file;  // empty path for `missing`
  std::string text;    // the file's content (for pending migrations, what will run)
  State state = State::pending;
  std::string checksum;           // of the file now, as the tool computes it ("" without one)
  std::string recorded_checksum;  // as stored
  std::string applied_at;         // timestamp text, or ""
  std::string message;            // why it failed, what changed, what to do
};

struct Status {
  Folder folder;
  std::unique_ptr<HistoryTable> history;
  bool table_exists = false;
  std::vector<MigrationStatus> migrations;  // folder order, then `missing` entries
  std::vector<std::string> notes;           // e.g. golang-migrate has no checksum

  [[nodiscard]] int count(State s) const;
  // Drift, a failed or a dirty migration: `status` exits 1, and `apply` refuses failed/dirty.
  [[nodiscard]] bool has_problems() const;
  [[nodiscard]] std::vector<const MigrationStatus*> pending() const;
};

// Reads the folder's files and `history`'s table. Fails with an input error for an unreadable
// file, an environment error when the database fails.
Result<Status> read_status(pg::Connection& conn, Folder folder, std::unique_ptr<HistoryTable> history);

}  // namespace slipway::migrate
