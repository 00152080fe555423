// disallowed-unique-constraint: ADD CONSTRAINT ... UNIQUE / PRIMARY KEY (and ADD COLUMN ... UNIQUE /
// PRIMARY KEY) builds the index under the ALTER TABLE's ACCESS EXCLUSIVE lock: reads and writes
// wait for the whole build. Build the unique index CONCURRENTLY first, then attach it with
// ADD CONSTRAINT ... USING INDEX, which only changes the catalog.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

std::vector<std::string> key_columns(const PgQuery__Constraint& c) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < c.n_keys; ++i) out.emplace_back(sql::string_value(c.keys[i]));
  return out;
}

void report(Context& ctx, const std::string& table, const PgQuery__Constraint& c,
            const std::vector<std::string>& columns, const std::string& what) {
  std::vector<std::string> quoted;
  quoted.reserve(columns.size());
  for (const std::string& col : columns) quoted.push_back(quote_ident(col));
  const bool primary = c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
  const std::string kind = primary ? "PRIMARY KEY" : "UNIQUE";
  const std::string t = display_name(table);
  const std::string bare = table.substr(table.find('.') + 1);
  const std::string name = c.conname && *c.conname ? std::string(c.conname)
                           : primary               ? bare + "_pkey"
                                                   : fmt::format("{}_{}_key", bare, fmt::join(columns, "_"));
  ctx.report({
      .base = Verdict::safe,
      .cost = Cost::blocks_all,
      .table = table,
      .message = fmt::format("{} builds its index on {} under ACCESS EXCLUSIVE", what, t),
      .hint = fmt::format("CREATE UNIQUE INDEX CONCURRENTLY {0} ON {1} ({2}); then ALTER TABLE {1} ADD CONSTRAINT "
                          "{0} {3} USING INDEX {0}{4}",
                          quote_ident(name), quote_table(table),
                          quoted.empty() ? "..." : fmt::format("{}", fmt::join(quoted, ", ")), kind,
                          primary ? " (the columns must already be NOT NULL)" : ""),
      .offset = ctx.offset_of(c.location),
  });
}

}  // namespace

void disallowed_unique_constraint(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (!cmd->def) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
        cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
      const auto& c = *cmd->def->constraint;
      const bool unique =
          c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE || c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
      if (!unique || (c.indexname && *c.indexname)) continue;
      const std::string kind = c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE";
      report(ctx, table, c, key_columns(c),
             c.conname && *c.conname ? fmt::format("adding {} {}", kind, c.conname) : fmt::format("adding {}", kind));
    } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
               cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
      const auto& def = *cmd->def->column_def;
      for (auto type : {PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY}) {
        if (const PgQuery__Constraint* c = column_constraint(def, type)) {
          report(ctx, table, *c, {def.colname},
                 fmt::format("adding column {}.{} with {}", display_name(table), def.colname,
                             type == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? "PRIMARY KEY" : "UNIQUE"));
        }
      }
    }
  }
}

}  // namespace slipway::lint::rules
