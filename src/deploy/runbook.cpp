#include "deploy/runbook.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/redact.hpp"
#include "core/time.hpp"

namespace slipway::deploy {

namespace {

std::optional<LockEvent> lock_lost(const RunbookOptions& options) {
  return options.lock_lost ? options.lock_lost() : std::nullopt;
}

// Whether `lost` went to a resume (or rollback) of this very deploy: the record is that
// process's now, and this one must not write it again.
bool resumed_elsewhere(const DeployRecord& record, const std::optional<LockEvent>& lost) {
  return lost && !lost->deploy_id.empty() && lost->deploy_id == record.id;
}

class Runner {
 public:
  Runner(DeployRecord& record, History& history, Observer* observer, const RunbookOptions& options)
      : record_(record), history_(history), observer_(observer), options_(options) {}

  // Runs one phase into `slot`, saving before and after; returns its outcome.
  Result<Outcome> run(PhaseRecord& slot, const std::function<Outcome()>& body, bool rolling_back) {
    slot.status = PhaseStatus::running;
    slot.started_at = now_rfc3339();
    if (auto s = save(); !s) return fail(s.error());
    if (observer_) observer_->started(slot, rolling_back);
    const auto start = options_.clock();
    Outcome outcome;
    try {
      outcome = body();
    } catch (const std::exception& e) {
      outcome = Outcome::failed(fmt::format("internal error: {}", e.what()));
    }
    slot.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock() - start).count();
    slot.finished_at = now_rfc3339();
    slot.status = outcome.status;
    slot.summary = redact(outcome.summary);
    slot.output_tail = output_tail(outcome.output, options_.tail_lines);
    if (auto s = save(); !s) return fail(s.error());
    if (observer_) observer_->finished(slot, rolling_back);
    return outcome;
  }

 private:
  Result<void> save() {
    if (resumed_elsewhere(record_, lock_lost(options_))) return {};
    return history_.save(record_);
  }

  DeployRecord& record_;
  History& history_;
  Observer* observer_;
  const RunbookOptions& options_;
};

PhaseRecord& slot_for(DeployRecord& record, const std::string& name) {
  for (auto& p : record.phases)
    if (p.name == name) return p;
  record.phases.push_back(PhaseRecord{name});
  return record.phases.back();
}

// A rollback whose lock was lost stops before its next step (`rollback-failed`): the deploy that
// holds the lock now owns production. nullopt while the lock is held.
std::optional<Result<void>> stop_rollback_if_lost(DeployRecord& record, const RunbookOptions& options,
                                                  const std::string& step, History& history) {
  auto lost = lock_lost(options);
  if (!lost) return std::nullopt;
  record.status = RunStatus::rollback_failed;
  record.reason += fmt::format("; {} during the rollback, which stopped before {}", lost->reason, step);
  if (record.maintenance_on) record.reason += ", so maintenance mode stays on";
  lost->stopped_before = "rollback " + step;
  const bool theirs = resumed_elsewhere(record, lost);
  record.lock_lost = std::move(*lost);
  record.finished_at = now_rfc3339();
  if (theirs) return Result<void>{};
  return history.save(record);
}

// Ends a deploy whose lock was lost: `failed`, nothing undone, `lock_lost` saying what did not run.
Result<void> stop_for_lost_lock(DeployRecord& record, LockEvent lost, std::string stopped_before, std::string where,
                                History& history) {
  const bool theirs = resumed_elsewhere(record, lost);
  record.status = RunStatus::failed;
  record.reason = fmt::format("{} while this deploy ran; {}{}", lost.reason, where,
                              theirs ? " (the record is the resumed deploy's now, and this one left it alone)" : "");
  lost.stopped_before = std::move(stopped_before);
  record.lock_lost = std::move(lost);
  record.finished_at = now_rfc3339();
  if (theirs) return {};
  return history.save(record);
}

}  // namespace

std::string output_tail(std::string_view text, std::size_t lines) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::size_t pos = text.size();
  for (std::size_t n = 0; n < lines && pos > 0; ++n) {
    const std::size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  std::string_view tail = text.substr(pos);
  if (!tail.empty() && tail.front() == '\n') tail.remove_prefix(1);
  constexpr std::size_t kMaxBytes = 4096;
  if (tail.size() > kMaxBytes) tail = tail.substr(tail.size() - kMaxBytes);
  return redact(std::string(tail));
}

Result<void> run_runbook(DeployRecord& record, std::vector<Phase>& phases, History& history, Observer* observer,
                         const RunbookOptions& options) {
  // Every phase is listed from the start, so a crash report shows what never ran.
  for (const auto& p : phases) (void)slot_for(record, p.name);
  record.status = RunStatus::running;
  Runner runner(record, history, observer, options);

  std::vector<const Phase*> done;  // phases that ran (ok or failed), in order, for the undo
  const Phase* failed = nullptr;
  for (const auto& phase : phases) {
    PhaseRecord& slot = slot_for(record, phase.name);
    if (slot.status == PhaseStatus::ok || slot.status == PhaseStatus::skipped) {  // resumed
      done.push_back(&phase);
      continue;
    }
    if (auto lost = lock_lost(options))
      return stop_for_lost_lock(record, std::move(*lost), phase.name, "stopped before " + phase.name, history);
    auto outcome = runner.run(slot, phase.run, false);
    if (!outcome) return fail(outcome.error());
    if (outcome->status == PhaseStatus::skipped) continue;
    done.push_back(&phase);
    if (outcome->status == PhaseStatus::failed && !phase.best_effort) {
      failed = &phase;
      if (phase.gatekeeper) break;  // nothing changed: blocked, whoever holds the lock
      if (auto lost = lock_lost(options)) {
        if (!outcome->stopped_before.empty())
          return stop_for_lost_lock(record, std::move(*lost), outcome->stopped_before,
                                    "stopped before " + outcome->stopped_before, history);
        return stop_for_lost_lock(record, std::move(*lost), "rollback",
                                  fmt::format("{} failed ({}) and was not rolled back", phase.name, slot.summary),
                                  history);
      }
      break;
    }
  }

  if (!failed) {
    record.status = RunStatus::succeeded;
    record.finished_at = now_rfc3339();
    return history.save(record);
  }

  const std::string why = fmt::format("{} failed: {}", failed->name, slot_for(record, failed->name).summary);
  if (failed->gatekeeper) {
    // Nothing the deploy is about changed; what a phase before it set up for the deploy (writes
    // held at the gate) is undone, without a verification: production never changed.
    record.status = RunStatus::blocked;
    record.reason = why;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (!(*it)->undo) continue;
      record.rollback.push_back(PhaseRecord{"undo " + (*it)->name});
      auto outcome = runner.run(record.rollback.back(), (*it)->undo, true);
      if (!outcome) return fail(outcome.error());
      if (outcome->status == PhaseStatus::failed)
        record.reason += fmt::format("; undo {} failed: {}", (*it)->name, record.rollback.back().summary);
    }
    record.finished_at = now_rfc3339();
    return history.save(record);
  }

  // Roll back: undo in reverse, verify again, and only then the undo_last phases (maintenance).
  record.reason = why;
  if (options.before_rollback) options.before_rollback(record);
  return roll_back(record, done, history, observer, options);
}

Result<void> roll_back(DeployRecord& record, const std::vector<const Phase*>& done, History& history,
                       Observer* observer, const RunbookOptions& options) {
  Runner runner(record, history, observer, options);
  bool clean = true;
  std::vector<const Phase*> last;
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    const Phase* p = *it;
    if (!p->undo) continue;
    if (p->undo_last) {
      last.push_back(p);
      continue;
    }
    if (auto stop = stop_rollback_if_lost(record, options, "undo " + p->name, history)) return *stop;
    record.rollback.push_back(PhaseRecord{"undo " + p->name});
    auto outcome = runner.run(record.rollback.back(), p->undo, true);
    if (!outcome) return fail(outcome.error());
    if (outcome->status == PhaseStatus::failed) clean = false;
  }
  if (clean && options.reverify) {
    if (auto stop = stop_rollback_if_lost(record, options, "verify", history)) return *stop;
    record.rollback.push_back(PhaseRecord{"verify"});
    auto outcome = runner.run(record.rollback.back(), options.reverify, true);
    if (!outcome) return fail(outcome.error());
    if (outcome->status == PhaseStatus::failed) clean = false;
  }
  if (clean) {
    for (const Phase* p : last) {
      if (auto stop = stop_rollback_if_lost(record, options, "undo " + p->name, history)) return *stop;
      record.rollback.push_back(PhaseRecord{"undo " + p->name});
      auto outcome = runner.run(record.rollback.back(), p->undo, true);
      if (!outcome) return fail(outcome.error());
      if (outcome->status == PhaseStatus::failed) clean = false;
    }
  }
  record.status = clean ? RunStatus::rolled_back : RunStatus::rollback_failed;
  if (!clean) {
    record.reason += "; the rollback did not complete";
    if (record.maintenance_on)
      record.reason += ", so maintenance mode stays on";
    else if (record.writes_held)
      record.reason += ", so the gate stays read-only";
  }
  record.finished_at = now_rfc3339();
  return history.save(record);
}

}  // namespace slipway::deploy
