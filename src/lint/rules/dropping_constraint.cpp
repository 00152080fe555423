// dropping-constraint: ALTER TABLE ... DROP CONSTRAINT removes a guarantee (unique, foreign key,
// check) that the data and the code rely on: rows that break it can be written at once, and
// putting it back means validating every row again.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void dropping_constraint(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    ctx.report({
        .base = Verdict::review,
        .table = table,
        .message = fmt::format("dropping constraint {} on {} removes the invariant it enforced: rows that break it "
                               "can be written from now on",
                               cmd->name, display_name(table)),
        .hint = "to replace it, first ADD the new constraint NOT VALID, then VALIDATE CONSTRAINT it in a separate "
                "transaction, and only then drop the old one; to remove it for good, check that no code relies on it",
    });
  }
}

}  // namespace slipway::lint::rules
