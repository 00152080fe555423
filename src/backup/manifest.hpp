// The manifest: what one backup holds, written as JSON beside its archive, last.
//
// A backup exists when its manifest exists: the archive is renamed into place first, the
// manifest after it, so a crash never leaves a manifest whose archive is missing or partial.
// The manifests are the source of truth; the catalog (catalog.hpp) is an index rebuilt from them.
// docs/commands/backup.md lists every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace slipway::backup {

struct TableCount {
  std::string name;  // "public.loans"
  std::uint64_t rows = 0;
};

struct Manifest {
  int format = 1;
  std::string id;          // "20260312T101500Z-3fa9"
  std::string created_at;  // RFC 3339 UTC with milliseconds, when the snapshot was taken
  std::string label;       // "manual", "pre-deploy", ...
  std::int64_t duration_ms = 0;

  // The database, as the snapshot saw it.
  std::string database;        // its name
  std::string database_url;    // redacted: never a password
  std::string server_version;  // "15.18"
  int server_version_num = 0;  // 150018
  std::string snapshot;        // the pg_export_snapshot() id pg_dump used

  std::string pg_dump_path;     // "/usr/lib/postgresql/15/bin/pg_dump"
  std::string pg_dump_version;  // "15.18"

  // The archive object: zstd of the pg_dump -Fc output, then secretstream when encrypted.
  std::string archive;  // object name
  std::uint64_t archive_bytes = 0;
  std::string archive_sha256;   // of the archive's bytes as stored
  std::string compression;      // "zstd:3"
  std::string encryption;       // "xchacha20poly1305-secretstream", or "" when not encrypted
  std::string key_fingerprint;  // of the key, never the key; "" when not encrypted

  std::uint64_t dump_bytes = 0;  // pg_dump's output
  std::string dump_sha256;       // of pg_dump's output

  std::vector<TableCount> tables;  // every table pg_dump dumped, with its rows in the snapshot
  std::string schema_fingerprint;  // SHA-256 of the canonical catalog text (database.hpp)

  [[nodiscard]] bool encrypted() const { return !encryption.empty(); }
  [[nodiscard]] std::uint64_t total_rows() const;
};

std::string to_json(const Manifest& m);
// Fails with an input error naming `where` when the text is not a manifest.
Result<Manifest> parse_manifest(std::string_view text, const std::string& where);

// What `backup verify` found, kept beside the manifest as <id>.verify.json.
struct VerifyRecord {
  std::string status;                      // "ok" or "corrupt"
  std::string at;                          // RFC 3339 UTC
  std::string message;                     // what failed, or ""
  std::vector<std::string> checks;         // the checks that passed, in order
  std::optional<std::int64_t> restore_ms;  // the measured restore time of --restore-test
};

std::string to_json(const VerifyRecord& r);
Result<VerifyRecord> parse_verify_record(std::string_view text, const std::string& where);

}  // namespace slipway::backup
