// How a deploy runs slipway's own commands. Each phase runs the command a person would type at
// that step (`slipway check --format json`, `slipway gate read-only on`, ...) as a child process,
// so a phase that crashes cannot take down the process that holds the deploy lock, and reads its
// result from its JSON on stdout and its exit code. The runner is an interface so that the
// runbook's phases can be tested with canned results (tests/deploy/deploy_test.cpp) instead of
// only end to end.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/process.hpp"

namespace slipway::deploy {

struct CommandResult {
  ExitStatus status;
  std::string out;
  std::string err;
  boost::json::value doc;  // stdout parsed as JSON, or null

  [[nodiscard]] bool ok() const { return status.ok(); }
  // The command's own explanation: its JSON's failure or message, else its error line on stderr
  // ("slipway: ..."), else its last line.
  [[nodiscard]] std::string why() const;
  [[nodiscard]] std::string output() const { return out + err; }

  // A result as a command would give it: `exit_code`, `json` on stdout (parsed into doc).
  static CommandResult of(int exit_code, const std::string& json = {}, std::string err = {});
};

class Commands {
 public:
  virtual ~Commands() = default;
  // Runs `slipway ARGS...` with `env` over the deploy's own environment. A command still running
  // at `deadline` is stopped with its process group (max(): no deadline).
  virtual CommandResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                            std::chrono::steady_clock::time_point deadline) = 0;
};

// The real runner: `binary ARGS... [--config config] [--env-file env_file]`, NO_COLOR set.
std::unique_ptr<Commands> slipway_commands(std::string binary, std::filesystem::path config, std::string env_file);

}  // namespace slipway::deploy
