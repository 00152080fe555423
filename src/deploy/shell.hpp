// Runs the user's release and rollback commands: `/bin/sh -c COMMAND` in a folder, with extra
// environment (the hook variables), a timeout that stops the command and everything it started,
// and its output (stdout and stderr, interleaved as written) kept for the record.
//
// Output goes through a file, not a pipe: a step that starts a server in the background and
// exits is done when the step's shell exits, even though the server still holds the output.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "core/error.hpp"
#include "core/process.hpp"
#include "core/units.hpp"

namespace slipway::deploy {

struct ShellRun {
  ExitStatus status;
  bool timed_out = false;
  std::string output;  // everything it printed (the record keeps a redacted tail)
  std::chrono::milliseconds elapsed{0};
  Duration timeout{0};  // what it was given

  [[nodiscard]] bool ok() const { return !timed_out && status.ok(); }
  // "exited with 1", "timed out after 2min and was stopped".
  [[nodiscard]] std::string describe() const;
};

// Fails only when the shell cannot be started.
Result<ShellRun> run_shell(const std::string& command, const std::filesystem::path& cwd,
                           const std::map<std::string, std::string>& env, Duration timeout);

}  // namespace slipway::deploy
