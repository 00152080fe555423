// slipway check as a user runs it: exit codes, JSON, --only, bad schema, secrets never printed.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "postgres.hpp"
#include "process.hpp"
#include "quiet_check.hpp"
#include "test_dir.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Only the env section matters unless a test turns the others on.
const std::string kQuiet = quiet_check();

class CheckCli : public ::testing::Test {
 protected:
  void SetUp() override { dir = fresh_test_dir("check-cli"); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
  RunResult check(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {slipway_binary(), "check"});
    env.emplace("JWT_SECRET", "\x01unset");
    env.emplace("LANG", "C.UTF-8");
    env.emplace("NO_COLOR", "1");
    return run(args, {}, env, dir.string());
  }
  fs::path dir;
};

TEST_F(CheckCli, PassingChecklistExitsZero) {
  write("slipway.toml", std::string(kQuiet) + "[check.env.JWT_SECRET]\nsecret = true\n");
  write(".env", "JWT_SECRET=q3Vt9fK2xQ7mZ4pL8vR1tY6wB3nC5hJ0dS2aE7gU4kM9rW1zX8cN6bV3yT5oI0lP\n");
  const auto r = check({"--env-file", ".env", "--no-database"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("env\n  ✓ env-jwt-secret  JWT_SECRET is set and strong (64 bytes) (from .env)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("passed, 1 warning, 0 failed"), std::string::npos) << r.out;  // not a git repository
}

TEST_F(CheckCli, FailingCheckExitsOneAndNeverPrintsTheSecret) {
  write("slipway.toml",
        std::string(kQuiet) + "[check.env.JWT_SECRET]\nsecret = true\n[check.env.MODE]\nequals = \"production\"\n");
  write(".env", "JWT_SECRET=SuperSecretPassword1\nMODE=dev\n");
  const auto r = check({"--env-file", ".env", "--no-database", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find("SuperSecretPassword1"), std::string::npos) << r.out;
  const json::value doc = json::parse(r.out);
  const auto& checks = doc.at("checks").as_array();
  ASSERT_GE(checks.size(), 2u);
  const auto& jwt = checks[0].as_object();
  EXPECT_EQ(jwt.at("id").as_string(), "env-jwt-secret");
  EXPECT_EQ(jwt.at("section").as_string(), "env");
  EXPECT_EQ(jwt.at("status").as_string(), "fail");
  EXPECT_TRUE(jwt.contains("hint"));
  EXPECT_EQ(checks[1].at("message").as_string(), "MODE is \"dev\", not \"production\" (from .env)");
  EXPECT_EQ(doc.at("summary").at("fail").as_int64(), 2);
}

TEST_F(CheckCli, OnlyOneSection) {
  write("slipway.toml", kQuiet);
  const auto r = check({"--only", "git", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json::value doc = json::parse(r.out);
  for (const auto& c : doc.at("checks").as_array()) EXPECT_EQ(c.at("section").as_string(), "git");
  EXPECT_EQ(check({"--only", "gti"}).exit_code, 2);
}

TEST_F(CheckCli, BadSchemaIsExitTwoWithPosition) {
  write("slipway.toml", "[check.env.PORT]\ntype = \"strng\"\n");
  const auto r = check({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("slipway.toml:2:8: check.env.PORT.type must be one of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'string'?"), std::string::npos) << r.err;
}

TEST_F(CheckCli, UnreachableDatabaseAloneIsExitThree) {
  write("slipway.toml", kQuiet);
  const auto r = check({"--only", "database", "--database", "postgresql://app:hunter22@127.0.0.1:1/loans"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_EQ(r.out.find("hunter22"), std::string::npos) << r.out;
}

TEST_F(CheckCli, DatabaseSectionAgainstARealServer) {
  const std::string url = Postgres::instance().create_database();
  write("slipway.toml", std::string(kQuiet) + "[database]\nurl = \"${APP_URL}\"\n");
  // The app connects as the superuser here: the checklist must fail it.
  const auto r = check({"--only", "database", "--format", "json"}, {{"APP_URL", url}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  bool superuser = false;
  const json::value doc = json::parse(r.out);
  for (const auto& c : doc.at("checks").as_array()) {
    if (c.at("id").as_string() == "db-superuser") superuser = c.at("status").as_string() == "fail";
  }
  EXPECT_TRUE(superuser) << r.out;
}

TEST_F(CheckCli, HelpHasAnExample) {
  const auto r = check({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("slipway check --env-file .env.production"), std::string::npos);
}

// backup-recent reads the real backup repository (backup.repository): no backup, an unverified
// one and one older than check.backup.max_age fail; a recent verified one passes.
TEST_F(CheckCli, BackupItemReadsTheRealRepository) {
  const std::string url = Postgres::instance().create_database();
  Postgres::instance().exec(url, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)");
  write("slipway.toml",
        "[database]\nurl = \"" + url +
            "\"\n[backup]\nrepository = \"backups\"\n[check.backup]\nmax_age = \"24h\"\nverified = true\n");
  const auto backup_recent = [&] {
    const auto r = check({"--only", "backup", "--format", "json"});
    const json::value doc = json::parse(r.out);
    const auto& checks = doc.at("checks").as_array();
    EXPECT_EQ(checks.size(), 1u) << r.out;
    EXPECT_EQ(checks.at(0).at("id").as_string(), "backup-recent");
    return std::pair{r.exit_code, std::string(checks.at(0).at("message").as_string())};
  };
  const auto backup = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {slipway_binary(), "backup"});
    return run(args, {}, {}, dir.string());
  };

  auto [code, message] = backup_recent();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(message, "no backup exists");
  EXPECT_FALSE(fs::exists(dir / "backups"));  // check never creates the repository

  const auto created = backup({"create", "--format", "json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string id(json::parse(created.out).at("id").as_string());
  std::tie(code, message) = backup_recent();
  EXPECT_EQ(code, 1);
  EXPECT_NE(message.find(id), std::string::npos) << message;
  EXPECT_NE(message.find("has not been verified"), std::string::npos) << message;

  ASSERT_EQ(backup({"verify", id}).exit_code, 0);
  std::tie(code, message) = backup_recent();
  EXPECT_EQ(code, 0) << message;
  EXPECT_NE(message.find(id + " is"), std::string::npos) << message;
  EXPECT_NE(message.find("and verified"), std::string::npos) << message;

  // The same backup, made long ago: too old.
  const fs::path manifest = dir / "backups" / (id + ".manifest.json");
  std::ifstream in(manifest);
  json::object m = json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
  in.close();
  m["created_at"] = "2020-01-01T00:00:00.000Z";
  std::ofstream(manifest, std::ios::trunc) << json::serialize(m);
  std::tie(code, message) = backup_recent();
  EXPECT_EQ(code, 1);
  EXPECT_NE(message.find("(the limit is 1d)"), std::string::npos) << message;

  // Not required to be verified, and recent enough: a fresh unverified backup passes.
  write("slipway.toml",
        "[database]\nurl = \"" + url +
            "\"\n[backup]\nrepository = \"backups\"\n[check.backup]\nmax_age = \"24h\"\nverified = false\n");
  ASSERT_EQ(backup({"create"}).exit_code, 0);
  std::tie(code, message) = backup_recent();
  EXPECT_EQ(code, 0) << message;
}

}  // namespace
}  // namespace slipway::test
