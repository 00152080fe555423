// The table of commands: name, one line, handler. Later commands join this list.
#include "cli/command.hpp"

namespace slipway::cli {

namespace {
constexpr Command kCommands[] = {
    {"check", "the pre-deployment checklist: env, secret strength, committed secrets, git, database grants, backup",
     run_check},
    {"backup", "logical backups: create, list, verify, restore, export; compressed, checksummed, encrypted",
     run_backup},
    {"lint", "review migrations: each statement safe / review / dangerous, with its lock and a safer recipe", run_lint},
    {"migrate", "status, plan and apply of the migration folder, with history kept as the project's tool keeps it",
     run_migrate},
    {"gate",
     "a reverse proxy in front of the backend: maintenance and read-only modes, admin bypass, zero-downtime switch",
     run_gate},
    {"verify", "post-deployment verification: smoke flows, data integrity, performance budgets, security scan",
     run_verify},
    {"deploy", "the whole checklist as one command, with automatic rollback when a phase fails", run_deploy},
    {"rollback", "undo an interrupted deploy, or go back to the previous successful release", run_rollback},
    {"status", "a deploy in progress or interrupted, the state it left, the lock, the latest deploy", run_status},
    {"history", "past deploys and rollbacks, each phase's result; --format markdown for a changelog", run_history},
    {"lock", "show or release the deploy lock", run_lock},
    {"watch", "the monitor: probes on a schedule, alerts when one stays down and when it is back", run_watch},
};
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace slipway::cli
