// The state store in PostgreSQL: one lock and one history for every machine that deploys.
//
// Everything lives in schema `slipway` (deploy_lock, deploys, verify_snapshots, watch_alerts, watch_outbox,
// watch_results, watch_results_hourly, watch_events, schema_version), created and brought up to date by
// whoever opens it first; the connection's search_path is `slipway`, so the shared SQL in store.cpp names
// the tables as on SQLite.
//
// Advisory locks are keyed (kKeySpace, what) in the state database:
//   (kKeySpace, 1)  the deploy lock's session lock, held by the deploy's connection for the whole
//                   deploy: the server drops it when that session ends, however it ends
//   (kKeySpace, 2)  transaction lock around reading and writing the lock row (Store::transaction)
//   (kKeySpace, 3)  transaction lock around creating or upgrading the schema, so two first
//                   openers do not race
// With two int4 keys, pg_locks shows the pair as (classid, objid) with objsubid 2.
#include <fmt/format.h>

#include <array>
#include <string_view>

#include "core/redact.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"
#include "state/store.hpp"

namespace slipway::state {

namespace {

constexpr int kKeySpace = 0x534C5057;  // "SLPW"
enum LockKey : int { kSessionKey = 1, kRowKey = 2, kSchemaKey = 3 };
constexpr std::string_view kTerminateWait = "5000";  // ms pg_terminate_backend waits for the backend to go

// Each entry moves the schema one version up. Never edit a released entry; append a new one.
constexpr std::array<std::string_view, 5> kSchema{// 1: the deploy lock and deploy records.
                                                  R"sql(
CREATE TABLE slipway.deploy_lock (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  host        text NOT NULL,
  pid         integer NOT NULL,
  deploy_id   text NOT NULL DEFAULT '',
  message     text NOT NULL DEFAULT '',
  acquired_ms bigint NOT NULL,
  expires_ms  bigint NOT NULL
);
CREATE TABLE slipway.deploys (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  kind        text NOT NULL,            -- deploy | rollback
  version     text NOT NULL,
  status      text NOT NULL,            -- running | succeeded | failed | rolled-back | blocked | ...
  started_at  text NOT NULL,
  finished_at text,
  record      text NOT NULL             -- the whole record as JSON
);
)sql",
                                                  // 2: integrity snapshots (verify/integrity.hpp).
                                                  R"sql(
CREATE TABLE slipway.verify_snapshots (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  database text NOT NULL,
  taken_at text NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  tables   text NOT NULL
);
)sql",
                                                  // 3: watch's alert state per probe, and its outbox.
                                                  R"sql(
CREATE TABLE slipway.watch_alerts (
  probe            text PRIMARY KEY,
  state            text NOT NULL,               -- ok | pending | firing
  since_ms         bigint NOT NULL,
  first_failure_ms bigint NOT NULL DEFAULT 0,   -- 0: none
  successes        integer NOT NULL DEFAULT 0,
  last_notice_ms   bigint NOT NULL DEFAULT 0,   -- 0: none
  reason           text NOT NULL DEFAULT '',
  updated_ms       bigint NOT NULL
);
CREATE TABLE slipway.watch_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  probe           text NOT NULL,
  event           text NOT NULL,                -- firing | resolved | reminder
  payload         text NOT NULL,                -- JSON, what the notification is built from
  created_ms      bigint NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_ms bigint NOT NULL DEFAULT 0,
  last_error      text NOT NULL DEFAULT ''
);
)sql",
                                                  // 4: what watch announced, flapping, windows, the
                                                  // leader's lease, and outbox rows per channel.
                                                  R"sql(
ALTER TABLE slipway.watch_alerts ADD COLUMN announced integer NOT NULL DEFAULT 0;  -- the last notice said "down"
UPDATE slipway.watch_alerts SET announced = 1 WHERE state = 'firing';
ALTER TABLE slipway.watch_alerts ADD COLUMN flapping integer NOT NULL DEFAULT 0;
ALTER TABLE slipway.watch_alerts ADD COLUMN recent text NOT NULL DEFAULT '';      -- the last results, '+' and '-'
ALTER TABLE slipway.watch_outbox ADD COLUMN channel text NOT NULL DEFAULT '';     -- '': every channel
ALTER TABLE slipway.watch_outbox ADD COLUMN claimed_epoch bigint NOT NULL DEFAULT 0;
CREATE TABLE slipway.watch_windows (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       text NOT NULL,                     -- deploy | maintenance | silence
  ref        text NOT NULL,                     -- the deploy's id, "gate", who silenced
  probes     text NOT NULL,                     -- '': the probes deploys cover; '*': all; else a,b,c
  reason     text NOT NULL DEFAULT '',
  opened_ms  bigint NOT NULL,
  expires_ms bigint NOT NULL,
  closed_ms  bigint NOT NULL DEFAULT 0,        -- 0: open
  closed_by  text NOT NULL DEFAULT ''
);
CREATE TABLE slipway.watch_leader (
  id         integer PRIMARY KEY CHECK (id = 1),
  holder     text NOT NULL,
  epoch      bigint NOT NULL,
  expires_ms bigint NOT NULL
);
)sql",
                                                  // 5: watch's probe history (watch/history.hpp): every
                                                  // result, hourly folds of the old ones, alert events.
                                                  R"sql(
CREATE TABLE slipway.watch_results (
  probe      text NOT NULL,
  at_ms      bigint NOT NULL,
  ok         integer NOT NULL,                  -- 1 passed, 0 failed
  latency_us bigint NOT NULL,
  reason     text NOT NULL DEFAULT ''
);
CREATE INDEX watch_results_at ON slipway.watch_results (at_ms);
CREATE TABLE slipway.watch_results_hourly (
  probe           text NOT NULL,
  hour_ms         bigint NOT NULL,              -- the hour's start
  runs            bigint NOT NULL,
  failures        bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,              -- of the runs that passed
  latency_max_us  bigint NOT NULL,
  latency_buckets text NOT NULL DEFAULT '',     -- "bucket:count ...", for percentiles
  PRIMARY KEY (probe, hour_ms)
);
CREATE TABLE slipway.watch_events (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  probe   text NOT NULL,
  at_ms   bigint NOT NULL,
  event   text NOT NULL,                        -- firing | resolved | reminder | ...
  message text NOT NULL DEFAULT ''
);
CREATE INDEX watch_events_at ON slipway.watch_events (at_ms);
)sql"};

constexpr std::string_view kPrivileges =
    "the role needs CREATE on the database the first time (or an existing schema slipway it may use and create "
    "tables in), then SELECT, INSERT, UPDATE, DELETE on its tables";

// The session lock's holder in pg_locks; `extra` narrows it further.
std::string session_lock_sql(std::string_view extra) {
  return fmt::format(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = {}::oid AND objid = {}::oid "
      "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()){}",
      kKeySpace, static_cast<int>(kSessionKey), extra);
}

class PgStore final : public Store {
 public:
  PgStore(pg::Connection conn, std::string url, std::string display)
      : conn_(std::move(conn)), url_(std::move(url)), display_(std::move(display)) {}

  Result<void> transaction(const std::function<Result<void>()>& body) override {
    return transaction_with(kRowKey, body);
  }

  [[nodiscard]] bool has_sessions() const override { return true; }

  Result<bool> try_claim_session() override {
    auto rows = run(fmt::format("SELECT pg_try_advisory_lock({}, {})", kKeySpace, static_cast<int>(kSessionKey)), {});
    if (!rows) return fail(rows.error());
    return rows->front().front() == "t";
  }

  Result<bool> holds_session() override {
    auto rows = run(session_lock_sql(" AND pid = pg_backend_pid()"), {});
    if (!rows) return fail(rows.error());
    return !rows->empty();
  }

  Result<void> release_session() override {
    // A session lock taken twice is held twice: unlock until it is not held.
    for (int i = 0; i < 16; ++i) {
      auto rows = run(fmt::format("SELECT pg_advisory_unlock({}, {})", kKeySpace, static_cast<int>(kSessionKey)), {});
      if (!rows) return fail(rows.error());
      if (rows->front().front() != "t") break;
    }
    return {};
  }

  Result<std::optional<int>> session_holder() override {
    auto rows = run(session_lock_sql(""), {});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<int>{};
    return std::optional<int>{std::atoi(rows->front().front().c_str())};
  }

  Result<void> end_session(int backend) override {
    if (backend == conn_.backend_pid()) return release_session();  // our own: let go, do not hang up
    auto rows = conn_.query("SELECT pg_terminate_backend($1::int, $2::bigint)",
                            {std::to_string(backend), std::string(kTerminateWait)});
    if (!rows) {
      if (conn_.last_error().sqlstate == "42501")
        return fail(Error::refused(fmt::format("may not end PostgreSQL backend {}: {}", backend, rows.error().message),
                                   display_,
                                   "grant this role pg_signal_backend (or deploy as the holder's role), or end it "
                                   "with `slipway lock release` as a role that may"));
      return fail(wrap(rows.error()));
    }
    if (rows->text(0, 0) != "t")
      return fail(
          Error::environment(fmt::format("PostgreSQL backend {} did not end within {} ms", backend, kTerminateWait),
                             display_, "see pg_stat_activity on the state database"));
    return {};
  }

  [[nodiscard]] std::string describe() const override { return display_; }

  // Creates or upgrades schema slipway, under a transaction lock so two first openers do not race.
  Result<void> migrate() {
    if (conn_.server_version() >= 140000) {
      // The deploy's connection idles between lease renewals; a server-wide idle_session_timeout
      // must not end it (and release the lock) mid-deploy.
      if (auto r = exec("SET idle_session_timeout = 0"); !r) return r;
    }
    if (auto r = exec("SET search_path = slipway"); !r) return r;
    return transaction_with(kSchemaKey, [&]() -> Result<void> {
      auto found =
          run("SELECT to_regnamespace('slipway') IS NOT NULL, to_regclass('slipway.schema_version') IS NOT NULL", {});
      if (!found) return fail(found.error());
      if (found->front()[0] != "t")
        if (auto r = exec("CREATE SCHEMA slipway"); !r) return r;
      if (found->front()[1] != "t")
        if (auto r = exec("CREATE TABLE slipway.schema_version (version integer NOT NULL);"
                          "INSERT INTO slipway.schema_version VALUES (0)");
            !r)
          return r;
      auto version = run("SELECT version FROM slipway.schema_version", {});
      if (!version) return fail(version.error());
      const auto v = static_cast<std::size_t>(std::atoi(version->front().front().c_str()));
      if (v > kSchema.size())
        return fail(Error::environment(fmt::format("schema slipway in {} was written by a newer Slipway (schema "
                                                   "version {}, this one knows {})",
                                                   display_, v, kSchema.size()),
                                       display_, "upgrade slipway, or point state.url at another database"));
      for (std::size_t i = v; i < kSchema.size(); ++i) {
        if (auto r = exec(std::string(kSchema[i])); !r) return r;
      }
      if (v < kSchema.size())
        return exec(fmt::format("UPDATE slipway.schema_version SET version = {}", kSchema.size()));
      return {};
    });
  }

 protected:
  Result<Rows> run(const std::string& sql, const std::vector<std::string>& params) override {
    auto rows = conn_.query(sql, params);
    if (!rows) return fail(wrap(rows.error()));
    Rows out;
    out.reserve(rows->size());
    for (std::size_t r = 0; r < rows->size(); ++r) {
      auto& row = out.emplace_back();
      for (std::size_t c = 0; c < rows->columns.size(); ++c) row.push_back(rows->text(r, c));
    }
    return out;
  }

 private:
  Result<void> exec(const std::string& sql) {
    auto r = run(sql, {});
    if (!r) return fail(r.error());
    return {};
  }

  Result<void> transaction_with(LockKey key, const std::function<Result<void>()>& body) {
    // A BEGIN that fails on a dropped connection is the only statement safe to try again.
    if (auto r = reconnect_if_broken(); !r) return r;
    if (auto r = exec("BEGIN"); !r) {
      if (!conn_.broken()) return r;
      if (auto again = reconnect_if_broken(); !again) return again;
      if (auto again = exec("BEGIN"); !again) return again;
    }
    auto result = exec(fmt::format("SELECT pg_advisory_xact_lock({}, {})", kKeySpace, static_cast<int>(key)));
    if (result) result = body();
    if (result) result = exec("COMMIT");
    if (!result) (void)conn_.execute("ROLLBACK");
    return result;
  }

  // A connection the server dropped (a restart, a failover, the network) is opened again before
  // the next transaction, so a long-running `watch run` outlives the database's restarts. A session
  // lock held on the old connection is gone with it, which holds_session() then reports.
  Result<void> reconnect_if_broken() {
    if (!conn_.broken()) return {};
    auto conn = pg::Connection::open(url_);
    if (!conn) return fail(wrap(conn.error()));
    conn_ = std::move(*conn);
    return exec("SET search_path = slipway");
  }

  // Any failure of the state database is the environment's (exit 3), named by its URL.
  Error wrap(const Error& e) const {
    const bool denied = conn_.last_error().sqlstate == "42501";
    return Error::environment(
        fmt::format("state database {}: {}", display_, e.message), display_,
        denied ? std::string(kPrivileges) : "check that the server is up and the state database is reachable");
  }

  pg::Connection conn_;
  std::string url_;
  std::string display_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_url(const std::string& url, const std::string& where) {
  auto info = pg::ConnInfo::parse(url);
  if (!info)
    return fail(Error::input(fmt::format("state.url is not a PostgreSQL URL: {}", redact(info.error().message)), where,
                             info.error().hint));
  const std::string display = info->display();
  auto conn = pg::Connection::open(url);
  if (!conn)
    return fail(Error::environment(fmt::format("cannot open the state database {}: {}", display, conn.error().message),
                                   where,
                                   "check that the server is running and that state.url's host, user and password "
                                   "are right; or point state.url at a SQLite file such as \".slipway/state.db\""));
  auto store = std::make_unique<PgStore>(std::move(*conn), url, display);
  if (auto r = store->migrate(); !r) return fail(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace slipway::state
