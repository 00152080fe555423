// The runbook engine: runs a deploy's phases in order, records each one as it goes, and undoes
// what ran when a phase fails.
//
//   phases: check, lint, hold-writes, snapshot, backup, maintenance-on, migrate, release,
//           switch, verify, maintenance-off, after-switch (best effort: stop the old release),
//           notify
//   verify fails  ->  undo switch (switch back), undo release (its rollback commands, reverse
//                     order), undo migrate (restore, when configured), verify again, and only
//                     then undo maintenance-on and hold-writes (the gate back to normal).
//
// A phase that fails before anything changed (check, lint, snapshot, backup: the gatekeepers)
// blocks the deploy: the record says `blocked`, and only what a phase before it set up for the
// deploy (writes held at the gate) is undone, without a verification. If an undo or the re-verification fails, the
// phases marked `undo_last` (maintenance) stay as they are and the record says `rollback-failed`, with the state of
// everything. The record is saved at every phase boundary, so a crash leaves it `running` with exactly the phases that
// finished.
//
// A deploy whose lock was taken over (its lease ran out while it hung, `slipway lock release`, or
// on PostgreSQL its session was ended) stops at the next phase boundary, or between two release
// steps: the record says `failed`, `lock_lost` says who has the lock and what did not run, and
// nothing is undone, because the deploy that holds the lock now owns production and an undo would
// fight it. A phase that fails once the lock is lost is not rolled back either. When the lock went
// to `slipway deploy --resume` (or `rollback`) of this very deploy, the record is that process's
// now: this one stops without writing it again.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "deploy/record.hpp"

namespace slipway::deploy {

struct Outcome {
  PhaseStatus status = PhaseStatus::ok;  // ok, skipped or failed
  std::string summary;
  std::string output;          // kept as the record's output tail, redacted
  std::string stopped_before;  // a phase that stopped part-way because the lock was lost: what did not run

  static Outcome ok(std::string summary = {}, std::string output = {}) {
    return {PhaseStatus::ok, std::move(summary), std::move(output)};
  }
  static Outcome skipped(std::string why) { return {PhaseStatus::skipped, std::move(why), {}}; }
  static Outcome failed(std::string why, std::string output = {}) {
    return {PhaseStatus::failed, std::move(why), std::move(output)};
  }
  // Stopped before `what` (`release step "web"`) because the deploy lock was lost.
  static Outcome stopped(std::string what, std::string output = {}) {
    return {PhaseStatus::failed, "stopped before " + what + ": the deploy lock was lost", std::move(output), what};
  }
};

struct Phase {
  std::string name;
  std::function<Outcome()> run;
  std::function<Outcome()> undo;  // empty: nothing to undo
  bool gatekeeper = false;        // check, lint: a failure blocks; nothing has changed yet
  bool best_effort = false;       // notify: a failure is reported, never rolled back for
  bool undo_last = false;         // maintenance-on: undone after the re-verification succeeds
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void started(const PhaseRecord& phase, bool rolling_back) = 0;
  virtual void finished(const PhaseRecord& phase, bool rolling_back) = 0;
};

struct RunbookOptions {
  std::function<Outcome()> reverify;  // verify again after an undo; empty = skip
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
  std::function<void(const DeployRecord&)> before_rollback;  // notify "rolling back", for example
  // Once the deploy lock was lost: who holds it now and why (its `reason` reads "the deploy lock
  // was taken over by ..."); nullopt while it is held. Asked at every phase boundary. Empty: never.
  std::function<std::optional<LockEvent>()> lock_lost;
  std::size_t tail_lines = 20;
};

// Runs `phases` for `record` (whose id, version and who/where are filled in), saving it to
// `history` as it goes. Phases may update the record while they run (backup id, migrations
// applied, maintenance state); it is saved at each boundary. Phases already `ok` in the record
// are not run again (resume). Fails only when the state database itself fails.
Result<void> run_runbook(DeployRecord& record, std::vector<Phase>& phases, History& history, Observer* observer,
                         const RunbookOptions& options = {});

// Undoes `done` (phases that ran, in the order they ran) for `record`: the undos in reverse, the
// re-verification, then the undo_last phases; sets the record's status to rolled-back or
// rollback-failed. run_runbook calls it on a failure; `slipway rollback` calls it for a deploy
// that was interrupted.
Result<void> roll_back(DeployRecord& record, const std::vector<const Phase*>& done, History& history,
                       Observer* observer, const RunbookOptions& options);

// The last `lines` lines of `text`, redacted.
std::string output_tail(std::string_view text, std::size_t lines);

}  // namespace slipway::deploy
