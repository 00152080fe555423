// `slipway check`: the pre-deployment checklist as one library call.
//
// Sections run in the order of the checklist: env (the schema and secret strength), secrets
// (what is committed to the repository), git (committed, branch, pushed), database (reachable,
// version, extensions, least privilege, connections), backup (recent and verified).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "check/backup.hpp"
#include "check/env.hpp"
#include "check/report.hpp"
#include "core/config.hpp"

namespace slipway::check {

// The sections, in order: env, secrets, git, database, backup.
std::span<const std::string_view> sections();

struct Options {
  std::string only;                         // one section, or empty for all
  std::filesystem::path repository;         // where git runs: the project root
  bool database = true;                     // false: --no-database, the section does not run
  std::optional<std::string> database_url;  // the URL to connect with; nullopt = not configured
  std::string database_problem;             // why there is no URL (an unset ${VAR}), for the message
  std::string app_role;                     // the app's role; empty = the connection's user
  Result<std::vector<BackupFact>> backups;  // the backup repository's backups, or why it could not be read
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Runs the checklist. `env` holds the values the env schema is checked against.
Report run_checklist(const Config& config, const EnvValues& env, const Options& options);

}  // namespace slipway::check
