// renaming-table: RENAME TO is instant, but the release that is running still queries the old
// name, so every one of its queries on the table fails until the new release is out.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void renaming_table(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_RENAME_STMT) return;
  const auto& stmt = *ctx.node().rename_stmt;
  if (stmt.rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !stmt.relation) return;
  const std::string table = table_key(stmt.relation);
  const std::string old_name = display_name(table);
  // The new name stays in the old one's schema.
  const std::string new_key = table.substr(0, table.find('.') + 1) + stmt.newname;
  ctx.report({
      .base = Verdict::review,
      .table = table,
      .message = fmt::format("renaming {0} to {1} breaks the running code that still uses {0}", old_name,
                             display_name(new_key)),
      .hint = fmt::format("in one transaction: ALTER TABLE {0} RENAME TO {1}; CREATE VIEW {0} AS SELECT * FROM {2}; "
                          "(a simple view is updatable), then drop the view a release later",
                          quote_table(table), quote_ident(stmt.newname), quote_table(new_key)),
  });
}

}  // namespace slipway::lint::rules
