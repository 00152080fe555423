// Running a program from a test: its exit code and everything it printed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace slipway::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] with argv, feeding `input` to stdin, with `env` added to the environment
// (a value of "\x01unset" removes the variable). Waits for it to finish.
RunResult run(const std::vector<std::string>& argv, const std::string& input = {},
              const std::map<std::string, std::string>& env = {}, const std::string& cwd = {});

// The slipway binary under test (from the SLIPWAY_BINARY compile definition).
std::string slipway_binary();
// A path inside the source tree.
std::string source_path(const std::string& relative);

}  // namespace slipway::test
