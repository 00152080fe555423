// The binary's front door: help, version, unknown commands.
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

TEST(Main, VersionPrintsOneLine) {
  auto r = run({slipway_binary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("slipway ", 0), 0u);
}

}  // namespace
}  // namespace slipway::test
