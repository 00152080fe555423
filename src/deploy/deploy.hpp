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

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "deploy/commands.hpp"
#include "deploy/record.hpp"
#include "deploy/runbook.hpp"

namespace slipway::deploy {

struct DeployOptions {
  std::string binary;            // the slipway executable the phases run
  std::filesystem::path config;  // --config for the phases; empty = none (./slipway.toml)
  std::string env_file;          // --env-file for the phases
  std::string database_url;      // for restores
  std::string version;           // what is being deployed
  bool allow_dangerous = false;
  bool restore_db = false;  // restore the pre-deploy backup on rollback, whatever the config says
  bool resume = false;      // continue the interrupted deploy
  std::chrono::milliseconds lock_wait{0};
  Observer* observer = nullptr;
  std::function<void(const std::string&)> say;  // one line of narration (dry run, takeovers)
  Commands* commands = nullptr;                 // how phases run slipway's commands; null: `binary`
};

// Runs a deploy; the record says how it ended. Fails (exit 1) when the lock is held, (exit 2) on
// bad options, (exit 3) when the state database cannot be used.
Result<DeployRecord> run_deploy(const Config& config, const DeployOptions& options);

// `slipway deploy --dry-run`: runs `check` (read-only) and `migrate plan` (its file in a
// temporary folder, removed), and describes every phase without running it. Writes nothing in
// the project: no plan file, no record, and no state database when there is none. The plan:
// {"kind":"plan","version","previous_version","status":"ready"|"blocked","reason","phases":[{"name",
// "runs","status":"ok"|"failed"|"skipped"|"planned","summary","on_failure"}],"check":{check's
// report},"lint":{migrate plan's report},"backup":{...},"steps":[...],"switch","rollback":[...]},
// secrets redacted. Fails (exit 2) on bad options or an unset ${VAR} in a [deploy] key.
Result<boost::json::object> plan_deploy(const Config& config, const DeployOptions& options);

// Fails (exit 2, naming the variable and the key's file:line:col) when a [deploy] key a deploy
// uses (deploy.upstream, a step's run, rollback, after_switch, cwd or env, ...) referenced an unset
// ${VAR}.
Result<void> require_deploy_keys(const Config& config);

struct RollbackOptions {
  DeployOptions base;  // binary, config, database_url, observer, lock_wait
  std::string target;  // a deploy id to roll back; empty = the interrupted one, else the latest
  bool restore_db = false;
};

// Rolls back: an interrupted deploy is undone from its record; otherwise the latest succeeded
// deploy is replaced by the one before it (that release's steps, a switch to its upstream,
// optionally the database restored from the pre-deploy backup), recorded as kind "rollback".
Result<DeployRecord> run_rollback(const Config& config, const RollbackOptions& options);

// `slipway rollback`'s exit code for its record: 0 when production is where the rollback meant to
// put it (a rollback that `succeeded`; an interrupted deploy that was `rolled-back`), else 1 (the
// rollback failed, was undone because its own verify failed, or lost its lock).
int rollback_exit_code(const DeployRecord& record);

// A running deploy whose process is gone, with the state it left, or nullopt.
struct Interrupted {
  DeployRecord record;
  std::string why;  // "process 4121 on web-1 is no longer running"
};
Result<std::optional<Interrupted>> find_interrupted(const Config& config);

// The record's state in words: maintenance on?, migrations applied?, which steps ran.
std::string describe_state(const DeployRecord& record);

}  // namespace slipway::deploy
