#include "lint/linter.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/suggest.hpp"
#include "core/units.hpp"
#include "lint/helpers.hpp"
#include "lint/registry.hpp"

namespace slipway::lint {

// ---------------------------------------------------------------------------------------------
// Context

bool Context::is_new_table(const std::string& table) const {
  if (!state_.new_tables.count(table)) return false;
  return !(live_ && live_->table(table));
}

std::optional<std::string> Context::column_type(const std::string& table, const std::string& column) const {
  if (live_) {
    if (const auto* c = live_->column(table, column)) return c->type;
  }
  if (auto t = state_.new_columns.find(table); t != state_.new_columns.end()) {
    if (auto c = t->second.find(column); c != t->second.end()) return c->second;
  }
  return std::nullopt;
}

void Context::report(Finding f) {
  if (f.offset == 0) f.offset = statement_.offset;
  findings_.push_back(std::move(f));
}

namespace {

// ---------------------------------------------------------------------------------------------
// Verdicts: a finding's base verdict, raised by what is known of its table's size.

void resolve(Finding& f, const Context& ctx, const Thresholds& t) {
  f.verdict = f.base;
  if (f.table.empty()) return;
  const std::string name = display_name(f.table);
  if (ctx.is_new_table(f.table)) {
    f.verdict = Verdict::safe;
    f.message += fmt::format(" (safe: {} is created in this run)", name);
    return;
  }
  if (f.cost == Cost::none) return;
  const std::string_view blocks = f.cost == Cost::blocks_all ? "blocks reads and writes" : "blocks writes";
  const pg::TableStats* stats = ctx.live() ? ctx.live()->table(f.table) : nullptr;
  if (!stats) {
    f.verdict = std::max(f.verdict, Verdict::review);
    f.message += fmt::format(", {} (size of {} unknown)", blocks, name);
    return;
  }
  f.message += fmt::format(": {} rows, {}, {}", format_count(stats->rows), format_size(stats->bytes), blocks);
  if (f.cost == Cost::blocks_all && (stats->rows > t.dangerous_rows || stats->bytes > t.dangerous_bytes)) {
    f.verdict = Verdict::dangerous;
  } else if (stats->rows > t.review_rows || stats->bytes > t.review_bytes) {
    f.verdict = std::max(f.verdict, Verdict::review);
  }
}

// ---------------------------------------------------------------------------------------------
// Suppression: "-- slipway:ignore <rule>[,<rule>] <reason>" on a statement and
// "-- slipway:ignore-file <rule>[,<rule>] [reason]" anywhere in the file.

struct Directive {
  bool whole_file = false;
  std::vector<std::string> rules;
  std::string reason;
  std::size_t offset = 0;
  std::size_t statement = SIZE_MAX;  // index of the statement it applies to
  bool used = false;
};

std::vector<std::string> split_rules(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<Directive> read_directives(const sql::ParsedFile& file) {
  std::vector<Directive> out;
  const auto statements = file.statements();
  const std::string_view text(file.text());
  for (const sql::Comment& c : file.comments()) {
    std::string_view body = c.text;
    Directive d;
    if (body.starts_with("slipway:ignore-file")) {
      d.whole_file = true;
      body.remove_prefix(std::string_view("slipway:ignore-file").size());
    } else if (body.starts_with("slipway:ignore")) {
      body.remove_prefix(std::string_view("slipway:ignore").size());
    } else {
      continue;
    }
    if (!body.empty() && !std::isspace(static_cast<unsigned char>(body.front()))) continue;
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) body.remove_prefix(1);
    const auto space = body.find_first_of(" \t");
    d.rules = split_rules(body.substr(0, space));
    if (space != std::string_view::npos) {
      std::string_view reason = body.substr(space);
      while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.front()))) reason.remove_prefix(1);
      d.reason = std::string(reason);
    }
    d.offset = c.offset;
    if (!d.whole_file) {
      // Inside a statement, or trailing one on its last line, or else before the next one.
      for (std::size_t i = 0; i < statements.size(); ++i) {
        const auto& s = statements[i];
        if (c.offset >= s.offset && c.offset < s.end) {
          d.statement = i;
          break;
        }
        if (c.offset >= s.end && text.substr(s.end, c.offset - s.end).find('\n') == std::string_view::npos) {
          d.statement = i;
          break;
        }
        if (s.offset > c.offset) {
          d.statement = i;
          break;
        }
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

bool rule_enabled(std::string_view id, const Settings& s) {
  if (s.disabled.count(std::string(id))) return false;
  return !s.only || s.only->count(std::string(id));
}

// Findings about the directives themselves: a missing reason, an unknown rule, an unused ignore.
void check_directives(std::vector<Directive>& directives, FileReport& report) {
  const auto ids = rule_ids();
  for (Directive& d : directives) {
    StatementReport* target = nullptr;
    if (d.statement < report.statements.size()) target = &report.statements[d.statement];
    if (!target && !report.statements.empty()) target = &report.statements.front();
    if (!target) continue;
    Finding f;
    f.base = Verdict::safe;
    f.offset = d.offset;
    f.verdict = Verdict::safe;
    const auto unknown =
        std::find_if(d.rules.begin(), d.rules.end(), [](const std::string& r) { return !find_rule(r); });
    if (unknown != d.rules.end()) {
      f.rule = "unknown-rule";
      f.message = fmt::format("slipway:ignore names an unknown rule '{}'{}", *unknown, did_you_mean(*unknown, ids));
      f.hint = "run `slipway lint --rules` for the list of rule ids";
      target->findings.push_back(f);
    } else if (d.rules.empty()) {
      f.rule = "ignore-without-rule";
      f.message = "slipway:ignore names no rule, so it ignores nothing";
      f.hint = "write -- slipway:ignore <rule> <reason>";
      target->findings.push_back(f);
    } else if (!d.whole_file && d.reason.empty()) {
      f.rule = "ignore-without-reason";
      f.message = "slipway:ignore without a reason does not apply";
      f.hint = fmt::format("say why it is safe: -- slipway:ignore {} <reason>", d.rules.front());
      target->findings.push_back(f);
    } else if (!d.used) {
      f.rule = "unused-ignore";
      f.message = fmt::format("slipway:ignore{} {} matches no finding", d.whole_file ? "-file" : "", d.rules.front());
      f.hint = "remove the directive, or fix the rule id";
      target->findings.push_back(f);
    }
  }
}

void apply_directives(std::vector<Directive>& directives, std::size_t index, Finding& f) {
  for (Directive& d : directives) {
    if (!d.whole_file && (d.statement != index || d.reason.empty())) continue;
    if (std::find(d.rules.begin(), d.rules.end(), f.rule) == d.rules.end()) continue;
    d.used = true;
    f.suppressed = true;
    f.suppression_reason = d.reason.empty() ? "ignored for the whole file" : d.reason;
    return;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Linter

Linter::Linter(Settings settings, const pg::LiveSchema* live) : settings_(std::move(settings)), live_(live) {}

FileReport Linter::lint(std::string path, std::string text) {
  FileReport report;
  report.path = std::move(path);
  auto parsed = std::make_shared<const sql::ParsedFile>(sql::ParsedFile::parse(std::move(text)));
  report.parsed = parsed;
  report.errors = parsed->errors();

  std::vector<Directive> directives = read_directives(*parsed);
  const auto statements = parsed->statements();
  state_.file_transaction = settings_.file_in_transaction && statements.size() > 1;

  std::vector<LockInfo> locks;
  locks.reserve(statements.size());
  for (const sql::Statement& stmt : statements) locks.push_back(lock_for(*stmt.node));

  for (std::size_t i = 0; i < statements.size(); ++i) {
    const sql::Statement& stmt = statements[i];
    StatementReport sr;
    sr.offset = stmt.offset;
    sr.pos = stmt.pos;
    sr.sql = std::string(parsed->source(stmt));
    sr.lock = locks[i];
    sr.tables = tables_of(*stmt.node);

    Context ctx(*parsed, i, locks, state_, live_, settings_);
    for (const Rule& rule : all_rules()) {
      if (!rule_enabled(rule.id, settings_)) continue;
      const std::size_t before = ctx.findings().size();
      rule.check(ctx);
      for (std::size_t k = before; k < ctx.findings().size(); ++k) ctx.findings()[k].rule = rule.id;
    }
    for (Finding& f : ctx.findings()) {
      resolve(f, ctx, settings_.thresholds);
      apply_directives(directives, i, f);
      if (!f.suppressed) sr.verdict = std::max(sr.verdict, f.verdict);
    }
    sr.findings = std::move(ctx.findings());
    report.statements.push_back(std::move(sr));
    advance(state_, *stmt.node, report.statements.back().lock);
  }
  // Each file runs in a session of its own: its transaction, explicit or the tool's, ends here
  // (transaction-nesting reports one left open), and so do the locks it held.
  state_.file_transaction = false;
  state_.explicit_transaction = false;
  state_.access_exclusive_held.clear();
  state_.not_valid_in_transaction.clear();
  check_directives(directives, report);
  return report;
}

}  // namespace slipway::lint
