#include "state/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "core/time.hpp"
#include "pg/conninfo.hpp"

namespace slipway::state {

namespace {

// The deploy lock is the one row of deploy_lock with this name.
constexpr std::string_view kLockName = "deploy";

std::int64_t integer(const std::string& text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

Result<std::optional<LockRow>> Store::read_lock() {
  auto rows =
      run("SELECT holder, host, pid, deploy_id, message, acquired_ms, expires_ms FROM deploy_lock "
          "WHERE name = $1",
          {std::string(kLockName)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<LockRow>{};
  const auto& r = rows->front();
  return std::optional<LockRow>{LockRow{.holder = r[0],
                                        .host = r[1],
                                        .pid = static_cast<int>(integer(r[2])),
                                        .deploy_id = r[3],
                                        .message = r[4],
                                        .acquired = from_unix_ms(integer(r[5])),
                                        .expires = from_unix_ms(integer(r[6]))}};
}

Result<void> Store::write_lock(const LockRow& row) {
  auto r =
      run("INSERT INTO deploy_lock (name, holder, host, pid, deploy_id, message, acquired_ms, expires_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
          "host = excluded.host, pid = excluded.pid, deploy_id = excluded.deploy_id, message = excluded.message, "
          "acquired_ms = excluded.acquired_ms, expires_ms = excluded.expires_ms",
          {std::string(kLockName), row.holder, row.host, std::to_string(row.pid), row.deploy_id, row.message,
           std::to_string(to_unix_ms(row.acquired)), std::to_string(to_unix_ms(row.expires))});
  if (!r) return fail(r.error());
  return {};
}

Result<void> Store::delete_lock() {
  auto r = run("DELETE FROM deploy_lock WHERE name = $1", {std::string(kLockName)});
  if (!r) return fail(r.error());
  return {};
}

Result<void> Store::save_record(const RecordRow& row) {
  auto r =
      run("INSERT INTO deploys (id, kind, version, status, started_at, finished_at, record) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
          "finished_at = excluded.finished_at, record = excluded.record",
          {row.id, row.kind, row.version, row.status, row.started_at, row.finished_at, row.json});
  if (!r) return fail(r.error());
  return {};
}

Result<std::vector<std::string>> Store::records(const RecordFilter& filter) {
  std::string where;
  std::vector<std::string> params;
  const auto add = [&](std::string_view column, std::string_view op, const std::string& value) {
    if (value.empty()) return;
    params.push_back(value);
    where += fmt::format("{}{} {} ${}", where.empty() ? " WHERE " : " AND ", column, op, params.size());
  };
  add("id", "=", filter.id);
  add("kind", "=", filter.kind);
  add("status", "=", filter.status);
  add("id", "!=", filter.except_id);
  std::string sql = "SELECT record FROM deploys" + where + " ORDER BY seq DESC";
  if (filter.limit) sql += fmt::format(" LIMIT {}", filter.limit);
  auto rows = run(sql, params);
  if (!rows) return fail(rows.error());
  std::vector<std::string> out;
  out.reserve(rows->size());
  for (auto& r : *rows) out.push_back(std::move(r.front()));
  return out;
}

Result<SnapshotRow> Store::save_snapshot(const std::string& database, const std::string& tables_json) {
  auto rows = run("INSERT INTO verify_snapshots (database, tables) VALUES ($1, $2) RETURNING id, taken_at",
                  {database, tables_json});
  if (!rows) return fail(rows.error());
  return SnapshotRow{integer(rows->front()[0]), rows->front()[1], tables_json};
}

namespace {
Result<std::optional<SnapshotRow>> first_snapshot(Result<std::vector<std::vector<std::string>>> rows) {
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<SnapshotRow>{};
  auto& r = rows->front();
  return std::optional<SnapshotRow>{SnapshotRow{integer(r[0]), std::move(r[1]), std::move(r[2])}};
}
}  // namespace

Result<std::optional<SnapshotRow>> Store::latest_snapshot(const std::string& database) {
  return first_snapshot(run(
      "SELECT id, taken_at, tables FROM verify_snapshots WHERE database = $1 ORDER BY id DESC LIMIT 1", {database}));
}

Result<std::optional<SnapshotRow>> Store::snapshot(const std::string& database, std::int64_t id) {
  return first_snapshot(run("SELECT id, taken_at, tables FROM verify_snapshots WHERE database = $1 AND id = $2",
                            {database, std::to_string(id)}));
}

Result<std::vector<WatchAlertRow>> Store::watch_alerts() {
  auto rows =
      run("SELECT probe, state, since_ms, first_failure_ms, successes, last_notice_ms, reason, updated_ms, "
          "announced, flapping, recent FROM watch_alerts ORDER BY probe",
          {});
  if (!rows) return fail(rows.error());
  std::vector<WatchAlertRow> out;
  for (auto& r : *rows)
    out.push_back({.probe = r[0],
                   .state = r[1],
                   .since_ms = integer(r[2]),
                   .first_failure_ms = integer(r[3]),
                   .successes = static_cast<int>(integer(r[4])),
                   .last_notice_ms = integer(r[5]),
                   .reason = r[6],
                   .updated_ms = integer(r[7]),
                   .announced = r[8] == "1",
                   .flapping = r[9] == "1",
                   .recent = r[10]});
  return out;
}

Result<void> Store::save_watch_alert(const WatchAlertRow& row) {
  auto r =
      run("INSERT INTO watch_alerts (probe, state, since_ms, first_failure_ms, successes, last_notice_ms, reason, "
          "updated_ms, announced, flapping, recent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
          "ON CONFLICT (probe) DO UPDATE SET state = excluded.state, since_ms = excluded.since_ms, "
          "first_failure_ms = excluded.first_failure_ms, successes = excluded.successes, "
          "last_notice_ms = excluded.last_notice_ms, reason = excluded.reason, updated_ms = excluded.updated_ms, "
          "announced = excluded.announced, flapping = excluded.flapping, recent = excluded.recent",
          {row.probe, row.state, std::to_string(row.since_ms), std::to_string(row.first_failure_ms),
           std::to_string(row.successes), std::to_string(row.last_notice_ms), row.reason,
           std::to_string(row.updated_ms), row.announced ? "1" : "0", row.flapping ? "1" : "0", row.recent});
  if (!r) return fail(r.error());
  return {};
}

Result<std::int64_t> Store::add_outbox(const OutboxRow& row) {
  auto rows =
      run("INSERT INTO watch_outbox (probe, event, channel, payload, created_ms, next_attempt_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
          {row.probe, row.event, row.channel, row.payload, std::to_string(row.created_ms),
           std::to_string(row.next_attempt_ms)});
  if (!rows) return fail(rows.error());
  return integer(rows->front()[0]);
}

namespace {
constexpr std::string_view kOutboxColumns =
    "SELECT id, probe, event, payload, created_ms, attempts, next_attempt_ms, last_error, channel, claimed_epoch "
    "FROM watch_outbox";

Result<std::vector<OutboxRow>> outbox_rows(Result<std::vector<std::vector<std::string>>> rows) {
  if (!rows) return fail(rows.error());
  std::vector<OutboxRow> out;
  for (auto& r : *rows)
    out.push_back({.id = integer(r[0]),
                   .probe = r[1],
                   .event = r[2],
                   .channel = r[8],
                   .payload = r[3],
                   .created_ms = integer(r[4]),
                   .attempts = static_cast<int>(integer(r[5])),
                   .next_attempt_ms = integer(r[6]),
                   .last_error = r[7],
                   .claimed_epoch = integer(r[9])});
  return out;
}
}  // namespace

Result<std::vector<OutboxRow>> Store::due_outbox(std::int64_t now_ms, std::size_t limit) {
  return outbox_rows(run(fmt::format("{} WHERE next_attempt_ms <= $1 ORDER BY id LIMIT {}", kOutboxColumns, limit),
                         {std::to_string(now_ms)}));
}

Result<std::vector<OutboxRow>> Store::outbox() {
  return outbox_rows(run(fmt::format("{} ORDER BY id", kOutboxColumns), {}));
}

Result<void> Store::delete_outbox(std::int64_t id) {
  auto r = run("DELETE FROM watch_outbox WHERE id = $1", {std::to_string(id)});
  if (!r) return fail(r.error());
  return {};
}

Result<void> Store::retry_outbox(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error) {
  auto r = run("UPDATE watch_outbox SET attempts = attempts + 1, next_attempt_ms = $2, last_error = $3 WHERE id = $1",
               {std::to_string(id), std::to_string(next_attempt_ms), error});
  if (!r) return fail(r.error());
  return {};
}

Result<bool> Store::claim_outbox(std::int64_t id, const std::string& holder, std::int64_t epoch, std::int64_t now_ms) {
  auto rows =
      run("UPDATE watch_outbox SET claimed_epoch = $2 WHERE id = $1 AND EXISTS (SELECT 1 FROM watch_leader "
          "WHERE id = 1 AND holder = $3 AND epoch = $2 AND expires_ms > $4) RETURNING id",
          {std::to_string(id), std::to_string(epoch), holder, std::to_string(now_ms)});
  if (!rows) return fail(rows.error());
  return !rows->empty();
}

namespace {
constexpr std::string_view kWindowColumns =
    "SELECT id, kind, ref, probes, reason, opened_ms, expires_ms, closed_ms, closed_by FROM watch_windows";

Result<std::vector<WindowRow>> window_rows(Result<std::vector<std::vector<std::string>>> rows) {
  if (!rows) return fail(rows.error());
  std::vector<WindowRow> out;
  for (auto& r : *rows)
    out.push_back({.id = integer(r[0]),
                   .kind = r[1],
                   .ref = r[2],
                   .probes = r[3],
                   .reason = r[4],
                   .opened_ms = integer(r[5]),
                   .expires_ms = integer(r[6]),
                   .closed_ms = integer(r[7]),
                   .closed_by = r[8]});
  return out;
}
}  // namespace

Result<std::int64_t> Store::open_window(const WindowRow& row) {
  auto rows = run(
      "INSERT INTO watch_windows (kind, ref, probes, reason, opened_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6) "
      "RETURNING id",
      {row.kind, row.ref, row.probes, row.reason, std::to_string(row.opened_ms), std::to_string(row.expires_ms)});
  if (!rows) return fail(rows.error());
  return integer(rows->front()[0]);
}

Result<int> Store::close_windows(const std::string& kind, const std::string& ref, std::int64_t now_ms,
                                 const std::string& by) {
  auto rows =
      run("UPDATE watch_windows SET closed_ms = $3, closed_by = $4 WHERE kind = $1 AND ref = $2 AND closed_ms = 0 "
          "RETURNING id",
          {kind, ref, std::to_string(now_ms), by});
  if (!rows) return fail(rows.error());
  return static_cast<int>(rows->size());
}

Result<bool> Store::close_window(std::int64_t id, std::int64_t now_ms, const std::string& by) {
  auto rows =
      run("UPDATE watch_windows SET closed_ms = $2, closed_by = $3 WHERE id = $1 AND closed_ms = 0 RETURNING id",
          {std::to_string(id), std::to_string(now_ms), by});
  if (!rows) return fail(rows.error());
  return !rows->empty();
}

Result<std::vector<WindowRow>> Store::expire_windows(std::int64_t now_ms) {
  return window_rows(run(
      "UPDATE watch_windows SET closed_ms = expires_ms, closed_by = 'expired' WHERE closed_ms = 0 AND expires_ms <= $1 "
      "RETURNING id, kind, ref, probes, reason, opened_ms, expires_ms, closed_ms, closed_by",
      {std::to_string(now_ms)}));
}

Result<std::vector<WindowRow>> Store::windows(std::int64_t now_ms, std::int64_t since_ms) {
  return window_rows(
      run(fmt::format("{} WHERE (closed_ms = 0 AND expires_ms > $1) OR closed_ms >= $2 ORDER BY id", kWindowColumns),
          {std::to_string(now_ms), std::to_string(since_ms)}));
}

Result<std::optional<std::int64_t>> Store::claim_leadership(const std::string& holder, std::int64_t now_ms,
                                                            std::int64_t expires_ms) {
  auto current = leader();
  if (!current) return fail(current.error());
  const std::string until = std::to_string(expires_ms);
  if (!*current) {
    auto r = run("INSERT INTO watch_leader (id, holder, epoch, expires_ms) VALUES (1, $1, 1, $2)", {holder, until});
    if (!r) return fail(r.error());
    return std::optional<std::int64_t>(1);
  }
  const LeaderRow& row = **current;
  if (row.holder != holder && row.expires_ms > now_ms) return std::optional<std::int64_t>{};
  // A new holder raises the epoch; the holder renewing keeps it (nobody held it in between).
  const std::int64_t epoch = row.holder == holder ? row.epoch : row.epoch + 1;
  auto r = run("UPDATE watch_leader SET holder = $1, epoch = $2, expires_ms = $3 WHERE id = 1",
               {holder, std::to_string(epoch), until});
  if (!r) return fail(r.error());
  return std::optional<std::int64_t>(epoch);
}

Result<bool> Store::holds_leadership(const std::string& holder, std::int64_t epoch, std::int64_t now_ms) {
  auto rows = run("SELECT 1 FROM watch_leader WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_ms > $3",
                  {holder, std::to_string(epoch), std::to_string(now_ms)});
  if (!rows) return fail(rows.error());
  return !rows->empty();
}

Result<void> Store::resign_leadership(const std::string& holder) {
  auto r = run("UPDATE watch_leader SET expires_ms = 0 WHERE id = 1 AND holder = $1", {holder});
  if (!r) return fail(r.error());
  return {};
}

Result<std::optional<LeaderRow>> Store::leader() {
  auto rows = run("SELECT holder, epoch, expires_ms FROM watch_leader WHERE id = 1", {});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<LeaderRow>{};
  const auto& r = rows->front();
  return std::optional<LeaderRow>(LeaderRow{.holder = r[0], .epoch = integer(r[1]), .expires_ms = integer(r[2])});
}

namespace {

constexpr std::size_t kResultsPerInsert = 100;

Result<void> done(const Result<std::vector<std::vector<std::string>>>& rows) {
  if (!rows) return fail(rows.error());
  return {};
}

// " WHERE column >= $1 AND column < $2 [AND probe = $3]", its parameters in `params`.
std::string span_where(std::string_view column, const WatchSpan& span, std::vector<std::string>& params) {
  params = {std::to_string(span.from_ms), std::to_string(span.to_ms)};
  std::string where = fmt::format(" WHERE {0} >= $1 AND {0} < $2", column);
  if (!span.probe.empty()) {
    params.push_back(span.probe);
    where += " AND probe = $3";
  }
  return where;
}

std::string limit_clause(std::size_t limit) {
  return limit ? fmt::format(" LIMIT {}", limit) : std::string();
}

}  // namespace

Result<void> Store::add_watch_results(const std::vector<WatchResultRow>& rows) {
  for (std::size_t first = 0; first < rows.size(); first += kResultsPerInsert) {
    const std::size_t last = std::min(rows.size(), first + kResultsPerInsert);
    std::string sql = "INSERT INTO watch_results (probe, at_ms, ok, latency_us, reason) VALUES ";
    std::vector<std::string> params;
    for (std::size_t i = first; i < last; ++i) {
      const std::size_t n = params.size();
      sql += fmt::format("{}(${}, ${}, ${}, ${}, ${})", i == first ? "" : ", ", n + 1, n + 2, n + 3, n + 4, n + 5);
      params.insert(params.end(), {rows[i].probe, std::to_string(rows[i].at_ms), rows[i].ok ? "1" : "0",
                                   std::to_string(rows[i].latency_us), rows[i].reason});
    }
    if (auto r = done(run(sql, params)); !r) return r;
  }
  return {};
}

Result<std::vector<WatchResultRow>> Store::watch_results(const WatchSpan& span, std::size_t limit) {
  std::vector<std::string> params;
  const std::string where = span_where("at_ms", span, params);
  auto rows = run("SELECT probe, at_ms, ok, latency_us, reason FROM watch_results" + where + " ORDER BY at_ms" +
                      limit_clause(limit),
                  params);
  if (!rows) return fail(rows.error());
  std::vector<WatchResultRow> out;
  out.reserve(rows->size());
  for (auto& r : *rows)
    out.push_back({.probe = std::move(r[0]),
                   .at_ms = integer(r[1]),
                   .ok = integer(r[2]) != 0,
                   .latency_us = integer(r[3]),
                   .reason = std::move(r[4])});
  return out;
}

Result<void> Store::delete_watch_results_before(std::int64_t before_ms) {
  return done(run("DELETE FROM watch_results WHERE at_ms < $1", {std::to_string(before_ms)}));
}

Result<std::vector<WatchHourRow>> Store::watch_hours(const WatchSpan& span) {
  std::vector<std::string> params;
  const std::string where = span_where("hour_ms", span, params);
  auto rows =
      run("SELECT probe, hour_ms, runs, failures, latency_sum_us, latency_max_us, latency_buckets FROM "
          "watch_results_hourly" +
              where + " ORDER BY hour_ms, probe",
          params);
  if (!rows) return fail(rows.error());
  std::vector<WatchHourRow> out;
  out.reserve(rows->size());
  for (auto& r : *rows)
    out.push_back({.probe = std::move(r[0]),
                   .hour_ms = integer(r[1]),
                   .runs = integer(r[2]),
                   .failures = integer(r[3]),
                   .latency_sum_us = integer(r[4]),
                   .latency_max_us = integer(r[5]),
                   .latency_buckets = std::move(r[6])});
  return out;
}

Result<void> Store::save_watch_hour(const WatchHourRow& row) {
  return done(
      run("INSERT INTO watch_results_hourly (probe, hour_ms, runs, failures, latency_sum_us, latency_max_us, "
          "latency_buckets) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (probe, hour_ms) DO UPDATE SET "
          "runs = excluded.runs, failures = excluded.failures, latency_sum_us = excluded.latency_sum_us, "
          "latency_max_us = excluded.latency_max_us, latency_buckets = excluded.latency_buckets",
          {row.probe, std::to_string(row.hour_ms), std::to_string(row.runs), std::to_string(row.failures),
           std::to_string(row.latency_sum_us), std::to_string(row.latency_max_us), row.latency_buckets}));
}

Result<void> Store::delete_watch_hours_before(std::int64_t before_ms, std::size_t limit) {
  return done(run(fmt::format("DELETE FROM watch_results_hourly WHERE (probe, hour_ms) IN (SELECT probe, hour_ms FROM "
                              "watch_results_hourly WHERE hour_ms < $1 ORDER BY hour_ms LIMIT {})",
                              limit),
                  {std::to_string(before_ms)}));
}

Result<void> Store::add_watch_event(const WatchEventRow& row) {
  return done(run("INSERT INTO watch_events (probe, at_ms, event, message) VALUES ($1, $2, $3, $4)",
                  {row.probe, std::to_string(row.at_ms), row.event, row.message}));
}

Result<std::vector<WatchEventRow>> Store::watch_events(const WatchSpan& span, std::size_t limit) {
  std::vector<std::string> params;
  const std::string where = span_where("at_ms", span, params);
  auto rows = run("SELECT id, probe, at_ms, event, message FROM watch_events" + where +
                      " ORDER BY at_ms DESC, id DESC" + limit_clause(limit),
                  params);
  if (!rows) return fail(rows.error());
  std::vector<WatchEventRow> out;
  out.reserve(rows->size());
  for (auto& r : *rows)
    out.push_back({.id = integer(r[0]),
                   .probe = std::move(r[1]),
                   .at_ms = integer(r[2]),
                   .event = std::move(r[3]),
                   .message = std::move(r[4])});
  return out;
}

Result<void> Store::delete_watch_events_before(std::int64_t before_ms, std::size_t limit) {
  return done(run(fmt::format("DELETE FROM watch_events WHERE id IN (SELECT id FROM watch_events WHERE at_ms < $1 "
                              "ORDER BY id LIMIT {})",
                              limit),
                  {std::to_string(before_ms)}));
}

bool same_database(const std::string& a, const std::string& b) {
  auto x = pg::ConnInfo::parse(a);
  auto y = pg::ConnInfo::parse(b);
  if (!x || !y) return false;
  const auto key = [](const pg::ConnInfo& i) {
    const std::string host = i.get("host").empty() ? i.get("hostaddr") : i.get("host");
    const std::string port = i.get("port").empty() ? "5432" : i.get("port");
    const std::string db = i.get("dbname").empty() ? i.get("user") : i.get("dbname");
    return (host.empty() ? "localhost" : host) + ":" + port + "/" + db;
  };
  return key(*x) == key(*y);
}

Result<std::unique_ptr<Store>> open(const Config& config) {
  if (!is_postgres_url(config.state.url)) return open_file(config.state.url);
  // A restore replaces every schema of the application's database, and would take the deploy's
  // own lock and history with it, mid-deploy.
  for (const auto* app : {&config.database.direct_url, &config.database.url}) {
    if (!app->empty() && same_database(config.state.url, *app))
      return fail(
          Error::input("state.url names the application's own database, which a rollback's restore replaces "
                       "(and the deploy lock and history with it)",
                       config.where("state.url"),
                       "give Slipway's state a database of its own on the same server, e.g. "
                       "postgresql://deployer@db/slipway_state"));
  }
  return open_url(config.state.url, config.where("state.url"));
}

std::filesystem::path local_dir(const Config& config) {
  if (is_postgres_url(config.state.url)) return config.root / ".slipway";
  return std::filesystem::path(config.state.url).parent_path();
}

}  // namespace slipway::state
