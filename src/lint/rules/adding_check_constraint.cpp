// adding-check-constraint: ADD CONSTRAINT ... CHECK checks every existing row while it holds
// ACCESS EXCLUSIVE on the table: reads and writes wait for the whole scan. Added NOT VALID it only
// changes the catalog; VALIDATE CONSTRAINT later scans under SHARE UPDATE EXCLUSIVE, which lets
// reads and writes through.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void adding_check_constraint(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint || !cmd->def ||
        cmd->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
      continue;
    }
    const auto& c = *cmd->def->constraint;
    if (c.contype != PG_QUERY__CONSTR_TYPE__CONSTR_CHECK || is_not_valid(c)) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    const bool named = c.conname && *c.conname;
    const std::string name = named ? c.conname : table.substr(table.find('.') + 1) + "_check";
    ctx.report({
        .base = Verdict::safe,
        .cost = Cost::blocks_all,
        .table = table,
        .message = fmt::format("adding CHECK constraint {}without NOT VALID scans {} under ACCESS EXCLUSIVE to check "
                               "every row",
                               named ? name + " " : "", display_name(table)),
        .hint = fmt::format("ADD CONSTRAINT {} CHECK (...) NOT VALID, then ALTER TABLE {} VALIDATE CONSTRAINT {} in "
                            "a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
                            quote_ident(name), quote_table(table), quote_ident(name)),
        .offset = ctx.offset_of(c.location),
    });
  }
}

}  // namespace slipway::lint::rules
