// slipway lint: the checklist's "review the migration script" step.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lint_settings.hpp"
#include "cli/parse_args.hpp"
#include "core/fs.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "lint/linter.hpp"
#include "lint/registry.hpp"
#include "migrate/folder.hpp"
#include "pg/catalog.hpp"
#include "pg/connection.hpp"

namespace slipway::cli {
namespace {

namespace fs = std::filesystem;

struct Input {
  std::string path;  // as shown in reports
  fs::path file;     // empty for stdin
  bool in_transaction = false;
  bool from_folder = false;  // one migration of a folder
};

// Expands files, folders (in migration order) and "-" into the run's list of inputs.
Result<std::vector<Input>> collect_inputs(const std::vector<std::string>& paths, const Config& config) {
  std::vector<Input> out;
  // migrations.format, when it names a layout, overrides what a file's folder suggests.
  std::optional<migrate::Layout> forced;
  if (config.migrations.format != "auto") {
    auto layout = migrate::parse_layout(config.migrations.format);
    if (!layout) return fail(layout.error());
    forced = *layout;
  }
  for (const std::string& p : paths) {
    if (p == "-") {
      out.push_back({"<stdin>", {}, false});
      continue;
    }
    if (fs::is_directory(p)) {
      auto folder = migrate::discover(p, config.migrations.format);
      if (!folder) return fail(folder.error());
      const bool tx = migrate::runs_file_in_transaction(folder->layout);
      for (const auto& f : folder->files) out.push_back({f.path.string(), f.path, tx, true});
      continue;
    }
    if (!fs::exists(p)) {
      return fail(Error::input("no such file or folder", p, "give .sql files, migration folders, or - for stdin"));
    }
    // A file keeps the semantics of the folder it sits in (Prisma runs it in one transaction).
    const bool tx = migrate::runs_file_in_transaction(forced ? *forced : migrate::layout_of_file(p));
    out.push_back({p, p, tx});
  }
  return out;
}

int list_rules(Format format) {
  if (format == Format::json) {
    std::string out = "[";
    bool first = true;
    for (const auto& r : lint::all_rules()) {
      out += fmt::format("{}{{\"id\":\"{}\",\"summary\":\"{}\"}}", first ? "" : ",", r.id, r.summary);
      first = false;
    }
    std::puts((out + "]").c_str());
    return 0;
  }
  for (const auto& r : lint::all_rules())
    std::printf("%-36s %s\n", std::string(r.id).c_str(), std::string(r.summary).c_str());
  return 0;
}

}  // namespace

int run_lint(const Args& args) {
  CLI::App app{
      "Review migrations: each statement gets a verdict (safe / review / dangerous), the lock it takes, "
      "the tables it touches and a safer recipe. With a database, verdicts use live table sizes and "
      "column types.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway lint prisma/migrations\n"
      "  slipway lint migrations/V7__loans.sql --database \"$DATABASE_URL\" --format json\n"
      "  git diff --name-only main -- '*.sql' | xargs slipway lint --format github\n"
      "  cat migration.sql | slipway lint -\n\n"
      "Exit codes: 0 nothing blocks, 1 a dangerous statement (or review, with --fail-on review),\n"
      "2 unreadable input or syntax errors, 3 the database could not be reached.\n"
      "Suppress with `-- slipway:ignore <rule> <reason>` on a statement; rules: docs/rules/.");
  CommonOptions common;
  std::vector<std::string> paths;
  std::optional<std::string> database;
  std::optional<std::string> fail_on;
  std::optional<int> pg_version;
  std::vector<std::string> disable;
  bool no_database = false;
  bool show_all = false;
  bool rules = false;
  app.add_option("paths", paths, "files, migration folders, or - for stdin (default: migrations.dir)");
  add_common_options(app, common, "text, json, sarif, github, markdown");
  app.add_option("--database", database, "a PostgreSQL URL to read live sizes and column types from");
  app.add_flag("--no-database", no_database, "do not connect, even when slipway.toml names a database");
  app.add_option("--fail-on", fail_on, "exit 1 at this verdict or worse: dangerous (default) or review")
      ->check(CLI::IsMember({"dangerous", "review"}));
  app.add_option("--postgres-version", pg_version,
                 "the target server's major version (default: the database's, else 15)");
  app.add_option("--disable", disable, "a rule id not to run (repeatable: --disable a --disable b)")
      ->allow_extra_args(false);
  app.add_flag("--all", show_all, "also list safe statements and advice (hidden by default in text and markdown)");
  app.add_flag("--rules", rules, "list the rules and exit");
  if (auto code = parse(app, args)) return *code;

  auto format =
      parse_format(common.format, {Format::text, Format::json, Format::sarif, Format::github, Format::markdown});
  if (!format) return report_error(format.error());
  if (rules) return list_rules(*format);

  auto config = load_config_or_report(common);
  if (!config) return 2;

  if (paths.empty()) {
    if (config->migrations.dir.empty()) {
      return report_error(Error::input("nothing to lint", "",
                                       "give files or folders, - for stdin, or set migrations.dir in slipway.toml"));
    }
    paths.push_back(config->migrations.dir.string());
  }
  // Rule ids from --disable and from lint.disable: an unknown one is a typo, not a no-op.
  const auto check_rules = [](const std::vector<std::string>& ids, const std::string& where,
                              std::string_view source) -> std::optional<Error> {
    for (const std::string& id : ids) {
      if (lint::find_rule(id)) continue;
      return Error::input(fmt::format("unknown rule '{}'{}{}", id, source, did_you_mean(id, lint::rule_ids())), where,
                          "run `slipway lint --rules` for the list");
    }
    return std::nullopt;
  };
  if (auto e = check_rules(disable, "--disable", "")) return report_error(*e);
  if (auto e = check_rules(config->lint.disable, config->where("lint.disable"), " in lint.disable")) {
    return report_error(*e);
  }

  auto inputs = collect_inputs(paths, *config);
  if (!inputs) return report_error(inputs.error());

  // The live database: --database, else [database] direct_url or url when their variables are set.
  std::optional<pg::LiveSchema> live;
  if (!no_database) {
    const std::string url = database_url(*config, database);
    if (!url.empty()) {
      auto conn = pg::Connection::open(url);
      if (!conn) return report_error(conn.error());
      auto schema = pg::load_live_schema(*conn);
      if (!schema) return report_error(Error::environment(schema.error().message, "reading the catalog"));
      live = std::move(*schema);
    }
  }

  lint::Settings settings = lint_settings(*config, live ? &*live : nullptr, pg_version);
  settings.disabled.insert(disable.begin(), disable.end());

  lint::Linter linter(settings, live ? &*live : nullptr);
  std::vector<lint::FileReport> reports;
  for (const Input& in : *inputs) {
    std::string text;
    if (in.file.empty()) {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      auto read = read_text_file(in.file);
      if (!read) {
        lint::FileReport r;
        r.path = in.path;
        r.read_error = read.error().message;
        reports.push_back(std::move(r));
        continue;
      }
      text = std::move(*read);
    }
    // Offline, the migrations of a folder are mostly applied already: judge each one on its own,
    // so that v3 dropping a column of a table v1 created is not excused as "new". With a
    // database the catalog says what exists, and the run spans every file.
    if (in.from_folder && !live) linter.start_run();
    linter.set_file_in_transaction(in.in_transaction);
    reports.push_back(linter.lint(in.path, std::move(text)));
  }

  lint::RenderOptions render_options{*format, style_for(common), show_all, show_all};
  std::fputs(redact(lint::render(reports, render_options)).c_str(), stdout);

  const lint::Summary summary = lint::summarize(reports);
  if (summary.errors > 0) return 2;
  const std::string threshold = fail_on.value_or(config->lint.fail_on);
  if (summary.dangerous > 0 || (threshold == "review" && summary.review > 0)) return 1;
  return 0;
}

}  // namespace slipway::cli
