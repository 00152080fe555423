// ban-drop-not-null: ALTER COLUMN ... DROP NOT NULL lets NULLs into a column that the running
// code reads as never NULL. Going back is costly: SET NOT NULL scans the whole table under ACCESS
// EXCLUSIVE, and fails once a NULL has been written.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void ban_drop_not_null(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    ctx.report({
        .base = Verdict::review,
        .table = table,
        .message = fmt::format("dropping NOT NULL on {}.{} lets NULLs in that the running code may not handle",
                               display_name(table), cmd->name),
        .hint = fmt::format("release code that handles NULL in {0} first; rolling back needs SET NOT NULL, which "
                            "scans the table unless CHECK ({0} IS NOT NULL) NOT VALID is added and VALIDATEd first",
                            quote_ident(cmd->name)),
    });
  }
}

}  // namespace slipway::lint::rules
