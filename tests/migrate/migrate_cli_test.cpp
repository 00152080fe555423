// slipway migrate as a user runs it: exit codes, JSON, the plan file, config.
#include <ctime>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "migrate/results.hpp"
#include "postgres.hpp"
#include "process.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using migrate::ApplyDigest;
using migrate::PlanDigest;
using migrate::StatusDigest;

class MigrateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          (std::string("slipway-migrate-cli-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = Postgres::instance().create_database();
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
  }
  RunResult migrate(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {slipway_binary(), "migrate"});
    env.emplace("DATABASE_URL", "\x01unset");
    env.emplace("DIRECT_URL", "\x01unset");
    return run(args, {}, env, dir.string());
  }
  static json::object parse(const std::string& out) {
    boost::system::error_code ec;
    json::value v = json::parse(out, ec);
    EXPECT_FALSE(ec) << out;
    return ec ? json::object{} : v.as_object();
  }
  fs::path dir;
  std::string url;
};

TEST_F(MigrateCli, StatusPlanApplyStatusOnTheExampleApp) {
  const std::string example = source_path("examples/loans");
  auto r = migrate({"status", "--dir", example, "--database", url, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object s = parse(r.out);
  EXPECT_EQ(s["format"].as_string(), "prisma");
  EXPECT_EQ(s["table"].as_string(), "_prisma_migrations");
  EXPECT_EQ(s["table_exists"].as_bool(), false);
  EXPECT_EQ(s["summary"].at("pending").as_int64(), 3);
  EXPECT_EQ(s["migrations"].as_array()[0].at("state").as_string(), "pending");
  EXPECT_EQ(s["migrations"].as_array()[0].at("name").as_string(), "20260101000000_init");
  // What a deploy reads of it (migrate/results.hpp) reads the real output.
  auto status = StatusDigest::from_json(s);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->pending, 3);
  EXPECT_EQ(status->last_applied, "");

  r = migrate({"plan", "--dir", example, "--database", url, "--format", "json", "--output", (dir / "p.sql").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto digest = PlanDigest::from_json(parse(r.out));
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(digest->migrations, 3);
  EXPECT_EQ(digest->statements, 32);

  r = migrate({"plan", "--dir", example, "--database", url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  char day[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(day, sizeof day, "%Y%m%d", std::localtime(&now));
  const fs::path plan = dir / (std::string("migration_plan_") + day + ".sql");
  EXPECT_TRUE(fs::exists(plan)) << r.out;
  EXPECT_NE(r.out.find("3 migrations, 32 statements"), std::string::npos) << r.out;

  r = migrate({"apply", "--dir", example, "--database", url, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json::object a = parse(r.out);
  EXPECT_EQ(a["status"].as_string(), "applied");
  ASSERT_EQ(a["migrations"].as_array().size(), 3U);
  EXPECT_EQ(a["migrations"].as_array()[2].at("outcome").as_string(), "committed");
  EXPECT_EQ(a["migrations"].as_array()[2].at("statements").as_array()[0].at("state").as_string(), "committed");
  auto applied = ApplyDigest::from_json(a);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->status, "applied");
  ASSERT_EQ(applied->committed.size(), 3U);
  EXPECT_EQ(applied->committed[0], "20260101000000_init");
  EXPECT_TRUE(r.err.empty()) << "no progress lines in JSON mode: " << r.err;

  r = migrate({"apply", "--dir", example, "--database", url});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("nothing pending"), std::string::npos) << r.out;
  r = migrate({"status", "--dir", example, "--database", url});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("3 applied, 0 pending"), std::string::npos) << r.out;
  r = migrate({"status", "--dir", example, "--database", url, "--format", "json"});
  status = StatusDigest::from_json(parse(r.out));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->applied, 3);
  EXPECT_EQ(status->last_applied, applied->committed.back());
}

TEST_F(MigrateCli, ConfigSuppliesFolderDatabaseAndTable) {
  write("db/V1__init.sql", "CREATE TABLE t (id int);\n");
  write("slipway.toml",
        "[database]\nurl = \"${DATABASE_URL}\"\n[migrations]\ndir = \"db\"\ntable = \"deploy_history\"\n"
        "lock_timeout = \"2s\"\n");
  auto r = migrate({"apply"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("applying V1__init.sql"), std::string::npos) << r.err;
  r = migrate({"status", "--format", "json"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object s = parse(r.out);
  EXPECT_EQ(s["table"].as_string(), "deploy_history");
  EXPECT_EQ(s["summary"].at("applied").as_int64(), 1);

  // Drift: exit 1.
  write("db/V1__init.sql", "CREATE TABLE t (id bigint);\n");
  r = migrate({"status"}, {{"DATABASE_URL", url}});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("drift"), std::string::npos) << r.out;

  // The variable unset: exit 2, naming it.
  r = migrate({"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("DATABASE_URL"), std::string::npos) << r.err;
}

TEST_F(MigrateCli, PlanOutputAndJson) {
  write("m/1_init.sql", "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n");
  auto r = migrate({"plan", "--dir", "m", "--database", url, "--output", "out/plan.sql", "--format", "json"});
  ASSERT_EQ(r.exit_code, 2) << "the output folder does not exist: " << r.out << r.err;
  fs::create_directories(dir / "out");
  r = migrate({"plan", "--dir", "m", "--database", url, "--output", "out/plan.sql", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object p = parse(r.out);
  EXPECT_EQ(p["file"].as_string(), "out/plan.sql");
  EXPECT_EQ(p["summary"].at("statements").as_int64(), 2);
  const auto& m = p["migrations"].as_array()[0].as_object();
  EXPECT_EQ(m.at("steps").as_array().size(), 2U);
  EXPECT_EQ(m.at("steps").as_array()[1].at("transaction").as_bool(), false);
  EXPECT_EQ(m.at("statements").as_array()[1].at("lock").as_string(), "SHARE UPDATE EXCLUSIVE");
  EXPECT_TRUE(fs::exists(dir / "out/plan.sql"));
}

TEST_F(MigrateCli, ApplyRefusesDangerousAndReportsFailuresAsExitOne) {
  write("m/1_init.sql", "CREATE TABLE t (id int, old text);\n");
  ASSERT_EQ(migrate({"apply", "--dir", "m", "--database", url}).exit_code, 0);
  write("m/2_drop.sql", "ALTER TABLE t DROP COLUMN old;\n");
  auto r = migrate({"apply", "--dir", "m", "--database", url});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("[ban-drop-column]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--allow-dangerous"), std::string::npos) << r.out;
  r = migrate({"apply", "--dir", "m", "--database", url, "--allow-dangerous"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  write("m/3_broken.sql", "CREATE TABLE u (id int);\nINSERT INTO nope VALUES (1);\n");
  r = migrate({"apply", "--dir", "m", "--database", url, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1);
  json::object a = parse(r.out);
  EXPECT_EQ(a["status"].as_string(), "failed");
  const auto& err = a["migrations"].as_array()[0].at("error").as_object();
  EXPECT_EQ(err.at("statement").as_int64(), 2);
  EXPECT_EQ(err.at("sqlstate").as_string(), "42P01");
  EXPECT_NE(std::string(err.at("at").as_string()).find("3_broken.sql:2:1"), std::string::npos);
}

TEST_F(MigrateCli, ExitCodesForBadInputAndAnUnreachableDatabase) {
  write("m/1_init.sql", "CREATE TABLE t (id int);\n");
  EXPECT_EQ(migrate({"status", "--dir", "m"}).exit_code, 2) << "no database";
  EXPECT_EQ(migrate({"status", "--dir", "nope", "--database", url}).exit_code, 2);
  auto r = migrate({"staus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'status'"), std::string::npos) << r.err;
  EXPECT_EQ(migrate({}).exit_code, 2);
  EXPECT_EQ(migrate({"status", "--format", "sarif", "--dir", "m", "--database", url}).exit_code, 2);
  r = migrate({"status", "--dir", "m", "--database", "postgresql://slipway:s3cretpw@127.0.0.1:1/none"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err.find("s3cretpw"), std::string::npos) << r.err;
  write("m/2_bad.sql", "ALTER TABLE t ADD COLUMN;\n");
  r = migrate({"plan", "--dir", "m", "--database", url});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("2_bad.sql:1:"), std::string::npos) << r.err;
  r = migrate({"apply", "--dir", "m", "--database", url});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(MigrateCli, HelpForEverySubcommand) {
  for (const char* sub : {"status", "plan", "apply"}) {
    auto r = migrate({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << sub;
  }
  auto r = migrate({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("apply"), std::string::npos);
}

}  // namespace
}  // namespace slipway::test
