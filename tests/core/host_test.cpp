// Who and where: the names that go into deploy records, locks and mail.
#include "core/host.hpp"

#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace slipway {
namespace {

// Deploys from cron or a systemd unit have no $USER, and their records said "unknown@host".
TEST(Host, UserNameWithoutUserVariableIsThePasswdName) {
  const char* saved = std::getenv("USER");
  const std::optional<std::string> restore = saved ? std::optional<std::string>(saved) : std::nullopt;
  unsetenv("USER");
  const std::string name = user_name();
  if (restore) setenv("USER", restore->c_str(), 1);
  const passwd* entry = getpwuid(geteuid());
  ASSERT_NE(entry, nullptr) << "this test needs a passwd entry for the effective uid";
  EXPECT_EQ(name, entry->pw_name);
  EXPECT_NE(name, "unknown");
}

TEST(Host, UserVariableWinsWhenSet) {
  const char* saved = std::getenv("USER");
  const std::optional<std::string> restore = saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("USER", "deployer", 1);
  const std::string name = user_name();
  if (restore) setenv("USER", restore->c_str(), 1);
  else unsetenv("USER");
  EXPECT_EQ(name, "deployer");
}

}  // namespace
}  // namespace slipway
