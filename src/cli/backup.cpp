// slipway backup: the checklist's "backup taken" and "backups on a schedule, with integrity
// checks and restore tests". Subcommands are rows of kSubcommands; each parses its flags, calls
// one operation of backup/backup.hpp and prints the result as text or JSON.
#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <span>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include "backup/backup.hpp"
#include "backup/key.hpp"
#include "backup/repository.hpp"
#include "backup/results.hpp"
#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/progress.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "core/timezone.hpp"
#include "core/units.hpp"

namespace slipway::cli {
namespace {

namespace json = boost::json;
using backup::Repository;

// What every subcommand that touches the repository shares.
struct Setup {
  CommonOptions common;
  std::optional<std::string> repository;  // --repository
  std::optional<std::string> key_file;    // --key-file

  void add_to(CLI::App& app, std::string_view formats = "text, json") {
    add_common_options(app, common, formats);
    app.add_option("--repository", repository, "the backup folder (default: backup.repository, ./backups)");
  }
  void add_key_option(CLI::App& app) {
    app.add_option("--key-file", key_file, "the encryption key (default: backup.encryption_key_file)");
  }
};

// The loaded config, repository and key of one run.
struct Context {
  Config config;
  Format format = Format::text;
  std::optional<Repository> repo;
  std::optional<backup::Key> key;
  [[nodiscard]] const backup::Key* key_ptr() const { return key ? &*key : nullptr; }
};

// Loads what `setup` names; prints the error and returns its exit code on failure.
std::variant<Context, int> load(const Setup& setup, bool open_repository, bool load_key) {
  Context ctx;
  auto format = parse_format(setup.common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  ctx.format = *format;
  auto config = load_config_or_report(setup.common);
  if (!config) return 2;
  ctx.config = std::move(*config);
  if (load_key) {
    std::filesystem::path key_path =
        setup.key_file ? std::filesystem::path(*setup.key_file) : ctx.config.backup.encryption_key_file;
    if (!key_path.empty()) {
      auto key = backup::load_key(key_path);
      if (!key) return report_error(key.error());
      ctx.key = *key;
    }
  }
  if (open_repository) {
    const std::filesystem::path dir =
        setup.repository ? std::filesystem::path(*setup.repository) : ctx.config.backup.repository;
    auto repo = Repository::open_local(dir);
    if (!repo) return report_error(repo.error());
    ctx.repo.emplace(std::move(*repo));
  }
  return ctx;
}

// The database URL or an input error saying how to give one.
Result<std::string> require_database(const Config& config, const std::optional<std::string>& flag) {
  std::string url = database_url(config, flag);
  if (url.empty()) {
    return fail(Error::input("no database to back up", config.where("database.url"),
                             "give --database URL, or set database.url (or direct_url) in slipway.toml"));
  }
  return url;
}

void print_json(const json::value& v) {
  std::puts(redact(json_text(v)).c_str());
}

void print_text(const std::string& text) {
  std::fputs(redact(text).c_str(), stdout);
}

// Seconds since the backup was made; 0 when its created_at cannot be read.
std::int64_t age_seconds(const backup::Entry& e, SystemTime now) {
  auto created = e.created();
  return created ? std::chrono::duration_cast<std::chrono::seconds>(now - *created).count() : 0;
}

// ---------------------------------------------------------------------------------------------

int run_create(const Args& args) {
  CLI::App app{"Take a backup: pg_dump in one snapshot, exact row counts, zstd, SHA-256, optional encryption.",
               args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup create\n"
      "  slipway backup create --label pre-deploy --database \"$DIRECT_URL\" --format json\n"
      "  slipway backup create --label pre-deploy --verify   # re-read it as `backup verify` does, and record it\n\n"
      "Exit codes: 0 created (and verified), 1 --verify found the new backup corrupt, 2 bad input (config, key\n"
      "file), 3 database unreachable or pg_dump missing.");
  Setup setup;
  std::optional<std::string> database;
  std::string label = "manual";
  setup.add_to(app);
  setup.add_key_option(app);
  app.add_option("--database", database, "the database URL (default: database.direct_url, else database.url)");
  app.add_option("--label", label, "a label kept in the manifest: manual (default), pre-deploy, ...");
  bool verify = false;
  app.add_flag("--verify", verify,
               "then verify the new backup as `backup verify` does (checksums, pg_restore --list) and record it");
  if (auto code = parse(app, args)) return *code;
  auto loaded = load(setup, true, true);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  Context& ctx = std::get<Context>(loaded);
  auto url = require_database(ctx.config, database);
  if (!url) return report_error(url.error());

  backup::CreateOptions options;
  options.url = *url;
  options.label = label;
  options.compression = ctx.config.backup.compression;
  options.threads = ctx.config.backup.threads;
  options.key = ctx.key_ptr();
  options.progress = Progress::terminal();
  auto m = backup::create_backup(*ctx.repo, options);
  if (!m) return report_error(m.error());
  // Re-read what was just written, from the repository, and record the verdict so that `list`,
  // retention and `slipway check` see a verified backup.
  std::optional<backup::VerifyOutcome> verified;
  if (verify) {
    auto outcome = backup::verify_backup(*ctx.repo, m->id, {.key = ctx.key_ptr(), .progress = options.progress});
    if (!outcome) return report_error(outcome.error());
    verified = std::move(*outcome);
  }
  const int code = verified && !verified->ok() ? 1 : 0;

  const std::string path = ctx.repo->storage().describe() + m->archive;
  if (ctx.format == Format::json) {
    print_json(backup::Created::of(*m, path, verified ? &*verified : nullptr).to_json());
    return code;
  }
  print_text(fmt::format("created {} ({}): {} tables, {} rows, dump {} -> archive {}, {}\n  {}{}\n", m->id, m->label,
                         m->tables.size(), format_count(m->total_rows()), format_size(m->dump_bytes),
                         format_size(m->archive_bytes), format_seconds(Duration(m->duration_ms)), path,
                         m->encrypted() ? fmt::format(" (encrypted, key {})", m->key_fingerprint) : ""));
  if (verified && verified->ok()) print_text("  verified: checksums and pg_restore --list; recorded in the catalog\n");
  if (verified && !verified->ok()) {
    const Style style = style_for(setup.common);
    print_text(fmt::format("{}  {}  {}\n", style.paint(Color::red, "CORRUPT"), m->id, verified->failure));
  }
  return code;
}

int run_list(const Args& args) {
  CLI::App app{"List the backups in the repository: id, label, age, size and verification status.", args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup list\n"
      "  slipway backup list --format json\n"
      "  slipway backup list --rebuild-catalog     # re-read every manifest into catalog.db\n\n"
      "Exit codes: 0 listed, 2 bad input, 3 the repository cannot be read.");
  Setup setup;
  bool rebuild = false;
  setup.add_to(app);
  app.add_flag("--rebuild-catalog", rebuild, "rebuild catalog.db from the manifests first");
  if (auto code = parse(app, args)) return *code;
  auto loaded = load(setup, true, false);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  Context& ctx = std::get<Context>(loaded);
  if (rebuild) {
    if (auto r = ctx.repo->rebuild_catalog(); !r) return report_error(r.error());
  }
  auto entries = ctx.repo->list_all();
  if (!entries) return report_error(entries.error());
  const SystemTime now = std::chrono::system_clock::now();

  if (ctx.format == Format::json) {
    json::array out;
    for (const auto& e : *entries) {
      json::object verification{{"status", e.verify_status}};
      if (!e.verified_at.empty()) verification["at"] = e.verified_at;
      if (!e.verify_message.empty()) verification["message"] = e.verify_message;
      if (e.restore_ms) verification["restore_ms"] = *e.restore_ms;
      out.push_back(json::object{{"id", e.id},
                                 {"label", e.label},
                                 {"created_at", e.created_at},
                                 {"age_seconds", age_seconds(e, now)},
                                 {"database", e.database},
                                 {"dump_bytes", e.dump_bytes},
                                 {"archive_bytes", e.archive_bytes},
                                 {"tables", e.tables},
                                 {"rows", e.rows},
                                 {"encrypted", e.encrypted},
                                 {"damaged", !e.damaged.empty()},
                                 {"verification", std::move(verification)}});
    }
    print_json(json::object{{"repository", ctx.repo->storage().describe()}, {"backups", std::move(out)}});
    return 0;
  }
  if (entries->empty()) {
    print_text(fmt::format("no backups in {}\n", ctx.repo->storage().describe()));
    return 0;
  }
  const Style style = style_for(setup.common);
  std::string out =
      fmt::format("{:<22} {:<11} {:>6} {:>10} {:>8}  {}\n", "ID", "LABEL", "AGE", "SIZE", "ROWS", "VERIFIED");
  for (const auto& e : *entries) {
    std::string verified = style.paint(Color::dim, "never");
    if (e.verify_status == "ok") verified = style.paint(Color::green, "ok") + " " + e.verified_at;
    if (e.verify_status == "corrupt") verified = style.paint(Color::red, "CORRUPT") + " " + e.verified_at;
    if (!e.damaged.empty()) {
      out += fmt::format("{:<22} {:<11} {:>6} {:>10} {:>8}  {} {}\n", e.id, "-", "-", "-", "-",
                         style.paint(Color::red, "CORRUPT"), e.verify_message);
      continue;
    }
    out += fmt::format("{:<22} {:<11} {:>6} {:>10} {:>8}  {}{}\n", e.id, e.label,
                       format_age(e.created().value_or(now), now, AgeStyle::largest_unit), format_size(e.archive_bytes),
                       format_count(e.rows), verified, e.encrypted ? "  (encrypted)" : "");
  }
  print_text(out);
  return 0;
}

int run_verify(const Args& args) {
  CLI::App app{
      "Re-read backups and prove them: archive size and SHA-256, decryption, decompression, the dump's SHA-256, "
      "pg_restore --list on the stream; with --restore-test, a real restore into a scratch database.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup verify                  # the latest backup\n"
      "  slipway backup verify --all --format json\n"
      "  slipway backup verify 20260312T101500Z-3fa9 --restore-test\n\n"
      "Exit codes: 0 every backup verified, 1 a backup is corrupt or its restore test failed,\n"
      "2 bad input (unknown id, missing or wrong key), 3 pg_restore missing or database unreachable.");
  Setup setup;
  std::string id;
  bool all = false;
  bool restore_test = false;
  std::optional<std::string> database;
  setup.add_to(app);
  setup.add_key_option(app);
  app.add_option("id", id, "a backup id, a unique prefix of one, or latest (default)");
  app.add_flag("--all", all, "verify every backup");
  app.add_flag("--restore-test", restore_test,
               "also restore into a scratch database on the server, compare row counts, and drop it");
  app.add_option("--database", database, "the server for --restore-test (default: database.direct_url, else url)");
  if (auto code = parse(app, args)) return *code;
  if (all && !id.empty()) return report_error(Error::input("give an id or --all, not both"));
  auto loaded = load(setup, true, true);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  Context& ctx = std::get<Context>(loaded);

  std::vector<std::string> ids;
  if (all) {
    auto entries = ctx.repo->list_all();  // a damaged manifest is a corrupt backup
    if (!entries) return report_error(entries.error());
    for (const auto& e : *entries) ids.push_back(e.id);
  } else {
    auto resolved = ctx.repo->resolve(id.empty() ? "latest" : id);
    if (!resolved) return report_error(resolved.error());
    ids.push_back(*resolved);
  }
  backup::VerifyOptions options;
  options.key = ctx.key_ptr();
  options.progress = Progress::terminal();
  if (restore_test) {
    auto url = require_database(ctx.config, database);
    if (!url) return report_error(url.error());
    options.restore_test_url = *url;
  }

  const Style style = style_for(setup.common);
  json::array results;
  int ok = 0;
  int corrupt = 0;
  for (const std::string& backup_id : ids) {
    auto outcome = backup::verify_backup(*ctx.repo, backup_id, options);
    if (!outcome) return report_error(outcome.error());
    (outcome->ok() ? ok : corrupt)++;
    if (ctx.format == Format::json) {
      json::array checks;
      for (const auto& c : outcome->checks) {
        checks.push_back(json::object{{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
      }
      json::object r{{"id", backup_id},
                     {"status", outcome->ok() ? "ok" : "corrupt"},
                     {"failure", outcome->failure},
                     {"checks", std::move(checks)}};
      if (outcome->restore) {
        r["restore"] = json::object{{"database", outcome->scratch_database},
                                    {"duration_ms", outcome->restore->duration_ms},
                                    {"tables", backup::table_checks_json(outcome->restore->tables)}};
      }
      results.push_back(std::move(r));
      continue;
    }
    if (outcome->ok()) {
      std::vector<std::string> names;
      for (const auto& c : outcome->checks) names.push_back(c.name);
      print_text(fmt::format("{}  {}  {}\n", style.paint(Color::green, "ok     "), backup_id, fmt::join(names, ", ")));
      if (outcome->restore) {
        print_text(
            fmt::format("         restore test: {} tables restored in {} (the measured RTO), row counts match; "
                        "{} dropped\n",
                        outcome->restore->tables.size(), format_seconds(Duration(outcome->restore->duration_ms)),
                        outcome->scratch_database));
      }
    } else {
      print_text(fmt::format("{}  {}  {}\n", style.paint(Color::red, "CORRUPT"), backup_id, outcome->failure));
    }
  }
  if (ctx.format == Format::json) {
    print_json(
        json::object{{"backups", std::move(results)}, {"summary", json::object{{"ok", ok}, {"corrupt", corrupt}}}});
  } else if (ids.size() > 1) {
    print_text(fmt::format("{} verified, {} corrupt\n", ok, corrupt));
  }
  return corrupt > 0 ? 1 : 0;
}

int run_restore(const Args& args) {
  CLI::App app{"Restore a backup into a database with pg_restore, then compare every table's rows with the manifest.",
               args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup restore latest --to postgresql://app@localhost/loans_restored\n"
      "  slipway backup restore 20260312T101500Z-3fa9 --to \"$DIRECT_URL\" --force\n"
      "  slipway backup restore latest --to \"$SCRATCH_URL\" --table public.loans --table public.members\n\n"
      "The target must be empty (no tables, views or sequences) unless --force, which drops and replaces\n"
      "the objects the backup holds, or --replace, which first drops every schema so the target becomes\n"
      "exactly the backup. pg_restore runs in one transaction: a failure changes nothing (with --replace,\n"
      "the schemas were dropped before it started).\n\n"
      "Exit codes: 0 restored and row counts match, 1 corrupt archive, failed restore or counts differ,\n"
      "2 bad input (unknown id, non-empty target, wrong key), 3 database unreachable or pg_restore missing.");
  Setup setup;
  std::string id;
  std::string to;
  std::vector<std::string> tables;
  bool force = false;
  bool replace = false;
  bool no_owner = false;
  setup.add_to(app);
  setup.add_key_option(app);
  app.add_option("id", id, "a backup id, a unique prefix of one, or latest")->required();
  app.add_option("--to", to, "the target database URL")->required();
  app.add_option("--table", tables, "restore only this table, as schema.table (repeatable)")->allow_extra_args(false);
  app.add_flag("--force", force, "restore into a non-empty database, replacing the objects the backup holds");
  app.add_flag("--replace", replace,
               "make the target exactly the backup: drop every schema first (a deploy's rollback uses this)");
  app.add_flag("--no-owner", no_owner, "do not restore owners and privileges (a target with other roles)");
  if (auto code = parse(app, args)) return *code;
  auto loaded = load(setup, true, true);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  Context& ctx = std::get<Context>(loaded);
  register_database_url_secret(to);
  auto resolved = ctx.repo->resolve(id);
  if (!resolved) return report_error(resolved.error());

  backup::RestoreOptions options;
  options.url = to;
  options.tables = tables;
  options.force = force;
  options.replace = replace;
  options.no_owner = no_owner;
  options.key = ctx.key_ptr();
  options.progress = Progress::terminal();
  auto outcome = backup::restore_backup(*ctx.repo, *resolved, options);
  if (!outcome) return report_error(outcome.error());

  if (ctx.format == Format::json) {
    print_json(backup::Restored::of(*outcome).to_json());
    return outcome->ok() ? 0 : 1;
  }
  if (!outcome->ok()) {
    std::fputs(redact(fmt::format("slipway: restore of {} failed: {}\n", outcome->id, outcome->failure)).c_str(),
               stderr);
    return 1;
  }
  std::uint64_t rows = 0;
  for (const auto& t : outcome->tables) rows += t.actual;
  print_text(fmt::format("restored {} into {} in {}: {} tables, {} rows, row counts match the backup{}\n", outcome->id,
                         outcome->target, format_seconds(Duration(outcome->duration_ms)), outcome->tables.size(),
                         format_count(rows),
                         outcome->schema_matches.value_or(false) ? ", schema fingerprint matches" : ""));
  return 0;
}

int run_prune(const Args& args) {
  CLI::App app{
      "Remove the backups that backup.keep does not keep (borg's prune rules, calendar periods in "
      "backup.timezone).",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup prune --dry-run           # keep or remove for each backup, and which rule kept it\n"
      "  slipway backup prune --format json\n\n"
      "keep = { last = 3, daily = 7, weekly = 4, monthly = 12, yearly = 0 } in [backup]; the rules run in that\n"
      "order and a backup kept by one does not count for a later one. The newest verified backup is always\n"
      "kept, and prune never removes every backup. It waits for a running `backup create` (the writer lock).\n\n"
      "Exit codes: 0 pruned (or planned), 2 bad input (backup.keep, backup.timezone), 3 the repository\n"
      "cannot be read or written.");
  Setup setup;
  bool dry_run = false;
  setup.add_to(app);
  app.add_flag("--dry-run", dry_run, "print what would be kept and removed, remove nothing");
  if (auto code = parse(app, args)) return *code;
  auto loaded = load(setup, true, false);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  Context& ctx = std::get<Context>(loaded);

  auto zone = TimeZone::load(ctx.config.backup.timezone);
  if (!zone) {
    Error e = zone.error();
    if (e.kind == ErrorKind::bad_input || e.where.empty()) e.where = ctx.config.where("backup.timezone");
    return report_error(e);
  }
  backup::PruneOptions options;
  options.keep = ctx.config.backup.keep;
  options.zone = *zone;
  options.dry_run = dry_run;
  auto outcome = backup::prune_backups(*ctx.repo, options);
  if (!outcome) return report_error(outcome.error());

  const std::size_t kept = static_cast<std::size_t>(
      std::count_if(outcome->backups.begin(), outcome->backups.end(), [](const auto& b) { return b.decision.keep; }));
  const std::size_t dropped = outcome->backups.size() - kept;
  if (ctx.format == Format::json) {
    json::array damaged;
    for (const auto& e : outcome->damaged) damaged.push_back(json::object{{"id", e.id}, {"reason", e.damaged}});
    json::array out;
    for (const auto& [e, d] : outcome->backups) {
      out.push_back(json::object{{"id", e.id},
                                 {"created_at", e.created_at},
                                 {"label", e.label},
                                 {"verification", e.verify_status},
                                 {"decision", d.keep ? "keep" : "remove"},
                                 {"rule", d.rule},
                                 {"rank", d.rank},
                                 {"period", d.period},
                                 {"oldest", d.oldest},
                                 {"reason", d.reason}});
    }
    print_json(json::object{{"repository", ctx.repo->storage().describe()},
                            {"timezone", zone->name()},
                            {"dry_run", dry_run},
                            {"backups", std::move(out)},
                            {"damaged", std::move(damaged)},
                            {"summary", json::object{{"kept", kept},
                                                     {"removed", dry_run ? 0 : outcome->removed},
                                                     {"would_remove", dry_run ? dropped : 0},
                                                     {"leftovers", outcome->leftovers}}}});
    return 0;
  }
  if (outcome->backups.empty() && outcome->damaged.empty()) {
    print_text(fmt::format("no backups in {}\n", ctx.repo->storage().describe()));
    return 0;
  }
  const Style style = style_for(setup.common);
  std::string out = fmt::format("{:<22} {:<24} {:<11} {:<8}  {}\n", "ID", "CREATED", "LABEL", "DECISION", "REASON");
  for (const auto& [e, d] : outcome->backups) {
    const std::string decision = d.keep ? style.paint(Color::green, "keep    ") : style.paint(Color::red, "remove  ");
    out += fmt::format("{:<22} {:<24} {:<11} {}  {}\n", e.id, e.created_at, e.label, decision, d.reason);
  }
  for (const auto& e : outcome->damaged) {
    out += fmt::format("{:<22} {:<24} {:<11} {}  not planned, {} (repair or remove it by hand)\n", e.id, "-", "-",
                       style.paint(Color::yellow, "keep    "), e.verify_message);
  }
  if (dry_run) {
    out += fmt::format("dry run: {} kept, {} would be removed; nothing was removed\n", kept, dropped);
  } else {
    out += fmt::format(
        "{} kept, {} removed{}\n", kept, outcome->removed,
        outcome->leftovers > 0 ? fmt::format(" (and {} leftover objects of crashed writers)", outcome->leftovers) : "");
  }
  if (!outcome->damaged.empty()) {
    out += fmt::format("{} backup{} with a damaged manifest kept and not counted: `slipway backup list` shows why\n",
                       outcome->damaged.size(), outcome->damaged.size() == 1 ? "" : "s");
  }
  print_text(out);
  return 0;
}

int run_export(const Args& args) {
  CLI::App app{"Export tables as JSON lines, one {\"table\":...,\"row\":{...}} object per row, in one snapshot.",
               args[0]};
  app.footer(
      "Examples:\n"
      "  slipway backup export --table public.users --table public.loans --output exports/app.jsonl\n"
      "  slipway backup export --format jsonl | gzip > app.jsonl.gz     # backup.export_tables\n\n"
      "Exit codes: 0 exported, 2 bad input (unknown table), 3 database unreachable.");
  CommonOptions common;
  std::optional<std::string> database;
  std::vector<std::string> tables;
  std::string output;
  std::string format = "jsonl";
  app.add_option("--config", common.config, "the config file (default: ./slipway.toml when present)");
  app.add_option("--env-file", common.env_file, "read ${VAR} values from this env file too");
  app.add_option("--format", format, "the export format: jsonl")->check(CLI::IsMember({"jsonl"}));
  app.add_option("--table", tables, "a table to export, as schema.table (repeatable; default: backup.export_tables)")
      ->allow_extra_args(false);
  app.add_option("--output", output, "the file to write, atomically (default: standard output)");
  app.add_option("--database", database, "the database URL (default: database.direct_url, else database.url)");
  if (auto code = parse(app, args)) return *code;
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto url = require_database(*config, database);
  if (!url) return report_error(url.error());
  backup::ExportOptions options;
  options.url = *url;
  options.tables = tables.empty() ? config->backup.export_tables : tables;
  options.output = output;
  auto result = backup::export_jsonl(options);
  if (!result) return report_error(result.error());
  if (!output.empty() && output != "-") {
    std::uint64_t rows = 0;
    for (const auto& t : result->tables) rows += t.rows;
    std::fputs(fmt::format("exported {} tables, {} rows, {} to {} in {}\n", result->tables.size(), format_count(rows),
                           format_size(result->bytes), output, format_seconds(Duration(result->duration_ms)))
                   .c_str(),
               stderr);
  }
  return 0;
}

int run_keygen(const Args& args) {
  CLI::App app{"Write a new random encryption key (64 hex characters, mode 0600) for backup.encryption_key_file.",
               args[0]};
  app.footer(
      "Example:\n"
      "  slipway backup keygen backup.key\n\n"
      "Keep a copy of the key away from the backups: without it, encrypted backups cannot be restored.\n"
      "Exit codes: 0 written, 2 the file exists already.");
  CommonOptions common;
  std::string path;
  app.add_option("path", path, "where to write the key")->required();
  app.add_option("--format", common.format, "output format: text, json");
  if (auto code = parse(app, args)) return *code;
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto key = backup::generate_key_file(path);
  if (!key) return report_error(key.error());
  if (*format == Format::json) {
    print_json(json::object{{"path", path}, {"fingerprint", key->fingerprint()}});
  } else {
    print_text(
        fmt::format("wrote a new key to {} (fingerprint {}); set backup.encryption_key_file to it and keep a "
                    "copy away from the backups\n",
                    path, key->fingerprint()));
  }
  return 0;
}

constexpr std::array<Subcommand, 7> kSubcommands{{
    {"create", "take a backup: pg_dump in one snapshot, row counts, zstd, SHA-256, encryption", run_create},
    {"list", "the backups: id, label, age, size, verification status", run_list},
    {"verify", "re-read backups and prove them; --restore-test restores into a scratch database", run_verify},
    {"restore", "restore a backup into a database and compare row counts", run_restore},
    {"prune", "remove the backups backup.keep does not keep; --dry-run says why each stays", run_prune},
    {"export", "tables as JSON lines, in one snapshot", run_export},
    {"keygen", "write a new encryption key file", run_keygen},
}};

std::string backup_usage() {
  return "slipway backup: logical backups through pg_dump, compressed, checksummed, encrypted, verified\n\n"
         "Usage: slipway backup <subcommand> [options]\n\nSubcommands:\n" +
         subcommand_list(kSubcommands) +
         "\nEach subcommand takes --help. Exit codes: 0 ok, 1 a backup is corrupt or a restore check failed,\n"
         "2 bad usage or input, 3 environment (database unreachable, pg_dump missing).\n\n"
         "Example:\n  slipway backup create --label pre-deploy && slipway backup verify latest\n";
}

}  // namespace

int run_backup(const Args& args) {
  return run_subcommand(args, kSubcommands, backup_usage);
}

}  // namespace slipway::cli
