// The table of commands: name, one line, handler. Later commands join this list.
#include <array>

#include "cli/command.hpp"

namespace slipway::cli {

namespace {
constexpr std::array<Command, 2> kCommands{{
    {"lint", "review migrations: each statement safe / review / dangerous, with its lock and a safer recipe", run_lint},
    {"gate",
     "a reverse proxy in front of the backend: maintenance and read-only modes, admin bypass, zero-downtime switch",
     run_gate},
}};
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace slipway::cli
