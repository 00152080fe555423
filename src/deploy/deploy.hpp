// `slipway deploy` and `slipway rollback`: the checklist's runbook, phase by phase.
//
// Each phase runs the same slipway command a person would type at that step of the checklist
// (`slipway check`, `slipway migrate plan`, `slipway backup create --label pre-deploy`,
// `slipway gate maintenance on`, `slipway migrate apply`, the release steps, `slipway gate
// switch`, `slipway verify`, ...), as a child process with the deploy's --config. A deploy does
// exactly what the documented commands do, each phase's output is that command's output, and a
// phase's failure is that command's exit code. See runbook.hpp for the order and the rollback.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "deploy/record.hpp"
#include "deploy/runbook.hpp"

namespace slipway::deploy {

struct DeployOptions {
  std::string binary;            // the slipway executable the phases run
  std::filesystem::path config;  // --config for the phases; empty = none (./slipway.toml)
  std::string env_file;          // --env-file for the phases
  std::string database_url;      // for restores
  std::string version;           // what is being deployed
  bool dry_run = false;
  bool allow_dangerous = false;
  bool restore_db = false;  // restore the pre-deploy backup on rollback, whatever the config says
  bool resume = false;      // continue the interrupted deploy
  std::chrono::milliseconds lock_wait{0};
  Observer* observer = nullptr;
  std::function<void(const std::string&)> say;  // one line of narration (dry run, takeovers)
};

// Runs a deploy; the record says how it ended. Fails (exit 1) when the lock is held, (exit 2) on
// bad options, (exit 3) when the state database cannot be used.
Result<DeployRecord> run_deploy(const Config& config, const DeployOptions& options);

struct RollbackOptions {
  DeployOptions base;  // binary, config, database_url, observer, lock_wait
  std::string target;  // a deploy id to roll back; empty = the interrupted one, else the latest
  bool restore_db = false;
};

// Rolls back: an interrupted deploy is undone from its record; otherwise the latest succeeded
// deploy is replaced by the one before it (that release's steps, a switch to its upstream,
// optionally the database restored from the pre-deploy backup), recorded as kind "rollback".
Result<DeployRecord> run_rollback(const Config& config, const RollbackOptions& options);

// A running deploy whose process is gone, with the state it left, or nullopt.
struct Interrupted {
  DeployRecord record;
  std::string why;  // "process 4121 on web-1 is no longer running"
};
Result<std::optional<Interrupted>> find_interrupted(const Config& config);

// The record's state in words: maintenance on?, migrations applied?, which steps ran.
std::string describe_state(const DeployRecord& record);

}  // namespace slipway::deploy
