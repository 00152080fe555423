#include "migrate/history.hpp"

#include <random>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "lint/helpers.hpp"
#include "pg/connection.hpp"

namespace slipway::migrate {
namespace {

// "a.b" -> {"a", "b"}; "b" -> {"", "b"}.
std::pair<std::string, std::string> split_table(const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return {"", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

std::string bare_name(const std::string& table) {
  return split_table(table).second;
}

long long elapsed_ms(const Attempt& attempt) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - attempt.started)
      .count();
}

// The entries of a table read by `select`, whose columns are key, checksum, success ('t'/'f'),
// applied_at and message; none when the table does not exist.
Result<std::vector<HistoryEntry>> read_entries(const HistoryTable& h, pg::Connection& conn, const std::string& select) {
  auto present = h.exists(conn);
  if (!present) return fail(present.error());
  if (!*present) return std::vector<HistoryEntry>{};
  auto rows = conn.query(select);
  if (!rows) return fail(rows.error());
  std::vector<HistoryEntry> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    HistoryEntry e;
    e.key = rows->text(i, 0);
    e.checksum = rows->text(i, 1);
    e.success = rows->text(i, 2) == "t";
    e.applied_at = rows->text(i, 3);
    e.message = rows->text(i, 4);
    out.push_back(std::move(e));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Prisma: prisma-engines, schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs
// (create_migrations_table), sql_migration_persistence.rs (record_migration_started,
// record_successful_step, record_migration_finished, record_failed_step) and
// schema-engine/core/src/commands/apply_migrations.rs (the order of those calls).

class PrismaHistory final : public HistoryTable {
 public:
  explicit PrismaHistory(std::string table) : HistoryTable(Layout::prisma, std::move(table)) {}
  std::string_view tool() const override { return "Prisma"; }
  std::string key_of(const MigrationFile& f) const override { return f.path.parent_path().filename().string(); }
  std::string checksum(std::string_view text) const override { return sha256_hex(text); }
  bool matches(std::string_view text, const std::string& stored) const override {
    return prisma_checksum_matches(text, stored);
  }

  Result<void> ensure(pg::Connection& conn) const override {
    auto present = exists(conn);
    if (!present) return fail(present.error());
    if (*present) return {};
    return conn.execute(
        fmt::format("CREATE TABLE {} (\n"
                    "    id                      VARCHAR(36) PRIMARY KEY NOT NULL,\n"
                    "    checksum                VARCHAR(64) NOT NULL,\n"
                    "    finished_at             TIMESTAMPTZ,\n"
                    "    migration_name          VARCHAR(255) NOT NULL,\n"
                    "    logs                    TEXT,\n"
                    "    rolled_back_at          TIMESTAMPTZ,\n"
                    "    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
                    "    applied_steps_count     INTEGER NOT NULL DEFAULT 0\n"
                    ");\n",
                    quoted()));
  }

  Result<std::vector<HistoryEntry>> read(pg::Connection& conn) const override {
    // A rolled-back row (`prisma migrate resolve --rolled-back`) no longer counts: Prisma
    // applies the migration again.
    return read_entries(
        *this, conn,
        fmt::format(
            "SELECT migration_name, checksum, finished_at IS NOT NULL, coalesce(finished_at, started_at)::text, "
            "coalesce(logs, '') FROM {} WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name",
            quoted()));
  }

  Result<Attempt> record_start(pg::Connection& conn, const MigrationFile& file, std::string_view text) const override {
    auto attempt = HistoryTable::record_start(conn, file, text);
    if (!attempt) return attempt;
    attempt->id = uuid_v4();
    auto r = conn.query(fmt::format("INSERT INTO {} (id, checksum, started_at, migration_name) "
                                    "VALUES ($1, $2, clock_timestamp(), $3)",
                                    quoted()),
                        {attempt->id, checksum(text), key_of(file)});
    if (!r) return fail(r.error());
    return attempt;
  }

  Result<void> record_finish(pg::Connection& conn, const Attempt& attempt, const MigrationFile&,
                             std::string_view) const override {
    // record_successful_step, then record_migration_finished.
    auto r =
        conn.query(fmt::format("UPDATE {} SET applied_steps_count = applied_steps_count + 1 WHERE id = $1", quoted()),
                   {attempt.id});
    if (!r) return fail(r.error());
    r = conn.query(fmt::format("UPDATE {} SET finished_at = clock_timestamp() WHERE id = $1", quoted()), {attempt.id});
    if (!r) return fail(r.error());
    return {};
  }

  Result<void> record_failure(pg::Connection& conn, const Attempt& attempt, const MigrationFile&, std::string_view,
                              const Failure& failure) const override {
    // The text of Prisma's P3018 error (user-facing-errors, ApplyMigrationError), which
    // record_failed_step stores as the row's logs.
    const std::string logs = fmt::format(
        "A migration failed to apply. New migrations cannot be applied before the error is recovered from. Read "
        "more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\n"
        "Migration name: {}\n\nDatabase error code: {}\n\nDatabase error:\nERROR: {}\n",
        failure.migration, failure.sqlstate.empty() ? "none" : failure.sqlstate, failure.message);
    auto r = conn.query(fmt::format("UPDATE {} SET logs = $2 WHERE id = $1", quoted()), {attempt.id, logs});
    if (!r) return fail(r.error());
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// Flyway: flyway-core, database/postgresql/createMetaDataTable.sql (the DDL),
// resolver/ChecksumCalculator.java (the checksum), JdbcTableSchemaHistory.addAppliedMigration
// (one row, in the migration's transaction) and DbMigrate (on PostgreSQL a failed migration that
// ran in a transaction leaves no row: "Changes successfully rolled back"; one that did not is
// recorded with success = false).

class FlywayHistory final : public HistoryTable {
 public:
  explicit FlywayHistory(std::string table) : HistoryTable(Layout::flyway, std::move(table)) {}
  std::string_view tool() const override { return "Flyway"; }
  std::string key_of(const MigrationFile& f) const override {
    return f.repeatable ? "R:" + description(f) : version(f);
  }
  std::string checksum(std::string_view text) const override { return std::to_string(flyway_checksum(text)); }

  Result<void> ensure(pg::Connection& conn) const override {
    auto present = exists(conn);
    if (!present) return fail(present.error());
    if (*present) return {};
    const std::string name = bare_name(table());
    return conn.execute(
        fmt::format("CREATE TABLE {0} (\n"
                    "    \"installed_rank\" INT NOT NULL,\n"
                    "    \"version\" VARCHAR(50),\n"
                    "    \"description\" VARCHAR(200) NOT NULL,\n"
                    "    \"type\" VARCHAR(20) NOT NULL,\n"
                    "    \"script\" VARCHAR(1000) NOT NULL,\n"
                    "    \"checksum\" INTEGER,\n"
                    "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
                    "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
                    "    \"execution_time\" INTEGER NOT NULL,\n"
                    "    \"success\" BOOLEAN NOT NULL\n"
                    ");\n"
                    "ALTER TABLE {0} ADD CONSTRAINT {1} PRIMARY KEY (\"installed_rank\");\n"
                    "CREATE INDEX {2} ON {0} (\"success\");\n",
                    quoted(), lint::quote_ident(name + "_pk"), lint::quote_ident(name + "_s_idx")));
  }

  Result<std::vector<HistoryEntry>> read(pg::Connection& conn) const override {
    auto present = exists(conn);
    if (!present) return fail(present.error());
    if (!*present) return std::vector<HistoryEntry>{};
    auto rows = conn.query(
        fmt::format("SELECT version, description, coalesce(checksum::text, ''), success, installed_on::text, type "
                    "FROM {} ORDER BY installed_rank",
                    quoted()));
    if (!rows) return fail(rows.error());
    std::vector<HistoryEntry> out;
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const std::string type = rows->text(i, 5);
      if (type == "SCHEMA" || type == "DELETE") continue;  // Flyway's own markers, not migrations
      HistoryEntry e;
      e.description = rows->text(i, 1);
      e.key = rows->rows[i][0] ? rows->text(i, 0) : "R:" + e.description;
      e.checksum = rows->text(i, 2);
      e.success = rows->text(i, 3) == "t";
      e.applied_at = rows->text(i, 4);
      e.baseline = type == "BASELINE";
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<void> record_finish(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                             std::string_view text) const override {
    return insert(conn, attempt, file, text, true);
  }

  Result<void> record_failure(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                              std::string_view text, const Failure& failure) const override {
    if (!failure.partly_committed) return {};
    return insert(conn, attempt, file, text, false);
  }

  // "1.1" for V1_1__x.sql: Flyway reads "_" in a version as ".".
  static std::string version(const MigrationFile& f) {
    std::string v = f.version;
    for (char& c : v) {
      if (c == '_') c = '.';
    }
    return v;
  }
  static std::string description(const MigrationFile& f) {
    std::string d = f.name;
    for (char& c : d) {
      if (c == '_') c = ' ';
    }
    return d;
  }

 private:
  Result<void> insert(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file, std::string_view text,
                      bool success) const {
    // A repeatable migration has no version: NULL.
    auto r = conn.query(
        fmt::format("INSERT INTO {0} (installed_rank, version, description, type, script, checksum, installed_by, "
                    "execution_time, success) "
                    "SELECT coalesce(max(installed_rank), 0) + 1, nullif($1, ''), $2, 'SQL', $3, $4::int, "
                    "current_user, $5::int, $6::boolean FROM {0}",
                    quoted()),
        {file.repeatable ? std::string() : version(file), description(file), file.path.filename().string(),
         checksum(text), std::to_string(elapsed_ms(attempt)), success ? "true" : "false"});
    if (!r) return fail(r.error());
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// golang-migrate: database/postgres/postgres.go (ensureVersionTable, SetVersion: TRUNCATE then
// INSERT in one transaction, Version) and migrate.go (runMigrations: SetVersion(v, dirty=true),
// Run, SetVersion(v, dirty=false); Up refuses a dirty database with ErrDirty).

class GolangHistory final : public HistoryTable {
 public:
  explicit GolangHistory(std::string table) : HistoryTable(Layout::golang_migrate, std::move(table)) {}
  std::string_view tool() const override { return "golang-migrate"; }
  bool has_checksum() const override { return false; }
  std::string key_of(const MigrationFile& f) const override { return number(f.version); }
  std::string checksum(std::string_view) const override { return {}; }
  bool matches(std::string_view, const std::string&) const override { return true; }

  Result<void> ensure(pg::Connection& conn) const override {
    auto present = exists(conn);
    if (!present) return fail(present.error());
    if (*present) return {};
    return conn.execute(fmt::format(
        "CREATE TABLE IF NOT EXISTS {} (version bigint not null primary key, dirty boolean not null)", quoted()));
  }

  Result<std::vector<HistoryEntry>> read(pg::Connection& conn) const override {
    auto present = exists(conn);
    if (!present) return fail(present.error());
    if (!*present) return std::vector<HistoryEntry>{};
    auto rows = conn.query(fmt::format("SELECT version, dirty FROM {} LIMIT 1", quoted()));
    if (!rows) return fail(rows.error());
    std::vector<HistoryEntry> out;
    if (rows->size() == 1) {
      HistoryEntry e;
      e.key = rows->text(0, 0);
      e.dirty = rows->text(0, 1) == "t";
      e.success = !e.dirty;
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<Attempt> record_start(pg::Connection& conn, const MigrationFile& file, std::string_view text) const override {
    auto attempt = HistoryTable::record_start(conn, file, text);
    if (!attempt) return attempt;
    if (auto r = conn.execute("BEGIN"); !r) return fail(r.error());
    if (auto r = set_version(conn, file, true); !r) {
      (void)conn.execute("ROLLBACK");
      return fail(r.error());
    }
    if (auto r = conn.execute("COMMIT"); !r) return fail(r.error());
    return attempt;
  }

  Result<void> record_finish(pg::Connection& conn, const Attempt&, const MigrationFile& file,
                             std::string_view) const override {
    return set_version(conn, file, false);
  }

  // The version stays dirty, as golang-migrate leaves it.
  Result<void> record_failure(pg::Connection&, const Attempt&, const MigrationFile&, std::string_view,
                              const Failure&) const override {
    return {};
  }

  // golang-migrate parses the version as an unsigned integer: "000002" is 2.
  static std::string number(const std::string& version) {
    std::size_t i = 0;
    while (i + 1 < version.size() && version[i] == '0') ++i;
    return version.substr(i);
  }

 private:
  Result<void> set_version(pg::Connection& conn, const MigrationFile& file, bool dirty) const {
    if (auto r = conn.execute(fmt::format("TRUNCATE {}", quoted())); !r) return r;
    auto r = conn.query(fmt::format("INSERT INTO {} (version, dirty) VALUES ($1, $2)", quoted()),
                        {number(file.version), dirty ? "true" : "false"});
    if (!r) return fail(r.error());
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// Slipway's own table, for plain folders that no tool owns.

class SlipwayHistory final : public HistoryTable {
 public:
  explicit SlipwayHistory(std::string table) : HistoryTable(Layout::plain, std::move(table)) {}
  std::string_view tool() const override { return "Slipway"; }
  std::string key_of(const MigrationFile& f) const override { return f.path.filename().string(); }
  std::string checksum(std::string_view text) const override { return sha256_hex(text); }

  Result<void> ensure(pg::Connection& conn) const override {
    return conn.execute(
        fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                    "    name          text PRIMARY KEY,\n"
                    "    checksum      text NOT NULL,\n"
                    "    started_at    timestamptz NOT NULL,\n"
                    "    finished_at   timestamptz,\n"
                    "    execution_ms  integer NOT NULL DEFAULT 0,\n"
                    "    success       boolean NOT NULL,\n"
                    "    applied_by    text NOT NULL DEFAULT current_user,\n"
                    "    error         text\n"
                    ")",
                    quoted()));
  }

  Result<std::vector<HistoryEntry>> read(pg::Connection& conn) const override {
    return read_entries(*this, conn,
                        fmt::format("SELECT name, checksum, success, coalesce(finished_at, started_at)::text, "
                                    "coalesce(error, '') FROM {} ORDER BY started_at, name",
                                    quoted()));
  }

  Result<void> record_finish(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                             std::string_view text) const override {
    return upsert(conn, attempt, file, text, true, "");
  }

  Result<void> record_failure(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file,
                              std::string_view text, const Failure& failure) const override {
    // A migration rolled back whole changed nothing: it stays pending. One that committed part
    // of itself is recorded as failed, and apply stops there until someone looks.
    if (!failure.partly_committed) return {};
    return upsert(conn, attempt, file, text, false, failure.message);
  }

 private:
  Result<void> upsert(pg::Connection& conn, const Attempt& attempt, const MigrationFile& file, std::string_view text,
                      bool success, const std::string& error) const {
    auto r = conn.query(
        fmt::format("INSERT INTO {} (name, checksum, started_at, finished_at, execution_ms, success, error) "
                    "VALUES ($1, $2, $3::timestamptz, CASE WHEN $5::boolean THEN clock_timestamp() END, $4::int, "
                    "$5::boolean, nullif($6, '')) "
                    "ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, started_at = excluded.started_at, "
                    "finished_at = excluded.finished_at, execution_ms = excluded.execution_ms, "
                    "success = excluded.success, applied_by = current_user, error = excluded.error",
                    quoted()),
        {key_of(file), checksum(text), attempt.started_at, std::to_string(elapsed_ms(attempt)),
         success ? "true" : "false", error});
    if (!r) return fail(r.error());
    return {};
  }
};

}  // namespace

std::unique_ptr<HistoryTable> HistoryTable::for_layout(Layout layout, const std::string& table) {
  switch (layout) {
    case Layout::prisma: return std::make_unique<PrismaHistory>(table.empty() ? "_prisma_migrations" : table);
    case Layout::flyway: return std::make_unique<FlywayHistory>(table.empty() ? "flyway_schema_history" : table);
    case Layout::golang_migrate: return std::make_unique<GolangHistory>(table.empty() ? "schema_migrations" : table);
    case Layout::plain: return std::make_unique<SlipwayHistory>(table.empty() ? "slipway_migrations" : table);
  }
  return nullptr;
}

std::string HistoryTable::quoted() const {
  const auto [schema, name] = split_table(table_);
  return schema.empty() ? lint::quote_ident(name) : lint::quote_ident(schema) + "." + lint::quote_ident(name);
}

Result<bool> HistoryTable::exists(pg::Connection& conn) const {
  auto rows = conn.query("SELECT to_regclass($1) IS NOT NULL", {quoted()});
  if (!rows) return fail(rows.error());
  return rows->text(0, 0) == "t";
}

Result<Attempt> HistoryTable::record_start(pg::Connection& conn, const MigrationFile&, std::string_view) const {
  Attempt a;
  a.started = std::chrono::steady_clock::now();
  auto rows = conn.query("SELECT clock_timestamp()::text");
  if (!rows) return fail(rows.error());
  a.started_at = rows->text(0, 0);
  return a;
}

std::int32_t flyway_checksum(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  // BufferedReader.readLine() drops "\n", "\r" and "\r\n"; lines are hashed back to back, so the
  // CRC is that of the text without its line terminators.
  std::uint32_t crc = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
      crc = crc32(text.substr(start, i - start), crc);
      start = i + 1;
    }
  }
  return static_cast<std::int32_t>(crc);
}

bool prisma_checksum_matches(std::string_view text, const std::string& stored) {
  const auto replace_all = [](std::string_view in, std::string_view from, std::string_view to) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
      const std::size_t next = in.find(from, pos);
      out.append(in.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
      if (next == std::string_view::npos) break;
      out.append(to);
      pos = next + from.size();
    }
    return out;
  };
  for (const std::string& candidate :
       {std::string(text), replace_all(text, "\r\n", "\n"), replace_all(text, "\n", "\r\n")}) {
    Sha256 h;
    h.update(candidate);
    const auto digest = h.digest();
    std::string hex;
    if (stored.size() == 64 || stored.empty()) {
      hex = to_hex(digest.data(), digest.size());
    } else {
      for (std::uint8_t b : digest) hex += fmt::format("{:x}", b);  // an old engine's unpadded hex
    }
    if (hex == stored) return true;
  }
  return false;
}

std::string uuid_v4() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  std::uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t v = rng();
    for (int k = 0; k < 8; ++k) b[i + k] = static_cast<std::uint8_t>(v >> (8 * k));
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex = to_hex(b, 16);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20));
}

}  // namespace slipway::migrate
