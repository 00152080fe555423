// One structured record per deploy or rollback: who, where, what version, and every phase with
// its start, end, result and output tail. The record is written to the state database at every
// phase boundary, so a deploy killed at any moment leaves a record that says exactly how far it
// got (see `slipway status`).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "state/store.hpp"

namespace slipway::deploy {

enum class PhaseStatus { pending, running, ok, skipped, failed };
std::string_view to_string(PhaseStatus s);

struct PhaseRecord {
  std::string name;
  PhaseStatus status = PhaseStatus::pending;
  std::string started_at;  // ISO 8601 UTC, "" until it starts
  std::string finished_at;
  std::int64_t duration_ms = 0;
  std::string summary;      // one line: "3 migrations applied", "backup b-20261121-0935 (12.4 MB)"
  std::string output_tail;  // the last lines of its output, redacted
};

// The deploy lock changing hands while a deploy holds it: in `lock_takeover`, the stale lock this
// deploy took over (whose it was, why it was stale); in `lock_lost`, the deploy that took this
// one's lock (or nobody, after `slipway lock release`) and where this deploy stopped.
struct LockEvent {
  std::string holder;  // user@host; "" when nobody holds the lock now
  std::string host;
  int pid = 0;
  std::string deploy_id;
  std::string reason;  // "its lease ran out 4min ago"; "the deploy lock was taken over by ..."
  // lock_lost only: what did not run: a phase ("switch"), `release step "NAME"`, or "rollback"
  // (a phase failed after the lock was lost, and the automatic rollback was not run).
  std::string stopped_before;
};

// running -> succeeded | blocked | failed | rolled-back | rollback-failed; a record left at
// running by a process that is gone is reported as interrupted. `failed` with `lock_lost` set: the
// deploy lost its lock and stopped without rolling back (another deploy owns production now).
enum class RunStatus { running, succeeded, blocked, failed, rolled_back, rollback_failed };
std::string_view to_string(RunStatus s);  // "running" ... "rolled-back", "rollback-failed"
std::optional<RunStatus> parse_run_status(std::string_view text);

enum class RecordKind { deploy, rollback };
std::string_view to_string(RecordKind k);  // "deploy" | "rollback"

struct DeployRecord {
  std::string id;
  RecordKind kind = RecordKind::deploy;
  std::string version;
  RunStatus status = RunStatus::running;
  std::string reason;  // why it was blocked, failed or rolled back
  std::string user;
  std::string host;
  int pid = 0;
  std::string git_sha;
  std::string started_at;
  std::string finished_at;
  std::string rollback_of;  // for a rollback: the deploy it undid
  std::string backup_id;
  std::vector<std::string> migrations_applied;
  boost::json::value verify;  // the verify report, or null
  std::vector<PhaseRecord> phases;
  std::vector<PhaseRecord> rollback;  // the automatic rollback's steps, when one ran
  std::int64_t snapshot_id = 0;       // the integrity snapshot taken before backup_id, or 0
  // The [verify] configuration this release was verified with: a copy of slipway.toml and its
  // flow files under the state folder, so a rollback to this release verifies it with its own.
  std::string verify_config;
  // What served before the deploy: the URL probed at its start and what it answered ("HTTP 200",
  // "connection refused"); a rollback with no earlier release it deployed checks it serves again.
  std::string served_before_url;
  std::string served_before;
  bool served_before_ok = false;
  // The gate's count of writes let through outside normal mode when the backup started (and the
  // gate's start time, to tell a restarted gate): a restore names those after it.
  std::string writes_gate_started_at;
  std::int64_t writes_mark = -1;                 // -1: no gate held the writes
  std::vector<std::string> writes_not_restored;  // "POST /auth/login (allow-listed, 127.0.0.1, 12:00:01Z)"
  std::string database_state;                    // after a restore: what the database holds, read from it
  // What is true of the world now, for a report after a crash or a failed rollback.
  bool maintenance_on = false;
  bool writes_held = false;                // the gate was put in read-only mode before the backup
  std::string upstream;                    // where this release listens (the gate's upstream after it)
  std::string previous_upstream;           // the gate's upstream before it, for switching back
  std::vector<std::string> steps_ran;      // release steps that ran (and were not rolled back)
  std::optional<LockEvent> lock_takeover;  // the stale lock this deploy took over, if it did
  std::optional<LockEvent> lock_lost;      // who took this deploy's lock while it ran, if anyone

  [[nodiscard]] boost::json::object to_json() const;
  static Result<DeployRecord> from_json(const boost::json::value& v);
  [[nodiscard]] const PhaseRecord* phase(std::string_view name) const;
  [[nodiscard]] bool finished() const { return status != RunStatus::running; }
};

// Reads and writes deploy records in the state database.
class History {
 public:
  explicit History(state::Store& db) : db_(&db) {}

  Result<void> save(const DeployRecord& record);  // insert or update by id
  Result<std::optional<DeployRecord>> find(std::string_view id);
  // Newest first; `limit` 0 = all.
  Result<std::vector<DeployRecord>> list(std::size_t limit = 0);
  // The newest deploy with status succeeded (the rollback target), skipping `except`.
  Result<std::optional<DeployRecord>> last_succeeded(std::string_view except = {});
  // The newest record still marked running (a deploy in progress, or one that was killed).
  Result<std::optional<DeployRecord>> unfinished();

 private:
  Result<std::vector<DeployRecord>> query(const state::RecordFilter& filter);
  Result<std::optional<DeployRecord>> first(state::RecordFilter filter);
  state::Store* db_;
};

}  // namespace slipway::deploy

// fmt prints a status and a kind as their words.
template <>
struct fmt::formatter<slipway::deploy::RunStatus> : fmt::formatter<std::string_view> {
  auto format(slipway::deploy::RunStatus s, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(slipway::deploy::to_string(s), ctx);
  }
};
template <>
struct fmt::formatter<slipway::deploy::RecordKind> : fmt::formatter<std::string_view> {
  auto format(slipway::deploy::RecordKind k, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(slipway::deploy::to_string(k), ctx);
  }
};
