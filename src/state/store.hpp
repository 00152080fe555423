// Slipway's own state: the deploy lock, the deploy records, the integrity snapshots and watch's alert state,
// outbox and history, in one of two stores chosen by `state.url`:
//
//   .slipway/state.db                      a SQLite file (the default), for one machine
//   postgresql://deployer@db/ops           PostgreSQL, shared by every machine that deploys
//
// Both keep the same tables (PostgreSQL in schema `slipway`), versioned and brought up to date
// when opened. The SQL that reads and writes them is written once, here, and runs on both: `$1`
// parameters (SQLite binds them by name) and unqualified table names (the PostgreSQL store sets
// its session's search_path to `slipway`). What differs is below `Store::run()`.
//
// PostgreSQL adds a session lock beside the deploy lock's row: an advisory lock held by the
// holder's connection, which the server drops when that session ends (kill -9, a lost network).
// deploy/lock.cpp uses it to tell a dead holder from a live one on any machine.
//
//   auto store = state::open(config);
//   (*store)->save_record({.id = "d-1", ...});
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::state {

using TimePoint = std::chrono::system_clock::time_point;

// Whether the deploy lock's holder still has its session with the state database: only a store
// with session locks (PostgreSQL) can tell; SQLite says unknown.
enum class Session { unknown, alive, ended };

// The deploy lock's row (one per state database).
struct LockRow {
  std::string holder;  // user@host
  std::string host;
  int pid = 0;
  std::string deploy_id;
  std::string message;
  TimePoint acquired;
  TimePoint expires;
  // Not stored: what the store knows of the holder's session when it was read (see
  // Store::session_holder()), and the PostgreSQL backend that holds it, 0 when none or unknown.
  Session session = Session::unknown;
  int backend = 0;
};

// A deploy record: the columns it is queried by, and the whole record as JSON.
struct RecordRow {
  std::string id;
  std::string kind;
  std::string version;
  std::string status;
  std::string started_at;
  std::string finished_at;
  std::string json;
};

// Which records to read; empty fields do not filter. Newest first, `limit` 0 = all.
struct RecordFilter {
  std::string id;
  std::string kind;
  std::string status;
  std::string except_id;
  std::size_t limit = 0;
};

// An integrity snapshot (verify/integrity.hpp): the tables' measures as JSON, for one database.
struct SnapshotRow {
  std::int64_t id = 0;
  std::string taken_at;  // RFC 3339 UTC, set by the store
  std::string tables;    // JSON
};

// watch's alert state of one probe (watch/alert.hpp's AlertState); times in ms since the epoch, 0
// for none.
struct WatchAlertRow {
  std::string probe;
  std::string state;  // ok | pending | firing
  std::int64_t since_ms = 0;
  std::int64_t first_failure_ms = 0;
  int successes = 0;
  std::int64_t last_notice_ms = 0;
  std::string reason;
  std::int64_t updated_ms = 0;
  bool announced = false;  // the last notice sent said "down" (firing or reminder)
  bool flapping = false;
  std::string recent;  // the last results, oldest first: '+' passed, '-' failed
};

// A window in which watch sends nothing for the probes it covers (watch/windows.hpp): a deploy's,
// the gate's maintenance, or a silence.
struct WindowRow {
  std::int64_t id = 0;
  std::string kind;    // deploy | maintenance | silence
  std::string ref;     // the deploy's id, "gate", or who silenced
  std::string probes;  // "": the probes deploys cover; "*": every probe; else names joined by ','
  std::string reason;
  std::int64_t opened_ms = 0;
  std::int64_t expires_ms = 0;
  std::int64_t closed_ms = 0;  // 0: open (until expires_ms)
  std::string closed_by;       // who closed it, or "expired"
};

// The lease of watch's leader: the one `slipway watch run` that probes and sends.
struct LeaderRow {
  std::string holder;  // host:pid:nonce of the process
  std::int64_t epoch = 0;
  std::int64_t expires_ms = 0;
};

// A notification watch has decided to send and has not delivered yet.
struct OutboxRow {
  std::int64_t id = 0;
  std::string probe;
  std::string event;    // firing | resolved | reminder | flapping | window-closed
  std::string channel;  // the one channel it is for; "": every channel (rows of schema 3)
  std::string payload;  // JSON
  std::int64_t created_ms = 0;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  std::int64_t claimed_epoch = 0;  // the epoch of the leader that last took it to send
};

// One probe run, as watch's history keeps it (watch/history.hpp).
struct WatchResultRow {
  std::string probe;
  std::int64_t at_ms = 0;
  bool ok = false;
  std::int64_t latency_us = 0;
  std::string reason;
};

// One probe's runs in one hour, folded from its results once they are older than
// watch.history_raw. Latencies are of the runs that passed; `latency_buckets` is their
// histogram as watch/history.hpp writes it.
struct WatchHourRow {
  std::string probe;
  std::int64_t hour_ms = 0;
  std::int64_t runs = 0;
  std::int64_t failures = 0;
  std::int64_t latency_sum_us = 0;
  std::int64_t latency_max_us = 0;
  std::string latency_buckets;
};

// An alert event: an outbox row's event when it was created.
struct WatchEventRow {
  std::int64_t id = 0;
  std::string probe;
  std::int64_t at_ms = 0;
  std::string event;  // firing | resolved | reminder | ...
  std::string message;
};

// Which history rows to read: from_ms <= time < to_ms, of `probe` (empty: every probe).
struct WatchSpan {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::string probe;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `body` in a transaction that no other opener's transaction overlaps (SQLite's BEGIN
  // IMMEDIATE; on PostgreSQL a transaction-level advisory lock); rolls back when it fails.
  virtual Result<void> transaction(const std::function<Result<void>()>& body) = 0;

  Result<std::optional<LockRow>> read_lock();
  Result<void> write_lock(const LockRow& row);  // inserts or replaces the row
  Result<void> delete_lock();

  // The session lock (PostgreSQL). A store without one keeps these defaults and has_sessions()
  // false. try_claim_session() takes it for this connection without waiting (true when held
  // now); session_holder() is the backend that holds it, nullopt when nobody does; end_session()
  // ends that backend (refused, exit 1, when this role may not) and waits for it to go.
  [[nodiscard]] virtual bool has_sessions() const { return false; }
  virtual Result<bool> try_claim_session() { return true; }
  virtual Result<bool> holds_session() { return true; }
  virtual Result<void> release_session() { return {}; }
  virtual Result<std::optional<int>> session_holder() { return std::optional<int>{}; }
  virtual Result<void> end_session(int /*backend*/) { return {}; }

  Result<void> save_record(const RecordRow& row);  // inserts, or updates status, finished_at, json by id
  // The records' JSON, newest first.
  Result<std::vector<std::string>> records(const RecordFilter& filter);

  // Saves a snapshot of `database` (a redacted URL); returns it with its id and time.
  Result<SnapshotRow> save_snapshot(const std::string& database, const std::string& tables_json);
  // The newest snapshot of `database`, or nullopt.
  Result<std::optional<SnapshotRow>> latest_snapshot(const std::string& database);
  // Snapshot `id` of `database`, or nullopt.
  Result<std::optional<SnapshotRow>> snapshot(const std::string& database, std::int64_t id);

  // watch. An alert's state change and its outbox row are written in one transaction(); a row is
  // deleted only once delivered, so a crash between the two sends it after the restart.
  Result<std::vector<WatchAlertRow>> watch_alerts();
  Result<void> save_watch_alert(const WatchAlertRow& row);  // inserts or replaces by probe
  Result<std::int64_t> add_outbox(const OutboxRow& row);    // its id
  // Rows due at `now_ms` (next_attempt_ms <= now_ms), oldest first, at most `limit`.
  Result<std::vector<OutboxRow>> due_outbox(std::int64_t now_ms, std::size_t limit);
  Result<std::vector<OutboxRow>> outbox();  // every row, oldest first
  Result<void> delete_outbox(std::int64_t id);
  // A failed delivery: counts it and puts the next attempt at `next_attempt_ms`.
  Result<void> retry_outbox(std::int64_t id, std::int64_t next_attempt_ms, const std::string& error);
  // Takes row `id` to send for the leader `holder` of `epoch`: true only while that lease is
  // current at `now_ms`, so a leader that was deposed sends nothing more.
  Result<bool> claim_outbox(std::int64_t id, const std::string& holder, std::int64_t epoch, std::int64_t now_ms);

  // Windows. open_window() returns the new row's id; close_windows() closes the open windows of
  // `kind` and `ref` (how many); expire_windows() closes those past their expiry as "expired" and
  // returns them, once; windows() returns those open at `now_ms` and those closed since `since_ms`.
  Result<std::int64_t> open_window(const WindowRow& row);
  Result<int> close_windows(const std::string& kind, const std::string& ref, std::int64_t now_ms,
                            const std::string& by);
  Result<bool> close_window(std::int64_t id, std::int64_t now_ms, const std::string& by);  // false: none open
  Result<std::vector<WindowRow>> expire_windows(std::int64_t now_ms);
  Result<std::vector<WindowRow>> windows(std::int64_t now_ms, std::int64_t since_ms);

  // The leader's lease. claim_leadership() takes it when free or expired (the epoch goes up by
  // one) or renews it when `holder` has it, until `expires_ms`; returns the epoch held, nullopt
  // while another holder's lease runs. Call it inside transaction(). holds_leadership() is the
  // fence a leader's writes check in their transaction; resign_leadership() lets the lease go.
  Result<std::optional<std::int64_t>> claim_leadership(const std::string& holder, std::int64_t now_ms,
                                                       std::int64_t expires_ms);
  Result<bool> holds_leadership(const std::string& holder, std::int64_t epoch, std::int64_t now_ms);
  Result<void> resign_leadership(const std::string& holder);
  Result<std::optional<LeaderRow>> leader();

  // watch's history. Results are written in batches (one statement per 100 rows); hours are
  // written whole (the caller merges); deletes of old rows are bounded by `limit` rows.
  Result<void> add_watch_results(const std::vector<WatchResultRow>& rows);
  // Results in `span`, oldest first, at most `limit` (0: all).
  Result<std::vector<WatchResultRow>> watch_results(const WatchSpan& span, std::size_t limit = 0);
  Result<void> delete_watch_results_before(std::int64_t before_ms);
  // Hours whose start is in `span`, oldest first.
  Result<std::vector<WatchHourRow>> watch_hours(const WatchSpan& span);
  Result<void> save_watch_hour(const WatchHourRow& row);  // inserts or replaces by (probe, hour_ms)
  Result<void> delete_watch_hours_before(std::int64_t before_ms, std::size_t limit);
  Result<void> add_watch_event(const WatchEventRow& row);
  // Events in `span`, newest first, at most `limit` (0: all).
  Result<std::vector<WatchEventRow>> watch_events(const WatchSpan& span, std::size_t limit = 0);
  Result<void> delete_watch_events_before(std::int64_t before_ms, std::size_t limit);

  // What the store is, for messages: the file, or the URL without its password.
  [[nodiscard]] virtual std::string describe() const = 0;

 protected:
  // The rows of `sql` as text ("" for NULL), with text parameters $1, $2...
  using Rows = std::vector<std::vector<std::string>>;
  virtual Result<Rows> run(const std::string& sql, const std::vector<std::string>& params) = 0;
};

// Whether two connection URLs name the same database (host, port, dbname; not the user).
bool same_database(const std::string& a, const std::string& b);

// Opens the state store named by `config.state.url` with the current schema. A PostgreSQL URL
// that libpq cannot read, or that names the application's database (database.url or
// direct_url), is bad input (exit 2); a server that cannot be reached or refuses the schema is an
// environment error (exit 3) naming the URL without its password.
Result<std::unique_ptr<Store>> open(const Config& config);

// A SQLite store at `path` (tests use it).
Result<std::unique_ptr<Store>> open_file(const std::filesystem::path& path);

// A PostgreSQL store at `url`; `where` names the setting it came from, for messages.
Result<std::unique_ptr<Store>> open_url(const std::string& url, const std::string& where = "state.url");

// Where files that belong with the state go (plan files): beside a SQLite state file, else
// `.slipway` under the project's root.
std::filesystem::path local_dir(const Config& config);

}  // namespace slipway::state
