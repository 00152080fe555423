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

// A command's subcommands, rows of one table the same way.
using Subcommand = Command;
// "  create   take a backup ...\n" per row, names padded to the longest, for a usage text.
std::string subcommand_list(std::span<const Subcommand> table);
// Runs the row that args[1] names, with args[0] "slipway <command> <name>". With no name it
// prints usage() to stderr and returns 2; with --help, -h or help, to stdout and returns 0. An
// unknown name is bad input (exit 2) with a "did you mean".
int run_subcommand(const Args& args, std::span<const Subcommand> table, std::string (*usage)());

int run_lint(const Args& args);
int run_check(const Args& args);
int run_lock(const Args& args);
int run_history(const Args& args);
int run_backup(const Args& args);
int run_verify(const Args& args);
int run_gate(const Args& args);
int run_deploy(const Args& args);
int run_rollback(const Args& args);
int run_status(const Args& args);
int run_migrate(const Args& args);
int run_watch(const Args& args);

// Shared by the commands: --config, --env-file, --format and --color.
struct CommonOptions {
  std::optional<std::string> config;
  std::optional<std::string> env_file;
  std::string format = "text";
  std::string color = "auto";  // auto | always | never
};

// Loads the config (and checks [verify]); every error on failure, printing nothing.
tl::expected<Config, ConfigErrors> load_config_checked(const CommonOptions& options);
// Loads the config and prints every error on failure.
std::optional<Config> load_config_or_report(const CommonOptions& options);
// Prints an error (redacted) to stderr and returns its exit code.
int report_error(const Error& error);
Style style_for(const CommonOptions& options);

// The database a command connects to: `flag` (--database), else database.direct_url, else
// database.url. A key whose ${VAR} is unset is skipped, and its require() error is stored in
// `unresolved` (when given) so that a command that needs a database can say which variable is
// missing. Returns "" when no URL is usable. Its password is registered as a secret (register_database_url_secret), so
// it never prints.
std::string database_url(const Config& config, const std::optional<std::string>& flag,
                         std::optional<Error>* unresolved = nullptr);

// Registers a database URL's password with redact(); an unparseable URL is registered whole.
void register_database_url_secret(const std::string& url);

}  // namespace slipway::cli
