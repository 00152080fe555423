// The binary's front door: help, version, unknown commands.
#include <tuple>

#include <gtest/gtest.h>

#include "process.hpp"

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

TEST(Main, VersionPrintsOneLine) {
  auto r = run({slipway_binary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("slipway ", 0), 0u);
}

}  // namespace
}  // namespace slipway::test
