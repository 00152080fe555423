// renaming-column: RENAME COLUMN is instant, but the release that is running still selects and
// writes the old name, so its queries fail until the new release is out (and the new release
// fails against the old name if it ships first).
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void renaming_column(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_RENAME_STMT) return;
  const auto& stmt = *ctx.node().rename_stmt;
  if (stmt.rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !stmt.relation) return;
  const std::string table = table_key(stmt.relation);
  ctx.report({
      .base = Verdict::review,
      .table = table,
      .message = fmt::format("renaming {0}.{1} to {2} breaks the running code that still uses {1}", display_name(table),
                             stmt.subname, stmt.newname),
      .hint = fmt::format("expand/contract: add {0} as a new column, write both from the code, backfill, switch "
                          "reads to {0}, then drop {1} in a later release (or expose the new name through a view)",
                          quote_ident(stmt.newname), quote_ident(stmt.subname)),
  });
}

}  // namespace slipway::lint::rules
