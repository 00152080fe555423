// slipway lint as a user runs it: files, folders, stdin, formats, exit codes, config, database.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "postgres.hpp"
#include "process.hpp"
#include "test_dir.hpp"

namespace slipway::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class LintCli : public ::testing::Test {
 protected:
  void SetUp() override { dir = fresh_test_dir("cli"); }
  void TearDown() override { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  RunResult lint(std::vector<std::string> args, const std::string& input = {},
                 std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {slipway_binary(), "lint"});
    env.emplace("DATABASE_URL", "\x01unset");
    return run(args, input, env, dir.string());
  }
  fs::path dir;
};

TEST_F(LintCli, ExampleAppMigrationsBlockOnV3) {
  auto r = lint({source_path("examples/loans")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("[ban-drop-column]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[changing-column-type]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("20260301000000_loan_amount_bigint/migration.sql:"), std::string::npos) << r.out;
}

TEST_F(LintCli, SafeFileExitsZero) {
  const auto f =
      write("001.sql", "CREATE TABLE report_sessions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);\n");
  auto r = lint({f});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 statement: 1 safe, 0 review, 0 dangerous"), std::string::npos) << r.out;
}

TEST_F(LintCli, FailOnReviewTurnsReviewIntoExitOne) {
  const auto f = write("m.sql", "ALTER TABLE loans RENAME COLUMN amount TO principal;\n");
  EXPECT_EQ(lint({f}).exit_code, 0);
  EXPECT_EQ(lint({f, "--fail-on", "review"}).exit_code, 1);
}

TEST_F(LintCli, SyntaxErrorIsExitTwoWithFileLineColumnAndOtherFilesStillLinted) {
  const auto bad = write("1_bad.sql", "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN;\n");
  const auto good = write("2_good.sql", "DROP TABLE users;\n");
  auto r = lint({bad, good});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("1_bad.sql:2:25: syntax error"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2_good.sql:1:1: dangerous"), std::string::npos) << r.out;
}

TEST_F(LintCli, ReadsStdin) {
  auto r = lint({"-"}, "TRUNCATE loans;");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("<stdin>:1:1: dangerous"), std::string::npos) << r.out;
}

TEST_F(LintCli, MissingPathIsBadInput) {
  auto r = lint({"nope.sql"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.sql: no such file or folder"), std::string::npos) << r.err;
}

TEST_F(LintCli, JsonFollowsThePublicContract) {
  const auto f = write("m.sql", "CREATE TABLE t (id int);\nALTER TABLE \"members\" DROP COLUMN \"legacy_code\";\n");
  auto r = lint({f, "--format", "json"});
  EXPECT_EQ(r.exit_code, 1);
  const json::value doc = json::parse(r.out);
  const auto& file = doc.at("files").at(0).as_object();
  EXPECT_EQ(file.at("path").as_string(), f);
  const auto& st = file.at("statements").at(1).as_object();
  EXPECT_EQ(st.at("line").as_int64(), 2);
  EXPECT_EQ(st.at("column").as_int64(), 1);
  EXPECT_EQ(st.at("verdict").as_string(), "dangerous");
  EXPECT_EQ(st.at("lock").as_string(), "ACCESS EXCLUSIVE");
  EXPECT_EQ(st.at("tables").at(0).as_string(), "members");
  const auto& finding = st.at("findings").at(0).as_object();
  EXPECT_EQ(finding.at("rule").as_string(), "ban-drop-column");
  EXPECT_EQ(finding.at("verdict").as_string(), "dangerous");
  EXPECT_FALSE(finding.at("message").as_string().empty());
  EXPECT_FALSE(finding.at("hint").as_string().empty());
  EXPECT_EQ(doc.at("summary").at("dangerous").as_int64(), 1);
  EXPECT_EQ(doc.at("summary").at("safe").as_int64(), 1);
  EXPECT_EQ(doc.at("summary").at("review").as_int64(), 0);
}

TEST_F(LintCli, SarifGithubAndMarkdown) {
  const auto f = write("m.sql", "ALTER TABLE members DROP COLUMN legacy_code;\n");
  auto sarif = lint({f, "--format", "sarif"});
  const json::value doc = json::parse(sarif.out);
  EXPECT_EQ(doc.at("version").as_string(), "2.1.0");
  const auto& result = doc.at("runs").at(0).at("results").at(0);
  EXPECT_EQ(result.at("ruleId").as_string(), "ban-drop-column");
  EXPECT_EQ(result.at("level").as_string(), "error");
  EXPECT_EQ(result.at("locations").at(0).at("physicalLocation").at("region").at("startLine").as_int64(), 1);

  auto github = lint({f, "--format", "github"});
  EXPECT_EQ(github.out.rfind("::error file=", 0), 0u) << github.out;
  EXPECT_NE(github.out.find("line=1,col=1,title=slipway ban-drop-column (dangerous)::"), std::string::npos)
      << github.out;

  auto md = lint({f, "--format", "markdown"});
  EXPECT_EQ(md.out.rfind("### Slipway migration review", 0), 0u) << md.out;
  EXPECT_NE(md.out.find("| 🔴 dangerous |"), std::string::npos) << md.out;

  auto bad = lint({f, "--format", "yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown format 'yaml'"), std::string::npos) << bad.err;
}

TEST_F(LintCli, ColorOnlyWhenAskedAndNeverWithNoColor) {
  const auto f = write("m.sql", "DROP TABLE t;\n");
  EXPECT_EQ(lint({f}).out.find("\x1b["), std::string::npos);  // not a terminal
  EXPECT_NE(lint({f, "--color", "always"}).out.find("\x1b[31m"), std::string::npos);
  EXPECT_EQ(lint({f, "--color", "auto"}, {}, {{"NO_COLOR", "1"}}).out.find("\x1b["), std::string::npos);
}

TEST_F(LintCli, IgnoreWithReasonSuppressesAndIsReported) {
  const auto f = write("m.sql",
                       "-- slipway:ignore ban-drop-column unused since v2.3\n"
                       "ALTER TABLE members DROP COLUMN legacy_code;\n"
                       "-- slipway:ignore ban-drop-table\n"
                       "SELECT 1;\n");
  auto r = lint({f});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("ignored [ban-drop-column]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ignored: unused since v2.3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[ignore-without-reason]"), std::string::npos) << r.out;
}

TEST_F(LintCli, UnusedAndUnknownIgnoresAreFindings) {
  const auto f = write("m.sql",
                       "-- slipway:ignore-file ban-drop-table\n"
                       "-- slipway:ignore ban-drop-colum typo here\n"
                       "ALTER TABLE members ADD COLUMN x text;\n");
  auto r = lint({f});
  EXPECT_NE(r.out.find("[unused-ignore] slipway:ignore-file ban-drop-table matches no finding"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("unknown rule 'ban-drop-colum', did you mean 'ban-drop-column'?"), std::string::npos) << r.out;
}

TEST_F(LintCli, ConfigErrorsAreReportedTogetherWithPositions) {
  write("slipway.toml", "[lint]\nfail_on = \"sometimes\"\nreview_row = 5\n");
  auto r = lint({"-"}, "SELECT 1;");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("slipway.toml:2:11: lint.fail_on must be one of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slipway.toml:3:1: unknown key 'lint.review_row', did you mean 'review_rows'?"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 problems in the configuration"), std::string::npos) << r.err;
}

TEST_F(LintCli, ConfigSuppliesMigrationsDirAndFailOn) {
  write("db/001_init.sql", "ALTER TABLE loans RENAME TO credits;\n");
  write("slipway.toml", "[migrations]\ndir = \"db\"\n[lint]\nfail_on = \"review\"\n");
  auto r = lint({});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("001_init.sql:1:1: review"), std::string::npos) << r.out;
}

TEST_F(LintCli, UnreachableDatabaseIsExitThreeAndThePasswordIsNotPrinted) {
  const auto f = write("m.sql", "SELECT 1;\n");
  auto r = lint({f, "--database", "postgresql://app:topsecretpw@127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err.find("topsecretpw"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("topsecretpw"), std::string::npos) << r.out;
}

TEST_F(LintCli, DatabaseFromConfigGivesLiveSizes) {
  auto& server = Postgres::instance();
  const std::string url = server.create_database();
  server.exec(url,
              "CREATE TABLE loans (id int, amount integer);"
              "INSERT INTO loans SELECT g, g FROM generate_series(1, 120000) g; ANALYZE loans;");
  write("slipway.toml", "[database]\nurl = \"${DATABASE_URL}\"\n");
  const auto f = write("m.sql", "CREATE INDEX ON loans (amount);\nALTER TABLE loans ADD COLUMN note text;\n");
  auto r = run({slipway_binary(), "lint", f, "--format", "json"}, {}, {{"DATABASE_URL", url}}, dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json::value doc = json::parse(r.out);
  const auto& index = doc.at("files").at(0).at("statements").at(0);
  EXPECT_EQ(index.at("verdict").as_string(), "review");
  EXPECT_NE(std::string(index.at("findings").at(0).at("message").as_string()).find("120k rows"), std::string::npos);
  EXPECT_EQ(doc.at("files").at(0).at("statements").at(1).at("verdict").as_string(), "safe");
  // --no-database keeps it offline.
  auto offline = run({slipway_binary(), "lint", f, "--no-database"}, {}, {{"DATABASE_URL", url}}, dir.string());
  EXPECT_NE(offline.out.find("size of loans unknown"), std::string::npos) << offline.out;
}

TEST_F(LintCli, DisableTakesOneRuleAndLeavesThePaths) {
  const auto f = write("m.sql", "ALTER TABLE members DROP COLUMN legacy_code;\n");
  auto r = lint({"--disable", "ban-drop-column", f});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("[ban-drop-column]"), std::string::npos) << r.out;
  auto unknown = lint({"--disable", "ban-drop-colum", f});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown rule 'ban-drop-colum', did you mean 'ban-drop-column'?"), std::string::npos)
      << unknown.err;
}

TEST_F(LintCli, HelpHasAnExampleAndRulesAreListed) {
  auto help = lint({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  auto rules = lint({"--rules"});
  EXPECT_EQ(rules.exit_code, 0);
  EXPECT_NE(rules.out.find("ban-drop-column"), std::string::npos);
  auto usage = lint({"--fail-on", "sometimes"});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace slipway::test
