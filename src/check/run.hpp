// A minimal child-process runner for git. PRIVATE to check/: the general runner
// (core/process.hpp) is being written on another branch; once it lands, run_command() becomes a
// call to run_process() and this file goes away.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace slipway::check {

struct CommandOutput {
  int exit_code = -1;  // -1 when a signal ended it
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH) in `cwd` with stdin from /dev/null, and returns what it
// printed. Fails with an environment error when argv[0] cannot be started.
Result<CommandOutput> run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

}  // namespace slipway::check
