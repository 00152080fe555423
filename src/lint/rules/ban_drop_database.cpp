// ban-drop-database: DROP DATABASE and DROP SCHEMA delete every table, view and function in them
// at once. No migration should do that to a database that is in use; the verdict does not depend
// on any table's size or novelty.
#include <fmt/format.h>

#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void ban_drop_database(Context& ctx) {
  const sql::Node& node = ctx.node();
  if (node.node_case == PG_QUERY__NODE__NODE_DROPDB_STMT) {
    ctx.report({
        .base = Verdict::dangerous,
        .message = fmt::format("DROP DATABASE {} deletes the database and everything in it", node.dropdb_stmt->dbname),
        .hint = "drop databases by hand, after a backup, never from a migration",
    });
    return;
  }
  if (node.node_case != PG_QUERY__NODE__NODE_DROP_STMT) return;
  const auto& stmt = *node.drop_stmt;
  if (stmt.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) return;
  const bool cascade = stmt.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
  for (std::size_t i = 0; i < stmt.n_objects; ++i) {
    const std::string_view schema = sql::string_value(stmt.objects[i]);
    ctx.report({
        .base = Verdict::dangerous,
        .message = cascade
                       ? fmt::format("DROP SCHEMA {} CASCADE deletes every table, view and function in it", schema)
                       : fmt::format("DROP SCHEMA {} deletes the schema (it fails unless the schema is empty)", schema),
        .hint = "drop the schema's objects one by one in migrations of their own, each checked, after the code "
                "stops using them; then drop the empty schema without CASCADE",
    });
  }
}

}  // namespace slipway::lint::rules
