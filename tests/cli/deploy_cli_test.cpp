// slipway deploy as a user runs it: an unset ${VAR} in a key the deploy needs, the dry run's plan
// (read-only, nothing written), the steps' after_switch commands.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

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

// Everything `slipway check` would look at besides what a test sets is off, so the deploy's
// check phase passes against the test server (whose app role is its superuser).
const std::string kQuiet = quiet_check(R"("db-superuser", "db-schema-owner", "db-grants")");

class DeployCli : public ::testing::Test {
 protected:
  void SetUp() override { dir = fresh_test_dir("deploy-cli"); }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
  }
  RunResult slipway(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"timeout", "-s", "KILL", "120", slipway_binary()});
    env.emplace("DATABASE_URL", "\x01unset");
    env.emplace("DIRECT_URL", "\x01unset");
    env.emplace("NOPE", "\x01unset");
    env.emplace("NO_COLOR", "1");
    return run(args, {}, env, dir.string());
  }
  // Every path under the project folder, files and folders.
  std::set<std::string> listing() const {
    std::set<std::string> all;
    for (const auto& e : fs::recursive_directory_iterator(dir)) all.insert(fs::relative(e.path(), dir).string());
    return all;
  }
  // A project on a fresh database with one pending migration and one release step.
  void write_project(const std::string& deploy_extra = {}) {
    url = Postgres::instance().create_database();
    write("migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    write("migrations/20260101000000_init/migration.sql", "CREATE TABLE loans (id bigint PRIMARY KEY, amount int);\n");
    write("slipway.toml", std::string(kQuiet) + "[database]\nurl = \"" + url +
                              "\"\n[migrations]\ndir = \"migrations\"\n[backup]\nrepository = \"backups\"\n"
                              "[deploy]\nmaintenance = \"off\"\n" +
                              deploy_extra);
  }
  // `slipway deploy --version V --format json` that must exit 0; its record.
  json::value deploy_ok(const std::string& version) {
    const auto r = slipway({"deploy", "--version", version, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    boost::system::error_code ec;
    json::value doc = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out << r.err;
    return ec ? json::value(json::object{
                    {"status", "unparsable"}, {"reason", ""}, {"phases", json::array{}}, {"rollback", json::array{}}})
              : doc;
  }
  // Every file under the project folder with its size and modification time.
  std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> stamps() const {
    std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> all;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) all[fs::relative(e.path(), dir).string()] = {e.file_size(), e.last_write_time()};
    return all;
  }
  fs::path dir;
  std::string url;
};

TEST_F(DeployCli, UnsetVariableInUpstreamIsExitTwoNamingItNotAnEmptyPort) {
  write("slipway.toml", "[project]\nname = \"x\"\n[deploy]\nupstream = \"127.0.0.1:${NOPE}\"\n");
  const auto r = slipway({"deploy", "--version", "v2", "--dry-run"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("NOPE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deploy.upstream"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slipway.toml:4:12"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("127.0.0.1:\n"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / ".slipway")) << "a refused dry run created the state folder";
}

TEST_F(DeployCli, UnsetVariableInAStepCommandIsExitTwoBeforeAnythingRuns) {
  write("slipway.toml", "[deploy]\n[[deploy.steps]]\nname = \"web\"\nrun = \"touch ran; start --port ${NOPE}\"\n");
  const auto r = slipway({"deploy", "--version", "v2"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("deploy.steps[0].run uses NOPE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slipway.toml:4:7"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "ran"));
  EXPECT_FALSE(fs::exists(dir / ".slipway")) << "a refused deploy created the state database";
}

TEST_F(DeployCli, DryRunJsonHoldsTheWholePlanAndWritesNoFile) {
  write_project(
      "upstream = \"127.0.0.1:9\"\nrestore_on_rollback = true\n[[deploy.steps]]\nname = \"web\"\n"
      "run = \"touch started; echo token $API_TOKEN\"\nrollback = \"touch stopped\"\nafter_switch = \"touch "
      "old-stopped\"\n"
      "env = { API_TOKEN = \"s3cr3t-token-value\" }\n");
  const auto before = listing();
  const auto r = slipway({"deploy", "--version", "v2", "--dry-run", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(listing(), before) << "the dry run wrote into the project folder";
  EXPECT_EQ(r.out.find("s3cr3t-token-value"), std::string::npos) << r.out;

  boost::system::error_code ec;
  const json::value doc = json::parse(r.out, ec);
  ASSERT_FALSE(ec) << r.out;
  EXPECT_EQ(doc.at("kind").as_string(), "plan");
  EXPECT_EQ(doc.at("version").as_string(), "v2");
  EXPECT_TRUE(doc.at("previous_version").is_null());
  EXPECT_EQ(doc.at("status").as_string(), "ready");
  std::vector<std::string> names;
  for (const auto& p : doc.at("phases").as_array()) names.emplace_back(p.at("name").as_string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"check", "lint", "hold-writes", "snapshot", "backup", "maintenance-on", "migrate",
                                      "release", "switch", "verify", "maintenance-off", "after-switch", "notify"}));
  const auto& phases = doc.at("phases").as_array();
  EXPECT_EQ(phases[0].at("status").as_string(), "ok") << "check ran for real";
  EXPECT_EQ(phases[1].at("status").as_string(), "ok") << "lint ran for real";
  EXPECT_EQ(phases[2].at("status").as_string(), "planned") << "a restore on rollback: writes are held";
  EXPECT_EQ(phases[6].at("status").as_string(), "planned");
  EXPECT_NE(phases[6].at("summary").as_string().find("1 pending migration"), std::string::npos);
  EXPECT_EQ(phases[8].at("runs").as_string(), "slipway gate switch 127.0.0.1:9");
  // check's report and the lint verdicts
  EXPECT_TRUE(doc.at("check").at("summary").is_object());
  const auto& migrations = doc.at("lint").at("migrations").as_array();
  ASSERT_EQ(migrations.size(), 1u);
  EXPECT_EQ(migrations[0].at("name").as_string(), "20260101000000_init");
  EXPECT_EQ(migrations[0].at("statements").as_array().at(0).at("verdict").as_string(), "safe");
  // the backup, the steps (secrets redacted), the switch and the rollback
  EXPECT_EQ(doc.at("backup").at("label").as_string(), "pre-deploy");
  const auto& step = doc.at("steps").as_array().at(0);
  EXPECT_EQ(step.at("name").as_string(), "web");
  EXPECT_EQ(step.at("rollback").as_string(), "touch stopped");
  EXPECT_EQ(step.at("after_switch").as_string(), "touch old-stopped");
  EXPECT_EQ(doc.at("switch").as_string(), "127.0.0.1:9");
  bool restores = false;
  for (const auto& line : doc.at("rollback").as_array())
    restores = restores || line.as_string().find("restored from the pre-deploy backup") != json::string::npos;
  EXPECT_TRUE(restores) << r.out;
}

TEST_F(DeployCli, DryRunTextPrintsThePlanOnStdout) {
  write_project("[[deploy.steps]]\nname = \"web\"\nrun = \"touch started\"\n");
  const auto before = listing();
  const auto r = slipway({"deploy", "--version", "v2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(listing(), before);
  EXPECT_NE(r.out.find("dry run: deploy v2 (previous: none)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("step web: touch started"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ready"), std::string::npos) << r.out;
}

TEST_F(DeployCli, DryRunLeavesAnExistingStateDatabaseAsItWas) {
  write_project("[[deploy.steps]]\nname = \"web\"\nrun = \"true\"\n");
  EXPECT_EQ(deploy_ok("v1").at("status").as_string(), "succeeded");
  const auto before = stamps();
  ASSERT_TRUE(before.count(".slipway/state.db")) << "the real deploy kept no state database";
  const auto r = slipway({"deploy", "--version", "v2", "--dry-run", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out).at("previous_version").as_string(), "v1");
  EXPECT_EQ(stamps(), before) << "the dry run changed a file in the project";
}

TEST_F(DeployCli, AfterSwitchRunsOnceTheNewReleaseServedAndVerified) {
  write_project(
      "[[deploy.steps]]\nname = \"web\"\nrun = \"echo $SLIPWAY_VERSION > started\"\n"
      "after_switch = \"echo $SLIPWAY_PHASE $SLIPWAY_PREVIOUS_VERSION > stopped-old\"\n");
  const json::value doc = deploy_ok("v2");
  EXPECT_EQ(doc.at("status").as_string(), "succeeded");
  std::ifstream in(dir / "stopped-old");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "after-switch");  // no earlier release: SLIPWAY_PREVIOUS_VERSION is empty
  std::vector<std::string> names;
  for (const auto& p : doc.at("phases").as_array()) names.emplace_back(p.at("name").as_string());
  ASSERT_GE(names.size(), 2u);
  EXPECT_EQ(names[names.size() - 2], "after-switch");
}

TEST_F(DeployCli, AFailingAfterSwitchIsAWarningNotARollback) {
  write_project(
      "[[deploy.steps]]\nname = \"web\"\nrun = \"touch started\"\nrollback = \"touch rolled-back\"\n"
      "after_switch = \"echo cannot stop it; exit 7\"\n");
  const json::value doc = deploy_ok("v2");
  EXPECT_EQ(doc.at("status").as_string(), "succeeded");
  EXPECT_NE(doc.at("reason").as_string().find("warning: after_switch of step \"web\""), json::string::npos) << doc;
  EXPECT_TRUE(doc.at("rollback").as_array().empty()) << doc;
  EXPECT_FALSE(fs::exists(dir / "rolled-back"));
}

}  // namespace
}  // namespace slipway::test
