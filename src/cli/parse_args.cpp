#include "cli/parse_args.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace slipway::cli {

void add_common_options(CLI::App& app, CommonOptions& options, std::string_view formats) {
  app.add_option("--config", options.config, "the config file (default: ./slipway.toml when present)");
  app.add_option("--env-file", options.env_file, "read ${VAR} values from this env file too");
  app.add_option("--format", options.format, fmt::format("output format: {}", formats));
  app.add_option("--color", options.color, "auto, always or never (NO_COLOR is honoured)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

std::optional<int> parse(CLI::App& app, const Args& args) {
  std::vector<std::string> reversed(args.begin() + 1, args.end());
  std::reverse(reversed.begin(), reversed.end());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fputs(fmt::format("slipway: {}\n  hint: run `{} --help`\n", e.what(), args[0]).c_str(), stderr);
    return 2;
  }
  return std::nullopt;
}

}  // namespace slipway::cli
