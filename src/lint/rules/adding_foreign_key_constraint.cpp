// adding-foreign-key-constraint: ADD CONSTRAINT ... FOREIGN KEY checks every existing row while it
// holds SHARE ROW EXCLUSIVE on both the table and the referenced table: writes to both wait for
// the whole scan. NOT VALID skips the scan; VALIDATE CONSTRAINT later scans under a lock that
// lets writes through. ADD COLUMN ... REFERENCES without a DEFAULT has nothing to check (the new
// column is all NULL, PostgreSQL skips the scan) but still briefly locks the referenced table; with
// a DEFAULT (anywhere in the statement) every row is checked under ADD COLUMN's ACCESS EXCLUSIVE.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

bool has_default(const PgQuery__ColumnDef& def) {
  return def.raw_default || column_constraint(def, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
}

// PostgreSQL's name for an unnamed foreign key: loans_member_id_fkey.
std::string default_name(const std::string& table, const PgQuery__Constraint& c) {
  std::string name = table.substr(table.find('.') + 1);
  for (std::size_t i = 0; i < c.n_fk_attrs; ++i) name += fmt::format("_{}", sql::string_value(c.fk_attrs[i]));
  return name + "_fkey";
}

// PostgreSQL skips checking the foreign keys of new columns unless some sub-command of the same
// ALTER TABLE adds a column with a DEFAULT or adds a foreign key constraint (transformAlterTableStmt).
bool checks_new_column_keys(const sql::Node& node) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(node)) {
    if (!cmd->def) continue;
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
        cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF && has_default(*cmd->def->column_def)) {
      return true;
    }
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
        cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
        cmd->def->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
      return true;
    }
  }
  return false;
}

}  // namespace

void adding_foreign_key_constraint(Context& ctx) {
  const bool checks_new_columns = checks_new_column_keys(ctx.node());
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
        cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
      const auto& c = *cmd->def->constraint;
      if (c.contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || is_not_valid(c)) continue;
      const std::string referenced = table_key(c.pktable);
      const std::string name = c.conname && *c.conname ? std::string(c.conname) : default_name(table, c);
      ctx.report({
          .base = Verdict::safe,
          .cost = Cost::blocks_writes,
          .table = table,
          .message =
              fmt::format("adding foreign key {}without NOT VALID scans {} to check every row while it holds SHARE ROW "
                          "EXCLUSIVE on {} and {}",
                          c.conname && *c.conname ? fmt::format("{} ", c.conname) : "", display_name(table),
                          display_name(table), display_name(referenced)),
          .hint = fmt::format("ADD CONSTRAINT {0} FOREIGN KEY ... NOT VALID, then ALTER TABLE {1} VALIDATE "
                              "CONSTRAINT {0} in a later transaction (it lets writes through)",
                              quote_ident(name), quote_table(table)),
          .offset = ctx.offset_of(c.location),
      });
    } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
               cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
      const auto& def = *cmd->def->column_def;
      const PgQuery__Constraint* fk = column_constraint(def, PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN);
      if (!fk || ctx.is_new_table(table)) continue;
      const std::string referenced = display_name(table_key(fk->pktable));
      const std::string column = fmt::format("{}.{}", display_name(table), def.colname);
      if (checks_new_columns) {
        ctx.report({
            .base = Verdict::safe,
            .cost = Cost::blocks_all,
            .table = table,
            .message = fmt::format("new column {} references {}, and {}: every row is checked while {} is locked "
                                   "ACCESS EXCLUSIVE",
                                   column, referenced,
                                   has_default(def) ? "has a DEFAULT"
                                                    : "the statement also adds a DEFAULT or a "
                                                      "foreign key",
                                   display_name(table)),
            .hint = fmt::format("add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ({}) "
                                "REFERENCES {} NOT VALID, and VALIDATE CONSTRAINT in a later transaction",
                                quote_ident(def.colname), quote_table(table_key(fk->pktable))),
            .offset = ctx.offset_of(fk->location),
        });
        continue;
      }
      ctx.report({
          .base = Verdict::safe,
          .message = fmt::format("new column {} references {}: no row to check (the column is all NULL), but {} is "
                                 "briefly locked against writes (SHARE ROW EXCLUSIVE)",
                                 column, referenced, referenced),
          .hint = fmt::format("fine as it is; keep a lock_timeout so the brief lock on {} cannot queue writes "
                              "behind a long query",
                              referenced),
          .offset = ctx.offset_of(fk->location),
      });
    }
  }
}

}  // namespace slipway::lint::rules
