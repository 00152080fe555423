// The operations behind `slipway backup`: create, verify, restore, prune and export. Each is a
// library call; src/cli/backup.cpp only parses flags and prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/key.hpp"
#include "backup/manifest.hpp"
#include "backup/repository.hpp"
#include "backup/retention.hpp"
#include "core/error.hpp"
#include "core/timezone.hpp"

namespace slipway::backup {

struct CreateOptions {
  std::string url;                     // the database; its password is never stored or printed
  std::string label = "manual";        // "manual", "pre-deploy", ...
  std::string compression = "zstd:3";  // backup.compression
  int threads = 0;                     // zstd workers; 0 = one per core
  const Key* key = nullptr;            // encrypt when set
  bool progress = false;               // draw a progress bar on stderr
};

// Dumps the database into a new backup and returns its manifest. Holds the repository's writer
// lock, and first deletes what crashed creates left behind.
Result<Manifest> create_backup(Repository& repo, const CreateOptions& options);

// An encrypted backup needs the key it was made with: a missing or different key is an input
// error naming both fingerprints. An unencrypted backup ignores `key`.
Result<void> check_key(const Manifest& manifest, const Key* key);

struct TableCheck {
  std::string name;
  std::uint64_t expected = 0;  // rows in the manifest
  std::uint64_t actual = 0;    // rows after the restore
};

struct RestoreOptions {
  std::string url;                  // the target database
  std::vector<std::string> tables;  // only these ("schema.table"); empty = everything
  bool force = false;               // restore over a non-empty target (pg_restore --clean --if-exists)
  // Make the target exactly the backup: drop every user schema (objects the backup does not hold
  // included, such as tables a later migration created) before restoring. Implies force; a full
  // restore only. This is what a deploy's rollback needs.
  bool replace = false;
  bool no_owner = false;  // pg_restore --no-owner --no-privileges
  const Key* key = nullptr;
  bool progress = false;
};

struct RestoreOutcome {
  std::string id;
  std::string target;                  // the target, without its password
  std::int64_t duration_ms = 0;        // pg_restore's run, the measured RTO
  std::vector<TableCheck> tables;      // row counts compared
  std::optional<bool> schema_matches;  // full restores: the schema fingerprint compared
  std::string failure;                 // why the restore does not count as good, or ""
  bool corrupt = false;                // the failure is a damaged archive

  [[nodiscard]] bool ok() const { return failure.empty(); }
};

// Restores a backup into `options.url` through pg_restore --single-transaction, then compares
// row counts with the manifest. An archive whose checksum does not match is not restored.
// Refuses (input error) a target that has tables, views or sequences unless `force`.
Result<RestoreOutcome> restore_backup(Repository& repo, const std::string& id, const RestoreOptions& options);

struct VerifyOptions {
  const Key* key = nullptr;
  std::string restore_test_url;  // when set: restore into a scratch database on this server
  bool progress = false;
};

struct Check {
  std::string name;  // "archive checksum", "decryption", "pg_restore --list", ...
  bool ok = false;
  std::string detail;
};

struct VerifyOutcome {
  std::string id;
  std::vector<Check> checks;  // in order; the first failed one ends the list
  std::string failure;        // "archive checksum: expected 3fa9..., found 81c0...", or ""
  std::optional<RestoreOutcome> restore;
  std::string scratch_database;  // the --restore-test database (dropped again)

  [[nodiscard]] bool ok() const { return failure.empty(); }
};

// Re-reads a backup: size and SHA-256 of the archive, decryption, decompression, size and
// SHA-256 of the dump, `pg_restore --list` on the stream, and every table in its table of
// contents; with restore_test_url, a restore into a scratch database that is dropped afterwards
// (also on failure). The result is recorded beside the manifest. An Error means the check could
// not run (key missing, pg_restore missing, database unreachable), not that the backup is bad.
Result<VerifyOutcome> verify_backup(Repository& repo, const std::string& id, const VerifyOptions& options);

struct PruneOptions {
  BackupKeep keep;                  // backup.keep
  TimeZone zone = TimeZone::utc();  // backup.timezone: the calendar of the daily..yearly rules
  bool dry_run = false;             // decide, print, remove nothing
};

// One backup and what retention decided for it.
struct PruneItem {
  Entry entry;
  RetentionDecision decision;
};

struct PruneOutcome {
  std::vector<PruneItem> backups;  // newest first, as plan_retention orders them
  int removed = 0;                 // backups removed (0 on a dry run)
  int leftovers = 0;               // objects crashed writers had left, removed too (0 on a dry run)
  std::vector<Entry> damaged;      // backups with a damaged manifest: not planned, kept, oldest first
};

// Applies retention.hpp's rules to every backup in the repository and removes those no rule
// keeps. A backup whose manifest is damaged is left out of the plan and kept (PruneOutcome::damaged). Unless dry_run,
// it holds the repository's writer lock from listing to the last removal, so it waits for a running create and never
// races one, and it also deletes crashed writers' leftovers. Fails with the catalog's or storage's error; a removal
// that fails stops the prune (backups removed before it stay removed).
Result<PruneOutcome> prune_backups(Repository& repo, const PruneOptions& options);

struct ExportOptions {
  std::string url;
  std::vector<std::string> tables;  // "schema.table" or "table" (public)
  std::string output;               // a file written atomically; "" or "-" = stdout
};

struct ExportResult {
  std::vector<TableCount> tables;
  std::uint64_t bytes = 0;
  std::int64_t duration_ms = 0;
};

// Writes one JSON line per row, {"table":"public.users","row":{...}} with the row from
// row_to_json, all tables read in one REPEATABLE READ snapshot.
Result<ExportResult> export_jsonl(const ExportOptions& options);

}  // namespace slipway::backup
