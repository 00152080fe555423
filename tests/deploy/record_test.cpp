// The deploy history's contract, one test body on both state stores: what is saved comes back
// the same, in the same order, with the same filters.
#include "deploy/record.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "postgres.hpp"

namespace slipway::deploy {
namespace {

namespace fs = std::filesystem;

enum class Backend { sqlite, postgres };

class HistoryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fs::path("slipway-history-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(dir_);
    auto db = GetParam() == Backend::sqlite ? state::open_file(dir_ / "state.db")
                                            : state::open_url(test::Postgres::instance().create_database());
    ASSERT_TRUE(db.has_value()) << db.error().render();
    db_ = std::move(*db);
    history_.emplace(*db_);
  }
  void TearDown() override {
    history_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  static DeployRecord make(const std::string& id, const std::string& kind, const std::string& version,
                           const std::string& status) {
    DeployRecord r;
    r.id = id;
    r.kind = kind == "rollback" ? RecordKind::rollback : RecordKind::deploy;
    r.version = version;
    r.status = parse_run_status(status).value();
    r.started_at = "2026-11-21T09:35:02Z";
    r.user = "ci";
    r.host = "web-1";
    r.pid = 4121;
    r.migrations_applied = {"20260201000000_report_sessions"};
    r.verify = boost::json::object{{"summary", boost::json::object{{"fail", 0}}}};
    r.phases.push_back({"backup", PhaseStatus::ok, "2026-11-21T09:35:03Z", "2026-11-21T09:35:04Z", 1200,
                        "backup b-1 (12 bytes)", "line 1\nline 'two' \"quoted\" ünïcode"});
    r.steps_ran = {"start the release"};
    r.maintenance_on = true;
    return r;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  std::unique_ptr<state::Store> db_;
  std::optional<History> history_;
};

TEST_P(HistoryTest, WhatIsSavedComesBackTheSame) {
  const DeployRecord d1 = make("d1", "deploy", "v1", "succeeded");
  ASSERT_TRUE(history_->save(d1).has_value());
  auto found = history_->find("d1");
  ASSERT_TRUE(found.has_value() && found->has_value()) << (found ? "" : found.error().render());
  EXPECT_EQ(boost::json::serialize((*found)->to_json()), boost::json::serialize(d1.to_json()));
  auto missing = history_->find("nope");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(HistoryTest, LockTakeoverAndLockLostComeBackTheSame) {
  DeployRecord d1 = make("d1", "deploy", "v1", "failed");
  d1.lock_takeover = LockEvent{.holder = "ci@ci-runner-2",
                               .host = "ci-runner-2",
                               .pid = 4242,
                               .deploy_id = "d-hung",
                               .reason = "its lease ran out 5min ago"};
  d1.lock_lost = LockEvent{.holder = "ann@web-2",
                           .host = "web-2",
                           .pid = 77,
                           .deploy_id = "d2",
                           .reason = "the deploy lock was taken over by ann@web-2 (pid 77, deploy d2)",
                           .stopped_before = "switch"};
  ASSERT_TRUE(history_->save(d1).has_value());
  ASSERT_TRUE(history_->save(make("d0", "deploy", "v0", "succeeded")).has_value());
  auto found = history_->find("d1");
  ASSERT_TRUE(found.has_value() && found->has_value()) << (found ? "" : found.error().render());
  EXPECT_EQ(boost::json::serialize((*found)->to_json()), boost::json::serialize(d1.to_json()));
  ASSERT_TRUE((*found)->lock_takeover.has_value());
  EXPECT_EQ((*found)->lock_takeover->pid, 4242);
  EXPECT_EQ((*found)->lock_takeover->reason, "its lease ran out 5min ago");
  ASSERT_TRUE((*found)->lock_lost.has_value());
  EXPECT_EQ((*found)->lock_lost->stopped_before, "switch");
  EXPECT_EQ((*found)->lock_lost->deploy_id, "d2");
  // A record without them says so with nulls, not with empty objects.
  auto other = history_->find("d0");
  ASSERT_TRUE(other.has_value() && other->has_value());
  EXPECT_FALSE((*other)->lock_takeover.has_value());
  EXPECT_TRUE((*other)->to_json().at("lock_lost").is_null());
}

TEST_P(HistoryTest, SavingAgainUpdatesTheRecordInPlace) {
  DeployRecord d1 = make("d1", "deploy", "v1", "running");
  ASSERT_TRUE(history_->save(d1).has_value());
  ASSERT_TRUE(history_->save(make("d2", "deploy", "v2", "running")).has_value());
  d1.status = RunStatus::failed;
  d1.finished_at = "2026-11-21T09:40:00Z";
  d1.reason = "verify failed";
  ASSERT_TRUE(history_->save(d1).has_value());
  auto all = history_->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].id, "d2");  // d1 keeps its place: an update is not a new record
  EXPECT_EQ((*all)[1].status, RunStatus::failed);
  EXPECT_EQ((*all)[1].reason, "verify failed");
}

TEST_P(HistoryTest, FiltersAndOrderAreTheSameOnEveryStore) {
  for (const auto& r : {make("d1", "deploy", "v1", "succeeded"), make("d2", "deploy", "v2", "succeeded"),
                        make("r1", "rollback", "v1", "succeeded"), make("d3", "deploy", "v3", "blocked"),
                        make("d4", "deploy", "v4", "running")})
    ASSERT_TRUE(history_->save(r).has_value());

  auto all = history_->list();
  ASSERT_TRUE(all.has_value());
  std::string ids;
  for (const auto& r : *all) ids += r.id + " ";
  EXPECT_EQ(ids, "d4 d3 r1 d2 d1 ");
  auto two = history_->list(2);
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->size(), 2U);
  EXPECT_EQ((*two)[1].id, "d3");

  auto last = history_->last_succeeded();  // a rollback is not a deploy to go back to
  ASSERT_TRUE(last.has_value() && last->has_value());
  EXPECT_EQ((*last)->id, "d2");
  auto before = history_->last_succeeded("d2");
  ASSERT_TRUE(before.has_value() && before->has_value());
  EXPECT_EQ((*before)->id, "d1");
  auto none = history_->last_succeeded("d1");
  ASSERT_TRUE(none.has_value() && none->has_value());
  EXPECT_EQ((*none)->id, "d2");

  auto running = history_->unfinished();
  ASSERT_TRUE(running.has_value() && running->has_value());
  EXPECT_EQ((*running)->id, "d4");
}

TEST_P(HistoryTest, AnEmptyHistoryHasNothingToOffer) {
  auto all = history_->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
  auto last = history_->last_succeeded();
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->has_value());
  auto running = history_->unfinished();
  ASSERT_TRUE(running.has_value());
  EXPECT_FALSE(running->has_value());
  auto empty_id = history_->find("");
  ASSERT_TRUE(empty_id.has_value());
  EXPECT_FALSE(empty_id->has_value());
}

INSTANTIATE_TEST_SUITE_P(Stores, HistoryTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& p) { return p.param == Backend::sqlite ? "sqlite" : "postgres"; });

}  // namespace
}  // namespace slipway::deploy
