// What `slipway backup create` and `slipway backup restore` print with --format json
// (docs/commands/backup.md). The CLI writes them with to_json; a deploy reads them back with
// from_json (the backup it took, the restore's duration), so the two cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

#include "backup/backup.hpp"
#include "core/error.hpp"

namespace slipway::backup {

struct Created {
  std::string id;
  std::string label;
  std::string created_at;
  std::string database;
  std::int64_t duration_ms = 0;
  std::uint64_t dump_bytes = 0;
  std::uint64_t archive_bytes = 0;
  std::string archive;  // where: the repository's description and the archive's name
  std::string sha256;
  bool encrypted = false;
  std::uint64_t tables = 0;
  std::uint64_t rows = 0;
  std::string pg_dump;
  // With --verify: "ok" or "corrupt", and why.
  std::optional<std::string> verification;
  std::string verification_failure;

  static Created of(const Manifest& m, std::string archive, const VerifyOutcome* verified);
  [[nodiscard]] boost::json::object to_json() const;
  static Result<Created> from_json(const boost::json::value& v);
};

struct Restored {
  std::string id;
  std::string target;
  std::string status;  // ok | corrupt | failed
  std::string failure;
  std::int64_t duration_ms = 0;
  std::vector<TableCheck> tables;
  std::optional<bool> schema_matches;

  static Restored of(const RestoreOutcome& outcome);
  [[nodiscard]] boost::json::object to_json() const;
  static Result<Restored> from_json(const boost::json::value& v);
};

// Row counts compared, as the JSON of restore and verify --restore-test lists them.
boost::json::array table_checks_json(const std::vector<TableCheck>& tables);

}  // namespace slipway::backup
