// The command layer: each command is a function from arguments to an exit code. It is the only
// layer that prints errors and decides exit codes (see core/error.hpp).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/output.hpp"

namespace slipway::cli {

// argv after the command name; args[0] is "slipway <command>" for help texts.
using Args = std::vector<std::string>;
using Handler = int (*)(const Args& args);

struct Command {
  std::string_view name;
  std::string_view summary;
  Handler run;
};

// Every command, in the order `slipway --help` lists them.
std::span<const Command> commands();

int run_lint(const Args& args);
int run_check(const Args& args);
int run_lock(const Args& args);
int run_history(const Args& args);
int run_backup(const Args& args);
int run_verify(const Args& args);
int run_gate(const Args& args);

// Shared by the commands: --config, --env-file, --format and --color.
struct CommonOptions {
  std::optional<std::string> config;
  std::optional<std::string> env_file;
  std::string format = "text";
  std::string color = "auto";  // auto | always | never
};

// Loads the config and prints every error on failure.
std::optional<Config> load_config_or_report(const CommonOptions& options);
// Prints an error (redacted) to stderr and returns its exit code.
int report_error(const Error& error);
Style style_for(const CommonOptions& options);

// The database a command connects to: `flag` (--database) when given, else database.direct_url,
// else database.url, skipping a key whose ${VAR} is unset. "" when there is none. Its password
// is registered as a secret (register_url_secret), so it never prints.
std::string resolve_database_url(const Config& config, const std::optional<std::string>& flag);
// Registers a database URL's password with redact(); an unparseable URL is registered whole.
void register_url_secret(const std::string& url);

}  // namespace slipway::cli
