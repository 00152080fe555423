// slipway migrate status | plan | apply: the checklist's database phase after the backup.
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lint_settings.hpp"
#include "cli/parse_args.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"
#include "migrate/apply.hpp"
#include "migrate/plan.hpp"
#include "migrate/report.hpp"
#include "migrate/status.hpp"
#include "pg/catalog.hpp"
#include "pg/connection.hpp"

namespace slipway::cli {
namespace {

namespace fs = std::filesystem;

// What every subcommand shares: options, then config, folder, database and history.
struct Session {
  CommonOptions common;
  std::optional<std::string> database;
  std::optional<std::string> dir;

  Format format = Format::text;
  std::optional<Config> config;
  std::optional<pg::Connection> conn;
  migrate::Folder folder;
  std::string url;

  void add_options(CLI::App& app) {
    add_common_options(app, common, "text, json");
    app.add_option("--database", database,
                   "a PostgreSQL URL (default: database.direct_url, else database.url from slipway.toml)");
    app.add_option("--dir", dir, "the migrations folder (default: migrations.dir from slipway.toml)");
  }

  // Loads the config, discovers the folder and connects; returns an exit code on failure.
  std::optional<int> open() {
    auto f = parse_format(common.format, {Format::text, Format::json});
    if (!f) return report_error(f.error());
    format = *f;
    config = load_config_or_report(common);
    if (!config) return 2;
    fs::path path = dir ? fs::path(*dir) : config->migrations.dir;
    if (path.empty()) {
      return report_error(
          Error::input("no migrations folder", "", "give --dir PATH or set migrations.dir in slipway.toml"));
    }
    auto discovered = migrate::discover(path, config->migrations.format);
    if (!discovered) return report_error(discovered.error());
    folder = std::move(*discovered);

    std::optional<Error> unresolved;
    url = database_url(*config, database, &unresolved);
    if (url.empty()) {
      if (unresolved) return report_error(*unresolved);
      return report_error(Error::input("no database to compare the folder with", "",
                                       "give --database URL or set database.url (or direct_url) in slipway.toml"));
    }
    auto c = pg::Connection::open(url);
    if (!c) return report_error(c.error());
    conn.emplace(std::move(*c));
    return std::nullopt;
  }

  [[nodiscard]] std::unique_ptr<migrate::HistoryTable> history() const {
    return migrate::HistoryTable::for_layout(folder.layout, config->migrations.table);
  }
  [[nodiscard]] Style style() const { return style_for(common); }
};

void print(const std::string& text) {
  std::fputs(redact(text).c_str(), stdout);
}

int run_status(const Args& args) {
  CLI::App app{
      "Show each migration of the folder against the database's history table: applied, pending, "
      "failed or dirty, and drift (an applied file changed since, by the tool's own checksum).",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway migrate status\n"
      "  slipway migrate status --dir prisma/migrations --database \"$DIRECT_URL\" --format json\n\n"
      "Exit codes: 0 nothing wrong (pending migrations are fine), 1 drift, a failed or a dirty migration,\n"
      "2 bad input, 3 the database could not be reached.");
  Session s;
  s.add_options(app);
  if (auto code = parse(app, args)) return *code;
  if (auto code = s.open()) return *code;
  auto status = migrate::read_status(*s.conn, s.folder, s.history());
  if (!status) return report_error(status.error());
  print(migrate::render_status(*status, s.format, s.style()));
  return status->has_problems() ? 1 : 0;
}

// The time now, by strftime `format`, in UTC or local time.
std::string now_as(const char* format, bool utc) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  if (utc) {
    gmtime_r(&now, &tm);
  } else {
    localtime_r(&now, &tm);
  }
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

int run_plan(const Args& args) {
  CLI::App app{
      "Write the migration plan file (migration_plan_YYYYMMDD.sql): every pending statement in order, "
      "annotated with its verdict, lock, live table size and a safer recipe, under a summary header. "
      "The file is valid SQL.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway migrate plan\n"
      "  slipway migrate plan --output release/plan.sql --format json\n\n"
      "Exit codes: 0 written, 2 bad input (syntax errors in a pending migration), 3 the database could not be\n"
      "reached.");
  Session s;
  std::optional<std::string> output;
  s.add_options(app);
  app.add_option("--output", output, "where to write the plan (default: ./migration_plan_YYYYMMDD.sql)");
  if (auto code = parse(app, args)) return *code;
  if (auto code = s.open()) return *code;
  auto status = migrate::read_status(*s.conn, s.folder, s.history());
  if (!status) return report_error(status.error());
  // Reading table sizes waits for a table locked ACCESS EXCLUSIVE: at most lock_timeout.
  (void)s.conn->execute(fmt::format("SET lock_timeout = '{}ms'", s.config->migrations.lock_timeout.count()));
  auto live = pg::load_live_schema(*s.conn);
  if (!live) return report_error(Error::environment(live.error().message, "reading the catalog"));
  const migrate::Plan plan = migrate::make_plan(*status, &*live, lint_settings(*s.config, &*live));
  if (const auto errors = plan.errors(); !errors.empty()) {
    for (const std::string& e : errors) std::fputs(fmt::format("slipway: {}\n", e).c_str(), stderr);
    return report_error(
        Error::input(fmt::format("{} syntax error(s) in pending migrations; no plan written", errors.size()), "",
                     "fix the SQL, then run the plan again"));
  }
  const fs::path file =
      output ? fs::path(*output) : fs::path(fmt::format("migration_plan_{}.sql", now_as("%Y%m%d", false)));
  if (const fs::path parent = file.parent_path(); !parent.empty() && !fs::is_directory(parent)) {
    return report_error(
        Error::input("the plan's folder does not exist", parent.string(), "create it, or give another --output"));
  }
  // The database by name, not by URL: the URL may carry a password, and redact() masks it whole.
  std::string database;
  if (auto rows = s.conn->query("SELECT current_database(), current_setting('server_version')"); rows) {
    database = fmt::format("{} (PostgreSQL {})", rows->text(0, 0), rows->text(0, 1));
  }
  migrate::PlanHeader header{now_as("%Y-%m-%d %H:%M:%S UTC", true), database, s.config->migrations.lock_timeout,
                             s.config->migrations.statement_timeout};
  if (auto w = write_file_atomically(file, redact(migrate::render_plan_sql(*status, plan, &*live, header))); !w) {
    return report_error(w.error());
  }
  print(migrate::render_plan(*status, plan, &*live, file.string(), s.format, s.style()));
  return 0;
}

int run_apply(const Args& args) {
  CLI::App app{
      "Apply the pending migrations: one apply at a time (advisory lock), lock_timeout and "
      "statement_timeout set, lock timeouts retried with backoff, each migration in a transaction "
      "(statements that cannot run in one run alone), history recorded the way the project's tool "
      "records it. Refuses dangerous statements.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway migrate apply\n"
      "  slipway migrate apply --database \"$DIRECT_URL\" --format json\n"
      "  slipway migrate apply --allow-dangerous   # after a review, with a backup\n\n"
      "Exit codes: 0 applied or nothing pending, 1 refused (dangerous statement, failed or dirty history,\n"
      "another apply running) or a migration failed, 2 bad input, 3 the database could not be reached.\n"
      "Mark a reviewed statement with `-- slipway:ignore <rule> <reason>` instead of --allow-dangerous.");
  Session s;
  bool allow_dangerous = false;
  s.add_options(app);
  app.add_flag("--allow-dangerous", allow_dangerous, "apply even when a statement is dangerous");
  if (auto code = parse(app, args)) return *code;
  if (auto code = s.open()) return *code;
  migrate::ApplyOptions options;
  options.allow_dangerous = allow_dangerous;
  options.lock_timeout = s.config->migrations.lock_timeout;
  options.statement_timeout = s.config->migrations.statement_timeout;
  options.lock_retries = s.config->migrations.lock_retries;
  options.retry_backoff = s.config->migrations.retry_backoff;
  if (s.format == Format::text) {
    options.progress = [](const std::string& line) { std::fputs(redact(line + "\n").c_str(), stderr); };
  }
  // The server's major version is known once connected; lint_settings reads it from the catalog
  // in apply, so only the config's own version is passed here.
  lint::Settings settings = lint_settings(*s.config, nullptr);
  if (s.config->lint.postgres_version == 0) settings.postgres_version = s.conn->server_version() / 10000;
  auto report = migrate::apply(*s.conn, s.folder, s.history(), settings, options);
  if (!report) return report_error(report.error());
  print(migrate::render_apply(*report, s.format, s.style()));
  return report->exit_code();
}

constexpr std::array<Subcommand, 3> kSubcommands{{
    {"status", "applied, pending, failed or dirty migrations, and drift", run_status},
    {"plan", "write the annotated migration_plan_YYYYMMDD.sql", run_plan},
    {"apply", "apply the pending migrations safely, recording history as the project's tool does", run_apply},
}};

std::string migrate_usage() {
  return "slipway migrate: the migration folder against the database (Prisma, Flyway, golang-migrate, plain SQL)\n\n"
         "Usage: slipway migrate <status|plan|apply> [options]\n\n" +
         subcommand_list(kSubcommands) +
         "\nEach takes --database URL, --dir PATH, --config FILE, --format text|json and --help.\n\n"
         "Example:\n  slipway migrate status && slipway migrate plan && slipway migrate apply\n";
}

}  // namespace

int run_migrate(const Args& args) {
  return run_subcommand(args, kSubcommands, migrate_usage);
}

}  // namespace slipway::cli
