// slipway history [ID]: one structured record per deploy and rollback; the checklist's changelog
// with --format markdown.
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

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
namespace json = boost::json;

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

// The deploy runs its commands with --format json, so a failed phase's summary, the record's
// reason and the output tail may hold a JSON answer, or the cut end of one. The text views show
// what it says instead:
//   verify failed: {"checks":[{"id":"perf-run","status":"fail","message":"no response"}],...}
//   -> verify failed: perf-run: no response

// The JSON value at the start of `text` and how many characters it took; nullopt when there is none.
std::optional<std::pair<json::value, std::size_t>> leading_json(std::string_view text) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (ec || !parser.done()) return std::nullopt;
  return std::pair{parser.release(), used};
}

std::string field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// What a command's JSON answer says went wrong: its failed checks ("id [subject]: message"),
// else its "failure", "message" or "error".
std::vector<std::string> json_as_text(const json::value& v) {
  std::vector<std::string> out;
  const auto* o = v.if_object();
  if (!o) return out;
  if (const auto* checks = o->if_contains("checks"); checks && checks->is_array()) {
    for (const auto& c : checks->as_array()) {
      const auto* check = c.if_object();
      if (!check || field(*check, "status") != "fail") continue;
      const std::string subject = field(*check, "subject");
      out.push_back(fmt::format("{}{}: {}", field(*check, "id"), subject.empty() ? "" : " [" + subject + "]",
                                field(*check, "message")));
    }
  }
  if (out.empty()) {
    for (const char* key : {"failure", "message", "error"}) {
      if (std::string text = field(*o, key); !text.empty()) {
        out.push_back(std::move(text));
        break;
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& lines, std::string_view separator) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : std::string(separator)) + l;
  return out;
}

// `text` with a JSON answer inside it replaced by what it says.
std::string plain(const std::string& text) {
  const std::size_t brace = text.find('{');
  if (brace == std::string::npos) return text;
  auto found = leading_json(std::string_view(text).substr(brace));
  if (!found) return text;
  const std::vector<std::string> said = json_as_text(found->first);
  return text.substr(0, brace) + (said.empty() ? "(see --format json)" : join(said, "; ")) +
         text.substr(brace + found->second);
}

// A failed phase's output as text lines: JSON answers become what they say; the cut end of one
// becomes the kept verify report's failures (`report`), or a note.
std::vector<std::string> output_lines(const PhaseRecord& p, const json::value& report) {
  std::vector<std::string> out;
  bool cut_noted = false;
  std::size_t start = 0;
  while (start <= p.output_tail.size()) {
    std::size_t end = p.output_tail.find('\n', start);
    if (end == std::string::npos) end = p.output_tail.size();
    const std::string line = p.output_tail.substr(start, end - start);
    start = end + 1;
    const bool whole = !line.empty() && (line.front() == '{' || line.front() == '[');
    if (auto found = whole ? leading_json(line) : std::nullopt; found && found->second == line.size()) {
      for (auto& l : json_as_text(found->first)) out.push_back(std::move(l));
    } else if (line.find("\":") != std::string::npos && (line.ends_with('}') || line.ends_with(']'))) {
      if (cut_noted) continue;
      cut_noted = true;
      std::vector<std::string> said = p.name == "verify" ? json_as_text(report) : std::vector<std::string>{};
      if (said.empty()) said.push_back("(the end of a JSON answer; its beginning was not kept)");
      for (auto& l : said) out.push_back(std::move(l));
    } else if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

void print_phases(const std::vector<PhaseRecord>& phases, const json::value& report, const Style& style) {
  for (const auto& p : phases) {
    std::printf("  %s %-18s %7s  %s\n", mark(p.status, style).c_str(), p.name.c_str(),
                p.status == PhaseStatus::pending ? "" : format_seconds(Duration(p.duration_ms)).c_str(),
                plain(p.summary).c_str());
    if (p.status == PhaseStatus::failed) {
      for (const auto& line : output_lines(p, report)) std::printf("      | %s\n", line.c_str());
    }
  }
}

// "took over the stale deploy lock of ci@web-2 (pid 4121, deploy d-...): its lease ran out 4min ago"
std::string takeover_text(const deploy::LockEvent& e) {
  return fmt::format("took over the stale deploy lock of {} (pid {}{}): {}", e.holder, e.pid,
                     e.deploy_id.empty() ? "" : ", deploy " + e.deploy_id, e.reason);
}

void print_detail(const DeployRecord& r, const Style& style) {
  std::printf("%s %s %s: %s\n", std::string(to_string(r.kind)).c_str(), r.id.c_str(), r.version.c_str(),
              std::string(to_string(r.status)).c_str());
  std::printf("  by %s on %s, %s -> %s%s\n", r.user.c_str(), r.host.c_str(), r.started_at.c_str(),
              r.finished_at.empty() ? "(not finished)" : r.finished_at.c_str(),
              r.git_sha.empty() ? "" : fmt::format(", git {}", r.git_sha.substr(0, 12)).c_str());
  if (!r.reason.empty()) std::printf("  reason: %s\n", plain(r.reason).c_str());
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
  print_phases(r.phases, r.verify, style);
  if (!r.rollback.empty()) {
    std::printf("  rollback:\n");
    print_phases(r.rollback, r.verify, style);
  }
}

// The checklist's changelog: one section per deploy, newest first.
void print_markdown(const std::vector<DeployRecord>& records) {
  std::puts("# Deployment history\n");
  for (const auto& r : records) {
    std::printf("## %s %s: %s (%s)\n\n", r.started_at.substr(0, 10).c_str(), r.version.c_str(),
                std::string(to_string(r.status)).c_str(), std::string(to_string(r.kind)).c_str());
    std::printf("- id: `%s`, by %s on %s, %s to %s\n", r.id.c_str(), r.user.c_str(), r.host.c_str(),
                r.started_at.c_str(), r.finished_at.empty() ? "(not finished)" : r.finished_at.c_str());
    if (!r.git_sha.empty()) std::printf("- commit: `%s`\n", r.git_sha.c_str());
    if (!r.reason.empty()) std::printf("- reason: %s\n", plain(r.reason).c_str());
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
                  plain(p.summary).c_str());
    for (const auto& p : r.rollback)
      std::printf("| rollback: %s | %s | %s | %s |\n", p.name.c_str(), std::string(to_string(p.status)).c_str(),
                  format_seconds(Duration(p.duration_ms)).c_str(), plain(p.summary).c_str());
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
    std::printf("%-26s %-8s %-9s %-16s %-20s %s@%s\n", r.id.c_str(), std::string(to_string(r.kind)).c_str(),
                r.version.c_str(), std::string(to_string(r.status)).c_str(), r.started_at.c_str(), r.user.c_str(),
                r.host.c_str());
  return 0;
}

}  // namespace slipway::cli
