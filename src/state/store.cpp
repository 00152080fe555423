#include "state/store.hpp"

#include <array>
#include <string_view>

namespace slipway::state {

namespace {

// Each entry moves the schema one version up. Never edit a released entry; append a new one.
constexpr std::array<std::string_view, 1> kSchema{// 1: the deploy lock and deploy records.
                                                  R"sql(
CREATE TABLE deploy_lock (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  host        TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  deploy_id   TEXT NOT NULL DEFAULT '',
  message     TEXT NOT NULL DEFAULT '',
  acquired_ms INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
);
CREATE TABLE deploys (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL,            -- deploy | rollback
  version     TEXT NOT NULL,
  status      TEXT NOT NULL,            -- running | succeeded | failed | rolled-back | blocked | ...
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  record      TEXT NOT NULL             -- the whole record as JSON
);
)sql"};

}  // namespace

Result<sqlite::Database> open_file(const std::filesystem::path& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return db;
  if (auto r = sqlite::migrate_schema(*db, kSchema); !r) return fail(r.error());
  return db;
}

Result<sqlite::Database> open(const Config& config) {
  if (config.state.url.starts_with("postgres"))
    return fail(Error::input("state.url points at PostgreSQL, which Slipway cannot use for its state yet",
                             config.where("state.url"), "use a SQLite path such as \".slipway/state.db\""));
  return open_file(config.state.url);
}

}  // namespace slipway::state
