// slipway history [ID]: one structured record per deploy and rollback; the checklist's changelog
// with --format markdown.
#include <cstdio>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "cli/command.hpp"
#include "cli/parse_args.hpp"
#include "core/units.hpp"
#include "deploy/record.hpp"
#include "state/store.hpp"

namespace slipway::cli {
namespace {

using deploy::DeployRecord;
using deploy::PhaseRecord;
using deploy::PhaseStatus;

std::string mark(PhaseStatus s, const Style& style) {
  switch (s) {
    case PhaseStatus::ok: return style.paint(Color::green, "ok  ");
    case PhaseStatus::failed: return style.paint(Color::red, "FAIL");
    case PhaseStatus::skipped: return style.paint(Color::dim, "skip");
    case PhaseStatus::running: return style.paint(Color::yellow, "run ");
    case PhaseStatus::pending: break;
  }
  return "    ";
}

void print_phases(const std::vector<PhaseRecord>& phases, const Style& style) {
  for (const auto& p : phases) {
    std::printf("  %s %-18s %7s  %s\n", mark(p.status, style).c_str(), p.name.c_str(),
                p.status == PhaseStatus::pending ? "" : format_seconds(Duration(p.duration_ms)).c_str(),
                p.summary.c_str());
    if (p.status == PhaseStatus::failed && !p.output_tail.empty()) {
      std::string tail = p.output_tail;
      std::size_t pos = 0;
      while ((pos = tail.find('\n', pos)) != std::string::npos) tail.replace(pos++, 1, "\n      | ");
      std::printf("      | %s\n", tail.c_str());
    }
  }
}

// "took over the stale deploy lock of ci@web-2 (pid 4121, deploy d-...): its lease ran out 4min ago"
std::string takeover_text(const deploy::LockEvent& e) {
  return fmt::format("took over the stale deploy lock of {} (pid {}{}): {}", e.holder, e.pid,
                     e.deploy_id.empty() ? "" : ", deploy " + e.deploy_id, e.reason);
}

void print_detail(const DeployRecord& r, const Style& style) {
  std::printf("%s %s %s: %s\n", r.kind.c_str(), r.id.c_str(), r.version.c_str(), r.status.c_str());
  std::printf("  by %s on %s, %s -> %s%s\n", r.user.c_str(), r.host.c_str(), r.started_at.c_str(),
              r.finished_at.empty() ? "(not finished)" : r.finished_at.c_str(),
              r.git_sha.empty() ? "" : fmt::format(", git {}", r.git_sha.substr(0, 12)).c_str());
  if (!r.reason.empty()) std::printf("  reason: %s\n", r.reason.c_str());
  if (!r.rollback_of.empty()) std::printf("  rolls back: %s\n", r.rollback_of.c_str());
  if (r.lock_takeover) std::printf("  lock: %s\n", takeover_text(*r.lock_takeover).c_str());
  if (r.lock_lost)
    std::printf("  lock lost: %s; did not run: %s and what follows\n", r.lock_lost->reason.c_str(),
                r.lock_lost->stopped_before.c_str());
  if (!r.backup_id.empty()) std::printf("  backup: %s\n", r.backup_id.c_str());
  if (!r.migrations_applied.empty()) {
    std::string list;
    for (const auto& m : r.migrations_applied) list += (list.empty() ? "" : ", ") + m;
    std::printf("  migrations applied: %s\n", list.c_str());
  }
  print_phases(r.phases, style);
  if (!r.rollback.empty()) {
    std::printf("  rollback:\n");
    print_phases(r.rollback, style);
  }
}

// The checklist's changelog: one section per deploy, newest first.
void print_markdown(const std::vector<DeployRecord>& records) {
  std::puts("# Deployment history\n");
  for (const auto& r : records) {
    std::printf("## %s %s: %s (%s)\n\n", r.started_at.substr(0, 10).c_str(), r.version.c_str(), r.status.c_str(),
                r.kind.c_str());
    std::printf("- id: `%s`, by %s on %s, %s to %s\n", r.id.c_str(), r.user.c_str(), r.host.c_str(),
                r.started_at.c_str(), r.finished_at.empty() ? "(not finished)" : r.finished_at.c_str());
    if (!r.git_sha.empty()) std::printf("- commit: `%s`\n", r.git_sha.c_str());
    if (!r.reason.empty()) std::printf("- reason: %s\n", r.reason.c_str());
    if (r.lock_takeover) std::printf("- %s\n", takeover_text(*r.lock_takeover).c_str());
    if (!r.backup_id.empty()) std::printf("- backup before the change: `%s`\n", r.backup_id.c_str());
    if (!r.migrations_applied.empty()) {
      std::printf("- migrations applied:\n");
      for (const auto& m : r.migrations_applied) std::printf("  - `%s`\n", m.c_str());
    }
    std::printf("\n| phase | result | time | summary |\n|---|---|---|---|\n");
    for (const auto& p : r.phases)
      std::printf("| %s | %s | %s | %s |\n", p.name.c_str(), std::string(to_string(p.status)).c_str(),
                  p.status == PhaseStatus::pending ? "" : format_seconds(Duration(p.duration_ms)).c_str(),
                  p.summary.c_str());
    for (const auto& p : r.rollback)
      std::printf("| rollback: %s | %s | %s | %s |\n", p.name.c_str(), std::string(to_string(p.status)).c_str(),
                  format_seconds(Duration(p.duration_ms)).c_str(), p.summary.c_str());
    std::puts("");
  }
}

}  // namespace

int run_history(const Args& args) {
  CLI::App app{"Show past deploys and rollbacks: who, when, what version, each phase's result and time.", args[0]};
  app.footer(
      "Examples:\n"
      "  slipway history\n"
      "  slipway history d-20261121-093502 --format json\n"
      "  slipway history --format markdown > CHANGELOG-deploys.md\n\n"
      "Exit codes: 0 ok, 2 bad usage or unknown id, 3 the state database could not be opened.");
  CommonOptions common;
  std::optional<std::string> id;
  std::size_t limit = 20;
  app.add_option("id", id, "one deploy's id, for its full record");
  app.add_option("-n,--limit", limit, "how many records to list, newest first (0 = all)")->capture_default_str();
  add_common_options(app, common, "text, json, markdown");
  if (auto code = parse(app, args)) return *code;

  auto format = parse_format(common.format, {Format::text, Format::json, Format::markdown});
  if (!format) return report_error(format.error());
  auto config = load_config_or_report(common);
  if (!config) return 2;
  auto db = state::open(*config);
  if (!db) return report_error(db.error());
  deploy::History history(**db);
  const Style style = style_for(common);

  std::vector<DeployRecord> records;
  if (id) {
    auto found = history.find(*id);
    if (!found) return report_error(found.error());
    if (!*found)
      return report_error(Error::input(fmt::format("no deploy with id {}", *id), "", "run `slipway history` for ids"));
    records.push_back(std::move(**found));
  } else {
    auto all = history.list(limit);
    if (!all) return report_error(all.error());
    records = std::move(*all);
  }

  if (*format == Format::json) {
    if (id) {
      std::puts(json_text(records.front().to_json()).c_str());
    } else {
      boost::json::array out;
      for (const auto& r : records) out.push_back(r.to_json());
      std::puts(json_text(boost::json::object{{"deploys", out}}).c_str());
    }
    return 0;
  }
  if (*format == Format::markdown) {
    print_markdown(records);
    return 0;
  }
  if (id) {
    print_detail(records.front(), style);
    return 0;
  }
  if (records.empty()) {
    std::puts("no deploys recorded yet");
    return 0;
  }
  std::printf("%-26s %-8s %-9s %-16s %-20s %s\n", "id", "kind", "version", "status", "started", "by");
  for (const auto& r : records)
    std::printf("%-26s %-8s %-9s %-16s %-20s %s@%s\n", r.id.c_str(), r.kind.c_str(), r.version.c_str(),
                r.status.c_str(), r.started_at.c_str(), r.user.c_str(), r.host.c_str());
  return 0;
}

}  // namespace slipway::cli
