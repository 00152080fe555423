#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lint_settings.hpp"
#include "core/redact.hpp"
#include "core/suggest.hpp"
#include "pg/conninfo.hpp"
#include "verify/settings.hpp"

namespace slipway::cli {

std::string subcommand_list(std::span<const Subcommand> table) {
  std::size_t width = 0;
  for (const Subcommand& s : table) width = std::max(width, s.name.size());
  std::string out;
  for (const Subcommand& s : table) out += fmt::format("  {:<{}} {}\n", s.name, width + 1, s.summary);
  return out;
}

int run_subcommand(const Args& args, std::span<const Subcommand> table, std::string (*usage)()) {
  if (args.size() < 2) {
    std::fputs(usage().c_str(), stderr);
    return 2;
  }
  if (args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  std::vector<std::string_view> names;
  for (const Subcommand& s : table) {
    if (s.name != args[1]) {
      names.push_back(s.name);
      continue;
    }
    Args sub{fmt::format("{} {}", args[0], s.name)};
    sub.insert(sub.end(), args.begin() + 2, args.end());
    return s.run(sub);
  }
  return report_error(
      Error::input(fmt::format("unknown {} subcommand '{}'{}", args[0], args[1], did_you_mean(args[1], names)), {},
                   fmt::format("run `{} --help` for the list", args[0])));
}

int report_error(const Error& error) {
  std::fputs(redact(fmt::format("slipway: {}\n", error.render())).c_str(), stderr);
  return static_cast<int>(error.exit_code());
}

tl::expected<Config, ConfigErrors> load_config_checked(const CommonOptions& options) {
  std::optional<std::filesystem::path> path;
  if (options.config) path = *options.config;
  auto config = find_and_load_config(path, options.env_file);
  // core reads [verify]'s base_url only; verify knows the rest. Every command checks the whole
  // file, so a mistake in [verify] is found by `slipway check`, not first during a deploy.
  if (config) {
    if (auto verify = verify::load_verify_settings(*config); !verify) config = tl::unexpected(verify.error());
  }
  return config;
}

std::optional<Config> load_config_or_report(const CommonOptions& options) {
  auto config = load_config_checked(options);
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

Style style_for(const CommonOptions& options) {
  if (options.color == "always") return Style::for_stdout(true);
  if (options.color == "never") return Style::for_stdout(false);
  return Style::for_stdout();
}

std::string database_url(const Config& config, const std::optional<std::string>& flag,
                         std::optional<Error>* unresolved) {
  std::string url = flag.value_or("");
  if (url.empty()) {
    for (const char* key : {"database.direct_url", "database.url"}) {
      const std::string& value = std::string(key) == "database.url" ? config.database.url : config.database.direct_url;
      if (auto ok = config.require(key); !ok) {
        if (unresolved && !*unresolved) *unresolved = ok.error();
        continue;
      }
      if (value.empty()) continue;
      url = value;
      break;
    }
  }
  register_database_url_secret(url);
  return url;
}

lint::Settings lint_settings(const Config& config, const pg::LiveSchema* live, std::optional<int> pg_version) {
  lint::Settings settings;
  settings.thresholds = {config.lint.review_rows, config.lint.dangerous_rows, config.lint.review_bytes,
                         config.lint.dangerous_bytes};
  settings.postgres_version = pg_version.value_or(config.lint.postgres_version);
  if (settings.postgres_version == 0) settings.postgres_version = live ? live->server_major : 15;
  settings.disabled.insert(config.lint.disable.begin(), config.lint.disable.end());
  return settings;
}

void register_database_url_secret(const std::string& url) {
  if (url.empty()) return;
  for (const std::string& part : url_password_parts(url)) register_secret(part);  // an unencoded '/' or '@' too
  auto info = pg::ConnInfo::parse(url);
  if (!info) {
    register_secret(url);  // unparseable: mask all of it
    return;
  }
  if (!info->password().empty()) register_secret(info->password());
}

}  // namespace slipway::cli
