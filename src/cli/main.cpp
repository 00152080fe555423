// slipway: the production deployment checklist as one command. main() only dispatches.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "core/suggest.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

void print_usage() {
  std::string out =
      "slipway: deploy a PostgreSQL-backed web app safely, with checks, backups and rollback\n\n"
      "Usage: slipway <command> [options]\n\nCommands:\n";
  for (const auto& c : slipway::cli::commands()) out += fmt::format("  {:<10} {}\n", c.name, c.summary);
  out +=
      "\nEvery command takes --help (or: slipway help <command>), --config FILE (default ./slipway.toml)\n"
      "and --format.\n"
      "Exit codes: 0 ok, 1 blocking findings, 2 bad usage or input, 3 environment failure.\n\n"
      "Example:\n  slipway lint prisma/migrations --database \"$DATABASE_URL\"\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  const bool help = !words.empty() && (words[0] == "--help" || words[0] == "-h" || words[0] == "help");
  if (words.empty() || (help && (words.size() == 1 || words[1].starts_with("-")))) {
    print_usage();
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version" || words[0] == "version") {
    std::printf("slipway %s\n", kVersion);
    return 0;
  }
  // `slipway help deploy` is `slipway deploy --help`, and `help backup create` the subcommand's.
  if (help) {
    words.erase(words.begin());
    words.emplace_back("--help");
  }
  const std::string& name = words[0];
  for (const auto& c : slipway::cli::commands()) {
    if (c.name == name) {
      slipway::cli::Args args;
      args.push_back(fmt::format("slipway {}", name));
      args.insert(args.end(), words.begin() + 1, words.end());
      return c.run(args);
    }
  }
  std::vector<std::string_view> names;
  for (const auto& c : slipway::cli::commands()) names.push_back(c.name);
  std::fputs(fmt::format("slipway: unknown command '{}'{}\n  hint: run `slipway --help` for the list of commands\n",
                         name, slipway::did_you_mean(name, names))
                 .c_str(),
             stderr);
  return 2;
}
