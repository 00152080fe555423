#include <cstdio>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "core/redact.hpp"

namespace slipway::cli {

int report_error(const Error& error) {
  std::fputs(redact(fmt::format("slipway: {}\n", error.render())).c_str(), stderr);
  return static_cast<int>(error.exit_code());
}

std::optional<Config> load_config_or_report(const CommonOptions& options) {
  std::optional<std::filesystem::path> path;
  if (options.config) path = *options.config;
  auto config = find_and_load_config(path, options.env_file);
  if (!config) {
    for (const Error& e : config.error()) report_error(e);
    const std::size_t n = config.error().size();
    std::fputs(
        fmt::format("slipway: {} problem{} in the configuration; nothing was done\n", n, n == 1 ? "" : "s").c_str(),
        stderr);
    return std::nullopt;
  }
  return std::move(*config);
}

std::optional<std::string> database_url(const Config& config, const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  for (const auto& [key, value] :
       {std::pair<const char*, const std::string*>{"database.direct_url", &config.database.direct_url},
        {"database.url", &config.database.url}}) {
    if (!value->empty() && config.require(key)) return *value;
  }
  return std::nullopt;
}

Style style_for(const CommonOptions& options) {
  if (options.color == "always") return Style::for_stdout(true);
  if (options.color == "never") return Style::for_stdout(false);
  return Style::for_stdout();
}

}  // namespace slipway::cli
