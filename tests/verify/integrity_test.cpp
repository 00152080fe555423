// Row-count snapshots against a real PostgreSQL, and `slipway verify integrity` end to end.
#include "verify/integrity.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "postgres.hpp"
#include "process.hpp"

namespace slipway::verify {
namespace {

namespace fs = std::filesystem;

struct Integrity : ::testing::Test {
  void SetUp() override {
    url = test::Postgres::instance().create_database();
    test::Postgres::instance().exec(url,
                                    "CREATE TABLE users (id int PRIMARY KEY, email text);"
                                    "CREATE TABLE loans (id int PRIMARY KEY, amount bigint);"
                                    "INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 50) g;"
                                    "INSERT INTO loans SELECT g, g * 100 FROM generate_series(1, 20) g;");
    dir = fs::temp_directory_path() / ("slipway-integrity-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string url;
  fs::path dir;
};

const Check* find(const Report& r, const std::string& id, const std::string& subject) {
  for (const auto& c : r.checks()) {
    if (c.id == id && c.subject == subject) return &c;
  }
  return nullptr;
}

TEST_F(Integrity, UndeclaredGrowthAndChangedRowsFailDeclaredGrowthPasses) {
  IntegritySettings settings;
  settings.tables = {"users", "loans"};
  settings.may_grow = {"loans"};
  settings.checksums["users"] = {"id", "email"};
  auto db = pg::Connection::open(url);
  ASSERT_TRUE(db);
  auto before = measure_tables(*db, settings);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->at(0).rows, 50);
  EXPECT_EQ(before->at(1).rows, 20);
  EXPECT_EQ(before->at(0).checksum.size(), 32U);

  auto state_db = state::open_file(dir / "state.db");
  ASSERT_TRUE(state_db) << state_db.error().message;
  SnapshotStore snapshots(**state_db);
  ASSERT_TRUE(snapshots.save("db", *before));

  // The deploy: loans grow (declared), users gain one (not declared).
  test::Postgres::instance().exec(url,
                                  "INSERT INTO loans VALUES (21, 1), (22, 2); INSERT INTO users VALUES (51, 'new@x');");
  auto snap = snapshots.latest("db");
  ASSERT_TRUE(snap && *snap);
  Report report;
  compare_snapshot(**snap, *measure_tables(*db, settings), settings, report);
  const Check* users = find(report, "integrity-rows", "users");
  ASSERT_TRUE(users);
  EXPECT_EQ(users->status, Status::fail);
  EXPECT_EQ(users->message, "50 rows before, 51 now (+1); declare it in may_grow if that is expected");
  EXPECT_EQ(find(report, "integrity-rows", "loans")->status, Status::pass);

  // Same count, different contents: the checksum sees it.
  test::Postgres::instance().exec(url,
                                  "DELETE FROM users WHERE id = 51; UPDATE users SET email = 'changed' WHERE id = 7;");
  Report second;
  compare_snapshot(**snap, *measure_tables(*db, settings), settings, second);
  EXPECT_EQ(find(second, "integrity-rows", "users")->status, Status::pass);
  EXPECT_EQ(find(second, "integrity-checksum", "users")->status, Status::fail);
  EXPECT_FALSE(snapshots.latest("another database")->has_value());
}

// A first deploy snapshots a database whose tables its migration creates: the snapshot records
// them as absent; a table that is still missing when comparing fails, named (a typo, or dropped).
TEST_F(Integrity, MissingTableIsAbsentInTheSnapshotAndFailsTheComparison) {
  IntegritySettings settings;
  settings.tables = {"nope"};
  auto db = pg::Connection::open(url);
  ASSERT_TRUE(db);
  auto m = measure_tables(*db, settings);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 1u);
  EXPECT_FALSE((*m)[0].exists);
  Snapshot before;
  before.taken_at = "2026-01-01T00:00:00Z";
  Report report;
  compare_snapshot(before, *m, settings, report);
  ASSERT_NE(find(report, "integrity-rows", "nope"), nullptr);
  EXPECT_EQ(find(report, "integrity-rows", "nope")->status, Status::fail);
  EXPECT_NE(find(report, "integrity-rows", "nope")->message.find("no such table"), std::string::npos);
}

TEST_F(Integrity, CliSnapshotThenCompare) {
  std::ofstream(dir / "slipway.toml")
      << "[database]\nurl = \"${TEST_DB}\"\n[state]\nurl = \"state.db\"\n"
      << "[verify.integrity]\ntables = [\"users\", \"loans\"]\nmay_grow = [\"users\"]\n";
  const std::map<std::string, std::string> env{{"TEST_DB", url}};
  const std::string config = (dir / "slipway.toml").string();
  auto none = test::run({test::slipway_binary(), "verify", "integrity", "--config", config}, {}, env);
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_NE(none.out.find("no snapshot"), std::string::npos) << none.out;

  auto snap = test::run({test::slipway_binary(), "verify", "integrity", "--snapshot", "--config", config}, {}, env);
  ASSERT_EQ(snap.exit_code, 0) << snap.out << snap.err;
  EXPECT_TRUE(fs::exists(dir / "state.db"));

  test::Postgres::instance().exec(url, "DELETE FROM loans WHERE id > 15; INSERT INTO users VALUES (60, 'x');");
  auto after =
      test::run({test::slipway_binary(), "verify", "integrity", "--config", config, "--format", "json"}, {}, env);
  EXPECT_EQ(after.exit_code, 1) << after.err;
  const auto doc = boost::json::parse(after.out);
  int failed = 0;
  for (const auto& c : doc.at("checks").as_array()) {
    if (c.at("status") != "fail") continue;
    ++failed;
    EXPECT_EQ(c.at("subject"), "loans");
    EXPECT_EQ(c.at("message"), "20 rows before, 15 now (-5); declare it in may_shrink if that is expected");
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(doc.at("summary").at("fail"), 1);
}

}  // namespace
}  // namespace slipway::verify
