// ban-drop-table: DROP TABLE (and DROP MATERIALIZED VIEW) deletes the data at once and breaks the
// running release, which still queries it; there is no undo short of restoring a backup. Each
// dropped object is judged alone, so dropping a table created earlier in the run is safe.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint::rules {

void ban_drop_table(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_DROP_STMT) return;
  const auto& stmt = *ctx.node().drop_stmt;
  const bool matview = stmt.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
  if (stmt.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && !matview) return;
  const bool cascade = stmt.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
  for (std::size_t i = 0; i < stmt.n_objects; ++i) {
    if (stmt.objects[i]->node_case != PG_QUERY__NODE__NODE_LIST) continue;
    const auto& names = *stmt.objects[i]->list;
    const std::string table = pg::qualify(sql::dotted_name(names.items, names.n_items));
    const std::string_view kind = matview ? "materialized view" : "table";
    const std::string_view last = sql::last_name(names.items, names.n_items);
    ctx.report({
        .base = Verdict::dangerous,
        .table = table,
        .message = fmt::format("dropping {} {} deletes its data and breaks code that still uses it{}", kind,
                               display_name(table),
                               cascade ? "; CASCADE also drops the views and foreign keys that depend on it" : ""),
        .hint = fmt::format("release code that no longer uses it first (ALTER {} {} RENAME TO {} flushes out "
                            "stragglers and is undone by renaming back), then drop it in a later release, after a "
                            "backup",
                            matview ? "MATERIALIZED VIEW" : "TABLE", quote_table(table),
                            quote_ident(std::string(last) + "_deprecated")),
    });
  }
}

}  // namespace slipway::lint::rules
