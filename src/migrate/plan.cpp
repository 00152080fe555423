#include "migrate/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "lint/helpers.hpp"
#include "lint/linter.hpp"
#include "sql/parse.hpp"

namespace slipway::migrate {
namespace {

bool has_param(sql::Node* const* params, std::size_t n, std::string_view name) {
  for (std::size_t i = 0; i < n; ++i) {
    if (params[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && std::string_view(params[i]->def_elem->defname) == name)
      return true;
  }
  return false;
}

bool is_transaction_control(const sql::Node& node) {
  return node.node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT;
}

// The statement's source as a complete SQL statement: its text and a ';' that a trailing line
// comment cannot swallow.
std::string terminated(const sql::ParsedFile& file, const sql::Statement& s) {
  std::string text(file.source(s));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t' || text.back() == '\r'))
    text.pop_back();
  const auto tokens = sql::scan(text);
  const bool ends_in_comment = !tokens.empty() && tokens.back().token == PG_QUERY__TOKEN__SQL_COMMENT;
  return text + (ends_in_comment ? "\n;" : ";");
}

// Every line of `text` as a SQL line comment.
std::string commented(std::string_view text, std::string_view indent = "") {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += fmt::format("-- {}{}\n", indent, line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string table_size(const std::string& key, const pg::LiveSchema* live) {
  const std::string name = lint::display_name(key);
  if (!live) return fmt::format("{} (size unknown: no database)", name);
  if (const pg::TableStats* t = live->table(key)) {
    return fmt::format("{} ({} rows, {})", name, format_count(t->rows), format_size(t->bytes));
  }
  return fmt::format("{} (new)", name);
}

}  // namespace

std::string non_transactional(const sql::Node& node, int server_major) {
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_INDEX_STMT: return node.index_stmt->concurrent ? "CREATE INDEX CONCURRENTLY" : "";
    case PG_QUERY__NODE__NODE_DROP_STMT: return node.drop_stmt->concurrent ? "DROP INDEX CONCURRENTLY" : "";
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
      const auto& s = *node.reindex_stmt;
      if (has_param(s.params, s.n_params, "concurrently")) return "REINDEX CONCURRENTLY";
      if (s.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
          s.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE)
        return "REINDEX DATABASE/SYSTEM";
      return "";
    }
    case PG_QUERY__NODE__NODE_VACUUM_STMT: return node.vacuum_stmt->is_vacuumcmd ? "VACUUM" : "";
    case PG_QUERY__NODE__NODE_CREATEDB_STMT: return "CREATE DATABASE";
    case PG_QUERY__NODE__NODE_DROPDB_STMT: return "DROP DATABASE";
    case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT: return "CREATE TABLESPACE";
    case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT: return "DROP TABLESPACE";
    case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT: return "ALTER SYSTEM";
    case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT: return "CREATE SUBSCRIPTION";
    case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT: return "DROP SUBSCRIPTION";
    case PG_QUERY__NODE__NODE_CLUSTER_STMT: return node.cluster_stmt->relation ? "" : "CLUSTER (all tables)";
    case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
      // Before PostgreSQL 12, ALTER TYPE ... ADD VALUE refused a transaction block.
      return server_major > 0 && server_major < 12 && node.alter_enum_stmt->old_val[0] == '\0'
                 ? "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)"
                 : "";
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      for (const PgQuery__AlterTableCmd* cmd : lint::alter_table_cmds(node)) {
        if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
            cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd->def->partition_cmd->concurrent)
          return "DETACH PARTITION CONCURRENTLY";
      }
      return "";
    default: return "";
  }
}

std::vector<std::string> Plan::errors() const {
  std::vector<std::string> out;
  for (const PlannedMigration& m : migrations) {
    if (!m.report.read_error.empty()) out.push_back(fmt::format("{}: {}", m.report.path, m.report.read_error));
    for (const sql::SyntaxError& e : m.report.errors)
      out.push_back(fmt::format("{}: {}", format_location(m.report.path, e.pos), e.message));
  }
  return out;
}

Plan make_plan(const Status& status, const pg::LiveSchema* live, lint::Settings settings) {
  const int server_major = live ? live->server_major : settings.postgres_version;
  // Slipway runs every migration in a transaction (plain files too), so the linter judges them
  // that way; the statements that run alone are cleared of concurrently-in-transaction below.
  settings.file_in_transaction = true;
  lint::Linter linter(settings, live);
  Plan plan;
  for (const MigrationStatus* m : status.pending()) {
    PlannedMigration pm;
    pm.status = m;
    pm.report = linter.lint(m->file.path.string(), m->text);
    const sql::ParsedFile* parsed = pm.report.parsed.get();
    const auto statements = parsed ? parsed->statements() : std::span<const sql::Statement>{};
    pm.own_transactions = std::any_of(statements.begin(), statements.end(),
                                      [](const sql::Statement& s) { return is_transaction_control(*s.node); });
    for (std::size_t i = 0; i < statements.size(); ++i) {
      const bool alone = pm.own_transactions || !non_transactional(*statements[i].node, server_major).empty();
      if (alone) {
        pm.steps.push_back({false, {i}});
        if (!pm.own_transactions) {
          // Apply runs it outside the transaction, where it works.
          lint::StatementReport& sr = pm.report.statements[i];
          std::erase_if(sr.findings, [](const lint::Finding& f) { return f.rule == "concurrently-in-transaction"; });
          sr.verdict = lint::Verdict::safe;
          for (const lint::Finding& f : sr.findings) {
            if (!f.suppressed) sr.verdict = std::max(sr.verdict, f.verdict);
          }
        }
      } else if (pm.steps.empty() || !pm.steps.back().transaction) {
        pm.steps.push_back({true, {i}});
      } else {
        pm.steps.back().statements.push_back(i);
      }
    }
    plan.statements += statements.size();
    plan.migrations.push_back(std::move(pm));
  }
  std::vector<lint::FileReport> reports;
  for (const PlannedMigration& pm : plan.migrations) reports.push_back(pm.report);
  plan.summary = lint::summarize(reports);
  return plan;
}

std::vector<std::pair<lint::LockMode, std::vector<std::string>>> locks_by_mode(const Plan& plan) {
  std::map<lint::LockMode, std::vector<std::string>, std::greater<>> by_mode;
  for (const PlannedMigration& m : plan.migrations) {
    for (const lint::StatementReport& s : m.report.statements) {
      if (s.lock.mode == lint::LockMode::none || s.lock.table.empty()) continue;
      auto& tables = by_mode[s.lock.mode];
      const std::string name = lint::display_name(s.lock.table);
      if (std::find(tables.begin(), tables.end(), name) == tables.end()) tables.push_back(name);
    }
  }
  return {by_mode.begin(), by_mode.end()};
}

std::string lock_summary(const Plan& plan) {
  std::string out;
  for (const auto& [mode, tables] : locks_by_mode(plan)) {
    std::string list;
    for (const std::string& t : tables) list += (list.empty() ? "" : ", ") + t;
    out += fmt::format("{}{} on {}", out.empty() ? "" : "; ", lint::to_string(mode), list);
  }
  return out.empty() ? "none" : out;
}

std::string render_plan_sql(const Status& status, const Plan& plan, const pg::LiveSchema* live,
                            const PlanHeader& header) {
  std::string out;
  const auto& s = plan.summary;
  out += "-- Slipway migration plan\n";
  out += fmt::format("-- generated:  {}\n", header.generated_at);
  if (!header.database.empty()) out += fmt::format("-- database:   {}\n", redact(header.database));
  out += fmt::format("-- folder:     {} ({}), history in {}\n", status.folder.dir.string(),
                     to_string(status.folder.layout), status.history->table());
  out += fmt::format("-- pending:    {} migration{}, {} statement{}: {} safe, {} review, {} dangerous\n",
                     plan.migrations.size(), plan.migrations.size() == 1 ? "" : "s", plan.statements,
                     plan.statements == 1 ? "" : "s", s.safe, s.review, s.dangerous);
  if (s.suppressed > 0)
    out += fmt::format("--             {} finding(s) suppressed with slipway:ignore\n", s.suppressed);
  std::set<std::string> seen;
  std::string tables;
  for (const PlannedMigration& m : plan.migrations) {
    for (const lint::StatementReport& st : m.report.statements) {
      for (const std::string& t : st.tables) {
        if (seen.insert(t).second) tables += fmt::format("{}{}", tables.empty() ? "" : ", ", table_size(t, live));
      }
    }
  }
  out += fmt::format("-- tables:     {}\n", tables.empty() ? "none" : tables);
  out += fmt::format("-- locks:      {}\n", lock_summary(plan));
  if (status.has_problems()) {
    out += fmt::format(
        "-- WARNING:    the history has {} failed, {} dirty, {} drifted migration(s); "
        "`slipway migrate status` lists them\n",
        status.count(State::failed), status.count(State::dirty), status.count(State::drift));
  }
  for (const std::string& note : status.notes) out += commented(note, "note: ");
  out += "--\n";
  out += fmt::format("-- `slipway migrate apply` runs exactly these steps and records each migration in {}.\n",
                     status.history->table());
  out += "-- Running this file with psql applies the same SQL but records no history.\n\n";
  if (plan.migrations.empty()) {
    out += "-- Nothing to apply: every migration of the folder is applied.\n";
    return out;
  }
  out += fmt::format("SET lock_timeout = '{}ms';\n", header.lock_timeout.count());
  out += fmt::format("SET statement_timeout = '{}ms';\n", header.statement_timeout.count());

  std::size_t number = 0;
  for (std::size_t mi = 0; mi < plan.migrations.size(); ++mi) {
    const PlannedMigration& m = plan.migrations[mi];
    const sql::ParsedFile& file = *m.report.parsed;
    out += "\n-- ==========================================================================\n";
    out += fmt::format("-- Migration {}/{}: {}\n", mi + 1, plan.migrations.size(), m.status->name);
    out += fmt::format("-- file: {}\n", m.report.path);
    if (m.own_transactions) out += "-- the file manages its own transactions: its statements run as written\n";
    out += "-- ==========================================================================\n";
    for (const Step& step : m.steps) {
      if (step.transaction) out += "BEGIN;\n";
      for (std::size_t i : step.statements) {
        const lint::StatementReport& sr = m.report.statements[i];
        const sql::Statement& stmt = file.statements()[i];
        ++number;
        out += fmt::format("\n-- [{}] {}  verdict: {}\n", number, format_location(m.report.path, sr.pos),
                           lint::to_string(sr.verdict));
        if (!step.transaction && !m.own_transactions) {
          out += fmt::format("-- runs alone, outside a transaction: {} cannot run inside one\n",
                             non_transactional(*stmt.node, live ? live->server_major : 0));
        }
        if (sr.lock.mode != lint::LockMode::none) {
          out += fmt::format("-- lock: {}{} (blocks {})\n", lint::to_string(sr.lock.mode),
                             sr.lock.table.empty() ? "" : " on " + lint::display_name(sr.lock.table),
                             lint::blocked_by(sr.lock.mode));
        }
        for (const std::string& t : sr.tables) out += fmt::format("-- table: {}\n", table_size(t, live));
        for (const lint::Finding& f : sr.findings) {
          if (f.suppressed) {
            out += commented(fmt::format("[{}] suppressed: {}", f.rule, f.suppression_reason));
            continue;
          }
          out += commented(fmt::format("[{}] {}: {}", f.rule, lint::to_string(f.verdict), f.message));
          if (!f.hint.empty()) out += commented(f.hint, "  safer: ");
        }
        out += terminated(file, stmt) + "\n";
      }
      if (step.transaction) out += "COMMIT;\n";
    }
  }
  return out;
}

}  // namespace slipway::migrate
