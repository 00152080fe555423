#include "deploy/deploy.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <mutex>
#include <random>
#include <thread>

#include "backup/results.hpp"
#include "core/host.hpp"
#include "core/mutex.hpp"
#include "core/process.hpp"
#include "core/redact.hpp"
#include "core/report.hpp"
#include "core/time.hpp"
#include "deploy/announce.hpp"
#include "deploy/lock.hpp"
#include "deploy/shell.hpp"
#include "gate/status.hpp"
#include "migrate/results.hpp"
#include "net/http_client.hpp"
#include "state/store.hpp"
#include "verify/outline.hpp"
#include "verify/report.hpp"

namespace slipway::deploy {

namespace json = boost::json;

namespace {

// ---- running slipway's own commands ----

using Sub = CommandResult;
using Clock = std::chrono::steady_clock;

// The deploy's runner (DeployOptions::commands, else the slipway binary), with the running phase's
// deadline: a command still running then is stopped with its group.
class Slipway {
 public:
  explicit Slipway(const DeployOptions& o)
      : owned_(o.commands ? nullptr : slipway_commands(o.binary, o.config, o.env_file)),
        commands_(o.commands ? *o.commands : *owned_) {}

  Clock::time_point deadline = Clock::time_point::max();

  Sub run(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) const {
    return commands_.run(args, env, deadline);
  }

 private:
  std::unique_ptr<Commands> owned_;
  Commands& commands_;
};

std::string new_deploy_id() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  return fmt::format("d-{}-{:04x}", buf, rd() & 0xFFFF);
}

std::string git_sha(const std::filesystem::path& root) {
  ProcessSpec spec;
  spec.argv = {"git", "rev-parse", "HEAD"};
  spec.cwd = root;
  auto r = run_process(spec);
  if (!r || !r->status.ok()) return {};
  return last_line(r->out);
}

// ---- the phases ----

struct Context {
  Context(const Config& cfg, const DeployOptions& opts, DeployRecord& rec)
      : config(cfg), options(opts), slipway(opts), record(rec) {
    verify = verify::outline(cfg);
  }

  const Config& config;
  const DeployOptions& options;
  Slipway slipway;
  DeployRecord& record;
  std::string previous_version;  // the last succeeded deploy's
  std::int64_t pending = -1;     // migrations pending, once lint ran (-1: unknown, e.g. resumed)
  std::string plan_file;
  History* history = nullptr;  // for the alerts a success resolves
  // Whether the deploy lock was lost (the release stops between steps); empty: not watched.
  std::function<bool()> lock_lost;
  // [verify] in outline, to know which verify phases apply and which flow files to record; null
  // when it does not load (then the commands run and report the problem themselves).
  std::optional<verify::Outline> verify;
  // The deploy's one-time gate bypass for its own verification: minted and registered with the
  // running gate at the first verify phase, handed to `slipway verify` in its environment (never
  // on disk, never on a command line), revoked when the deploy ends.
  std::string bypass_token;
  bool bypass_live = false;
  // The recorded [verify] the verify phase runs with (`--verify-config`): a rollback's target's;
  // empty: the working tree's.
  std::string verify_config;

  ~Context() {
    if (bypass_live) slipway.run({"gate", "bypass", "off"}, {{"SLIPWAY_GATE_BYPASS", bypass_token}});
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The environment of a verify phase: the bypass, once the gate took it.
  std::map<std::string, std::string> verify_env() {
    if (bypass_token.empty()) {
      unsigned char bytes[32];
      if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
      for (unsigned char b : bytes) bypass_token += fmt::format("{:02x}", b);
      register_secret(bypass_token);
      // No gate running (exit 3) is no error: verify then goes straight to base_url.
      bypass_live = slipway.run({"gate", "bypass", "on"}, {{"SLIPWAY_GATE_BYPASS", bypass_token}}).ok();
    }
    if (!bypass_live) return {};
    return {{"SLIPWAY_GATE_BYPASS", bypass_token}};
  }

  std::map<std::string, std::string> hook_env(const std::string& phase) const {
    std::string migrations;
    for (const auto& m : record.migrations_applied) migrations += (migrations.empty() ? "" : ",") + m;
    return {{"SLIPWAY_DEPLOY_ID", record.id},
            {"SLIPWAY_VERSION", record.version},
            {"SLIPWAY_PHASE", phase},
            {"SLIPWAY_BACKUP_ID", record.backup_id},
            {"SLIPWAY_MIGRATIONS", migrations},
            {"SLIPWAY_PREVIOUS_VERSION", previous_version},
            {"SLIPWAY_UPSTREAM", config.deploy.upstream}};
  }
};

// `slipway check`'s result as the check phase's outcome.
Outcome check_phase_of(const Sub& s) {
  if (!s.ok() && s.status.code != 1) return Outcome::failed(s.why(), s.output());
  auto report = report::Report::from_json(s.doc, "check", "section");
  if (!report)
    return Outcome::failed(fmt::format("slipway check answered no report: {}", report.error().message), s.output());
  const report::Summary summary = report->summary();
  if (s.ok()) return Outcome::ok(fmt::format("{} passed, {} warnings", summary.pass, summary.warn), s.output());
  // A missing or stale backup does not block a deploy: its backup phase takes a verified one
  // before anything changes. Everything else that failed does.
  std::string ids;
  std::string backup;
  std::int64_t blocking = 0;
  for (const auto& ch : report->checks()) {
    if (ch.status != report::Status::fail) continue;
    const std::string line = ch.id + ": " + ch.message;
    if (ch.id.starts_with("backup-")) {
      backup += (backup.empty() ? "" : ", ") + line;
      continue;
    }
    ++blocking;
    ids += (ids.empty() ? "" : ", ") + line;
  }
  if (blocking == 0 && !backup.empty())
    return Outcome::ok(fmt::format("{} passed, {} warnings; {} (the backup phase takes a verified one)", summary.pass,
                                   summary.warn, backup),
                       s.output());
  return Outcome::failed(fmt::format("{} check{} failed: {}", blocking, blocking == 1 ? "" : "s", ids), s.output());
}

Outcome check_phase(Context& c) {
  return check_phase_of(c.slipway.run({"check", "--format", "json"}));
}

// `ran`, when given, gets the `migrate plan` run (its JSON is the plan a dry run shows).
Outcome lint_phase(Context& c, Sub* ran = nullptr) {
  if (c.config.migrations.dir.empty()) {
    c.pending = 0;
    return Outcome::skipped("no migrations.dir configured");
  }
  Sub local;
  Sub& s = ran ? *ran : local;
  s = c.slipway.run({"migrate", "plan", "--format", "json", "--output", c.plan_file});
  if (!s.doc.is_object()) return Outcome::failed(s.why(), s.output());
  auto plan = migrate::PlanDigest::from_json(s.doc);
  if (!plan) return Outcome::failed(plan.error().message, s.output());
  c.pending = plan->migrations;
  std::string summary = fmt::format("{} pending migration{}, {} statement{}: {} dangerous, {} review; plan {}",
                                    c.pending, c.pending == 1 ? "" : "s", plan->statements,
                                    plan->statements == 1 ? "" : "s", plan->dangerous, plan->review, c.plan_file);
  if (plan->dangerous > 0 && !c.options.allow_dangerous) {
    const std::string& first = plan->first_dangerous;
    return Outcome::failed(
        fmt::format("{} dangerous statement{}{}; review the plan, or deploy with --allow-dangerous", plan->dangerous,
                    plan->dangerous == 1 ? "" : "s", first.empty() ? "" : ": " + first),
        s.output());
  }
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  return Outcome::ok(summary);
}

// Whether this deploy changes the schema: migrations are pending (or unknown, on a resume), or the
// release steps migrate themselves (deploy.release_migrates).
bool schema_changes(const Context& c) {
  return c.pending != 0 || c.config.deploy.release_migrates;
}

// Whether a rollback of this deploy may restore the pre-deploy backup.
bool may_restore(const Context& c) {
  return (c.config.deploy.restore_on_rollback || c.options.restore_db) && schema_changes(c);
}

// The running gate's status: an environment error when no gate answers, bad input when what
// answered is not a gate's status (a contract broken between two slipway binaries is loud).
Result<gate::GateStatus> gate_status(Context& c) {
  Sub s = c.slipway.run({"gate", "status", "--format", "json"});
  if (!s.ok()) return fail(Error::environment(s.why()));
  return gate::GateStatus::from_json(s.doc);
}

// Writes stop before the snapshot and the backup when a rollback may restore that backup, so no
// write a user was told succeeded is lost by the restore: the gate goes read-only (reads still
// pass) until the deploy ends. Without a gate nothing can hold them, and the phase says so.
Outcome hold_writes_phase(Context& c, std::string_view label) {
  if (!may_restore(c))
    return Outcome::skipped(c.config.deploy.restore_on_rollback || c.options.restore_db
                                ? "no schema change: a rollback restores nothing, writes continue"
                                : "a rollback restores nothing (deploy.restore_on_rollback = false), writes continue");
  auto status = gate_status(c);
  if (!status && status.error().kind == ErrorKind::environment)
    return Outcome::skipped(
        "no gate is running, so writes continue during the backup, and a restore on rollback would lose those made "
        "after it: " +
        status.error().message);
  if (!status) return Outcome::failed(status.error().message);
  if (c.record.previous_upstream.empty()) c.record.previous_upstream = status->upstream;
  if (status->mode == "maintenance") return Outcome::ok("the gate is in maintenance mode already");
  Sub s = c.slipway.run({"gate", "read-only", "on", "--message",
                         fmt::format("{}: saving a backup first. Changes are paused for a few minutes.", label)});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  c.record.writes_held = true;
  return Outcome::ok("gate read-only: writes wait until this ends, so a restore loses none", s.output());
}

Outcome snapshot_phase(Context& c) {
  if (c.verify && !c.verify->integrity) return Outcome::skipped("no [verify.integrity] tables configured");
  Sub s = c.slipway.run({"verify", "integrity", "--snapshot", "--format", "json"});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  auto report = report::Report::from_json(s.doc);
  if (!report) return Outcome::failed("slipway verify integrity answered no report: " + report.error().message);
  c.record.snapshot_id = verify::snapshot_id(*report);
  if (c.record.snapshot_id <= 0) return Outcome::failed("slipway verify integrity --snapshot named no snapshot");
  return Outcome::ok(fmt::format("row counts recorded (snapshot {})", c.record.snapshot_id), s.output());
}

// Notes how many writes the gate let through outside normal mode so far: a restore of the backup
// about to be taken names those that came after.
void mark_writes(Context& c) {
  if (!c.record.writes_held && !c.record.maintenance_on) return;
  auto status = gate_status(c);
  if (!status) return;  // writes_mark stays 0: a restore names every write the gate let through
  c.record.writes_gate_started_at = status->started_at;
  c.record.writes_mark = static_cast<std::int64_t>(status->writes_let_through);
}

Outcome backup_phase(Context& c, std::string_view label = "pre-deploy") {
  mark_writes(c);
  Sub s = c.slipway.run({"backup", "create", "--label", std::string(label), "--verify", "--format", "json"});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  auto created = backup::Created::from_json(s.doc);
  if (!created) return Outcome::failed(created.error().message, s.output());
  c.record.backup_id = created->id;
  return Outcome::ok(fmt::format("backup {} ({} bytes, verified)", created->id, created->archive_bytes));
}

std::vector<std::string> maintenance_args(const Config& config, bool on, const std::string& version) {
  if (config.deploy.maintenance == "read-only") return {"gate", "read-only", on ? "on" : "off"};
  std::vector<std::string> args{"gate", "maintenance", on ? "on" : "off"};
  if (on) {
    args.push_back("--message");
    args.push_back(fmt::format("Deploying {}. We will be back in a few minutes.", version));
  }
  return args;
}

Outcome maintenance_on_phase(Context& c) {
  if (c.config.deploy.maintenance == "off")
    return Outcome::skipped(c.record.writes_held ? "deploy.maintenance = \"off\"; the gate stays read-only"
                                                 : "deploy.maintenance = \"off\"");
  if (!schema_changes(c) && !c.config.deploy.maintenance_without_migrations)
    return Outcome::skipped("no migration pending (deploy.maintenance_without_migrations = false)");
  auto status = gate_status(c);
  if (!status && status.error().kind == ErrorKind::environment)
    return Outcome::skipped("no gate is running: " + status.error().message);
  if (!status) return Outcome::failed(status.error().message);
  c.record.previous_upstream = status->upstream;
  Sub s = c.slipway.run(maintenance_args(c.config, true, c.record.version));
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  c.record.maintenance_on = true;
  return Outcome::ok(c.config.deploy.maintenance + " on", s.output());
}

// The gate back to normal: maintenance off, and the writes held before the backup let go.
Outcome maintenance_off(Context& c) {
  if (!c.record.maintenance_on && !c.record.writes_held)
    return Outcome::skipped("the gate is in normal mode already (or was never changed)");
  std::string output;
  std::string done;
  if (c.record.maintenance_on) {
    Sub s = c.slipway.run(maintenance_args(c.config, false, c.record.version));
    output += s.output();
    if (!s.ok()) return Outcome::failed(s.why(), output);
    c.record.maintenance_on = false;
    done = c.config.deploy.maintenance + " off";
  }
  if (c.record.writes_held) {
    Sub s = c.slipway.run({"gate", "read-only", "off"});
    output += s.output();
    if (!s.ok()) return Outcome::failed(s.why(), output);
    c.record.writes_held = false;
    done += (done.empty() ? "" : "; ") + std::string("writes pass again");
  }
  return Outcome::ok(done, output);
}

Outcome migrate_phase(Context& c) {
  // The release migrates: this phase stands for it, so that its undo (the restore) runs.
  const bool release = c.config.deploy.release_migrates;
  if (c.config.migrations.dir.empty() || c.pending == 0) {
    if (release) return Outcome::ok("the release steps migrate the database (deploy.release_migrates)");
    return Outcome::skipped(c.config.migrations.dir.empty() ? "no migrations.dir configured" : "no migration pending");
  }
  std::vector<std::string> args{"migrate", "apply", "--format", "json"};
  if (c.options.allow_dangerous) args.push_back("--allow-dangerous");
  Sub s = c.slipway.run(args);
  auto applied = migrate::ApplyDigest::from_json(s.doc);
  if (applied) c.record.migrations_applied = applied->committed;
  if (!s.ok()) {
    const std::string message = applied ? applied->message : std::string();
    return Outcome::failed(message.empty() ? s.why() : message, s.output());
  }
  return Outcome::ok(fmt::format("{} migration{} applied", c.record.migrations_applied.size(),
                                 c.record.migrations_applied.size() == 1 ? "" : "s"),
                     s.output());
}

// The writes the gate let through (outside normal mode) since the backup started: what the
// restored database does not hold. Asked of the running gate; empty when none or no gate held them.
std::vector<std::string> writes_after_backup(Context& c, std::string& note, std::int64_t& count) {
  std::vector<std::string> out;
  count = 0;
  if (c.record.writes_mark < 0) return out;
  auto status = gate_status(c);
  if (!status) {
    note = status.error().kind == ErrorKind::environment
               ? "the gate did not answer, so the writes it let through after the backup are unknown"
               : "the gate's answer could not be read, so the writes it let through after the backup are unknown: " +
                     status.error().message;
    return out;
  }
  if (status->started_at != c.record.writes_gate_started_at) {
    note = "the gate restarted since the backup, so the writes it let through before restarting are unknown";
  }
  const auto now = static_cast<std::int64_t>(status->writes_let_through);
  const std::int64_t mark = note.empty() ? c.record.writes_mark : 0;
  if (now <= mark) return out;
  count = now - mark;
  std::int64_t listed = 0;
  for (const auto& w : status->recent_writes_let_through) {
    if (static_cast<std::int64_t>(w.seq) <= mark) continue;
    ++listed;
    out.push_back(fmt::format("{} {} ({}, from {} at {})", w.method, w.path, w.admin ? "an admin's" : "allow-listed",
                              w.client, w.at));
  }
  if (now - mark > listed)
    out.push_back(fmt::format("and {} earlier ones the gate no longer lists", now - mark - listed));
  return out;
}

// What the database holds now, read from it: the last applied migration and how many are pending.
std::string database_state(Context& c) {
  if (c.config.migrations.dir.empty()) return {};
  Sub s = c.slipway.run({"migrate", "status", "--format", "json"});
  auto status = migrate::StatusDigest::from_json(s.doc);
  if (!status)
    return "its migration state could not be read: " + (s.doc.is_object() ? status.error().message : s.why());
  return fmt::format("the database has {} migration{} applied{}, {} pending", status->applied,
                     status->applied == 1 ? "" : "s",
                     status->last_applied.empty() ? "" : " (the last: " + status->last_applied + ")", status->pending);
}

Outcome restore_phase(Context& c) {
  const PhaseRecord* migrate = c.record.phase("migrate");
  const PhaseRecord* release = c.record.phase("release");
  const bool release_migrated = c.config.deploy.release_migrates && release && release->status != PhaseStatus::pending;
  if (c.record.kind == RecordKind::deploy && c.record.migrations_applied.empty() && !release_migrated && migrate &&
      migrate->status != PhaseStatus::failed)
    return Outcome::skipped("no migration ran");
  if (!c.config.deploy.restore_on_rollback && !c.options.restore_db)
    return Outcome::skipped("schema kept: deploy.restore_on_rollback is false (the change is backward compatible)");
  if (c.record.backup_id.empty()) return Outcome::failed("no pre-deploy backup to restore");
  if (c.options.database_url.empty()) return Outcome::failed("no database URL to restore into");
  Sub s = c.slipway.run(
      {"backup", "restore", c.record.backup_id, "--to", c.options.database_url, "--replace", "--format", "json"});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  c.record.migrations_applied.clear();  // gone with the restore: the database says what it holds
  c.record.database_state = database_state(c);
  // The restore ran and says it succeeded (exit 0); an answer that cannot be read changes nothing.
  auto restored = backup::Restored::from_json(s.doc);
  std::string summary =
      restored ? fmt::format("database restored from {} in {} ms", c.record.backup_id, restored->duration_ms)
               : fmt::format("database restored from {} ({})", c.record.backup_id, restored.error().message);
  if (!c.record.database_state.empty()) summary += "; " + c.record.database_state;
  std::string note;
  std::int64_t count = 0;
  c.record.writes_not_restored = writes_after_backup(c, note, count);
  if (count > 0) {
    std::string list;
    for (const auto& w : c.record.writes_not_restored) list += (list.empty() ? "" : "; ") + w;
    const std::string lost =
        fmt::format("{} write{} the gate let through after the backup {} not in the restored database: {}", count,
                    count == 1 ? "" : "s", count == 1 ? "is" : "are", list);
    summary += "; " + lost;
    c.record.reason += "; " + lost;
  }
  if (!note.empty()) summary += "; " + note;
  return Outcome::ok(summary, s.output());
}

// Runs one of a step's commands (`run` or `rollback`) in its folder with the hook variables and
// its own env, appending "$ command" and what it printed to `output`.
Result<ShellRun> run_step(Context& c, const DeployStep& step, const std::string& command, const std::string& phase,
                          std::string& output) {
  auto env = c.hook_env(phase);
  for (const auto& [k, v] : step.env) env[k] = v;
  Duration timeout = step.timeout;
  // Rounded up, so that a step the phase's deadline stops is stopped at or after it.
  if (c.slipway.deadline != Clock::time_point::max())
    timeout = std::max<Duration>(std::chrono::ceil<Duration>(c.slipway.deadline - Clock::now()),
                                 std::chrono::milliseconds(1));
  timeout = std::min(timeout, step.timeout);
  auto r = run_shell(command, step.cwd.empty() ? c.config.root : step.cwd, env, timeout);
  output += fmt::format("$ {}\n{}", command, r ? r->output : r.error().message);
  return r;
}

Outcome release_phase(Context& c) {
  if (c.config.deploy.steps.empty()) return Outcome::skipped("no [[deploy.steps]] configured");
  std::string output;
  for (const DeployStep& step : c.config.deploy.steps) {
    // A step already running when the lock is lost finishes; the next one does not start.
    if (c.lock_lost && c.lock_lost()) return Outcome::stopped(fmt::format("release step \"{}\"", step.name), output);
    c.record.steps_ran.push_back(step.name);  // before it runs: a failed step may have half-happened
    auto r = run_step(c, step, step.run, "release", output);
    if (!r) return Outcome::failed(fmt::format("{}: {}", step.name, r.error().message), output);
    if (!r->ok()) return Outcome::failed(fmt::format("step \"{}\" {}", step.name, r->describe()), output);
  }
  return Outcome::ok(
      fmt::format("{} step{} ran", c.config.deploy.steps.size(), c.config.deploy.steps.size() == 1 ? "" : "s"), output);
}

Outcome release_undo(Context& c) {
  std::string output;
  std::size_t undone = 0;
  for (auto it = c.record.steps_ran.rbegin(); it != c.record.steps_ran.rend(); ++it) {
    const auto step = std::find_if(c.config.deploy.steps.begin(), c.config.deploy.steps.end(),
                                   [&](const DeployStep& s) { return s.name == *it; });
    if (step == c.config.deploy.steps.end() || step->rollback.empty()) continue;
    auto r = run_step(c, *step, step->rollback, "rollback", output);
    if (!r || !r->ok()) {
      return Outcome::failed(
          fmt::format("rollback of step \"{}\" {}", step->name, r ? r->describe() : r.error().message), output);
    }
    ++undone;
  }
  c.record.steps_ran.clear();
  return Outcome::ok(fmt::format("{} rollback command{} ran", undone, undone == 1 ? "" : "s"), output);
}

// Each step's after_switch (stopping the release it replaced, say), once the new release serves:
// switched, verified, maintenance off. Nothing can roll back any more, so a failure is a warning
// in the record (and the phase's line), never a rollback: the new release serves and was verified.
Outcome after_switch_phase(Context& c) {
  std::string output;
  std::string failed;
  std::size_t ran = 0;
  for (const DeployStep& step : c.config.deploy.steps) {
    if (step.after_switch.empty()) continue;
    ++ran;
    auto r = run_step(c, step, step.after_switch, "after-switch", output);
    if (!r || !r->ok())
      failed += fmt::format("{}after_switch of step \"{}\" {}", failed.empty() ? "" : "; ", step.name,
                            r ? r->describe() : r.error().message);
  }
  if (ran == 0) return Outcome::skipped("no step declares after_switch");
  if (!failed.empty()) {
    c.record.reason =
        "warning: " + failed + " (the new release serves and passed verification; nothing was rolled back)";
    return Outcome::failed(failed, output);
  }
  return Outcome::ok(fmt::format("{} after_switch command{} ran", ran, ran == 1 ? "" : "s"), output);
}

// Probes `url` until it answers 2xx or `patience` passes; "HTTP 200", or what went wrong.
std::pair<bool, std::string> probe(const std::string& url, Duration patience) {
  net::ClientOptions options;
  options.timeout = std::chrono::seconds(5);
  options.verify_peer = false;  // what answers, not its certificate: verify checks that
  const auto until = Clock::now() + patience;
  std::string last;
  while (true) {
    net::HttpClient client(options);
    auto r = client.send({.method = "GET", .url = url});
    if (r && r->status >= 200 && r->status < 300) return {true, fmt::format("HTTP {}", r->status)};
    last = r ? fmt::format("HTTP {}", r->status) : r.error().message;
    if (Clock::now() >= until) return {false, last};
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Without a gate (or a deploy.upstream) to switch, deploy.health_url must answer 2xx within
// deploy.health_timeout before the release is verified.
Outcome wait_for_health(Context& c, std::string why) {
  if (c.config.deploy.health_url.empty()) return Outcome::skipped(std::move(why));
  const auto [ok, answer] = probe(c.config.deploy.health_url, c.config.deploy.health_timeout);
  if (!ok)
    return Outcome::failed(fmt::format("{} did not answer 2xx within {} (deploy.health_timeout): {}",
                                       c.config.deploy.health_url, format_duration(c.config.deploy.health_timeout),
                                       answer));
  return Outcome::ok(fmt::format("{}; {} answers {}", why, c.config.deploy.health_url, answer));
}

Outcome switch_phase(Context& c) {
  if (c.config.deploy.upstream.empty()) return wait_for_health(c, "no deploy.upstream: the release serves in place");
  auto status = gate_status(c);
  if (!status && status.error().kind == ErrorKind::environment)
    return wait_for_health(c, "no gate is running: " + status.error().message);
  if (!status) return Outcome::failed(status.error().message);
  if (c.record.previous_upstream.empty()) c.record.previous_upstream = status->upstream;
  Sub s = c.slipway.run({"gate", "switch", c.config.deploy.upstream});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  c.record.upstream = c.config.deploy.upstream;
  return Outcome::ok(fmt::format("gate switched {} -> {}", c.record.previous_upstream, c.config.deploy.upstream),
                     s.output());
}

Outcome switch_undo(Context& c) {
  if (c.record.upstream.empty() || c.record.previous_upstream.empty() ||
      c.record.upstream == c.record.previous_upstream)
    return Outcome::skipped("the gate was not switched");
  Sub s = c.slipway.run({"gate", "switch", c.record.previous_upstream});
  if (!s.ok()) return Outcome::failed(s.why(), s.output());
  c.record.upstream = c.record.previous_upstream;
  return Outcome::ok("gate switched back to " + c.record.previous_upstream, s.output());
}

// `slipway verify` with the [verify] copy `config` (empty: the working tree's), comparing integrity
// with snapshot `against` (0: the record's).
Outcome verify_phase(Context& c, bool keep_report, const std::string& config, std::int64_t against = 0) {
  if (c.verify && !c.verify->any_part) return Outcome::skipped("nothing to verify is configured");
  const auto env = c.verify_env();
  std::vector<std::string> args{"verify", "--format", "json"};
  if (!config.empty()) {
    args.push_back("--verify-config");
    args.push_back(config);
  }
  if (against == 0) against = c.record.snapshot_id;
  if (against > 0) {
    args.push_back("--against");
    args.push_back(std::to_string(against));
  }
  Sub s = c.slipway.run(args, env);
  if (!s.ok() && s.status.code != 1) return Outcome::failed(s.why(), s.output());
  auto report = report::Report::from_json(s.doc);
  if (!report)
    return Outcome::failed(fmt::format("slipway verify answered no report: {}", report.error().message), s.output());
  if (keep_report) c.record.verify = s.doc;
  const report::Summary summary = report->summary();
  const char* through = env.empty() ? "" : " (through the gate's deploy bypass, whatever its mode)";
  if (s.ok()) return Outcome::ok(fmt::format("{} checks passed{}", summary.pass, through), s.output());
  const report::Check* first = report->first_failure();
  return Outcome::failed(fmt::format("{} check{} failed; first: {}", summary.fail, summary.fail == 1 ? "" : "s",
                                     first ? first->id + ": " + first->message : std::string()),
                         s.output());
}

// Sends `kind` for the record to every configured channel; empty when none is configured.
std::vector<notify::Delivery> announce(Context& c, EventKind kind, const DeployRecord& record) {
  std::vector<std::string> resolves;
  if ((kind == EventKind::success || kind == EventKind::rollback) && c.history) {
    if (auto all = c.history->list(50)) resolves = open_alerts(*all, record.id);
  }
  return notify::notify(c.config.notify, deploy_event(kind, c.config.project.name, record, resolves));
}

std::string deliveries_text(const std::vector<notify::Delivery>& deliveries) {
  std::string out;
  for (const auto& d : deliveries)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", d.channel, d.ok ? "ok" : "FAILED: " + d.message);
  return out;
}

Outcome notify_phase(Context& c) {
  DeployRecord done = c.record;
  done.status = RunStatus::succeeded;
  const auto deliveries = announce(c, EventKind::success, done);
  if (deliveries.empty()) return Outcome::skipped("no notification channel configured");
  const bool ok = std::all_of(deliveries.begin(), deliveries.end(), [](const notify::Delivery& d) { return d.ok; });
  return ok ? Outcome::ok(deliveries_text(deliveries)) : Outcome::failed(deliveries_text(deliveries));
}

// The start, failure, rollback and blocked events around a runbook; never fails the deploy.
void announce_and_say(Context& c, EventKind kind) {
  const auto deliveries = announce(c, kind, c.record);
  if (!deliveries.empty() && c.options.say)
    c.options.say(fmt::format("notified {}: {}", to_string(kind), deliveries_text(deliveries)));
}

void announce_outcome(Context& c) {
  if (c.record.status == RunStatus::blocked) announce_and_say(c, EventKind::blocked);
  // Stopped because the lock was lost; a resume of this deploy that took it over speaks for itself.
  const bool resumed = c.record.lock_lost && c.record.lock_lost->deploy_id == c.record.id;
  if (c.record.status == RunStatus::failed && !resumed) announce_and_say(c, EventKind::failure);
  if (c.record.status == RunStatus::rolled_back || c.record.status == RunStatus::rollback_failed)
    announce_and_say(c, EventKind::rollback);
}

// `body` under the deadline of `phase` (deploy.deadlines): the commands it runs are stopped with
// their process group when the deadline passes, and the phase fails saying so (a deploy rolls back).
std::function<Outcome()> timed(Context& c, std::string phase, std::function<Outcome()> body) {
  return [&c, phase = std::move(phase), body = std::move(body)] {
    const Duration limit = c.config.deploy.deadline(phase);
    c.slipway.deadline = Clock::now() + limit;
    Outcome o = body();
    const bool passed = Clock::now() >= c.slipway.deadline;
    c.slipway.deadline = Clock::time_point::max();
    if (passed && o.status == PhaseStatus::failed)
      o.summary = fmt::format("stopped at its deadline of {} (deploy.deadlines.{}): {}", format_duration(limit), phase,
                              o.summary);
    return o;
  };
}

// What serves before the deploy changes anything: the gate's upstream (its health path), else
// deploy.health_url. A rollback with no earlier release Slipway deployed (adopting a running app)
// checks that it answers again.
void probe_served_before(Context& c) {
  std::string url;
  if (auto status = gate_status(c); status && !status->upstream.empty()) {
    url = "http://" + status->upstream + c.config.gate.health_path;
  } else if (!c.config.deploy.health_url.empty()) {
    url = c.config.deploy.health_url;
  }
  if (url.empty()) return;
  c.record.served_before_url = url;
  std::tie(c.record.served_before_ok, c.record.served_before) = probe(url, Duration::zero());
}

// The [verify] copy `r` recorded, or "" when it recorded none or the copy is gone.
std::string recorded_verify_config(const DeployRecord& r) {
  std::error_code ec;
  return !r.verify_config.empty() && std::filesystem::is_regular_file(r.verify_config, ec) ? r.verify_config : "";
}

// The verification after an undo: the release the rollback returns to, with the [verify] it was
// verified with (its recorded copy), comparing integrity with `against`. With no release Slipway
// deployed before, what served before the deploy must answer again (an adopted app), or, when
// nothing did, there is nothing to verify.
Outcome reverify(Context& c, const std::optional<DeployRecord>& previous, std::int64_t against) {
  if (!previous) {
    if (c.record.served_before_url.empty())
      return Outcome::skipped(
          "no earlier release, and nothing to probe for what served before (no gate, no deploy.health_url)");
    if (!c.record.served_before_ok)
      return Outcome::skipped(fmt::format("no earlier release, and nothing served before the deploy ({}: {})",
                                          c.record.served_before_url, c.record.served_before));
    const auto [ok, answer] = probe(c.record.served_before_url, c.config.deploy.health_timeout);
    if (!ok)
      return Outcome::failed(
          fmt::format("what served before the deploy does not answer: {}: {}", c.record.served_before_url, answer));
    return Outcome::ok(
        fmt::format("what served before the deploy answers again: {} at {}", answer, c.record.served_before_url));
  }
  const std::string recorded = recorded_verify_config(*previous);
  Outcome o = verify_phase(c, false, recorded, against);
  if (o.status != PhaseStatus::skipped)
    o.summary += !recorded.empty()
                     ? fmt::format("; with the [verify] {} was deployed with", previous->version)
                     : fmt::format("; {} has no recorded [verify]: the working tree's was used", previous->version);
  return o;
}

// Copies slipway.toml and its flow files under `dir` (verify::recorded_flow_file says where), so
// that a rollback to this release verifies it with the configuration it was verified with. Returns
// the copy of slipway.toml, or "" (and why, in `note`) when there is nothing to copy or a copy fails.
std::string record_verify_config(const Context& c, const std::filesystem::path& dir, std::string& note) {
  if (c.config.file.empty() || !c.verify) return {};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    note = fmt::format("the [verify] used was not recorded: cannot create {}: {}", dir.string(), ec.message());
    return {};
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  const auto copy = [&](const std::filesystem::path& from, const std::filesystem::path& to) {
    std::filesystem::create_directories(to.parent_path(), ec);
    return !ec && std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec) && !ec;
  };
  for (const auto& f : c.verify->flow_files) {
    const std::filesystem::path from =
        std::filesystem::path(f).is_absolute() ? std::filesystem::path(f) : c.config.root / f;
    if (!copy(from, verify::recorded_flow_file(dir, f))) {
      note = fmt::format("the [verify] used was not recorded: {}: {}", f, ec.message());
      return {};
    }
  }
  if (!copy(c.config.file, dir / "slipway.toml")) {
    note = fmt::format("the [verify] used was not recorded: {}", ec.message());
    return {};
  }
  return (dir / "slipway.toml").string();
}

// The phases a deploy and a rollback share, from the release on: release, switch, verify,
// maintenance-off (`off`), after-switch.
void push_release_phases(Context& c, std::vector<Phase>& p, const std::function<Outcome()>& off) {
  p.push_back({"release", timed(c, "release", [&c] { return release_phase(c); }),
               timed(c, "release", [&c] { return release_undo(c); })});
  p.push_back({"switch", timed(c, "switch", [&c] { return switch_phase(c); }),
               timed(c, "switch", [&c] { return switch_undo(c); })});
  p.push_back({"verify", timed(c, "verify", [&c] { return verify_phase(c, true, c.verify_config); }), {}});
  p.push_back({"maintenance-off", off, {}});
  p.push_back({"after-switch", timed(c, "after-switch", [&c] { return after_switch_phase(c); }), {}});
  p.back().best_effort = true;
}

// Keeps the recorded [verify] copies of the newest kKeptReleases deploys (ids sort by time) and of
// `keep` (the release a rollback would return to), and removes the rest.
constexpr std::size_t kKeptReleases = 50;
void prune_release_copies(const std::filesystem::path& releases, const std::string& keep) {
  std::error_code ec;
  std::vector<std::string> ids;
  for (const auto& entry : std::filesystem::directory_iterator(releases, ec))
    if (entry.is_directory(ec) && entry.path().filename().string().starts_with("d-"))
      ids.push_back(entry.path().filename().string());
  if (ids.size() <= kKeptReleases) return;
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i + kKeptReleases < ids.size(); ++i)
    if (ids[i] != keep) std::filesystem::remove_all(releases / ids[i], ec);
}

std::vector<Phase> deploy_phases(Context& c) {
  const auto off = timed(c, "maintenance-off", [&c] { return maintenance_off(c); });
  std::vector<Phase> p;
  p.push_back({"check", timed(c, "check", [&c] { return check_phase(c); }), {}, true});
  p.push_back({"lint", timed(c, "lint", [&c] { return lint_phase(c); }), {}, true});
  p.push_back({"hold-writes",
               timed(c, "hold-writes", [&c] { return hold_writes_phase(c, "Deploying " + c.record.version); }), off,
               true});
  p.back().undo_last = true;
  p.push_back({"snapshot", timed(c, "snapshot", [&c] { return snapshot_phase(c); }), {}, true});
  p.push_back({"backup", timed(c, "backup", [&c] { return backup_phase(c); }), {}, true});
  p.push_back({"maintenance-on", timed(c, "maintenance-on", [&c] { return maintenance_on_phase(c); }), off});
  p.back().undo_last = true;
  p.push_back({"migrate", timed(c, "migrate", [&c] { return migrate_phase(c); }),
               timed(c, "restore", [&c] { return restore_phase(c); })});
  push_release_phases(c, p, off);
  p.push_back({"notify", timed(c, "notify", [&c] { return notify_phase(c); }), {}});
  p.back().best_effort = true;
  return p;
}

// Renews the deploy lock's lease in the background until stopped, and notes when the lock is lost
// (taken over, removed, or its PostgreSQL session ended): then it stops renewing, and lost() says
// why. A renewal that failed without losing the lock (SQLite busy) is tried again next time.
class LeaseKeeper {
 public:
  LeaseKeeper(DeployLock& lock, std::chrono::milliseconds lease) : lock_(lock) {
    thread_ = std::thread([this, lease] { renew_until_stopped(lease); });
  }
  // Why the lock was lost, or nullopt while it is held. Any thread.
  [[nodiscard]] std::optional<std::string> lost() const {
    if (!lost_.load(std::memory_order_acquire)) return std::nullopt;
    return lost_why_;
  }
  ~LeaseKeeper() {
    {
      MutexLock l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void renew_until_stopped(std::chrono::milliseconds lease) EXCLUDES(m_) {
    MutexLock l(m_);
    while (true) {
      const auto next = std::chrono::steady_clock::now() + lease / 3;
      while (!stop_ && std::chrono::steady_clock::now() < next) cv_.wait_until(m_, next);
      if (stop_) return;
      auto renewed = lock_.renew();
      if (renewed || lock_.held()) continue;
      lost_why_ = renewed.error().message;  // written once, before the flag that publishes it
      lost_.store(true, std::memory_order_release);
      return;
    }
  }

  DeployLock& lock_;
  Mutex m_;
  CondVar cv_;
  bool stop_ GUARDED_BY(m_) = false;
  std::atomic<bool> lost_{false};
  std::string lost_why_;
  std::thread thread_;
};

// The lock_lost answer of a runbook run under `keeper`: lost when the renewer says so, or when the
// lock's row, read through `db` (the history's connection, which still works when the lock's own
// PostgreSQL session was ended), is no longer this acquisition's; so a takeover is seen at the next
// phase boundary, not a renewal later. The answer names who holds the lock now.
std::function<std::optional<LockEvent>()> lock_watch(const LeaseKeeper& keeper, state::Store& db,
                                                     const DeployLock& lock) {
  return [&keeper, &db, &lock]() -> std::optional<LockEvent> {
    auto why = keeper.lost();
    auto now = DeployLock::status(db);
    const bool mine = now && *now && lock.is_mine(**now);
    if (!why && (!now || mine)) return std::nullopt;  // held (or the row could not be read: the renewer decides)
    LockEvent event{.reason = why.value_or("the deploy lock is no longer this deploy's")};
    if (now && !*now) event.reason = lost_reason(*now);
    if (now && *now && !mine) {
      const LockInfo& h = **now;
      event = LockEvent{
          .holder = h.holder, .host = h.host, .pid = h.pid, .deploy_id = h.deploy_id, .reason = lost_reason(*now)};
    }
    return event;
  };
}

// Runs `body` (a runbook or a rollback) while `lock`'s lease is renewed and watched, then releases
// the lock: the release steps and the runbook both stop once the lock is lost.
// The window that keeps `slipway watch` quiet about the probes a deploy affects (watch/windows.hpp)
// while the deploy or rollback runs; closed as it ends, whatever the outcome, after which watch says
// once what changed. It expires by itself after watch.window_max should this process die.
class WatchWindow {
 public:
  WatchWindow(Context& c, state::Store& db) : c_(c), db_(db) {
    const auto now = std::chrono::system_clock::now();
    auto opened = db_.open_window({.kind = "deploy",
                                   .ref = c_.record.id,
                                   .probes = "",
                                   .reason = fmt::format("{} {}", to_string(c_.record.kind), c_.record.version),
                                   .opened_ms = to_unix_ms(now),
                                   .expires_ms = to_unix_ms(now + c_.config.watch.window_max)});
    if (!opened && c_.options.say)
      c_.options.say("warning: watch's window for this deploy was not opened (" + opened.error().message +
                     "): `slipway watch` may alert while it runs");
    open_ = opened.has_value();
  }
  ~WatchWindow() {
    if (!open_) return;
    const auto now = to_unix_ms(std::chrono::system_clock::now());
    auto closed = db_.close_windows("deploy", c_.record.id, now, "deploy");
    if (!closed && c_.options.say)
      c_.options.say("warning: watch's window for this deploy was not closed (" + closed.error().message +
                     "): it expires by itself after watch.window_max");
  }
  WatchWindow(const WatchWindow&) = delete;
  WatchWindow& operator=(const WatchWindow&) = delete;

 private:
  Context& c_;
  state::Store& db_;
  bool open_ = false;
};

Result<void> under_lock(Context& c, DeployLock& lock, std::chrono::milliseconds lease, state::Store& db,
                        RunbookOptions& ro, const std::function<Result<void>()>& body) {
  Result<void> ran;
  {
    WatchWindow window(c, db);
    LeaseKeeper keeper(lock, lease);
    ro.lock_lost = lock_watch(keeper, db, lock);
    c.lock_lost = [&ro] { return ro.lock_lost().has_value(); };
    ran = body();
    c.lock_lost = nullptr;
  }
  (void)lock.release();
  return ran;
}

// Records (and says) that `lock` was taken over from a stale holder.
void note_takeover(DeployRecord& record, const DeployLock& lock, const DeployOptions& options) {
  const Acquired& a = lock.acquired();
  if (!a.took_over) return;
  const LockInfo& old = *a.took_over;
  record.lock_takeover = LockEvent{
      .holder = old.holder, .host = old.host, .pid = old.pid, .deploy_id = old.deploy_id, .reason = a.stale_reason};
  if (options.say) options.say(fmt::format("took over a stale deploy lock from {} ({})", old.holder, a.stale_reason));
}

}  // namespace

std::string describe_state(const DeployRecord& r) {
  std::string s = fmt::format("maintenance {}", r.maintenance_on ? "ON" : "off");
  if (r.writes_held) s += "; writes HELD (the gate is read-only)";
  s += r.migrations_applied.empty() ? "; no migration applied"
                                    : fmt::format("; {} migration(s) applied", r.migrations_applied.size());
  if (!r.steps_ran.empty()) {
    std::string steps;
    for (const auto& x : r.steps_ran) steps += (steps.empty() ? "" : ", ") + x;
    s += "; release steps ran: " + steps;
  }
  if (!r.upstream.empty()) s += "; gate upstream " + r.upstream;
  if (!r.backup_id.empty()) s += "; pre-deploy backup " + r.backup_id;
  for (const auto& p : r.phases)
    if (p.status == PhaseStatus::running) s += "; interrupted during " + p.name;
  return s;
}

Result<std::optional<Interrupted>> find_interrupted(const Config& config) {
  auto db = state::open(config);
  if (!db) return fail(db.error());
  History history(**db);
  auto running = history.unfinished();
  if (!running) return fail(running.error());
  if (!*running) return std::optional<Interrupted>{};
  // Live when the lock is held by its process; otherwise it was killed.
  auto lock = DeployLock::status(**db);
  if (!lock) return fail(lock.error());
  LockInfo holder;
  if (*lock) holder = **lock;
  const bool held_by_it = *lock && (*lock)->deploy_id == (*running)->id;
  std::string why;
  if (!held_by_it) {
    why = "its lock is gone";
  } else {
    why = stale_reason(holder, std::chrono::system_clock::now(), LockEnvironment{});
    if (why.starts_with("its lease")) why = "its lock's " + why.substr(4);
  }
  if (held_by_it && why.empty()) return std::optional<Interrupted>{};  // still running
  if (why.empty()) why = fmt::format("process {} is no longer running", (*running)->pid);
  return std::optional<Interrupted>{Interrupted{**running, why}};
}

// What the steps see that is secret (the environment's and the steps' own variables named like a
// secret; URL passwords redact() masks anyway) is masked in everything the deploy prints or records: a step that
// echoes $API_TOKEN leaves "***" in its output tail.
static void register_deploy_secrets(const Config& config) {
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && is_secret_name(entry.substr(0, eq))) register_secret(entry.substr(eq + 1));
  }
  for (const auto& step : config.deploy.steps) {
    for (const auto& [name, value] : step.env) {
      if (is_secret_name(name)) register_secret(value);
    }
  }
}

Result<void> require_deploy_keys(const Config& config) {
  for (const auto& [key, names] : config.unresolved)
    if (key.starts_with("deploy.")) return config.require(key);
  return {};
}

int rollback_exit_code(const DeployRecord& r) {
  // A rollback of kind `rollback` whose own verify failed is undone and says `rolled-back`: it
  // failed. An interrupted deploy that `slipway rollback` undid says `rolled-back`: it worked.
  const RunStatus done = r.kind == RecordKind::rollback ? RunStatus::succeeded : RunStatus::rolled_back;
  return r.status == done ? 0 : 1;
}

namespace {

// A folder outside the project for what a dry run's commands must write (migrate plan's file),
// removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "slipway-dry-run-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

json::object phase_plan(std::string_view name, std::string_view runs, const Outcome& o, std::string_view on_failure) {
  return {{"name", name},
          {"runs", redact(std::string(runs))},
          {"status", o.status == PhaseStatus::pending ? "planned" : to_string(o.status)},
          {"summary", redact(o.summary)},
          {"on_failure", on_failure}};
}

}  // namespace

Result<boost::json::object> plan_deploy(const Config& config, const DeployOptions& options) {
  register_deploy_secrets(config);
  if (options.version.empty())
    return fail(Error::input("no version to deploy", "--version", "name it: slipway deploy --version v2"));
  if (auto r = require_deploy_keys(config); !r) return fail(r.error());

  DeployRecord record;
  record.version = options.version;
  std::string previous;
  std::string blocked;
  // The history, when there is one: a dry run creates no state database.
  if (is_postgres_url(config.state.url) || std::filesystem::exists(config.state.url)) {
    auto db = state::open(config);
    if (!db) return fail(db.error());
    History history(**db);
    auto last = history.last_succeeded();
    if (!last) return fail(last.error());
    if (*last) previous = (*last)->version;
    auto interrupted = find_interrupted(config);
    if (!interrupted) return fail(interrupted.error());
    if (*interrupted)
      blocked = fmt::format(
          "deploy {} was interrupted ({}): undo it with `slipway rollback`, or finish it with "
          "`slipway deploy --resume`",
          (*interrupted)->record.id, (*interrupted)->why);
  }

  ScratchDir scratch;
  if (scratch.path().empty())
    return fail(Error::environment("cannot create a temporary folder for the plan", "$TMPDIR"));
  Context c(config, options, record);
  c.previous_version = previous;
  c.plan_file = (scratch.path() / "migration_plan.sql").string();

  const Outcome planned{PhaseStatus::pending, {}, {}};
  auto planned_as = [](std::string summary) { return Outcome{PhaseStatus::pending, std::move(summary), {}}; };
  json::array phases;

  // check: read-only, run for real.
  Sub check = c.slipway.run({"check", "--format", "json"});
  const Outcome checked = check_phase_of(check);
  phases.push_back(phase_plan("check", "slipway check", checked, "blocked"));
  if (checked.status == PhaseStatus::failed && blocked.empty()) blocked = "check failed: " + checked.summary;

  // lint: `migrate plan` reads the database; its file goes to the scratch folder.
  Sub lint_run;
  Outcome lint = lint_phase(c, &lint_run);
  // The plan file was only the command's scratch: removed with it, so not named.
  if (const auto at = lint.summary.find("; plan " + c.plan_file); at != std::string::npos)
    lint.summary.erase(at, 7 + c.plan_file.size());
  phases.push_back(phase_plan("lint", "slipway migrate plan", lint, "blocked"));
  if (lint.status == PhaseStatus::failed && blocked.empty()) blocked = "lint failed: " + lint.summary;

  phases.push_back(phase_plan(
      "hold-writes", "slipway gate read-only on",
      may_restore(c) ? planned_as("read-only, when a gate runs: writes wait until the deploy ends, so a restore on "
                                  "rollback loses none; reads stay up")
                     : Outcome::skipped("a rollback restores nothing, writes continue"),
      "blocked"));
  const bool snapshot = !c.verify || c.verify->integrity;
  phases.push_back(phase_plan("snapshot", "slipway verify integrity --snapshot",
                              snapshot ? planned : Outcome::skipped("no [verify.integrity] tables configured"),
                              "blocked"));
  phases.push_back(phase_plan("backup", "slipway backup create --label pre-deploy --verify",
                              planned_as("a verified pre-deploy backup into " + config.backup.repository.string()),
                              "blocked"));
  const bool maintenance =
      config.deploy.maintenance != "off" && (schema_changes(c) || config.deploy.maintenance_without_migrations);
  const std::string mode_on =
      config.deploy.maintenance == "read-only" ? "slipway gate read-only on" : "slipway gate maintenance on";
  phases.push_back(phase_plan("maintenance-on", mode_on,
                              maintenance
                                  ? planned_as(config.deploy.maintenance + " on, when a gate runs")
                                  : Outcome::skipped(config.deploy.maintenance == "off" ? "deploy.maintenance = \"off\""
                                                                                        : "no migration pending"),
                              "rollback"));
  phases.push_back(phase_plan(
      "migrate", "slipway migrate apply",
      c.pending != 0 ? planned_as(fmt::format("{} pending migration{}", c.pending, c.pending == 1 ? "" : "s"))
      : config.deploy.release_migrates
          ? planned_as("the release steps migrate the database (deploy.release_migrates)")
          : Outcome::skipped(config.migrations.dir.empty() ? "no migrations.dir configured" : "no migration pending"),
      "rollback"));
  json::array steps;
  for (const auto& step : config.deploy.steps) {
    steps.push_back(json::object{{"name", step.name},
                                 {"run", redact(step.run)},
                                 {"rollback", redact(step.rollback)},
                                 {"after_switch", redact(step.after_switch)},
                                 {"timeout", format_duration(step.timeout)},
                                 {"cwd", (step.cwd.empty() ? config.root : step.cwd).string()}});
  }
  phases.push_back(phase_plan("release", "[[deploy.steps]]",
                              config.deploy.steps.empty()
                                  ? Outcome::skipped("no [[deploy.steps]] configured")
                                  : planned_as(fmt::format("{} step{}", config.deploy.steps.size(),
                                                           config.deploy.steps.size() == 1 ? "" : "s")),
                              "rollback"));
  phases.push_back(phase_plan(
      "switch", "slipway gate switch " + (config.deploy.upstream.empty() ? "deploy.upstream" : config.deploy.upstream),
      config.deploy.upstream.empty() ? Outcome::skipped("no deploy.upstream: the release serves in place")
                                     : planned_as("the gate to " + config.deploy.upstream + ", when a gate runs"),
      "rollback"));
  phases.push_back(phase_plan(
      "verify", "slipway verify",
      c.verify && !c.verify->any_part ? Outcome::skipped("nothing to verify is configured") : planned, "rollback"));
  phases.push_back(phase_plan("maintenance-off", "slipway gate maintenance off", planned, "rollback"));
  const bool after_switch = std::any_of(config.deploy.steps.begin(), config.deploy.steps.end(),
                                        [](const DeployStep& s) { return !s.after_switch.empty(); });
  phases.push_back(phase_plan("after-switch", "each step's after_switch",
                              after_switch ? planned : Outcome::skipped("no step declares after_switch"), "warning"));
  phases.push_back(phase_plan("notify", "[notify]", planned, "warning"));

  json::array rollback;
  rollback.push_back("the steps' rollback commands, in reverse order");
  if (!config.deploy.upstream.empty()) rollback.push_back("the gate switched back to its previous upstream");
  if (config.deploy.restore_on_rollback || options.restore_db)
    rollback.push_back("the database restored from the pre-deploy backup, when the schema changed");
  rollback.push_back(json::string(
      previous.empty() ? "verify again: no earlier release, so what served before the deploy must answer again"
                       : "verify again, with the [verify] " + previous + " was deployed with"));
  rollback.push_back(may_restore(c) ? "maintenance off, and writes pass again" : "maintenance off");

  json::object plan{
      {"kind", "plan"},
      {"version", options.version},
      {"previous_version", previous.empty() ? json::value(nullptr) : json::value(previous)},
      {"status", blocked.empty() ? "ready" : "blocked"},
      {"reason", redact(blocked)},
      {"phases", std::move(phases)},
      {"check", check.doc},
      {"lint", lint_run.doc},
      {"backup",
       json::object{{"label", "pre-deploy"}, {"repository", config.backup.repository.string()}, {"verified", true}}},
      {"steps", std::move(steps)},
      {"switch", config.deploy.upstream.empty() ? json::value(nullptr) : json::value(config.deploy.upstream)},
      {"rollback", std::move(rollback)}};
  return plan;
}

// What a deploy and a rollback start from: the state store and the deploy a process left running,
// if any. Secrets are registered first, so that no error after this prints one.
struct Start {
  std::unique_ptr<state::Store> db;
  std::optional<Interrupted> interrupted;
};

Result<Start> start_run(const Config& config) {
  register_deploy_secrets(config);
  if (auto r = require_deploy_keys(config); !r) return fail(r.error());
  auto db = state::open(config);
  if (!db) return fail(db.error());
  auto interrupted = find_interrupted(config);
  if (!interrupted) return fail(interrupted.error());
  return Start{std::move(*db), std::move(*interrupted)};
}

Result<DeployRecord> run_deploy(const Config& config, const DeployOptions& options) {
  if (options.version.empty())
    return fail(Error::input("no version to deploy", "--version", "name it: slipway deploy --version v2"));
  auto start = start_run(config);
  if (!start) return fail(start.error());
  History history(*start->db);
  // A deploy left running by a process that is gone: report it; resume it only when asked.
  const std::optional<Interrupted>& interrupted = start->interrupted;
  DeployRecord record;
  if (interrupted && !options.resume) {
    const auto& r = interrupted->record;
    return fail(Error::refused(
        fmt::format("deploy {} of {} was interrupted ({}): {}", r.id, r.version, interrupted->why, describe_state(r)),
        "deploy " + r.id, "undo it with `slipway rollback`, or finish it with `slipway deploy --resume`"));
  }
  if (options.resume) {
    if (!interrupted) return fail(Error::input("there is no interrupted deploy to resume", "--resume"));
    record = interrupted->record;
    if (record.version != options.version)
      return fail(Error::input(fmt::format("the interrupted deploy is of {}, not {}", record.version, options.version),
                               "--version", "resume it with --version " + record.version));
  } else {
    record.id = new_deploy_id();
    record.version = options.version;
    record.started_at = now_rfc3339();
    record.git_sha = git_sha(config.root);
  }
  record.user = user_name();
  record.host = host_name();
  record.pid = static_cast<int>(getpid());

  auto previous = history.last_succeeded(record.id);
  if (!previous) return fail(previous.error());

  const std::filesystem::path state_dir = state::local_dir(config);
  std::filesystem::create_directories(state_dir / "plans");
  Context c(config, options, record);
  c.previous_version = *previous ? (*previous)->version : "";
  c.plan_file = (state_dir / "plans" / fmt::format("migration_plan_{}.sql", record.id)).string();

  auto lock_db = state::open(config);
  if (!lock_db) return fail(lock_db.error());
  const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(config.deploy.lock_lease);
  auto lock = DeployLock::acquire(**lock_db, {.deploy_id = record.id,
                                              .message = fmt::format("deploy {}", record.version),
                                              .lease = lease,
                                              .wait = options.lock_wait});
  if (!lock) return fail(lock.error());
  note_takeover(record, *lock, options);

  c.history = &history;
  if (!options.resume) {
    probe_served_before(c);
    std::string note;
    record.verify_config = record_verify_config(c, state_dir / "releases" / record.id, note);
    if (!note.empty() && options.say) options.say("warning: " + note);
    prune_release_copies(state_dir / "releases", *previous ? (*previous)->id : std::string());
  }
  auto phases = deploy_phases(c);
  RunbookOptions ro;
  // A rollback always verifies what it returned to: the previous release with the [verify] it was
  // deployed with, or, adopting an app Slipway did not deploy, what served before.
  const std::optional<DeployRecord> before = *previous;
  ro.reverify = timed(c, "verify", [&c, before] { return reverify(c, before, c.record.snapshot_id); });
  ro.before_rollback = [&c](const DeployRecord&) { announce_and_say(c, EventKind::failure); };
  const auto ran = under_lock(c, *lock, lease, *start->db, ro, [&] {
    announce_and_say(c, EventKind::start);
    return run_runbook(record, phases, history, options.observer, ro);
  });
  if (!ran) return fail(ran.error());
  announce_outcome(c);
  return record;
}

Result<DeployRecord> run_rollback(const Config& config, const RollbackOptions& options) {
  auto start = start_run(config);
  if (!start) return fail(start.error());
  History history(*start->db);
  const std::optional<Interrupted>& interrupted = start->interrupted;

  auto lock_db = state::open(config);
  if (!lock_db) return fail(lock_db.error());
  const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(config.deploy.lock_lease);

  DeployOptions base = options.base;
  base.restore_db = options.restore_db || base.restore_db;

  if (interrupted && (options.target.empty() || options.target == interrupted->record.id)) {
    // Undo what the interrupted deploy did, from its record.
    DeployRecord record = interrupted->record;
    auto lock = DeployLock::acquire(
        **lock_db,
        {.deploy_id = record.id, .message = "rollback of " + record.id, .lease = lease, .wait = base.lock_wait});
    if (!lock) return fail(lock.error());
    Context c(config, base, record);
    c.history = &history;
    auto phases = deploy_phases(c);
    std::vector<const Phase*> done;
    for (const auto& p : phases) {
      const PhaseRecord* r = record.phase(p.name);
      if (r && (r->status == PhaseStatus::ok || r->status == PhaseStatus::running || r->status == PhaseStatus::failed))
        done.push_back(&p);
    }
    // A phase that was running when the deploy died may have done its work before it could
    // record it: the gate may be read-only or in maintenance. Its undo asks the gate either way
    // (an "off" for a mode the gate is not in changes nothing).
    for (auto& p : record.phases) {
      if (p.status != PhaseStatus::running) continue;
      p.status = PhaseStatus::failed;
      if (p.name == "hold-writes") record.writes_held = true;
      if (p.name == "maintenance-on") record.maintenance_on = true;
    }
    record.reason = "interrupted (" + interrupted->why + "); rolled back by `slipway rollback`";
    auto previous = history.last_succeeded(record.id);
    if (!previous) return fail(previous.error());
    RunbookOptions ro;
    const std::optional<DeployRecord> before = *previous;
    ro.reverify = timed(c, "verify", [&c, before] { return reverify(c, before, c.record.snapshot_id); });
    const auto ran = under_lock(c, *lock, lease, *start->db, ro,
                                [&] { return roll_back(record, done, history, base.observer, ro); });
    if (!ran) return fail(ran.error());
    announce_outcome(c);
    return record;
  }

  // Replace the current release with the one before it.
  std::optional<DeployRecord> current;
  if (options.target.empty()) {
    auto last = history.last_succeeded();
    if (!last) return fail(last.error());
    current = *last;
  } else {
    auto found = history.find(options.target);
    if (!found) return fail(found.error());
    current = *found;
  }
  if (!current)
    return fail(Error::input(options.target.empty() ? "no succeeded deploy to roll back" : "no such deploy",
                             options.target, "see `slipway history`"));
  auto before = history.last_succeeded(current->id);
  if (!before) return fail(before.error());
  if (!*before)
    return fail(Error::input(
        fmt::format("{} ({}) has no earlier succeeded deploy to go back to", current->id, current->version),
        current->id));
  const DeployRecord& target = **before;

  DeployRecord record;
  record.id = new_deploy_id();
  record.kind = RecordKind::rollback;
  record.version = target.version;
  record.rollback_of = current->id;
  record.started_at = now_rfc3339();
  record.user = user_name();
  record.host = host_name();
  record.pid = static_cast<int>(getpid());
  record.git_sha = target.git_sha;
  record.backup_id = current->backup_id;  // the state before `current` changed the database
  record.migrations_applied = current->migrations_applied;

  auto lock = DeployLock::acquire(**lock_db, {.deploy_id = record.id,
                                              .message = fmt::format("rollback to {}", target.version),
                                              .lease = lease,
                                              .wait = base.lock_wait});
  if (!lock) return fail(lock.error());
  note_takeover(record, *lock, base);

  Config to = config;
  to.deploy.upstream = target.upstream;  // where that release listened
  Context c(to, base, record);
  c.history = &history;
  c.pending = base.restore_db ? 1 : 0;  // maintenance only around a restore
  c.previous_version = current->version;
  // The target release is verified with the [verify] it was deployed with (its recorded copy).
  c.verify_config = recorded_verify_config(target);

  // A restore replaces the live database: writes are held, and the database as it is now is
  // snapshotted and backed up first, so the undo of the restore (and a person) can get it back.
  // Without a restore, a fresh snapshot is what the rollback's integrity check compares with.
  std::int64_t live_snapshot = 0;
  std::string live_backup;
  const auto off = timed(c, "maintenance-off", [&c] { return maintenance_off(c); });
  std::vector<Phase> phases;
  if (base.restore_db) {
    phases.push_back(
        {"hold-writes",
         timed(c, "hold-writes", [&c] { return hold_writes_phase(c, "Rolling back to " + c.record.version); }), off,
         true});
    phases.back().undo_last = true;
  }
  phases.push_back({"snapshot",
                    timed(c, "snapshot",
                          [&c, &live_snapshot] {
                            Outcome o = snapshot_phase(c);
                            live_snapshot = c.record.snapshot_id;
                            return o;
                          }),
                    {},
                    true});
  if (base.restore_db) {
    phases.push_back({"backup",
                      timed(c, "backup",
                            [&c, &live_backup, &current] {
                              Outcome o = backup_phase(c, "pre-rollback");
                              live_backup = c.record.backup_id;
                              // What the restore restores: the backup taken before `current`.
                              c.record.backup_id = current->backup_id;
                              if (o.status == PhaseStatus::ok) o.summary = "the live database first: " + o.summary;
                              return o;
                            }),
                      {},
                      true});
  }
  phases.push_back({"maintenance-on", timed(c, "maintenance-on", [&c] { return maintenance_on_phase(c); }), off});
  phases.back().undo_last = true;
  if (base.restore_db) {
    // Undone by restoring the live database's backup: a failed rollback leaves the newer release
    // on the schema it needs, not on the older one.
    phases.push_back({"restore",
                      timed(c, "restore",
                            [&c, &current, &live_backup] {
                              c.record.snapshot_id = current->snapshot_id;  // integrity: the restored backup's
                              Outcome o = restore_phase(c);
                              if (o.status == PhaseStatus::ok)
                                o.summary += fmt::format("; the database as it was is in backup {}", live_backup);
                              return o;
                            }),
                      timed(c, "restore", [&c, &live_backup, &live_snapshot] {
                        const std::string restored = c.record.backup_id;
                        c.record.backup_id = live_backup;
                        Outcome o = restore_phase(c);
                        c.record.backup_id = restored;
                        c.record.snapshot_id = live_snapshot;
                        if (o.status == PhaseStatus::ok) o.summary = "back to the live database: " + o.summary;
                        return o;
                      })});
  }
  push_release_phases(c, phases, off);
  RunbookOptions ro;
  // When the rollback is undone, the release it tried to replace is verified, with its own [verify],
  // against the live database's snapshot.
  ro.reverify = timed(c, "verify", [&c, &current, &live_snapshot] {
    std::optional<DeployRecord> back = *current;
    return reverify(c, back, live_snapshot);
  });
  const auto ran = under_lock(c, *lock, lease, *start->db, ro,
                              [&] { return run_runbook(record, phases, history, base.observer, ro); });
  if (!ran) return fail(ran.error());
  if (record.status == RunStatus::succeeded) {
    current->status = RunStatus::rolled_back;
    current->reason = "rolled back by " + record.id;
    if (auto s = history.save(*current); !s) return fail(s.error());
  }
  announce_and_say(c, EventKind::rollback);
  return record;
}

}  // namespace slipway::deploy
