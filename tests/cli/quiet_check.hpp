// The part of slipway.toml that turns off every section of `slipway check` but env, for the CLI
// tests that run a checklist (or a deploy, whose first phase is one) in a folder that is no git
// repository and holds no backups.
#pragma once

#include <string>

namespace slipway::test {

// `skip`: more check ids to skip, as a TOML array's contents ("\"db-grants\", \"db-superuser\"").
inline std::string quiet_check(const std::string& skip = {}) {
  return "\n[check]\npreset = \"none\"\n" + (skip.empty() ? std::string() : "skip = [" + skip + "]\n") +
         "[check.git]\nuncommitted = \"off\"\nwrong_branch = \"off\"\nunpushed = \"off\"\n"
         "[check.secrets]\nenabled = false\n[check.backup]\nenabled = false\n";
}

}  // namespace slipway::test
