#include "backup/catalog.hpp"

#include <array>
#include <map>

#include <fmt/format.h>

#include "core/time.hpp"
#include "state/sqlite.hpp"

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

// Schema versions, PRAGMA user_version: step i moves the catalog from version i to i + 1.
constexpr std::string_view kSchemaV1 = R"sql(
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
constexpr std::array<std::string_view, 1> kSchema{kSchemaV1};

// The rollback journal, not WAL: the repository folder may be on a network file system. The
// busy timeout covers a create that holds the catalog while another command syncs.
constexpr sqlite::OpenOptions kOpenOptions{.wal = false, .busy_timeout = std::chrono::seconds(10)};

// The catalog's errors say what it is and that it can be rebuilt.
Error catalog_error(Error e) {
  e.message = "catalog: " + e.message;
  e.hint = "the catalog can be rebuilt from the manifests: `slipway backup list --rebuild-catalog`";
  return e;
}

// Opens the file at the catalog's schema version; fails when it must be recreated (damaged, not
// a database, or written by a newer Slipway).
Result<sqlite::Database> open_database(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file, kOpenOptions);
  if (!db) return fail(db.error());
  if (auto r = sqlite::migrate_schema(*db, kSchema); !r) return fail(r.error());
  return db;
}

}  // namespace

struct Catalog::Impl {
  sqlite::Database db;
};

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

Result<Catalog> Catalog::open(const std::filesystem::path& file) {
  auto db = open_database(file);
  if (!db) {
    // Only an index: a damaged or foreign file is replaced, and sync() refills it.
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix, ec);
    db = open_database(file);
    if (!db) return fail(catalog_error(db.error()));
  }
  return Catalog(std::make_unique<Impl>(Impl{std::move(*db)}));
}

Result<std::vector<Unreadable>> Catalog::sync(const std::vector<CatalogSource>& sources, const Loader& load) {
  sqlite::Database& db = impl_->db;
  std::map<std::string, std::pair<std::string, std::string>> known;  // id -> stamps
  {
    auto rows = db.prepare("SELECT id, manifest_stamp, verify_stamp FROM backups");
    if (!rows) return fail(catalog_error(rows.error()));
    for (;;) {
      auto row = rows->step();
      if (!row) return fail(catalog_error(row.error()));
      if (!*row) break;
      known[rows->text(0)] = {rows->text(1), rows->text(2)};
    }
  }
  std::vector<Unreadable> unreadable;
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
      unreadable.push_back({s.id, loaded.error()});
      if (it != known.end()) gone.push_back(s.id);
      continue;
    }
    changed.emplace_back(s.id, std::move(*loaded));
  }
  if (changed.empty() && gone.empty()) return unreadable;

  auto written = db.transaction([&]() -> Result<void> {
    auto del = db.prepare("DELETE FROM backups WHERE id = ?1");
    if (!del) return fail(del.error());
    for (const std::string& id : gone) {
      del->bind(1, id);
      if (auto r = del->run(); !r) return r;
      del->reset();
    }
    auto put = db.prepare(
        "INSERT OR REPLACE INTO backups (id, created_at, label, database, dump_bytes, archive_bytes, tables, rows, "
        "encrypted, verify_status, verified_at, verify_message, restore_ms, manifest_stamp, verify_stamp) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    if (!put) return fail(put.error());
    for (const auto& [id, loaded] : changed) {
      const Manifest& m = loaded.first;
      const std::optional<VerifyRecord>& v = loaded.second;
      const CatalogSource& s = *wanted.at(id);
      put->bind(1, id)
          .bind(2, m.created_at)
          .bind(3, m.label)
          .bind(4, m.database)
          .bind(5, static_cast<std::int64_t>(m.dump_bytes))
          .bind(6, static_cast<std::int64_t>(m.archive_bytes))
          .bind(7, static_cast<std::int64_t>(m.tables.size()))
          .bind(8, static_cast<std::int64_t>(m.total_rows()))
          .bind(9, std::int64_t{m.encrypted() ? 1 : 0})
          .bind(10, v ? std::string_view(v->status) : std::string_view("never"))
          .bind(11, v ? std::string_view(v->at) : std::string_view())
          .bind(12, v ? std::string_view(v->message) : std::string_view())
          .bind(14, s.manifest_stamp)
          .bind(15, s.verify_stamp);
      if (v && v->restore_ms) {
        put->bind(13, *v->restore_ms);
      } else {
        put->bind_null(13);
      }
      if (auto r = put->run(); !r) return r;
      put->reset();
    }
    return {};
  });
  if (!written) return fail(catalog_error(written.error()));
  return unreadable;
}

Result<std::vector<Entry>> Catalog::entries() {
  auto st = impl_->db.prepare(
      "SELECT id, created_at, label, database, dump_bytes, archive_bytes, tables, rows, encrypted, verify_status, "
      "verified_at, verify_message, restore_ms FROM backups ORDER BY created_at, id");
  if (!st) return fail(catalog_error(st.error()));
  sqlite::Statement& rows = *st;
  std::vector<Entry> out;
  for (;;) {
    auto row = rows.step();
    if (!row) return fail(catalog_error(row.error()));
    if (!*row) break;
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
  if (auto r = impl_->db.exec("DELETE FROM backups"); !r) return fail(catalog_error(r.error()));
  return {};
}

}  // namespace slipway::backup
