// The deploy's phases against canned results of slipway's commands (deploy/commands.hpp): what
// each phase asks for, in which order, and what the record says, without a child process, a gate
// or a database. The end-to-end tests (tests/deploy_e2e) run the same against the real commands.
#include "deploy/deploy.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "backup/results.hpp"
#include "core/config.hpp"
#include "core/env.hpp"
#include "core/report.hpp"
#include "gate/status.hpp"
#include "test_dir.hpp"
#include "verify/report.hpp"
#include "verify/settings.hpp"

namespace slipway::deploy {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// slipway's commands as a deploy would find them: a gate in normal mode that lets two sign-ins
// through once the migration ran, a migration pending, a verify that fails.
class FakeCommands : public Commands {
 public:
  CommandResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>&,
                    std::chrono::steady_clock::time_point deadline) override {
    std::string line;
    for (const auto& a : args) {
      if (a == "--format" || a == "json") continue;
      line += (line.empty() ? "" : " ") + a;
    }
    calls.push_back(line);
    if (line == "check") return CommandResult::of(0, check_answer.empty() ? check_report() : check_answer);
    if (line.starts_with("migrate plan"))
      return CommandResult::of(0, R"({"summary":{"migrations":1,"statements":1,"dangerous":0,"review":0},)"
                                  R"("migrations":[]})");
    if (line == "gate status") return CommandResult::of(0, json::serialize(gate_status().to_json()));
    if (line.starts_with("gate ")) return CommandResult::of(0, "{}");
    if (line == "verify integrity --snapshot") {
      report::Report snapshot;
      verify::set_snapshot_id(snapshot, 7);
      return CommandResult::of(0, json::serialize(snapshot.to_json()));
    }
    if (line.starts_with("backup create")) {
      if (backup_hangs) {
        std::this_thread::sleep_until(deadline);
        return CommandResult::of(-1, {}, "killed");
      }
      backup::Created created;
      created.id = "b-1";
      created.archive_bytes = 1000;
      return CommandResult::of(0, json::serialize(created.to_json()));
    }
    if (line == "migrate apply") {
      signins = 2;  // users signed in on the allow-listed path while writes were held
      return CommandResult::of(0, R"({"status":"applied","message":null,)"
                                  R"("migrations":[{"name":"002_tags","outcome":"committed"}]})");
    }
    if (line.starts_with("verify")) {
      report::Report failed;
      failed.add("smoke-step", "smoke", report::Status::fail, "GET / -> 500");
      return CommandResult::of(1, json::serialize(failed.to_json()));
    }
    if (line.starts_with("backup restore")) {
      backup::Restored restored;
      restored.duration_ms = 5;
      return CommandResult::of(0, json::serialize(restored.to_json()));
    }
    if (line == "migrate status")
      return CommandResult::of(0, R"({"migrations":[{"name":"001_init","state":"applied"},)"
                                  R"({"name":"002_tags","state":"pending"}],"summary":{"applied":1,"pending":1}})");
    return CommandResult::of(2, {}, "slipway: the fake does not know `" + line + "`");
  }

  static std::string check_report() {
    report::Report checks("check", "section");
    for (const char* id : {"env-database-url", "git-clean", "db-reachable"})
      checks.add(id, "env", report::Status::pass, "fine");
    return json::serialize(checks.to_json());
  }

  gate::GateStatus gate_status() const {
    gate::GateStatus status;
    status.mode = "normal";
    status.upstream = "127.0.0.1:1";
    status.started_at = "2026-12-07T09:00:00Z";
    status.writes_let_through = static_cast<std::uint64_t>(signins);
    for (int i = 1; i <= signins; ++i)
      status.recent_writes_let_through.push_back({static_cast<std::uint64_t>(i),
                                                  "2026-12-07T10:00:0" + std::to_string(i) + "Z", "POST", "/login",
                                                  "203.0.113.9", false});
    return status;
  }

  // The position of the first call that starts with `prefix`, or -1.
  [[nodiscard]] int position(const std::string& prefix) const {
    for (std::size_t i = 0; i < calls.size(); ++i)
      if (calls[i].starts_with(prefix)) return static_cast<int>(i);
    return -1;
  }

  std::vector<std::string> calls;
  std::string check_answer;  // what `slipway check` prints; empty: a report of three passes
  int signins = 0;
  bool backup_hangs = false;
};

class DeployPhases : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::fresh_test_dir("deploy-phases"); }

  Config config(const std::string& deploy_toml) {
    fs::create_directories(dir_ / "m");
    std::ofstream(dir_ / "slipway.toml") << "[migrations]\ndir = \"m\"\n"
                                            "[verify]\nbase_url = \"http://127.0.0.1:1\"\n"
                                            "[[verify.flow]]\nname = \"home\"\n[[verify.flow.step]]\nurl = \"/\"\n"
                                            "[verify.integrity]\ntables = [\"notes\"]\n"
                                            "[state]\nurl = \"state.db\"\n"
                                            "[deploy]\n"
                                         << deploy_toml;
    auto c = load_config(dir_ / "slipway.toml", Environment({}, false));
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().front().render());
    return c ? *c : Config{};
  }

  Result<DeployRecord> deploy(const Config& c) {
    DeployOptions o;
    o.version = "v2";
    o.database_url = "postgresql://owner@127.0.0.1:1/app";
    o.commands = &fake_;
    return run_deploy(c, o);
  }

  fs::path dir_;
  FakeCommands fake_;
};

TEST_F(DeployPhases, WritesAreHeldBeforeTheSnapshotAndARestoreNamesTheOnesTheGateLetThrough) {
  auto r = deploy(config("restore_on_rollback = true\n"));
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::rolled_back) << r->reason;
  // read-only on, then the snapshot, then the backup, then maintenance
  const int hold = fake_.position("gate read-only on");
  ASSERT_GE(hold, 0);
  EXPECT_LT(hold, fake_.position("verify integrity --snapshot"));
  EXPECT_LT(fake_.position("verify integrity --snapshot"), fake_.position("backup create"));
  EXPECT_LT(fake_.position("backup create"), fake_.position("gate maintenance on"));
  EXPECT_EQ(r->snapshot_id, 7);
  EXPECT_EQ(r->backup_id, "b-1");
  // the restore names the two sign-ins and reads the database's state from the database
  ASSERT_EQ(r->writes_not_restored.size(), 2U);
  EXPECT_NE(r->writes_not_restored[0].find("POST /login (allow-listed, from 203.0.113.9"), std::string::npos);
  EXPECT_NE(r->reason.find("2 writes the gate let through after the backup are not in the restored database"),
            std::string::npos)
      << r->reason;
  EXPECT_TRUE(r->migrations_applied.empty()) << "the restore took the migration away";
  EXPECT_EQ(r->database_state, "the database has 1 migration applied (the last: 001_init), 1 pending");
  // verify compared integrity with this deploy's snapshot; the gate ends in normal mode
  EXPECT_GE(fake_.position("verify --against 7"), 0);
  EXPECT_GT(fake_.position("gate read-only off"), fake_.position("backup restore"));
  EXPECT_FALSE(r->writes_held);
  EXPECT_FALSE(r->maintenance_on);
}

TEST_F(DeployPhases, WithoutARestoreOnRollbackWritesAreNotHeld) {
  auto r = deploy(config("restore_on_rollback = false\n"));
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(fake_.position("gate read-only on"), -1);
  EXPECT_EQ(r->phase("hold-writes")->status, PhaseStatus::skipped);
  EXPECT_EQ(fake_.position("backup restore"), -1);
}

// A check that exits 0 but answers with something other than its report (a key renamed in one
// binary and not the other) blocks the deploy naming the key, instead of reading "0 passed".
TEST_F(DeployPhases, ACheckAnswerThatIsNotAReportBlocksNamingTheKey) {
  fake_.check_answer = R"({"summary":{"pass":3,"warn":0,"fail":0}})";
  auto r = deploy(config("restore_on_rollback = false\n"));
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::blocked);
  EXPECT_NE(r->phase("check")->summary.find("slipway check answered no report: not a report: no \"checks\" array"),
            std::string::npos)
      << r->phase("check")->summary;
  EXPECT_EQ(fake_.position("backup create"), -1);
}

// A backup past its deadline stops the deploy before anything changed (blocked), and the writes
// the deploy held for it pass again.
TEST_F(DeployPhases, ABackupPastItsDeadlineBlocksAndLetsTheHeldWritesGo) {
  fake_.backup_hangs = true;
  auto r = deploy(config("restore_on_rollback = true\n[deploy.deadlines]\nbackup = \"50ms\"\n"));
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_EQ(r->status, RunStatus::blocked);
  EXPECT_NE(r->phase("backup")->summary.find("stopped at its deadline of 50ms (deploy.deadlines.backup)"),
            std::string::npos)
      << r->phase("backup")->summary;
  EXPECT_GT(fake_.position("gate read-only off"), fake_.position("backup create"));
  EXPECT_EQ(fake_.position("migrate apply"), -1);
  EXPECT_FALSE(r->writes_held);
}

// Each deploy records a copy of its [verify] under releases/ID beside the state database; only the
// newest 50 are kept, so a project deploying many times a day does not fill its disk.
TEST_F(DeployPhases, OnlyTheNewestFiftyRecordedVerifyCopiesAreKept) {
  const Config c = config("restore_on_rollback = false\n");
  const fs::path releases = dir_ / "releases";  // beside the state database (state.url = "state.db")
  for (int i = 0; i < 60; ++i) fs::create_directories(releases / fmt::format("d-20200101-0000{:02}-abcd", i));
  auto r = deploy(c);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  std::size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(releases)) ++left;
  EXPECT_EQ(left, 50U);
  EXPECT_TRUE(fs::exists(releases / r->id / "slipway.toml")) << "this deploy's copy";
  EXPECT_FALSE(fs::exists(releases / "d-20200101-000000-abcd")) << "the oldest went";
}

// The demo names its flow file by an absolute path, outside the project: the deploy recorded
// nothing ("lies outside the project") and a rollback verified with the working tree's flows.
TEST_F(DeployPhases, AFlowFileOutsideTheProjectIsRecordedToo) {
  const fs::path shared = test::fresh_test_dir("deploy-phases-shared") / "smoke.toml";
  std::ofstream(shared) << "[[flow]]\nname = \"shared\"\n[[flow.step]]\nurl = \"/\"\n";
  std::ofstream(dir_ / "slipway.toml") << "[verify]\nbase_url = \"http://127.0.0.1:1\"\nflows = [\"" << shared.string()
                                       << "\"]\n[state]\nurl = \"state.db\"\n";
  auto c = load_config(dir_ / "slipway.toml", Environment({}, false));
  ASSERT_TRUE(c.has_value());
  auto r = deploy(*c);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  ASSERT_FALSE(r->verify_config.empty()) << "nothing was recorded";
  // The recorded copy is read instead of the original, which may change or go.
  fs::remove(shared);
  Config recorded = *c;
  recorded.verify_file = r->verify_config;
  auto settings = verify::load_verify_settings(recorded);
  ASSERT_TRUE(settings.has_value()) << settings.error().front().render();
  ASSERT_EQ(settings->flows.size(), 1U);
  EXPECT_EQ(settings->flows[0].name, "shared");
}

}  // namespace
}  // namespace slipway::deploy
