#include "deploy/runbook.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/redact.hpp"
#include "core/time.hpp"

namespace slipway::deploy {

namespace {

class Runner {
 public:
  Runner(DeployRecord& record, History& history, Observer* observer, const RunbookOptions& options)
      : record_(record), history_(history), observer_(observer), options_(options) {}

  // Runs one phase into `slot`, saving before and after.
  Result<PhaseStatus> run(PhaseRecord& slot, const std::function<Outcome()>& body, bool rolling_back) {
    slot.status = PhaseStatus::running;
    slot.started_at = now_rfc3339();
    if (auto s = history_.save(record_); !s) return fail(s.error());
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
    if (auto s = history_.save(record_); !s) return fail(s.error());
    if (observer_) observer_->finished(slot, rolling_back);
    return outcome.status;
  }

 private:
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
  record.status = "running";
  Runner runner(record, history, observer, options);

  std::vector<const Phase*> done;  // phases that ran (ok or failed), in order, for the undo
  const Phase* failed = nullptr;
  for (const auto& phase : phases) {
    PhaseRecord& slot = slot_for(record, phase.name);
    if (slot.status == PhaseStatus::ok || slot.status == PhaseStatus::skipped) {  // resumed
      done.push_back(&phase);
      continue;
    }
    auto status = runner.run(slot, phase.run, false);
    if (!status) return fail(status.error());
    if (*status == PhaseStatus::skipped) continue;
    done.push_back(&phase);
    if (*status == PhaseStatus::failed && !phase.best_effort) {
      failed = &phase;
      break;
    }
  }

  if (!failed) {
    record.status = "succeeded";
    record.finished_at = now_rfc3339();
    return history.save(record);
  }

  const std::string why = fmt::format("{} failed: {}", failed->name, slot_for(record, failed->name).summary);
  if (failed->gatekeeper) {
    record.status = "blocked";
    record.reason = why;
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
    record.rollback.push_back(PhaseRecord{"undo " + p->name});
    auto status = runner.run(record.rollback.back(), p->undo, true);
    if (!status) return fail(status.error());
    if (*status == PhaseStatus::failed) clean = false;
  }
  if (clean && options.reverify) {
    record.rollback.push_back(PhaseRecord{"verify"});
    auto status = runner.run(record.rollback.back(), options.reverify, true);
    if (!status) return fail(status.error());
    if (*status == PhaseStatus::failed) clean = false;
  }
  if (clean) {
    for (const Phase* p : last) {
      record.rollback.push_back(PhaseRecord{"undo " + p->name});
      auto status = runner.run(record.rollback.back(), p->undo, true);
      if (!status) return fail(status.error());
      if (*status == PhaseStatus::failed) clean = false;
    }
  }
  record.status = clean ? "rolled-back" : "rollback-failed";
  if (!clean) {
    record.reason += "; the rollback did not complete";
    if (record.maintenance_on) record.reason += ", so maintenance mode stays on";
  }
  record.finished_at = now_rfc3339();
  return history.save(record);
}

}  // namespace slipway::deploy
