// The binary's front door: help, version, unknown commands.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <tuple>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "deploy/record.hpp"
#include "process.hpp"
#include "state/store.hpp"

namespace slipway::test {
namespace {

TEST(Main, HelpListsCommandsWithAnExample) {
  auto r = run({slipway_binary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("lint"), std::string::npos);
  EXPECT_NE(r.out.find("Example"), std::string::npos);
}

TEST(Main, NoCommandIsAUsageError) {
  auto r = run({slipway_binary()});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Main, UnknownCommandSuggestsTheClosest) {
  auto r = run({slipway_binary(), "lnit"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'lnit', did you mean 'lint'?"), std::string::npos) << r.err;
}

// backup, gate and migrate share one subcommand dispatcher: the same help, usage error and
// "did you mean".
TEST(Main, SubcommandsHelpUsageAndSuggestionsAlike) {
  for (const auto& [command, typo, meant] :
       {std::tuple{"backup", "prun", "prune"}, std::tuple{"gate", "stats", "status"},
        std::tuple{"migrate", "aply", "apply"}}) {
    auto help = run({slipway_binary(), command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find(std::string("  ") + meant + " "), std::string::npos) << help.out;
    auto none = run({slipway_binary(), command});
    EXPECT_EQ(none.exit_code, 2) << command;
    EXPECT_TRUE(none.out.empty()) << none.out;
    EXPECT_NE(none.err.find("Usage: slipway " + std::string(command)), std::string::npos) << none.err;
    auto unknown = run({slipway_binary(), command, typo});
    EXPECT_EQ(unknown.exit_code, 2) << command;
    EXPECT_NE(unknown.err.find("unknown slipway " + std::string(command) + " subcommand '" + typo +
                               "', did you mean '" + meant + "'?"),
              std::string::npos)
        << unknown.err;
  }
}

// `slipway help deploy` printed the top-level command list instead of deploy's help.
TEST(Main, HelpWithACommandPrintsThatCommandsHelp) {
  auto deploy = run({slipway_binary(), "help", "deploy"});
  auto direct = run({slipway_binary(), "deploy", "--help"});
  EXPECT_EQ(deploy.exit_code, 0) << deploy.err;
  EXPECT_EQ(deploy.out, direct.out);
  EXPECT_EQ(deploy.out.find("Commands:"), std::string::npos) << deploy.out;
  auto sub = run({slipway_binary(), "help", "backup", "create"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, run({slipway_binary(), "backup", "create", "--help"}).out);
  auto unknown = run({slipway_binary(), "help", "deplyo"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'deplyo', did you mean 'deploy'?"), std::string::npos) << unknown.err;
  EXPECT_EQ(run({slipway_binary(), "help"}).exit_code, 0);
  EXPECT_EQ(run({slipway_binary(), "help", "--help"}).exit_code, 0);
}

// `slipway history ID` showed a failed verify's JSON answer (and the cut end of it) in its text
// view: the deploy runs verify with --format json. The text view says what failed instead.
TEST(Main, HistoryTextViewShowsAFailedVerifyAsTextNotJson) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("slipway-history-cli-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "slipway.toml") << "[state]\nurl = \"state.db\"\n";
  const std::string answer =
      R"({"checks":[{"id":"smoke","part":"smoke","status":"pass","message":"ok"},)"
      R"({"id":"perf-budget","part":"perf","status":"fail","message":"p(95) = 812.5ms, budget < 500ms",)"
      R"("subject":"health: p(95) < 500ms"}],"perf":[{"rps":1.5366E4}],"summary":{"pass":1,"fail":1}})";
  {
    auto db = state::open_file(dir / "state.db");
    ASSERT_TRUE(db) << db.error().message;
    deploy::DeployRecord r;
    r.id = "d-1";
    r.kind = deploy::RecordKind::deploy;
    r.version = "v2";
    r.status = deploy::RunStatus::rolled_back;
    r.started_at = "2026-11-21T09:35:02Z";
    r.reason = "verify failed: " + answer + "; the rollback did not complete";
    r.verify = boost::json::parse(answer);
    // The tail keeps the last 4096 bytes: the beginning of a long answer is cut off.
    r.phases.push_back({"verify", deploy::PhaseStatus::failed, "", "", 1200, answer, answer.substr(40)});
    ASSERT_TRUE(deploy::History(**db).save(r));
  }
  auto out = run({slipway_binary(), "history", "d-1", "--config", (dir / "slipway.toml").string()});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out.find("{\""), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("\":"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("reason: verify failed: perf-budget [health: p(95) < 500ms]: p(95) = 812.5ms, budget < 500ms; "
                         "the rollback did not complete"),
            std::string::npos)
      << out.out;
  EXPECT_NE(out.out.find("| perf-budget [health: p(95) < 500ms]: p(95) = 812.5ms"), std::string::npos) << out.out;
  auto markdown =
      run({slipway_binary(), "history", "--format", "markdown", "--config", (dir / "slipway.toml").string()});
  EXPECT_EQ(markdown.out.find("{\""), std::string::npos) << markdown.out;
  fs::remove_all(dir);
}

TEST(Main, VersionPrintsOneLine) {
  auto r = run({slipway_binary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("slipway ", 0), 0u);
}

}  // namespace
}  // namespace slipway::test
