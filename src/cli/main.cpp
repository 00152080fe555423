// slipway: the production deployment checklist as one command. main() only dispatches.
#include <cstdio>
#include <cstring>
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
      "\nEvery command takes --help, --config FILE (default ./slipway.toml) and --format.\n"
      "Exit codes: 0 ok, 1 blocking findings, 2 bad usage or input, 3 environment failure.\n\n"
      "Example:\n  slipway lint prisma/migrations --database \"$DATABASE_URL\"\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0) {
    std::printf("slipway %s\n", kVersion);
    return 0;
  }
  const std::string name = argv[1];
  for (const auto& c : slipway::cli::commands()) {
    if (c.name == name) {
      slipway::cli::Args args;
      args.push_back(fmt::format("slipway {}", name));
      for (int i = 2; i < argc; ++i) args.emplace_back(argv[i]);
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
