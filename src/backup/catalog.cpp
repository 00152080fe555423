#include "backup/catalog.hpp"

#include <sqlite3.h>

#include <map>

#include <fmt/format.h>

#include "core/time.hpp"

namespace slipway::backup {

Result<std::chrono::system_clock::time_point> Entry::created() const {
  auto t = parse_rfc3339(created_at);
  if (!t) {
    Error e = t.error();
    e.message = fmt::format("backup {}: created_at {}", id, e.message);
    e.where = id + ".manifest.json";
    return fail(std::move(e));
  }
  return *t;
}

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS backups (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  label TEXT NOT NULL,
  database TEXT NOT NULL,
  dump_bytes INTEGER NOT NULL,
  archive_bytes INTEGER NOT NULL,
  tables INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  encrypted INTEGER NOT NULL,
  verify_status TEXT NOT NULL DEFAULT 'never',
  verified_at TEXT NOT NULL DEFAULT '',
  verify_message TEXT NOT NULL DEFAULT '',
  restore_ms INTEGER,
  manifest_stamp TEXT NOT NULL,
  verify_stamp TEXT NOT NULL DEFAULT ''
);
)sql";

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  [[nodiscard]] bool ok() const { return stmt_ != nullptr; }
  void bind(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.c_str(), -1, SQLITE_TRANSIENT); }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  [[nodiscard]] std::string text(int col) const {
    const auto* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  [[nodiscard]] std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

struct Catalog::Impl {
  sqlite3* db = nullptr;
  std::string path;
  ~Impl() {
    if (db) sqlite3_close(db);
  }

  Error error(std::string_view what) const {
    return Error::environment(fmt::format("catalog: {}: {}", what, db ? sqlite3_errmsg(db) : "cannot open"), path,
                              "the catalog can be rebuilt from the manifests: `slipway backup list --rebuild-catalog`");
  }
  Result<void> exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return fail(error(sql));
    return {};
  }
  // Opens and checks the schema version; false when the file must be recreated.
  bool try_open() {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      return false;
    }
    sqlite3_busy_timeout(db, 10000);
    Statement version(db, "PRAGMA user_version");
    if (!version.ok() || version.step() != SQLITE_ROW) return false;
    const std::int64_t v = version.integer(0);
    if (v != 0 && v != kSchemaVersion) return false;
    if (!exec(kSchema)) return false;
    return exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str()).has_value();
  }
};

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

Result<Catalog> Catalog::open(const std::filesystem::path& file) {
  auto impl = std::make_unique<Impl>();
  impl->path = file.string();
  if (!impl->try_open()) {
    // Only an index: a damaged or foreign file is replaced, and sync() refills it.
    sqlite3_close(impl->db);
    impl->db = nullptr;
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix, ec);
    if (!impl->try_open()) return fail(impl->error("cannot create"));
  }
  return Catalog(std::move(impl));
}

Result<std::vector<std::string>> Catalog::sync(const std::vector<CatalogSource>& sources, const Loader& load) {
  Impl& p = *impl_;
  std::map<std::string, std::pair<std::string, std::string>> known;  // id -> stamps
  {
    Statement rows(p.db, "SELECT id, manifest_stamp, verify_stamp FROM backups");
    if (!rows.ok()) return fail(p.error("reading"));
    while (rows.step() == SQLITE_ROW) known[rows.text(0)] = {rows.text(1), rows.text(2)};
  }
  std::vector<std::string> unreadable;
  std::vector<std::pair<std::string, std::pair<Manifest, std::optional<VerifyRecord>>>> changed;
  std::vector<std::string> gone;
  std::map<std::string, const CatalogSource*> wanted;
  for (const CatalogSource& s : sources) wanted[s.id] = &s;
  for (const auto& [id, stamps] : known) {
    if (!wanted.contains(id)) gone.push_back(id);
  }
  for (const CatalogSource& s : sources) {
    auto it = known.find(s.id);
    if (it != known.end() && it->second == std::pair{s.manifest_stamp, s.verify_stamp}) continue;
    auto loaded = load(s.id);
    if (!loaded) {
      unreadable.push_back(fmt::format("{}: {}", s.id, loaded.error().render()));
      if (it != known.end()) gone.push_back(s.id);
      continue;
    }
    changed.emplace_back(s.id, std::move(*loaded));
  }
  if (changed.empty() && gone.empty()) return unreadable;

  if (auto b = p.exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  {
    Statement del(p.db, "DELETE FROM backups WHERE id = ?1");
    for (const std::string& id : gone) {
      del.bind(1, id);
      del.step();
      del.reset();
    }
    Statement put(p.db,
                  "INSERT OR REPLACE INTO backups (id, created_at, label, database, dump_bytes, archive_bytes, "
                  "tables, rows, encrypted, verify_status, verified_at, verify_message, restore_ms, manifest_stamp, "
                  "verify_stamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    if (!put.ok()) {
      (void)p.exec("ROLLBACK");
      return fail(p.error("writing"));
    }
    for (const auto& [id, loaded] : changed) {
      const Manifest& m = loaded.first;
      const std::optional<VerifyRecord>& v = loaded.second;
      const CatalogSource& s = *wanted.at(id);
      put.bind(1, id);
      put.bind(2, m.created_at);
      put.bind(3, m.label);
      put.bind(4, m.database);
      put.bind(5, static_cast<std::int64_t>(m.dump_bytes));
      put.bind(6, static_cast<std::int64_t>(m.archive_bytes));
      put.bind(7, static_cast<std::int64_t>(m.tables.size()));
      put.bind(8, static_cast<std::int64_t>(m.total_rows()));
      put.bind(9, std::int64_t{m.encrypted() ? 1 : 0});
      put.bind(10, v ? v->status : std::string("never"));
      put.bind(11, v ? v->at : std::string());
      put.bind(12, v ? v->message : std::string());
      if (v && v->restore_ms) {
        put.bind(13, *v->restore_ms);
      } else {
        put.bind_null(13);
      }
      put.bind(14, s.manifest_stamp);
      put.bind(15, s.verify_stamp);
      if (put.step() != SQLITE_DONE) {
        Error e = p.error("writing");
        (void)p.exec("ROLLBACK");
        return fail(e);
      }
      put.reset();
    }
  }
  if (auto c = p.exec("COMMIT"); !c) return fail(c.error());
  return unreadable;
}

Result<std::vector<Entry>> Catalog::entries() {
  Impl& p = *impl_;
  Statement rows(p.db,
                 "SELECT id, created_at, label, database, dump_bytes, archive_bytes, tables, rows, encrypted, "
                 "verify_status, verified_at, verify_message, restore_ms FROM backups ORDER BY created_at, id");
  if (!rows.ok()) return fail(p.error("reading"));
  std::vector<Entry> out;
  while (rows.step() == SQLITE_ROW) {
    Entry e;
    e.id = rows.text(0);
    e.created_at = rows.text(1);
    e.label = rows.text(2);
    e.database = rows.text(3);
    e.dump_bytes = static_cast<std::uint64_t>(rows.integer(4));
    e.archive_bytes = static_cast<std::uint64_t>(rows.integer(5));
    e.tables = static_cast<std::uint64_t>(rows.integer(6));
    e.rows = static_cast<std::uint64_t>(rows.integer(7));
    e.encrypted = rows.integer(8) != 0;
    e.verify_status = rows.text(9);
    e.verified_at = rows.text(10);
    e.verify_message = rows.text(11);
    if (!rows.is_null(12)) e.restore_ms = rows.integer(12);
    out.push_back(std::move(e));
  }
  return out;
}

Result<void> Catalog::clear() {
  return impl_->exec("DELETE FROM backups");
}

}  // namespace slipway::backup
