// slipway check: the checklist's pre-deployment checks, one line each.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "backup/repository.hpp"
#include "check/checklist.hpp"
#include "check/database.hpp"
#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/redact.hpp"
#include "pg/conninfo.hpp"

namespace slipway::cli {
namespace {

// What backup-recent judges: every backup in backup.repository, from its catalog. A repository
// folder that does not exist holds no backups (check never creates one).
Result<std::vector<check::BackupFact>> read_backups(const Config& config) {
  std::vector<check::BackupFact> facts;
  std::error_code ec;
  if (!std::filesystem::exists(config.backup.repository, ec)) return facts;
  auto repo = backup::Repository::open_local(config.backup.repository);
  if (!repo) return fail(repo.error());
  auto entries = repo->list();
  if (!entries) return fail(entries.error());
  for (const backup::Entry& e : *entries) {
    auto created = e.created();
    if (!created) return fail(created.error());
    facts.push_back({e.id, *created, e.verified()});
  }
  return facts;
}

}  // namespace

int run_check(const Args& args) {
  CLI::App app{
      "The pre-deployment checklist: the env schema and secret strength, secrets committed to the repository, "
      "git state, the database (reachable, version, extensions, least-privilege grants, connections) and a "
      "recent verified backup. Each item passes, warns or fails.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway check\n"
      "  slipway check --env-file .env.production --database \"$DIRECT_URL\"\n"
      "  slipway check --only secrets --format json | jq '.checks[] | select(.status != \"pass\")'\n\n"
      "Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 bad flags or slipway.toml,\n"
      "3 the database could not be reached and nothing else failed.\n"
      "Schema, preset and check ids: docs/commands/check.md.");
  CommonOptions common;
  std::optional<std::string> database;
  std::string only;
  std::optional<int> history;
  bool no_database = false;
  add_common_options(app, common, "text, json, junit, markdown");
  app.add_option("--database", database,
                 "the PostgreSQL URL to check (default: database.direct_url, else database.url)");
  app.add_flag("--no-database", no_database, "skip the database section");
  std::vector<std::string> names;
  for (auto s : check::sections()) names.emplace_back(s);
  app.add_option("--only", only, "run one section: env, secrets, git, database or backup")->check(CLI::IsMember(names));
  app.add_option("--history", history, "commits of history to scan for secrets (default: check.secrets.history, 50)")
      ->check(CLI::Range(0, 100000));
  if (auto code = parse(app, args)) return *code;

  auto format = parse_format(common.format, {Format::text, Format::json, Format::junit, Format::markdown});
  if (!format) return report_error(format.error());
  auto config = load_config_or_report(common);
  if (!config) return 2;
  if (history) config->check.secrets.history = *history;

  // The values the env schema is checked against: the env file over the process environment.
  std::map<std::string, std::string> file_values;
  std::string file_name;
  const std::string env_file = common.env_file.value_or(config->project.env_file);
  if (!env_file.empty()) {
    auto values = load_env_file(env_file);
    if (!values) return report_error(values.error());
    file_values = std::move(*values);
    file_name = env_file;
  }
  const check::EnvValues env(std::move(file_values), file_name);

  check::Options options;
  options.only = only;
  options.repository = config->root;
  options.database = !no_database;
  if (!no_database) {
    if (std::string url = database_url(*config, database); !url.empty()) options.database_url = url;
    if (!options.database_url && !config->database.url.empty()) {
      options.database_problem = config->require("database.url").error().message;
    }
  }
  // Without [database] in slipway.toml, the env under review names the database.
  const bool configured = !config->database.url.empty() || !config->database.direct_url.empty();
  const auto from_env = [&](const char* name) -> std::optional<std::string> {
    auto v = env.get(name);
    return v && !v->text.empty() ? std::optional(v->text) : std::nullopt;
  };
  if (options.database && !options.database_url && !configured) {
    options.database_url = from_env("DIRECT_URL");
    if (!options.database_url) options.database_url = from_env("DATABASE_URL");
  }
  if (options.database_url) {
    register_secret(*options.database_url);
    // A URL that cannot be read is bad input (exit 2), not an unreachable database (exit 3).
    if (auto info = pg::ConnInfo::parse(*options.database_url); !info) return report_error(info.error());
  }
  options.app_role = config->check.database.role;
  if (options.app_role.empty() && !config->database.url.empty() && config->require("database.url")) {
    options.app_role = check::role_of(config->database.url);
  }
  if (options.app_role.empty() && !configured) {
    if (auto app_url = from_env("DATABASE_URL")) options.app_role = check::role_of(*app_url);
  }

  if (config->check.backup.enabled && (only.empty() || only == "backup")) options.backups = read_backups(*config);

  const check::Report report = check::run_checklist(*config, env, options);
  std::fputs(report.render(*format, style_for(common)).c_str(), stdout);

  const check::Summary summary = report.summary();
  if (summary.fail == 0) return 0;
  const check::Check* reachable = report.find("db-reachable");
  const bool only_unreachable = summary.fail == 1 && reachable && reachable->status == check::Status::fail;
  return only_unreachable ? 3 : 1;
}

}  // namespace slipway::cli
