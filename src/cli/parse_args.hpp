// CLI11 glue shared by the commands: common flags and turning parse errors into exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.hpp"

namespace slipway::cli {

// Adds --config, --env-file, --format (with the formats listed) and --color.
void add_common_options(CLI::App& app, CommonOptions& options, std::string_view formats);

// Parses `args` (args[0] is the program name). Returns an exit code when the command should stop
// now (0 after --help, 2 on a usage error), or nullopt to go on.
std::optional<int> parse(CLI::App& app, const Args& args);

}  // namespace slipway::cli
