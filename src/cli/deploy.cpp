// slipway deploy | rollback | status: the runbook, its undo, and where things stand.
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "deploy/deploy.hpp"
#include "deploy/lock.hpp"
#include "state/store.hpp"

namespace slipway::cli {
namespace {

using deploy::PhaseRecord;
using deploy::PhaseStatus;
using deploy::RecordKind;
using deploy::RunStatus;

// Shows each phase live on stderr: on a terminal its name and a clock that ticks while it runs,
// then (everywhere) its result and time when it ends.
class LivePhases : public deploy::Observer {
 public:
  explicit LivePhases(Style style) : style_(style), terminal_(isatty(STDERR_FILENO) != 0) {
    if (terminal_) ticker_ = std::thread([this] { tick(); });
  }
  ~LivePhases() override {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }
  LivePhases(const LivePhases&) = delete;
  LivePhases& operator=(const LivePhases&) = delete;

  void started(const PhaseRecord& p, bool rolling_back) override {
    std::lock_guard l(m_);
    if (rolling_back && !announced_rollback_) {
      std::fputs(style_.paint(Color::yellow, "rolling back:\n").c_str(), stderr);
      announced_rollback_ = true;
    }
    if (!terminal_) return;  // a log gets one line per phase, when it ends
    running_ = p.name;
    rolling_back_ = rolling_back;
    since_ = std::chrono::steady_clock::now();
    draw();
  }
  void finished(const PhaseRecord& p, bool rolling_back) override {
    std::lock_guard l(m_);
    running_.clear();
    std::string mark;
    switch (p.status) {
      case PhaseStatus::ok: mark = style_.paint(Color::green, "✓"); break;
      case PhaseStatus::failed: mark = style_.paint(Color::red, "✗"); break;
      default: mark = style_.paint(Color::dim, "-"); break;
    }
    std::fputs(
        redact(fmt::format("{}  {}{} {:<20} {:>6.1f}s  {}\n", terminal_ ? "\r\033[K" : "", rolling_back ? "  " : "",
                           mark, p.name, static_cast<double>(p.duration_ms) / 1000.0, p.summary))
            .c_str(),
        stderr);
  }

 private:
  void draw() {  // under m_
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
    std::fprintf(stderr, "\r\033[K%s %-20s %6.0fs ...", rolling_back_ ? "  ↺" : "  ▸", running_.c_str(), secs);
    std::fflush(stderr);
  }
  void tick() {
    std::unique_lock l(m_);
    while (!cv_.wait_for(l, std::chrono::seconds(1), [this] { return stop_; }))
      if (!running_.empty()) draw();
  }

  Style style_;
  bool terminal_;
  bool announced_rollback_ = false;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string running_;  // the phase running now, "" between phases
  bool rolling_back_ = false;
  std::chrono::steady_clock::time_point since_;
  std::thread ticker_;
};

std::string self_binary() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "slipway";
}

int finish(const deploy::DeployRecord& r, Format format, const Style& style) {
  if (format == Format::json) {
    std::puts(redact(json_text(r.to_json())).c_str());
  } else {
    const bool good = r.status == RunStatus::succeeded;
    std::puts(
        redact(fmt::format("{} {} {}: {}{}", r.kind, r.id, r.version,
                           style.paint(good ? Color::green : Color::red, std::string(deploy::to_string(r.status))),
                           r.reason.empty() ? "" : " — " + r.reason))
            .c_str());
    if (r.lock_lost) {
      // Stopped because another deploy (or `slipway lock release`) took the lock: nothing was
      // undone, so say what this deploy left behind and where to look.
      std::string ran;
      for (const auto& p : r.phases)
        if (p.status == PhaseStatus::ok || p.status == PhaseStatus::failed)
          ran += (ran.empty() ? "" : ", ") + p.name + (p.status == PhaseStatus::failed ? " (failed)" : "");
      std::puts(redact(fmt::format("  {}: whoever holds the deploy lock now owns production\n"
                                   "  phases that ran: {}\n"
                                   "  state now: {}\n"
                                   "  next: `slipway status` (who holds the lock), `slipway history {}` (this record)",
                                   r.status == RunStatus::failed ? "no rollback was run" : "the rollback stopped",
                                   ran.empty() ? "none" : ran, deploy::describe_state(r), r.id))
                    .c_str());
    } else if (r.status == RunStatus::rollback_failed) {
      std::puts(redact("  state now: " + deploy::describe_state(r)).c_str());
    }
  }
  return r.status == RunStatus::succeeded ? 0 : 1;
}

std::string json_string(const boost::json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  const auto* s = o ? o->if_contains(key) : nullptr;
  return s && s->is_string() ? std::string(s->as_string()) : std::string();
}

// A dry run's plan on stdout: the JSON whole, or a line per phase.
void print_plan(const boost::json::object& plan, Format format, const Style& style) {
  if (format == Format::json) {
    std::puts(redact(json_text(plan)).c_str());
    return;
  }
  const std::string previous = json_string(plan, "previous_version");
  std::string out = fmt::format("dry run: deploy {} (previous: {}); nothing is changed\n", json_string(plan, "version"),
                                previous.empty() ? "none" : previous);
  for (const auto& p : plan.at("phases").as_array()) {
    const std::string status = json_string(p, "status");
    const std::string summary = json_string(p, "summary");
    out += fmt::format("  {:<16} {:<8} {}{}\n", json_string(p, "name"), status, json_string(p, "runs"),
                       summary.empty() ? "" : " — " + summary);
  }
  for (const auto& st : plan.at("steps").as_array()) {
    const std::string rollback = json_string(st, "rollback");
    const std::string after = json_string(st, "after_switch");
    out += fmt::format("  step {}: {} (rollback: {}{}; timeout {})\n", json_string(st, "name"), json_string(st, "run"),
                       rollback.empty() ? "none" : rollback, after.empty() ? "" : "; after_switch: " + after,
                       json_string(st, "timeout"));
  }
  std::string rollback;
  for (const auto& r : plan.at("rollback").as_array())
    rollback += (rollback.empty() ? "" : ", ") + std::string(r.as_string());
  out += "  on failure: " + rollback + "\n";
  const bool ready = json_string(plan, "status") == "ready";
  out += fmt::format("{}{}", style.paint(ready ? Color::green : Color::red, ready ? "ready" : "blocked"),
                     ready ? "" : " — " + json_string(plan, "reason"));
  std::puts(redact(out).c_str());
}

struct Shared {
  CommonOptions common;
  std::optional<std::string> database;
  std::string lock_wait = "0s";
};

void add_shared(CLI::App& app, Shared& s) {
  add_common_options(app, s.common, "text, json");
  app.add_option("--database", s.database, "the database URL for restores (default: database.direct_url or url)");
  app.add_option("--lock-wait", s.lock_wait, "how long to wait for another deploy's lock, e.g. 10m")
      ->capture_default_str();
}

std::optional<int> prepare(Shared& s, std::optional<Config>& config, deploy::DeployOptions& o, Format& format) {
  auto f = parse_format(s.common.format, {Format::text, Format::json});
  if (!f) return report_error(f.error());
  format = *f;
  config = load_config_or_report(s.common);
  if (!config) return 2;
  auto wait = parse_duration(s.lock_wait);
  if (!wait) return report_error(Error::input(wait.error().message, "--lock-wait", "e.g. --lock-wait 10m"));
  o.binary = self_binary();
  o.config = config->file;
  o.env_file = s.common.env_file.value_or("");
  o.database_url = database_url(*config, s.database);
  o.lock_wait = std::chrono::duration_cast<std::chrono::milliseconds>(*wait);
  o.say = [](const std::string& line) { std::fputs(redact(line + "\n").c_str(), stderr); };
  return std::nullopt;
}

std::int64_t elapsed_seconds(const std::string& started_at) {
  auto start = parse_rfc3339(started_at);
  if (!start) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *start).count();
}

// The phase a record says is running: since when, for how long, and its deadline.
struct RunningPhase {
  const PhaseRecord* phase;
  std::chrono::seconds elapsed;
  Duration deadline;
};
std::optional<RunningPhase> running_phase(const deploy::DeployRecord& r, const Config& config) {
  if (r.finished()) return std::nullopt;
  for (const auto& p : r.phases) {
    if (p.status != PhaseStatus::running) continue;
    return RunningPhase{&p, std::chrono::seconds(elapsed_seconds(p.started_at)), config.deploy.deadline(p.name)};
  }
  return std::nullopt;
}

}  // namespace

int run_deploy(const Args& args) {
  CLI::App app{
      "Run the deployment checklist as one command: check, lint, hold writes (when a rollback may restore the "
      "database), snapshot, backup, maintenance on, migrate, release steps, switch, verify, maintenance off, "
      "after-switch, notify. Each phase has a deadline ([deploy.deadlines]). Any failure after the backup rolls back "
      "what ran, and the rollback verifies what it returned to.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway deploy --version v2\n"
      "  slipway deploy --version v2 --dry-run\n"
      "  slipway deploy --version v3 --allow-dangerous --restore-db --format json\n\n"
      "Exit codes: 0 succeeded, 1 blocked, failed or rolled back, the lock is held, or the lock was taken\n"
      "over while the deploy ran (it stops at the next phase, undoing nothing), 2 bad input,\n"
      "3 the state database could not be used. --dry-run: 0 ready, 1 it would be blocked; it writes\n"
      "nothing. Each run is recorded: see `slipway history`.");
  Shared shared;
  deploy::DeployOptions o;
  bool dry_run = false;
  app.add_option("--version", o.version, "the version being deployed (SLIPWAY_VERSION for the steps)")->required();
  app.add_flag("--dry-run", dry_run, "print the plan (phases, lint verdicts, commands) and change nothing");
  app.add_flag("--allow-dangerous", o.allow_dangerous, "apply migrations even when lint finds dangerous statements");
  app.add_flag("--restore-db", o.restore_db, "on rollback, restore the pre-deploy backup whatever the config says");
  app.add_flag("--resume", o.resume, "finish a deploy that was interrupted, from the phase it stopped in");
  add_shared(app, shared);
  if (auto code = parse(app, args)) return *code;
  std::optional<Config> config;
  Format format = Format::text;
  if (auto code = prepare(shared, config, o, format)) return *code;
  if (dry_run) {
    auto plan = deploy::plan_deploy(*config, o);
    if (!plan) return report_error(plan.error());
    print_plan(*plan, format, style_for(shared.common));
    return plan->at("status").as_string() == "ready" ? 0 : 1;
  }
  LivePhases live(Style::for_stdout());
  if (format == Format::text) o.observer = &live;
  auto r = deploy::run_deploy(*config, o);
  if (!r) return report_error(r.error());
  return finish(*r, format, style_for(shared.common));
}

int run_rollback(const Args& args) {
  CLI::App app{
      "Roll back: undo an interrupted deploy from its record, or go back from the current release to the "
      "previous successful one (its release steps and upstream), with or without restoring the database.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway rollback                 # the interrupted deploy, else the latest one\n"
      "  slipway rollback d-20261121-093502-1a2b --restore-db   # backs the live database up first\n\n"
      "Exit codes: 0 rolled back, 1 the rollback failed, was undone (its verify failed) or the lock is held,\n"
      "2 bad input, 3 environment.");
  Shared shared;
  deploy::RollbackOptions o;
  app.add_option("id", o.target, "the deploy to roll back (default: the interrupted one, else the latest)");
  app.add_flag("--restore-db", o.restore_db, "restore the database from the backup taken before that deploy");
  add_shared(app, shared);
  if (auto code = parse(app, args)) return *code;
  std::optional<Config> config;
  Format format = Format::text;
  if (auto code = prepare(shared, config, o.base, format)) return *code;
  LivePhases live(Style::for_stdout());
  if (format == Format::text) o.base.observer = &live;
  auto r = deploy::run_rollback(*config, o);
  if (!r) return report_error(r.error());
  (void)finish(*r, format, style_for(shared.common));
  return deploy::rollback_exit_code(*r);
}

int run_status(const Args& args) {
  CLI::App app{
      "Where things stand: a deploy in progress or interrupted (and the state it left), the lock, the "
      "latest deploy.",
      args[0]};
  app.footer(
      "Examples:\n"
      "  slipway status\n"
      "  slipway status --format json\n\n"
      "Exit codes: 0 nothing interrupted, 1 an interrupted deploy needs `slipway rollback` or\n"
      "`slipway deploy --resume`, 2 bad input, 3 the state database could not be opened.");
  CommonOptions common;
  add_common_options(app, common, "text, json");
  if (auto code = parse(app, args)) return *code;
  auto format = parse_format(common.format, {Format::text, Format::json});
  if (!format) return report_error(format.error());
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto interrupted = deploy::find_interrupted(*config);
  if (!interrupted) return report_error(interrupted.error());
  auto db = state::open(*config);
  if (!db) return report_error(db.error());
  deploy::History history(**db);
  auto latest = history.list(1);
  if (!latest) return report_error(latest.error());
  auto lock = deploy::DeployLock::status(**db);
  if (!lock) return report_error(lock.error());

  if (*format == Format::json) {
    boost::json::object out;
    out["interrupted"] = nullptr;
    if (*interrupted) {
      out["interrupted"] = boost::json::object{{"deploy", (*interrupted)->record.to_json()},
                                               {"why", (*interrupted)->why},
                                               {"state", deploy::describe_state((*interrupted)->record)}};
    }
    out["latest"] = latest->empty() ? boost::json::value(nullptr) : boost::json::value(latest->front().to_json());
    out["running_phase"] = nullptr;
    if (auto running = latest->empty() ? std::nullopt : running_phase(latest->front(), *config)) {
      out["running_phase"] = boost::json::object{
          {"name", running->phase->name},
          {"started_at", running->phase->started_at},
          {"elapsed_seconds", running->elapsed.count()},
          {"deadline_seconds", std::chrono::duration_cast<std::chrono::seconds>(running->deadline).count()}};
    }
    out["lock"] = *lock ? boost::json::value(boost::json::object{
                              {"holder", (*lock)->holder}, {"pid", (*lock)->pid}, {"deploy_id", (*lock)->deploy_id}})
                        : boost::json::value(nullptr);
    std::puts(redact(json_text(out)).c_str());
    return *interrupted ? 1 : 0;
  }
  if (*interrupted) {
    const auto& r = (*interrupted)->record;
    std::puts(redact(fmt::format("deploy {} of {} was INTERRUPTED: {}\n  state: {}\n  next: `slipway rollback` "
                                 "to undo it, or `slipway deploy --version {} --resume` to finish it",
                                 r.id, r.version, (*interrupted)->why, deploy::describe_state(r), r.version))
                  .c_str());
    return 1;
  }
  if (*lock) {
    std::printf("a deploy is running: %s by %s (pid %d)\n", (*lock)->deploy_id.c_str(), (*lock)->holder.c_str(),
                (*lock)->pid);
    if (!latest->empty() && latest->front().id == (*lock)->deploy_id) {
      if (auto running = running_phase(latest->front(), *config)) {
        std::puts(redact(fmt::format("  {} running for {} (deadline {})", running->phase->name,
                                     format_duration(running->elapsed), format_duration(running->deadline)))
                      .c_str());
      }
    }
  }
  if (latest->empty()) {
    std::puts("no deploys recorded yet");
  } else {
    const auto& r = latest->front();
    std::puts(
        redact(fmt::format("latest: {} {} {}: {} ({})", r.kind, r.id, r.version, r.status, r.started_at)).c_str());
  }
  return 0;
}

}  // namespace slipway::cli
