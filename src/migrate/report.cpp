#include "migrate/report.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/output.hpp"
#include "lint/helpers.hpp"

namespace slipway::migrate {
namespace json = boost::json;
namespace {

json::value str_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::string(s);
}

std::string dump(const json::value& v) {
  return json_text(v) + "\n";
}

Color color_of(State s) {
  switch (s) {
    case State::applied: return Color::green;
    case State::pending: return Color::cyan;
    case State::missing: return Color::yellow;
    default: return Color::red;
  }
}

Color color_of(lint::Verdict v) {
  switch (v) {
    case lint::Verdict::safe: return Color::green;
    case lint::Verdict::review: return Color::yellow;
    case lint::Verdict::dangerous: return Color::red;
  }
  return Color::green;
}

json::object findings_json(const lint::StatementReport& s) {
  json::array tables;
  for (const std::string& t : s.tables) tables.emplace_back(lint::display_name(t));
  json::array findings;
  for (const lint::Finding& f : s.findings) {
    findings.push_back({{"rule", f.rule},
                        {"verdict", lint::to_string(f.verdict)},
                        {"message", f.message},
                        {"hint", str_or_null(f.hint)},
                        {"suppressed", f.suppressed}});
  }
  return {{"line", s.pos.line},
          {"column", s.pos.column},
          {"sql", s.sql},
          {"verdict", lint::to_string(s.verdict)},
          {"lock", s.lock.mode == lint::LockMode::none ? json::value(nullptr)
                                                       : json::value(json::string(lint::to_string(s.lock.mode)))},
          {"tables", std::move(tables)},
          {"findings", std::move(findings)}};
}

}  // namespace

std::string render_status(const Status& status, Format format, const Style& style) {
  if (format == Format::json) {
    json::array migrations;
    for (const MigrationStatus& m : status.migrations) {
      migrations.push_back({{"name", m.name},
                            {"version", str_or_null(m.file.version)},
                            {"path", str_or_null(m.file.path.string())},
                            {"state", to_string(m.state)},
                            {"checksum", str_or_null(m.checksum)},
                            {"recorded_checksum", str_or_null(m.recorded_checksum)},
                            {"applied_at", str_or_null(m.applied_at)},
                            {"message", str_or_null(m.message)}});
    }
    json::array notes;
    for (const std::string& n : status.notes) notes.emplace_back(n);
    json::object summary;
    for (State s : {State::applied, State::pending, State::failed, State::dirty, State::drift, State::missing})
      summary[to_string(s)] = status.count(s);
    return dump(json::object{{"folder", status.folder.dir.string()},
                             {"format", to_string(status.folder.layout)},
                             {"table", status.history->table()},
                             {"table_exists", status.table_exists},
                             {"checksums", status.history->has_checksum()},
                             {"migrations", std::move(migrations)},
                             {"notes", std::move(notes)},
                             {"summary", std::move(summary)}});
  }
  std::string out =
      fmt::format("{} ({}), history in {}{}\n", status.folder.dir.string(), to_string(status.folder.layout),
                  status.history->table(), status.table_exists ? "" : " (not created yet)");
  std::size_t width = 0;
  for (const MigrationStatus& m : status.migrations) width = std::max(width, m.name.size());
  for (const MigrationStatus& m : status.migrations) {
    out += fmt::format("  {}  {:<{}}  {}\n", style.paint(color_of(m.state), fmt::format("{:<8}", to_string(m.state))),
                       m.name, width, m.message.empty() ? m.applied_at : m.message);
  }
  for (const std::string& n : status.notes) out += fmt::format("note: {}\n", n);
  std::string counts;
  for (State s : {State::applied, State::pending, State::failed, State::dirty, State::drift, State::missing}) {
    const int n = status.count(s);
    if (n == 0 && s != State::applied && s != State::pending) continue;
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, to_string(s));
  }
  out += counts + "\n";
  return out;
}

std::string render_plan(const Status& status, const Plan& plan, const pg::LiveSchema* live, const std::string& file,
                        Format format, const Style& style) {
  if (format == Format::json) {
    json::array migrations;
    std::set<std::string> seen;
    json::array tables;
    for (const PlannedMigration& pm : plan.migrations) {
      json::array statements;
      for (const lint::StatementReport& s : pm.report.statements) {
        statements.push_back(findings_json(s));
        for (const std::string& t : s.tables) {
          if (!seen.insert(t).second) continue;
          const pg::TableStats* st = live ? live->table(t) : nullptr;
          tables.push_back({{"name", lint::display_name(t)},
                            {"rows", st ? json::value(st->rows) : json::value(nullptr)},
                            {"bytes", st ? json::value(st->bytes) : json::value(nullptr)},
                            {"exists", live ? json::value(st != nullptr) : json::value(nullptr)}});
        }
      }
      json::array steps;
      for (const Step& step : pm.steps) {
        json::array idx;
        for (std::size_t i : step.statements) idx.emplace_back(i + 1);
        steps.push_back({{"transaction", step.transaction}, {"statements", std::move(idx)}});
      }
      migrations.push_back({{"name", pm.status->name},
                            {"path", pm.report.path},
                            {"own_transactions", pm.own_transactions},
                            {"steps", std::move(steps)},
                            {"statements", std::move(statements)}});
    }
    json::array locks;
    for (const auto& [mode, names] : locks_by_mode(plan)) {
      json::array t;
      for (const std::string& n : names) t.emplace_back(n);
      locks.push_back({{"mode", lint::to_string(mode)}, {"tables", std::move(t)}});
    }
    return dump(json::object{{"file", file},
                             {"folder", status.folder.dir.string()},
                             {"format", to_string(status.folder.layout)},
                             {"table", status.history->table()},
                             {"migrations", std::move(migrations)},
                             {"tables", std::move(tables)},
                             {"locks", std::move(locks)},
                             {"summary",
                              {{"migrations", plan.migrations.size()},
                               {"statements", plan.statements},
                               {"safe", plan.summary.safe},
                               {"review", plan.summary.review},
                               {"dangerous", plan.summary.dangerous},
                               {"suppressed", plan.summary.suppressed}}}});
  }
  std::string out;
  if (plan.migrations.empty()) {
    out += "nothing pending\n";
  } else {
    for (const PlannedMigration& pm : plan.migrations) {
      lint::Verdict worst = lint::Verdict::safe;
      for (const auto& s : pm.report.statements) worst = std::max(worst, s.verdict);
      out += fmt::format("  {}  {} ({} statement{})\n",
                         style.paint(color_of(worst), fmt::format("{:<9}", lint::to_string(worst))), pm.status->name,
                         pm.report.statements.size(), pm.report.statements.size() == 1 ? "" : "s");
    }
    out += fmt::format("{} migration{}, {} statement{}: {} safe, {} review, {} dangerous\nlocks: {}\n",
                       plan.migrations.size(), plan.migrations.size() == 1 ? "" : "s", plan.statements,
                       plan.statements == 1 ? "" : "s", plan.summary.safe, plan.summary.review, plan.summary.dangerous,
                       lock_summary(plan));
  }
  out += fmt::format("wrote {}\n", file);
  return out;
}

std::string render_apply(const ApplyReport& report, Format format, const Style& style) {
  if (format == Format::json) {
    json::array migrations;
    for (const MigrationResult& m : report.migrations) {
      json::array statements;
      for (const StatementResult& s : m.statements) {
        statements.push_back(
            {{"line", s.pos.line}, {"column", s.pos.column}, {"state", to_string(s.state)}, {"alone", s.alone}});
      }
      json::value error = nullptr;
      if (m.outcome == ApplyOutcome::failed) {
        error = json::object{{"statement", m.failed_statement},
                             {"at", str_or_null(m.at)},
                             {"sqlstate", str_or_null(m.sqlstate)},
                             {"message", m.error},
                             {"partly_committed", m.partly_committed}};
      }
      migrations.push_back({{"name", m.name},
                            {"path", m.path},
                            {"outcome", to_string(m.outcome)},
                            {"retries", m.retries},
                            {"duration_ms", m.duration_ms},
                            {"statements", std::move(statements)},
                            {"error", std::move(error)}});
    }
    json::array refusals;
    for (const Refusal& r : report.refusals)
      refusals.push_back({{"at", r.at}, {"rule", r.rule}, {"message", r.message}});
    json::array warnings;
    for (const std::string& w : report.warnings) warnings.emplace_back(w);
    json::array retry_log;
    for (const std::string& l : report.retry_log) retry_log.emplace_back(l);
    json::value holder = nullptr;
    if (report.holder) {
      holder =
          json::object{{"pid", report.holder->pid}, {"application_name", str_or_null(report.holder->application_name)}};
    }
    return dump(json::object{{"status", to_string(report.status)},
                             {"message", str_or_null(report.message)},
                             {"holder", std::move(holder)},
                             {"refusals", std::move(refusals)},
                             {"warnings", std::move(warnings)},
                             {"retries", report.retries},
                             {"retry_log", std::move(retry_log)},
                             {"migrations", std::move(migrations)}});
  }
  std::string out;
  for (const Refusal& r : report.refusals) {
    out += fmt::format("{}: {} [{}] {}\n", r.at, style.paint(Color::red, "dangerous"), r.rule, r.message);
  }
  std::size_t width = 0;
  for (const MigrationResult& m : report.migrations) width = std::max(width, m.name.size());
  for (const MigrationResult& m : report.migrations) {
    const Color c = m.outcome == ApplyOutcome::committed ? Color::green
                    : m.outcome == ApplyOutcome::failed  ? Color::red
                                                         : Color::dim;
    std::string tail;
    if (m.outcome == ApplyOutcome::committed) {
      tail = fmt::format("{} statement{}, {} ms{}", m.statements.size(), m.statements.size() == 1 ? "" : "s",
                         m.duration_ms,
                         m.retries ? fmt::format(", {} retr{}", m.retries, m.retries == 1 ? "y" : "ies") : "");
    } else if (m.outcome == ApplyOutcome::failed) {
      tail = m.at.empty() ? m.error : fmt::format("at statement {} ({})", m.failed_statement, m.at);
    }
    out += fmt::format("  {}  {:<{}}  {}\n", style.paint(c, fmt::format("{:<9}", to_string(m.outcome))), m.name, width,
                       tail);
    if (m.outcome != ApplyOutcome::failed) continue;
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
      const StatementResult& s = m.statements[i];
      out += fmt::format("      statement {} ({}:{}:{}) {}{}\n", i + 1, m.path, s.pos.line, s.pos.column,
                         to_string(s.state), s.alone ? " (outside a transaction)" : "");
    }
    if (!m.error.empty()) {
      std::string indented;
      for (char ch : m.error) indented += ch == '\n' ? std::string("\n      ") : std::string(1, ch);
      out += fmt::format("      PostgreSQL: {}\n", indented);
    }
    if (m.partly_committed)
      out += "      part of this migration had already committed (statements outside a transaction)\n";
  }
  for (const std::string& w : report.warnings) out += fmt::format("{}: {}\n", style.paint(Color::yellow, "warning"), w);
  switch (report.status) {
    case ApplyStatus::applied: {
      int n = 0;
      for (const MigrationResult& m : report.migrations) n += m.outcome == ApplyOutcome::committed;
      out += fmt::format("applied {} migration{}{}\n", n, n == 1 ? "" : "s",
                         report.retries ? fmt::format(" ({} retr{} after a lock timeout)", report.retries,
                                                      report.retries == 1 ? "y" : "ies")
                                        : "");
      break;
    }
    case ApplyStatus::nothing_pending: out += "nothing pending\n"; break;
    default: out += fmt::format("{}: {}\n", style.paint(Color::red, to_string(report.status)), report.message);
  }
  return out;
}

}  // namespace slipway::migrate
