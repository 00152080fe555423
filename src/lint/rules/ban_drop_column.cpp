// ban-drop-column: DROP COLUMN deletes the column's data and breaks code that still reads it.
//
// The running release selects the column (ORMs list every column), so dropping it fails every
// such query until the new release is out, and there is no undo but a restore.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void ban_drop_column(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    ctx.report({
        .base = Verdict::dangerous,
        .table = table,
        .message = fmt::format("dropping {}.{} deletes its data and breaks code that still reads it",
                               display_name(table), cmd->name),
        .hint = "expand/contract: release code that no longer reads or writes the column (Prisma: @ignore it "
                "first), deploy it, then drop the column in a later migration",
        .offset = ctx.statement().offset,
    });
  }
}

}  // namespace slipway::lint::rules
