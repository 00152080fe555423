// backup restore: the archive's checksum first, then pg_restore --single-transaction reading the
// decrypted, decompressed stream on stdin, then every restored table's row count against the
// manifest. A damaged archive is never fed to pg_restore, and a restore that fails half-way
// leaves the target as it was.
#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "backup/backup.hpp"
#include "backup/database.hpp"
#include "backup/pg_tools.hpp"
#include "backup/pipeline.hpp"
#include "core/process.hpp"
#include "core/progress.hpp"
#include "core/redact.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"

namespace slipway::backup {

namespace {

using Clock = std::chrono::steady_clock;

// "public.users" -> {"public", "users"}.
std::pair<std::string, std::string> split_name(const std::string& name) {
  const std::size_t dot = name.find('.');
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string quote(const std::string& ident) {
  std::string out = "\"";
  for (char c : ident) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

int major_of(const std::string& version) {
  return std::atoi(version.c_str());
}

}  // namespace

Result<void> check_key(const Manifest& manifest, const Key* key) {
  if (!manifest.encrypted()) return {};
  if (!key) {
    return fail(Error::input(
        fmt::format("backup {} is encrypted (key {}) and no key is configured", manifest.id, manifest.key_fingerprint),
        "backup.encryption_key_file", "set it to the key file the backup was made with"));
  }
  if (key->fingerprint() != manifest.key_fingerprint) {
    return fail(Error::input(fmt::format("wrong key: backup {} was encrypted with key {}, the configured key is {}",
                                         manifest.id, manifest.key_fingerprint, key->fingerprint()),
                             "backup.encryption_key_file", "use the key file the backup was made with"));
  }
  return {};
}

Result<RestoreOutcome> restore_backup(Repository& repo, const std::string& id, const RestoreOptions& options) {
  auto m = repo.manifest(id);
  if (!m) return fail(m.error());
  if (auto k = check_key(*m, options.key); !k) return fail(k.error());
  RestoreOutcome outcome;
  outcome.id = id;

  // Which tables: all of the manifest's, or those named (which must be in the backup).
  std::vector<TableCount> wanted;
  for (const std::string& name : options.tables) {
    const std::string q = name.find('.') == std::string::npos ? "public." + name : name;
    auto it = std::find_if(m->tables.begin(), m->tables.end(), [&](const TableCount& t) { return t.name == q; });
    if (it == m->tables.end()) {
      return fail(Error::input(fmt::format("backup {} has no table '{}'", id, q), "--table",
                               "name it as schema.table; `slipway backup list --format json` shows the backup"));
    }
    wanted.push_back(*it);
  }
  const bool everything = wanted.empty();
  if (everything) wanted = m->tables;

  auto info = pg::ConnInfo::parse(options.url);
  if (!info) return fail(info.error());
  if (!info->password().empty()) register_secret(info->password());
  outcome.target = info->display();
  auto conn = pg::Connection::open(options.url);
  if (!conn) return fail(conn.error());
  auto relations = count_user_relations(*conn);
  if (!relations) return fail(relations.error());
  if (options.replace && !everything)
    return fail(Error::input("--replace restores the whole backup; it cannot be combined with --table", "--replace"));
  if (*relations > 0 && !options.force && !options.replace) {
    return fail(Error::input(
        fmt::format("the target database is not empty: it has {} tables, views or sequences", *relations),
        info->display(),
        "restore into an empty database, or add --force to drop and replace the objects the backup holds"));
  }

  // The checksum before pg_restore sees a byte: streaming alone would find damage too late. The
  // archive's name follows from the id (Repository::manifest() checked it); it must be a regular
  // file of the manifest's size (storage readers read no further than the size they opened).
  {
    auto reader = repo.storage().open(m->archive);
    if (!reader) return fail(reader.error());
    if ((*reader)->size() != m->archive_bytes) {
      outcome.corrupt = true;
      outcome.failure = fmt::format("archive {} is corrupt: {} bytes, the manifest says {}", m->archive,
                                    (*reader)->size(), m->archive_bytes);
      return outcome;
    }
    Progress progress("checking", (*reader)->size(), options.progress);
    auto hashed = hash_object(**reader, [&](std::uint64_t n) { progress.update(n); });
    if (!hashed) return fail(hashed.error());
    if (hashed->first != m->archive_sha256 || hashed->second != m->archive_bytes) {
      outcome.corrupt = true;
      outcome.failure = fmt::format("archive {} is corrupt: SHA-256 {} ({} bytes), the manifest says {} ({} bytes)",
                                    m->archive, hashed->first, hashed->second, m->archive_sha256, m->archive_bytes);
      return outcome;
    }
  }

  auto tool = find_pg_tool("pg_restore", major_of(m->pg_dump_version), conn->server_version() / 10000);
  if (!tool) return fail(tool.error());
  if (options.replace && *relations > 0) {
    // Every schema the users own goes, with what is in it; public comes back empty, as in a new
    // database, and pg_restore recreates the rest. pg_dump leaves out public's default owner and
    // grants, so they are put back here: without USAGE for PUBLIC the app's role would find no
    // table at all after a rollback (PostgreSQL 15+: owned by pg_database_owner, USAGE to PUBLIC;
    // before 15: CREATE and USAGE to PUBLIC).
    const std::string defaults = conn->server_version() >= 150000 ? "ALTER SCHEMA public OWNER TO pg_database_owner; "
                                                                    "GRANT USAGE ON SCHEMA public TO PUBLIC;"
                                                                  : "GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;";
    auto dropped = conn->execute(R"sql(
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
             AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  CREATE SCHEMA public;
END $$;)sql" + defaults);
    if (!dropped) return fail(dropped.error());
  }
  ProcessSpec spec;
  spec.argv = {tool->path, "--exit-on-error", "--single-transaction"};
  for (auto& a : pg_child_args(*info, "slipway restore")) spec.argv.push_back(std::move(a));
  if (options.force && !options.replace) {
    spec.argv.push_back("--clean");
    spec.argv.push_back("--if-exists");
  }
  if (options.no_owner) {
    spec.argv.push_back("--no-owner");
    spec.argv.push_back("--no-privileges");
  }
  if (!everything) {
    // pg_restore matches -t on the table name and -n on the schema.
    // Their schemas are not restored with them (-t takes only the table), so create them first.
    std::set<std::string> schemas;
    for (const TableCount& t : wanted) {
      const auto [schema, table] = split_name(t.name);
      if (schemas.insert(schema).second) {
        spec.argv.push_back("--schema=" + schema);
        if (auto c = conn->execute("CREATE SCHEMA IF NOT EXISTS " + quote(schema)); !c) return fail(c.error());
      }
      spec.argv.push_back("--table=" + table);
    }
  }
  spec.env = pg_child_env(*info);
  spec.in = Stdio::pipe;

  auto reader = repo.storage().open(m->archive);
  if (!reader) return fail(reader.error());
  const auto start = Clock::now();
  auto child = Process::spawn(spec);
  if (!child) return fail(child.error());
  Progress progress("restoring", (*reader)->size(), options.progress);
  auto decoded = decode(
      **reader, m->encrypted(), options.key, [&](std::string_view bytes) { return child->write_stdin(bytes); },
      [&](std::uint64_t n) { progress.update(n); });
  if (!decoded || !decoded->corrupt.empty()) child->kill(SIGKILL);
  const ExitStatus status = child->wait();
  progress.finish();
  outcome.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  if (!decoded) return fail(decoded.error());
  if (!decoded->corrupt.empty()) {
    outcome.corrupt = true;
    outcome.failure = fmt::format("archive {} is corrupt: {}", m->archive, decoded->corrupt);
    return outcome;
  }
  if (!status.ok()) {
    outcome.failure = fmt::format("pg_restore {}: {}", status.describe(), redact(pg_tool_error(child->stderr_tail())));
    return outcome;
  }

  // The proof: every restored table holds the rows the snapshot had.
  std::vector<std::string> wrong;
  for (const TableCount& t : wanted) {
    const auto [schema, table] = split_name(t.name);
    auto n = count_rows(*conn, {t.name, quote(schema) + "." + quote(table)});
    if (!n) {
      wrong.push_back(fmt::format("{}: {}", t.name, n.error().message));
      outcome.tables.push_back({t.name, t.rows, 0});
      continue;
    }
    outcome.tables.push_back({t.name, t.rows, *n});
    if (*n != t.rows) wrong.push_back(fmt::format("{} has {} rows, the backup {}", t.name, *n, t.rows));
  }
  if (everything) {
    auto fingerprint = schema_fingerprint(*conn);
    if (!fingerprint) return fail(fingerprint.error());
    outcome.schema_matches = *fingerprint == m->schema_fingerprint;
    if (!*outcome.schema_matches) wrong.push_back("the restored schema's fingerprint differs from the backup's");
  }
  if (!wrong.empty()) {
    outcome.failure = fmt::format("the restored database differs from the backup: {}", wrong.front());
    if (wrong.size() > 1) outcome.failure += fmt::format(" (and {} more)", wrong.size() - 1);
  }
  return outcome;
}

}  // namespace slipway::backup
