#include <string>

#include "lint/helpers.hpp"
#include "lint/linter.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint {
namespace {

void advance_alter_table(SchemaState& state, const PgQuery__AlterTableStmt& stmt) {
  const std::string table = table_key(stmt.relation);
  for (std::size_t i = 0; i < stmt.n_cmds; ++i) {
    if (stmt.cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) continue;
    const auto& cmd = *stmt.cmds[i]->alter_table_cmd;
    switch (cmd.subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        if (cmd.def && cmd.def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          const auto& def = *cmd.def->column_def;
          state.new_columns[table][def.colname] = sql::type_string(def.type_name);
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        if (auto t = state.new_columns.find(table); t != state.new_columns.end() && t->second.count(cmd.name) &&
                                                    cmd.def && cmd.def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          t->second[cmd.name] = sql::type_string(cmd.def->column_def->type_name);
        }
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
        if (!cmd.def || cmd.def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) break;
        const auto& c = *cmd.def->constraint;
        const auto column = not_null_check_column(c);
        if (is_not_valid(c)) {
          if (column) state.not_null_checks_not_valid[c.conname] = {table, *column};
          if (state.in_transaction()) state.not_valid_in_transaction.insert(c.conname);
        } else if (column) {
          state.validated_not_null_checks.insert({table, *column});
        }
        break;
      }
      case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
        if (auto it = state.not_null_checks_not_valid.find(cmd.name); it != state.not_null_checks_not_valid.end()) {
          state.validated_not_null_checks.insert(it->second);
          state.not_null_checks_not_valid.erase(it);
        }
        break;
      default: break;
    }
  }
}

std::string qualified_type(sql::Node* const* names, std::size_t n) {
  return pg::qualify(sql::dotted_name(names, n));
}

}  // namespace

void advance(SchemaState& state, const sql::Node& node, const LockInfo& lock) {
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
      switch (node.transaction_stmt->kind) {
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: state.explicit_transaction = true; break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
          state.explicit_transaction = false;
          state.access_exclusive_held.clear();
          state.not_valid_in_transaction.clear();
          break;
        default: break;
      }
      break;
    case PG_QUERY__NODE__NODE_CREATE_STMT: {
      const auto& s = *node.create_stmt;
      const std::string table = table_key(s.relation);
      state.new_tables.insert(table);
      auto& columns = state.new_columns[table];
      for (std::size_t i = 0; i < s.n_table_elts; ++i) {
        if (s.table_elts[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
          const auto& def = *s.table_elts[i]->column_def;
          columns[def.colname] = sql::type_string(def.type_name);
        }
      }
      break;
    }
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      if (node.create_table_as_stmt->into && node.create_table_as_stmt->into->rel) {
        state.new_tables.insert(table_key(node.create_table_as_stmt->into->rel));
      }
      break;
    case PG_QUERY__NODE__NODE_INDEX_STMT: {
      const auto& s = *node.index_stmt;
      if (s.idxname && *s.idxname) {
        const std::string schema =
            s.relation && s.relation->schemaname && *s.relation->schemaname ? s.relation->schemaname : "public";
        state.new_indexes.insert(schema + "." + s.idxname);
      }
      break;
    }
    case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
      state.new_types.insert(qualified_type(node.create_enum_stmt->type_name, node.create_enum_stmt->n_type_name));
      break;
    case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
      state.new_types.insert(
          qualified_type(node.create_domain_stmt->domainname, node.create_domain_stmt->n_domainname));
      break;
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: {
      const auto& s = *node.variable_set_stmt;
      const std::string name = s.name ? s.name : "";
      if (name == "lock_timeout") state.lock_timeout_set = true;
      if (name == "statement_timeout") state.statement_timeout_set = true;
      break;
    }
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: advance_alter_table(state, *node.alter_table_stmt); break;
    case PG_QUERY__NODE__NODE_DROP_STMT:
      if (node.drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        for (const std::string& t : tables_of(node)) {
          state.new_tables.erase(t);
          state.new_columns.erase(t);
        }
      }
      break;
    case PG_QUERY__NODE__NODE_RENAME_STMT: {
      const auto& s = *node.rename_stmt;
      if (s.rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && s.relation) {
        const std::string from = table_key(s.relation);
        if (state.new_tables.erase(from)) {
          const std::string schema = from.substr(0, from.find('.'));
          state.new_tables.insert(schema + "." + s.newname);
        }
      }
      break;
    }
    default: break;
  }
  if (lock.mode == LockMode::access_exclusive && state.in_transaction() && !lock.table.empty()) {
    state.access_exclusive_held.insert(lock.table);
  }
}

}  // namespace slipway::lint
