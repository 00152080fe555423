// The state store in a SQLite file: one machine's deploys and watch state. Its schema is versioned with PRAGMA
// user_version (sqlite::migrate_schema).
#include <fmt/format.h>

#include <array>
#include <string_view>

#include "state/sqlite.hpp"
#include "state/store.hpp"

namespace slipway::state {

namespace {

// Each entry moves the schema one version up. Never edit a released entry; append a new one.
constexpr std::array<std::string_view, 5> kSchema{// 1: the deploy lock and deploy records.
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
)sql",
                                                  // 2: integrity snapshots (verify/integrity.hpp); files written
                                                  // before this version may have the table already.
                                                  R"sql(
CREATE TABLE IF NOT EXISTS verify_snapshots (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  database TEXT NOT NULL,
  taken_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  tables   TEXT NOT NULL
);
)sql",
                                                  // 3: watch's alert state per probe, and its outbox.
                                                  R"sql(
CREATE TABLE watch_alerts (
  probe            TEXT PRIMARY KEY,
  state            TEXT NOT NULL,               -- ok | pending | firing
  since_ms         INTEGER NOT NULL,
  first_failure_ms INTEGER NOT NULL DEFAULT 0,  -- 0: none
  successes        INTEGER NOT NULL DEFAULT 0,
  last_notice_ms   INTEGER NOT NULL DEFAULT 0,  -- 0: none
  reason           TEXT NOT NULL DEFAULT '',
  updated_ms       INTEGER NOT NULL
);
CREATE TABLE watch_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  probe           TEXT NOT NULL,
  event           TEXT NOT NULL,                -- firing | resolved | reminder
  payload         TEXT NOT NULL,                -- JSON, what the notification is built from
  created_ms      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT ''
);
)sql",
                                                  // 4: what watch announced, flapping, windows, the
                                                  // leader's lease, and outbox rows per channel.
                                                  R"sql(
ALTER TABLE watch_alerts ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;  -- the last notice said "down"
UPDATE watch_alerts SET announced = 1 WHERE state = 'firing';
ALTER TABLE watch_alerts ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watch_alerts ADD COLUMN recent TEXT NOT NULL DEFAULT '';      -- the last results, '+' and '-'
ALTER TABLE watch_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT '';     -- '': every channel
ALTER TABLE watch_outbox ADD COLUMN claimed_epoch INTEGER NOT NULL DEFAULT 0;
CREATE TABLE watch_windows (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT NOT NULL,                     -- deploy | maintenance | silence
  ref        TEXT NOT NULL,                     -- the deploy's id, "gate", who silenced
  probes     TEXT NOT NULL,                     -- '': the probes deploys cover; '*': all; else a,b,c
  reason     TEXT NOT NULL DEFAULT '',
  opened_ms  INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  closed_ms  INTEGER NOT NULL DEFAULT 0,        -- 0: open
  closed_by  TEXT NOT NULL DEFAULT ''
);
CREATE TABLE watch_leader (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  holder     TEXT NOT NULL,
  epoch      INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
)sql",
                                                  // 5: watch's probe history (watch/history.hpp): every
                                                  // result, hourly folds of the old ones, alert events.
                                                  R"sql(
CREATE TABLE watch_results (
  probe      TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  ok         INTEGER NOT NULL,                  -- 1 passed, 0 failed
  latency_us INTEGER NOT NULL,
  reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX watch_results_at ON watch_results (at_ms);
CREATE TABLE watch_results_hourly (
  probe           TEXT NOT NULL,
  hour_ms         INTEGER NOT NULL,             -- the hour's start
  runs            INTEGER NOT NULL,
  failures        INTEGER NOT NULL,
  latency_sum_us  INTEGER NOT NULL,             -- of the runs that passed
  latency_max_us  INTEGER NOT NULL,
  latency_buckets TEXT NOT NULL DEFAULT '',     -- "bucket:count ...", for percentiles
  PRIMARY KEY (probe, hour_ms)
);
CREATE TABLE watch_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  probe   TEXT NOT NULL,
  at_ms   INTEGER NOT NULL,
  event   TEXT NOT NULL,                        -- firing | resolved | reminder | ...
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX watch_events_at ON watch_events (at_ms);
)sql"};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite::Database db) : db_(std::move(db)) {}

  Result<void> transaction(const std::function<Result<void>()>& body) override { return db_.transaction(body); }
  [[nodiscard]] std::string describe() const override { return db_.path().string(); }

 protected:
  Result<Rows> run(const std::string& sql, const std::vector<std::string>& params) override {
    auto st = db_.prepare(sql);
    if (!st) return fail(st.error());
    for (std::size_t i = 0; i < params.size(); ++i) st->bind_named(fmt::format("${}", i + 1), params[i]);
    Rows out;
    while (true) {
      auto row = st->step();
      if (!row) return fail(row.error());
      if (!*row) return out;
      auto& r = out.emplace_back();
      for (int c = 0; c < st->columns(); ++c) r.push_back(st->text(c));
    }
  }

 private:
  sqlite::Database db_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_file(const std::filesystem::path& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return fail(db.error());
  if (auto r = sqlite::migrate_schema(*db, kSchema); !r) return fail(r.error());
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace slipway::state
