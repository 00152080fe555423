// The table of commands: name, one line, handler. Later commands join this list.
#include <array>

#include "cli/command.hpp"

namespace slipway::cli {

namespace {
constexpr std::array<Command, 2> kCommands{{
    {"check", "the pre-deployment checklist: env, secret strength, committed secrets, git, database grants, backup",
     run_check},
    {"lint", "review migrations: each statement safe / review / dangerous, with its lock and a safer recipe", run_lint},
}};
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace slipway::cli
