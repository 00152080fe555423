#include "deploy/announce.hpp"

#include <array>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/units.hpp"

namespace slipway::deploy {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kEvents{"start", "success", "failure", "rollback", "blocked"};

std::string who(const DeployRecord& r) {
  if (r.user.empty()) return r.host;
  if (r.host.empty()) return r.user;
  return r.user + "@" + r.host;
}

std::int64_t total_ms(const DeployRecord& r) {
  std::int64_t ms = 0;
  for (const auto& p : r.phases) ms += p.duration_ms;
  for (const auto& p : r.rollback) ms += p.duration_ms;
  return ms;
}

const PhaseRecord* failed_phase(const DeployRecord& r) {
  for (const auto& p : r.phases)
    if (p.status == PhaseStatus::failed) return &p;
  return nullptr;
}

bool rollback_failed(const DeployRecord& r) {
  return r.status == RunStatus::rollback_failed || (r.kind == RecordKind::rollback && r.status == RunStatus::failed);
}

// A manual rollback (a record of kind rollback) that finished well, or a deploy that succeeded.
bool resolves_alerts(EventKind kind, const DeployRecord& r) {
  return kind == EventKind::success || (kind == EventKind::rollback && r.status == RunStatus::succeeded);
}

std::string_view mark(PhaseStatus s) {
  switch (s) {
    case PhaseStatus::ok: return "✓";
    case PhaseStatus::failed: return "✗";
    case PhaseStatus::skipped: return "–";
    case PhaseStatus::running: return "…";
    case PhaseStatus::pending: break;
  }
  return "·";
}

// "✓ migrate       1s  3 migrations applied", one line per phase.
std::string phase_lines(const std::vector<PhaseRecord>& phases, std::string_view indent) {
  std::string out;
  for (const auto& p : phases) {
    out += fmt::format("{}{} {:<16} {:>8}", indent, mark(p.status), p.name,
                       p.status == PhaseStatus::pending ? std::string() : format_duration(Duration(p.duration_ms)));
    if (!p.summary.empty()) out += "  " + p.summary;
    out += "\n";
  }
  return out;
}

json::array strings_json(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

json::array phases_brief(const std::vector<PhaseRecord>& phases) {
  json::array out;
  for (const auto& p : phases) {
    std::string line = fmt::format("{}: {}", p.name, to_string(p.status));
    if (p.status != PhaseStatus::pending) line += fmt::format(" ({})", format_duration(Duration(p.duration_ms)));
    if (!p.summary.empty()) line += " " + p.summary;
    out.emplace_back(line);
  }
  return out;
}

std::string_view emoji(EventKind kind, const DeployRecord& r) {
  switch (kind) {
    case EventKind::start: return ":rocket:";
    case EventKind::success: return ":white_check_mark:";
    case EventKind::failure: return ":x:";
    case EventKind::blocked: return ":no_entry:";
    case EventKind::rollback: break;
  }
  if (rollback_failed(r)) return ":rotating_light:";
  return ":leftwards_arrow_with_hook:";
}

}  // namespace

std::string_view to_string(EventKind kind) {
  return kEvents[static_cast<std::size_t>(kind)];
}

EventKind event_for(const DeployRecord& r) {
  if (r.status == RunStatus::running) return EventKind::start;
  if (r.status == RunStatus::blocked) return EventKind::blocked;
  if (r.status == RunStatus::succeeded)
    return r.kind == RecordKind::rollback ? EventKind::rollback : EventKind::success;
  if (r.status == RunStatus::failed) return r.kind == RecordKind::rollback ? EventKind::rollback : EventKind::failure;
  return EventKind::rollback;  // rolled-back, rollback-failed
}

std::vector<std::string> open_alerts(const std::vector<DeployRecord>& newest_first, std::string_view except) {
  std::vector<std::string> out;
  for (const auto& r : newest_first) {
    if (r.id == except) continue;
    if (r.status == RunStatus::succeeded) break;
    if (r.status == RunStatus::failed || r.status == RunStatus::rolled_back || r.status == RunStatus::rollback_failed)
      out.push_back(r.id);
  }
  return out;
}

std::string event_summary(EventKind kind, std::string_view project, const DeployRecord& r) {
  const std::string p = project.empty() ? std::string("slipway") : std::string(project);
  const std::string reason = r.reason.empty() ? std::string() : ": " + r.reason;
  if (r.kind == RecordKind::rollback) {
    switch (kind) {
      case EventKind::start: return fmt::format("{}: rolling back to {} ({}, by {})", p, r.version, r.id, who(r));
      case EventKind::success:
      case EventKind::rollback:
        if (r.status == RunStatus::succeeded)
          return fmt::format("{}: rolled back to {} ({}, {})", p, r.version, r.id,
                             format_duration(Duration(total_ms(r))));
        if (r.status == RunStatus::running) return fmt::format("{}: rolling back to {} ({})", p, r.version, r.id);
        return fmt::format("{}: rollback to {} FAILED{} ({}){}", p, r.version, reason, r.id,
                           r.maintenance_on ? "; maintenance is still on" : "");
      case EventKind::failure:
      case EventKind::blocked: break;
    }
    return fmt::format("{}: rollback to {} {}{} ({})", p, r.version, r.status, reason, r.id);
  }
  switch (kind) {
    case EventKind::start: return fmt::format("{}: deploying {} ({}, by {})", p, r.version, r.id, who(r));
    case EventKind::success:
      return fmt::format("{}: {} deployed ({}, {})", p, r.version, r.id, format_duration(Duration(total_ms(r))));
    case EventKind::blocked: return fmt::format("{}: deploy of {} blocked{} ({})", p, r.version, reason, r.id);
    case EventKind::failure: {
      const auto* f = failed_phase(r);
      return fmt::format("{}: deploy of {} failed{}{} ({})", p, r.version, f ? " at " + f->name : std::string(), reason,
                         r.id);
    }
    case EventKind::rollback: break;
  }
  if (rollback_failed(r))
    return fmt::format("{}: deploy of {} failed and its ROLLBACK FAILED{} ({}){}", p, r.version, reason, r.id,
                       r.maintenance_on ? "; maintenance is still on" : "");
  if (r.status == RunStatus::running)
    return fmt::format("{}: deploy of {} failed, rolling back{} ({})", p, r.version, reason, r.id);
  return fmt::format("{}: deploy of {} failed and was rolled back{} ({})", p, r.version, reason, r.id);
}

notify::Event deploy_event(EventKind kind, std::string_view project, const DeployRecord& r,
                           const std::vector<std::string>& resolves) {
  notify::Event e;
  e.kind = std::string(to_string(kind));
  e.source = "deploy";
  e.project = std::string(project);
  e.id = r.id;
  e.summary = event_summary(kind, project, r);
  e.reason = kind == EventKind::start ? std::string() : r.reason;
  e.emoji = std::string(emoji(kind, r));
  e.footer =
      fmt::format("slipway · {} · started {}", project.empty() ? std::string_view("slipway") : project, r.started_at);

  std::string migrations;
  for (const auto& name : r.migrations_applied) migrations += (migrations.empty() ? "" : ", ") + name;
  e.fields = {{"Version", r.version},
              {"Status", std::string(to_string(r.status))},
              {"Deploy", r.id},
              {"By", who(r)},
              {"Git", r.git_sha.substr(0, 12)},
              {"Backup", r.backup_id},
              {"Migrations applied", migrations},
              {"Maintenance", r.maintenance_on && r.status != RunStatus::running ? "still ON" : ""}};
  e.details = phase_lines(r.phases, "");
  if (!r.rollback.empty()) e.details += "rollback:\n" + phase_lines(r.rollback, "  ");

  e.rows = {{"Project", std::string(project)},
            {"Deploy", r.id},
            {"Kind", r.kind == RecordKind::deploy ? std::string() : std::string(to_string(r.kind))},
            {"Version", r.version},
            {"Status", std::string(to_string(r.status))},
            {"Reason", r.reason},
            {"By", r.user},
            {"Host", r.host.empty() ? std::string() : fmt::format("{} (pid {})", r.host, r.pid)},
            {"Git", r.git_sha},
            {"Started", r.started_at},
            {"Finished", r.finished_at},
            {"Rollback of", r.rollback_of},
            {"Backup", r.backup_id}};
  for (std::size_t i = 0; i < r.migrations_applied.size(); ++i)
    e.rows.push_back({i == 0 ? "Migrations" : "", r.migrations_applied[i]});
  if (r.status != RunStatus::running && r.maintenance_on)
    e.rows.push_back({"Maintenance", "STILL ON (the gate answers 503 to writes)"});
  e.rows.push_back({"Upstream", r.upstream});
  if (!r.phases.empty()) e.email_details += "\nPhases\n" + phase_lines(r.phases, "  ");
  if (!r.rollback.empty()) e.email_details += "\nRollback\n" + phase_lines(r.rollback, "  ");
  for (const auto* list : {&r.phases, &r.rollback})
    for (const auto& p : *list)
      if (p.status == PhaseStatus::failed && !p.output_tail.empty())
        e.email_details += fmt::format("\nOutput of {} (last lines)\n{}\n", p.name, p.output_tail);

  e.webhook = {{"deploy_id", r.id},
               {"version", r.version},
               {"status", to_string(r.status)},
               {"reason", r.reason},
               {"record", r.to_json()}};

  // PagerDuty gets alerts, not a feed: start and blocked send nothing.
  if (kind == EventKind::start || kind == EventKind::blocked) return e;
  if (resolves_alerts(kind, r)) {
    e.alert = notify::Alert::resolve;
    std::vector<std::string> ids{r.id};
    if (!r.rollback_of.empty()) ids.push_back(r.rollback_of);
    ids.insert(ids.end(), resolves.begin(), resolves.end());
    for (const auto& id : ids) e.resolves.push_back(notify::pagerduty_dedup_key(project, id));
    return e;
  }
  e.alert = notify::Alert::trigger;
  e.critical = rollback_failed(r);
  e.dedup_key = notify::pagerduty_dedup_key(project, r.id);
  e.alert_source = r.host;
  const auto* f = failed_phase(r);
  e.custom_details = {{"deploy_id", r.id},
                      {"kind", to_string(r.kind)},
                      {"version", r.version},
                      {"status", to_string(r.status)},
                      {"reason", r.reason},
                      {"failed_phase", f ? f->name : std::string()},
                      {"user", r.user},
                      {"host", r.host},
                      {"git_sha", r.git_sha},
                      {"started_at", r.started_at},
                      {"finished_at", r.finished_at},
                      {"backup_id", r.backup_id},
                      {"migrations_applied", strings_json(r.migrations_applied)},
                      {"phases", phases_brief(r.phases)},
                      {"rollback", phases_brief(r.rollback)},
                      {"maintenance_on", r.maintenance_on},
                      {"upstream", r.upstream}};
  return e;
}

}  // namespace slipway::deploy
