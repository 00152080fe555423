// adding-exclusion-constraint: ADD CONSTRAINT ... EXCLUDE checks every row and builds its index
// under ACCESS EXCLUSIVE, and unlike UNIQUE there is no way to build the index CONCURRENTLY and
// attach it afterwards (USING INDEX accepts only unique indexes). So it is review even on a small
// table, and grows with the table.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void adding_exclusion_constraint(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !cmd->def ||
        cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
      continue;
    }
    const auto& c = *cmd->def->constraint;
    if (c.contype != PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    ctx.report({
        .base = Verdict::review,
        .cost = Cost::blocks_all,
        .table = table,
        .message = fmt::format("adding exclusion constraint {}builds its index on {} under ACCESS EXCLUSIVE, and "
                               "there is no concurrent way to build it",
                               c.conname && *c.conname ? fmt::format("{} ", c.conname) : "", display_name(table)),
        .hint = "add it when the table is created, or run it alone in a low-traffic window with a lock_timeout "
                "(EXCLUDE has no NOT VALID and no USING INDEX form)",
        .offset = ctx.offset_of(c.location),
    });
  }
}

}  // namespace slipway::lint::rules
