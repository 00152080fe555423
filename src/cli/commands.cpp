// The table of commands: name, one line, handler. Later commands join this list.
#include <array>

#include "cli/command.hpp"

namespace slipway::cli {

namespace {
constexpr std::array<Command, 2> kCommands{{
    {"lint", "review migrations: each statement safe / review / dangerous, with its lock and a safer recipe", run_lint},
    {"migrate", "status, plan and apply of the migration folder, with history kept as the project's tool keeps it",
     run_migrate},
}};
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace slipway::cli
