// The runbook engine: runs a deploy's phases in order, records each one as it goes, and undoes
// what ran when a phase fails.
//
//   phases: check, lint, snapshot, backup, maintenance-on, migrate, release, switch, verify,
//           maintenance-off, notify
//   verify fails  ->  undo release (its rollback commands, reverse order), undo switch (switch
//                     back), undo migrate (restore, when configured), verify again, and only
//                     then undo maintenance-on (maintenance off).
//
// A phase that fails before anything changed (check, lint) blocks the deploy: nothing is undone
// and the record says `blocked`. If an undo or the re-verification fails, the phases marked
// `undo_last` (maintenance) stay as they are and the record says `rollback-failed`, with the
// state of everything. The record is saved at every phase boundary, so a crash leaves it
// `running` with exactly the phases that finished.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "deploy/record.hpp"

namespace slipway::deploy {

struct Outcome {
  PhaseStatus status = PhaseStatus::ok;  // ok, skipped or failed
  std::string summary;
  std::string output;  // kept as the record's output tail, redacted

  static Outcome ok(std::string summary = {}, std::string output = {}) {
    return {PhaseStatus::ok, std::move(summary), std::move(output)};
  }
  static Outcome skipped(std::string why) { return {PhaseStatus::skipped, std::move(why), {}}; }
  static Outcome failed(std::string why, std::string output = {}) {
    return {PhaseStatus::failed, std::move(why), std::move(output)};
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
  std::size_t tail_lines = 20;
};

// Runs `phases` for `record` (whose id, version and who/where are filled in), saving it to
// `history` as it goes. Phases may update the record while they run (backup id, migrations
// applied, maintenance state); it is saved at each boundary. Phases already `ok` in the record
// are not run again (resume). Fails only when the state database itself fails.
Result<void> run_runbook(DeployRecord& record, std::vector<Phase>& phases, History& history, Observer* observer,
                         const RunbookOptions& options = {});

// The last `lines` lines of `text`, redacted.
std::string output_tail(std::string_view text, std::size_t lines);

}  // namespace slipway::deploy
