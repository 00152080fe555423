#include "check/checklist.hpp"

#include <array>

#include "check/database.hpp"
#include "check/git.hpp"
#include "check/scan.hpp"

namespace slipway::check {
namespace {

constexpr std::array<std::string_view, 5> kSections{"env", "secrets", "git", "database", "backup"};

}  // namespace

std::span<const std::string_view> sections() {
  return kSections;
}

Report run_checklist(const Config& config, const EnvValues& env, const Options& options) {
  Report report("check", "section");
  const auto wanted = [&](std::string_view section) { return options.only.empty() || options.only == section; };
  if (wanted("env")) check_env(effective_schema(config.check), env, report);
  const Git git(options.repository);
  if (wanted("secrets")) check_secrets(config.check.secrets, git, report);
  if (wanted("git")) check_git(config.check.git, git, report);
  if (wanted("database") && options.database) {
    if (options.database_url) {
      check_database(config.check.database, *options.database_url, options.app_role, report);
    } else {
      report
          .add("db-reachable", "database", Status::warn,
               options.database_problem.empty() ? "no database configured: database checks skipped"
                                                : options.database_problem + ": database checks skipped")
          .with_hint("pass --database URL, or set database.url (and direct_url) in slipway.toml");
    }
  }
  if (wanted("backup")) check_backup(config.check.backup, options.backups, options.now, report);
  report.drop(config.check.skip);
  return report;
}

}  // namespace slipway::check
