#include "lint/helpers.hpp"

#include <unordered_map>

#include <pg_query.h>

#include "pg/catalog.hpp"

namespace slipway::lint {

std::string table_key(const PgQuery__RangeVar* rv) {
  return pg::qualify(sql::name_of(rv));
}

std::string display_name(const std::string& key) {
  return key.starts_with("public.") ? key.substr(7) : key;
}

std::optional<std::string> not_null_check_column(const PgQuery__Constraint& c) {
  if (c.contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || !c.raw_expr) return std::nullopt;
  if (c.raw_expr->node_case != PG_QUERY__NODE__NODE_NULL_TEST) return std::nullopt;
  const auto& test = *c.raw_expr->null_test;
  if (test.nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL || !test.arg) return std::nullopt;
  if (test.arg->node_case != PG_QUERY__NODE__NODE_COLUMN_REF) return std::nullopt;
  const auto& ref = *test.arg->column_ref;
  std::string_view name = sql::last_name(ref.fields, ref.n_fields);
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

std::vector<const PgQuery__AlterTableCmd*> alter_table_cmds(const sql::Node& node) {
  std::vector<const PgQuery__AlterTableCmd*> out;
  if (node.node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT) return out;
  const auto& s = *node.alter_table_stmt;
  for (std::size_t i = 0; i < s.n_cmds; ++i) {
    if (s.cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) out.push_back(s.cmds[i]->alter_table_cmd);
  }
  return out;
}

const PgQuery__Constraint* column_constraint(const PgQuery__ColumnDef& def, PgQuery__ConstrType type) {
  for (std::size_t i = 0; i < def.n_constraints; ++i) {
    const sql::Node* n = def.constraints[i];
    if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && n->constraint->contype == type) return n->constraint;
  }
  return nullptr;
}

bool is_not_valid(const PgQuery__Constraint& c) {
  return c.skip_validation;
}

std::string quote_ident(std::string_view name) {
  bool plain = !name.empty() && !(name.front() >= '0' && name.front() <= '9');
  for (char c : name) plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (plain) {
    // Like PostgreSQL's quote_ident(): unreserved keywords need no quotes. Asking the scanner
    // costs a parse, and hints ask for the same few names again and again: remember answers.
    thread_local std::unordered_map<std::string, bool> bare_ok;
    auto it = bare_ok.find(std::string(name));
    if (it == bare_ok.end()) {
      const auto tokens = scan_tokens(name);
      const bool ok = tokens.size() == 1 && (tokens[0].token == PG_QUERY__TOKEN__IDENT ||
                                             tokens[0].keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD);
      if (bare_ok.size() > 4096) bare_ok.clear();
      it = bare_ok.emplace(std::string(name), ok).first;
    }
    if (it->second) return std::string(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string quote_table(const std::string& key) {
  const std::string name = display_name(key);
  const auto dot = name.find('.');
  if (dot == std::string::npos) return quote_ident(name);
  return quote_ident(std::string_view(name).substr(0, dot)) + "." + quote_ident(std::string_view(name).substr(dot + 1));
}

std::vector<ColumnSite> column_sites(const sql::Node& node) {
  std::vector<ColumnSite> out;
  if (node.node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
    const auto& s = *node.create_stmt;
    const std::string table = table_key(s.relation);
    for (std::size_t i = 0; i < s.n_table_elts; ++i) {
      if (s.table_elts[i]->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) continue;
      const auto* def = s.table_elts[i]->column_def;
      out.push_back({ColumnSite::Kind::create_table, table, def->colname, def});
    }
    return out;
  }
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(node)) {
    if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) continue;
    const auto* def = cmd->def->column_def;
    const std::string table = table_key(node.alter_table_stmt->relation);
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn) {
      out.push_back({ColumnSite::Kind::add_column, table, def->colname, def});
    } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) {
      out.push_back({ColumnSite::Kind::alter_type, table, cmd->name, def});
    }
  }
  return out;
}

bool is_serial(const PgQuery__TypeName* type) {
  if (!type || type->n_names != 1 || type->n_array_bounds > 0) return false;
  const std::string_view name = sql::string_value(type->names[0]);
  return name == "serial" || name == "bigserial" || name == "smallserial" || name == "serial2" || name == "serial4" ||
         name == "serial8";
}

}  // namespace slipway::lint
