#include "deploy/runbook.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "core/redact.hpp"
#include "core/time.hpp"
#include "deploy/deploy.hpp"
#include "state/store.hpp"

namespace slipway::deploy {
namespace {

namespace fs = std::filesystem;

class RunbookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fs::path("slipway-runbook-" + std::to_string(getpid()) + "-" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto db = state::open_file(dir_ / "state.db");
    ASSERT_TRUE(db.has_value()) << db.error().render();
    db_ = std::move(*db);
    history_.emplace(*db_);
    record_.id = "d1";
    record_.version = "v2";
    record_.started_at = now_rfc3339();
  }
  void TearDown() override {
    history_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // A phase that logs its run and undo, and fails when told to.
  Phase phase(const std::string& name, bool fails = false) {
    Phase p;
    p.name = name;
    p.run = [this, name, fails] {
      calls_.push_back(name);
      return fails ? Outcome::failed(name + " broke", "line 1\nline 2") : Outcome::ok(name + " done");
    };
    p.undo = [this, name] {
      calls_.push_back("undo " + name);
      return undo_fails_ == name ? Outcome::failed("cannot undo " + name) : Outcome::ok();
    };
    return p;
  }

  // The deploy's phases, with the flags the real runbook sets.
  std::vector<Phase> deploy_phases(const std::string& failing) {
    std::vector<Phase> phases;
    for (const std::string name : {"check", "lint", "backup", "maintenance-on", "migrate", "release", "switch",
                                   "verify", "maintenance-off", "notify"})
      phases.push_back(phase(name, name == failing));
    phases[0].gatekeeper = phases[1].gatekeeper = true;
    phases[0].undo = phases[1].undo = phases[2].undo = nullptr;
    phases[3].undo_last = true;
    phases[3].run = [this] {
      calls_.push_back("maintenance-on");
      record_.maintenance_on = true;
      return Outcome::ok();
    };
    phases[7].undo = phases[8].undo = phases[9].undo = nullptr;
    phases[9].best_effort = true;
    return phases;
  }

  Result<DeployRecord> run(std::vector<Phase>& phases) {
    RunbookOptions options;
    options.reverify = [this] {
      calls_.push_back("reverify");
      return reverify_fails_ ? Outcome::failed("still broken") : Outcome::ok();
    };
    options.lock_lost = [this] { return lost_; };
    options.before_rollback = [this](const DeployRecord&) { calls_.push_back("before rollback"); };
    auto r = run_runbook(record_, phases, *history_, nullptr, options);
    if (!r) return fail(r.error());
    return record_;
  }

  fs::path dir_;
  std::unique_ptr<state::Store> db_;
  std::optional<History> history_;
  DeployRecord record_;
  std::vector<std::string> calls_;
  std::string undo_fails_;
  bool reverify_fails_ = false;
  std::optional<LockEvent> lost_;  // what the lease renewer would report once the lock is taken over
};

// What the deploy reports once `slipway deploy` on web-2 took the lock over.
LockEvent taken_over() {
  return LockEvent{.holder = "ann@web-2",
                   .host = "web-2",
                   .pid = 4121,
                   .deploy_id = "d2",
                   .reason = "the deploy lock was taken over by ann@web-2 (pid 4121, deploy d2)"};
}

using Calls = std::vector<std::string>;

TEST_F(RunbookTest, EveryPhaseGreenSucceedsAndIsSaved) {
  auto phases = deploy_phases("");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::succeeded);
  EXPECT_EQ(calls_.size(), 10U);
  for (const auto& p : r->phases) EXPECT_EQ(p.status, PhaseStatus::ok) << p.name;
  auto saved = history_->find("d1");
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->status, RunStatus::succeeded);
  EXPECT_EQ((*saved)->phases.size(), 10U);
  EXPECT_EQ((*saved)->phase("migrate")->summary, "migrate done");
}

TEST_F(RunbookTest, AFailedLintBlocksWithoutUndoingAnything) {
  auto phases = deploy_phases("lint");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::blocked);
  EXPECT_EQ(r->reason, "lint failed: lint broke");
  EXPECT_EQ(calls_, (Calls{"check", "lint"}));
  EXPECT_EQ(r->phase("migrate")->status, PhaseStatus::pending);
  EXPECT_TRUE(r->rollback.empty());
}

// Regression: writes held at the gate before the backup (read-only mode) stayed held when the
// backup failed, because a blocked deploy undid nothing.
TEST_F(RunbookTest, ABlockedDeployLetsTheWritesItHeldGo) {
  std::vector<Phase> phases;
  phases.push_back(phase("check"));
  phases.back().gatekeeper = true;
  phases.back().undo = nullptr;
  phases.push_back(phase("hold-writes"));
  phases.back().gatekeeper = phases.back().undo_last = true;
  phases.push_back(phase("backup", true));
  phases.back().gatekeeper = true;
  phases.back().undo = nullptr;
  phases.push_back(phase("migrate"));
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::blocked);
  EXPECT_EQ(r->reason, "backup failed: backup broke");
  EXPECT_EQ(calls_, (Calls{"check", "hold-writes", "backup", "undo hold-writes"}));
  ASSERT_EQ(r->rollback.size(), 1U);
  EXPECT_EQ(r->rollback[0].name, "undo hold-writes");
  EXPECT_EQ(r->phase("migrate")->status, PhaseStatus::pending);
}

TEST_F(RunbookTest, AFailedVerifyUndoesInReverseAndLeavesMaintenanceLast) {
  auto phases = deploy_phases("verify");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::rolled_back);
  EXPECT_EQ(calls_, (Calls{"check", "lint", "backup", "maintenance-on", "migrate", "release", "switch", "verify",
                           "before rollback", "undo switch", "undo release", "undo migrate", "reverify",
                           "undo maintenance-on"}));
  ASSERT_EQ(r->rollback.size(), 5U);
  EXPECT_EQ(r->rollback[3].name, "verify");
  EXPECT_EQ(r->rollback[4].name, "undo maintenance-on");
  EXPECT_EQ(r->phase("verify")->output_tail, "line 1\nline 2");
  EXPECT_EQ(r->phase("maintenance-off")->status, PhaseStatus::pending);
}

TEST_F(RunbookTest, AFailedReleaseStepIsItselfUndone) {
  auto phases = deploy_phases("release");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::rolled_back);
  EXPECT_EQ(calls_, (Calls{"check", "lint", "backup", "maintenance-on", "migrate", "release", "before rollback",
                           "undo release", "undo migrate", "reverify", "undo maintenance-on"}));
}

TEST_F(RunbookTest, AFailingUndoKeepsMaintenanceOn) {
  undo_fails_ = "release";
  auto phases = deploy_phases("verify");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::rollback_failed);
  EXPECT_TRUE(r->maintenance_on);
  EXPECT_NE(r->reason.find("maintenance mode stays on"), std::string::npos) << r->reason;
  EXPECT_EQ(std::count(calls_.begin(), calls_.end(), "undo maintenance-on"), 0);
  EXPECT_EQ(std::count(calls_.begin(), calls_.end(), "reverify"), 0);
}

TEST_F(RunbookTest, AFailingReverificationKeepsMaintenanceOn) {
  reverify_fails_ = true;
  auto phases = deploy_phases("verify");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::rollback_failed);
  EXPECT_EQ(calls_.back(), "reverify");
}

TEST_F(RunbookTest, ABestEffortFailureDoesNotRollBack) {
  auto phases = deploy_phases("notify");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::succeeded);
  EXPECT_EQ(r->phase("notify")->status, PhaseStatus::failed);
}

TEST_F(RunbookTest, TheSavedRecordShowsTheRunningPhaseAtEveryMoment) {
  // What a kill -9 during `migrate` would leave behind: read the record from the database while
  // the phase runs.
  auto phases = deploy_phases("");
  std::optional<DeployRecord> seen;
  phases[4].run = [&] {
    auto saved = history_->find("d1");
    if (saved && *saved) seen = **saved;
    return Outcome::ok();
  };
  ASSERT_TRUE(run(phases).has_value());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->status, RunStatus::running);
  EXPECT_TRUE(seen->maintenance_on);
  EXPECT_EQ(seen->phase("backup")->status, PhaseStatus::ok);
  EXPECT_EQ(seen->phase("migrate")->status, PhaseStatus::running);
  EXPECT_EQ(seen->phase("release")->status, PhaseStatus::pending);
  auto unfinished = history_->unfinished();
  ASSERT_TRUE(unfinished.has_value());
  EXPECT_FALSE(unfinished->has_value());  // it finished in the end
}

TEST_F(RunbookTest, ResumeSkipsThePhasesThatFinished) {
  for (const std::string name : {"check", "lint", "backup", "maintenance-on"})
    record_.phases.push_back(PhaseRecord{name, PhaseStatus::ok});
  record_.phases.push_back(PhaseRecord{"migrate", PhaseStatus::running});
  auto phases = deploy_phases("");
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::succeeded);
  EXPECT_EQ(calls_, (Calls{"migrate", "release", "switch", "verify", "maintenance-off", "notify"}));
}

TEST_F(RunbookTest, SecretsInOutputNeverReachTheRecord) {
  register_secret("hunter2-very-secret");
  auto phases = deploy_phases("");
  phases[5].run = [] { return Outcome::ok("deployed with hunter2-very-secret", "token=hunter2-very-secret\nok"); };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  const std::string stored = boost::json::serialize(r->to_json());
  EXPECT_EQ(stored.find("hunter2-very-secret"), std::string::npos) << stored;
  EXPECT_NE(r->phase("release")->output_tail.find("ok"), std::string::npos);
}

TEST_F(RunbookTest, LastSucceededSkipsFailuresAndTheGivenId) {
  auto ok_phases = deploy_phases("");
  ASSERT_TRUE(run(ok_phases).has_value());
  record_ = DeployRecord{};
  record_.id = "d2";
  record_.version = "v3";
  auto bad = deploy_phases("verify");
  ASSERT_TRUE(run(bad).has_value());
  auto last = history_->last_succeeded();
  ASSERT_TRUE(last.has_value() && last->has_value());
  EXPECT_EQ((*last)->id, "d1");
  auto none = history_->last_succeeded("d1");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto all = history_->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ(all->front().id, "d2");  // newest first
}

TEST_F(RunbookTest, ALockTakenOverDuringAPhaseStopsTheDeployBeforeTheNextWithoutRollingBack) {
  auto phases = deploy_phases("");
  phases[5].run = [this] {  // release: another deploy takes the lock over while it runs
    calls_.push_back("release");
    lost_ = taken_over();
    return Outcome::ok("2 steps ran");
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::failed);
  EXPECT_EQ(r->reason,
            "the deploy lock was taken over by ann@web-2 (pid 4121, deploy d2) while this deploy ran; stopped "
            "before switch");
  // No undo, no re-verification, no "rolling back" announcement: the other deploy owns production.
  EXPECT_EQ(calls_, (Calls{"check", "lint", "backup", "maintenance-on", "migrate", "release"}));
  EXPECT_TRUE(r->rollback.empty());
  EXPECT_TRUE(r->maintenance_on);
  EXPECT_EQ(r->phase("release")->status, PhaseStatus::ok);
  EXPECT_EQ(r->phase("switch")->status, PhaseStatus::pending);
  ASSERT_TRUE(r->lock_lost.has_value());
  EXPECT_EQ(r->lock_lost->stopped_before, "switch");
  EXPECT_EQ(r->lock_lost->holder, "ann@web-2");
  EXPECT_FALSE(r->finished_at.empty());
  auto saved = history_->find("d1");
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->status, RunStatus::failed);
  ASSERT_TRUE((*saved)->lock_lost.has_value());
  EXPECT_EQ((*saved)->lock_lost->deploy_id, "d2");
}

TEST_F(RunbookTest, AReleaseStoppedBetweenStepsNamesTheStepThatDidNotRun) {
  auto phases = deploy_phases("");
  phases[5].run = [this] {
    calls_.push_back("release");
    lost_ = taken_over();
    return Outcome::stopped("release step \"warm the caches\"", "$ first step\nok");
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::failed);
  EXPECT_TRUE(r->reason.ends_with("while this deploy ran; stopped before release step \"warm the caches\""))
      << r->reason;
  EXPECT_EQ(calls_.back(), "release");
  EXPECT_TRUE(r->rollback.empty());
  EXPECT_EQ(r->phase("release")->status, PhaseStatus::failed);
  ASSERT_TRUE(r->lock_lost.has_value());
  EXPECT_EQ(r->lock_lost->stopped_before, "release step \"warm the caches\"");
}

TEST_F(RunbookTest, ALockTakenOverByAResumeOfThisDeployLeavesTheRecordToIt) {
  // `slipway deploy --resume` took the hung deploy's lock over and continues the same record:
  // the hung process, woken up, stops and must not overwrite what the resume writes.
  auto phases = deploy_phases("");
  phases[5].run = [this] {
    calls_.push_back("release");
    lost_ = taken_over();
    lost_->deploy_id = "d1";
    return Outcome::ok("2 steps ran");
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::failed);
  EXPECT_NE(r->reason.find("the record is the resumed deploy's now"), std::string::npos) << r->reason;
  EXPECT_EQ(calls_.back(), "release");
  auto saved = history_->find("d1");
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->status, RunStatus::running);  // as last written before the lock went to the resume
  EXPECT_EQ((*saved)->phase("release")->status, PhaseStatus::running);
  EXPECT_FALSE((*saved)->lock_lost.has_value());
}

TEST_F(RunbookTest, APhaseThatFailsOnceTheLockIsLostIsNotRolledBack) {
  auto phases = deploy_phases("migrate");
  phases[4].run = [this] {
    calls_.push_back("migrate");
    lost_ = taken_over();
    return Outcome::failed("migrate broke");
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::failed);
  EXPECT_EQ(calls_, (Calls{"check", "lint", "backup", "maintenance-on", "migrate"}));
  EXPECT_NE(r->reason.find("migrate failed (migrate broke) and was not rolled back"), std::string::npos) << r->reason;
  ASSERT_TRUE(r->lock_lost.has_value());
  EXPECT_EQ(r->lock_lost->stopped_before, "rollback");
}

TEST_F(RunbookTest, ARollbackWhoseLockIsLostStopsBeforeItsNextUndo) {
  auto phases = deploy_phases("verify");
  phases[6].undo = [this] {  // undo switch: the lock is taken over while it runs
    calls_.push_back("undo switch");
    lost_ = taken_over();
    return Outcome::ok();
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::rollback_failed);
  EXPECT_EQ(calls_.back(), "undo switch");
  EXPECT_NE(r->reason.find("taken over by ann@web-2 (pid 4121, deploy d2) during the rollback, which stopped before "
                           "undo release, so maintenance mode stays on"),
            std::string::npos)
      << r->reason;
  ASSERT_TRUE(r->lock_lost.has_value());
  EXPECT_EQ(r->lock_lost->stopped_before, "rollback undo release");
}

TEST_F(RunbookTest, ABlockedDeployStaysBlockedWhoeverHoldsTheLock) {
  auto phases = deploy_phases("lint");
  phases[1].run = [this] {
    calls_.push_back("lint");
    lost_ = taken_over();
    return Outcome::failed("lint broke");
  };
  auto r = run(phases);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::blocked);  // nothing changed, so nothing to say about production
  EXPECT_FALSE(r->lock_lost.has_value());
}

TEST(OutputTail, KeepsTheLastLines) {
  EXPECT_EQ(output_tail("a\nb\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(output_tail("one line", 5), "one line");
  EXPECT_EQ(output_tail("", 5), "");
}

// `slipway rollback` (kind rollback) runs its own phases; when its verify fails, the runbook undoes
// it and the record says rolled-back. That is a failed rollback: it exited 0.
TEST_F(RunbookTest, ARollbackWhoseOwnVerifyFailedAndWasUndoneExitsOne) {
  record_.kind = RecordKind::rollback;
  std::vector<Phase> phases;
  for (const std::string name : {"maintenance-on", "release", "switch", "verify", "maintenance-off"})
    phases.push_back(phase(name, name == "verify"));
  phases[0].undo_last = true;
  phases[3].undo = phases[4].undo = nullptr;
  auto r = run(phases);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::rolled_back);
  EXPECT_EQ(rollback_exit_code(*r), 1);

  // and its re-verification failing too: rollback-failed, 1
  record_ = DeployRecord{};
  record_.id = "d2";
  record_.kind = RecordKind::rollback;
  reverify_fails_ = true;
  auto phases2 = phases;
  auto r2 = run(phases2);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, RunStatus::rollback_failed);
  EXPECT_EQ(rollback_exit_code(*r2), 1);
}

TEST_F(RunbookTest, RollbackExitCodeFollowsTheDocumentedContractOnEveryEnding) {
  DeployRecord r;
  r.kind = RecordKind::rollback;
  for (const auto& [status, code] : std::vector<std::pair<std::string, int>>{
           {"succeeded", 0}, {"rolled-back", 1}, {"rollback-failed", 1}, {"failed", 1}, {"running", 1}}) {
    r.status = parse_run_status(status).value();
    EXPECT_EQ(rollback_exit_code(r), code) << "rollback " << status;
  }
  // An interrupted deploy that `slipway rollback` undid from its record.
  r.kind = RecordKind::deploy;
  for (const auto& [status, code] : std::vector<std::pair<std::string, int>>{
           {"rolled-back", 0}, {"rollback-failed", 1}, {"succeeded", 1}, {"running", 1}}) {
    r.status = parse_run_status(status).value();
    EXPECT_EQ(rollback_exit_code(r), code) << "undo of an interrupted deploy, " << status;
  }
}

}  // namespace
}  // namespace slipway::deploy
