// backfill-in-migration: an UPDATE or DELETE of an existing table inside a migration locks every
// row it touches until the migration commits, so the application's writes to those rows wait,
// and a big one bloats the table and the WAL in one go. After a schema change in the same
// transaction it is worse: that change's ACCESS EXCLUSIVE lock is held for the whole backfill.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void backfill_in_migration(Context& ctx) {
  const sql::Node& node = ctx.node();
  const PgQuery__RangeVar* relation = nullptr;
  const PgQuery__Node* where = nullptr;
  bool update = false;
  if (node.node_case == PG_QUERY__NODE__NODE_UPDATE_STMT) {
    relation = node.update_stmt->relation;
    where = node.update_stmt->where_clause;
    update = true;
  } else if (node.node_case == PG_QUERY__NODE__NODE_DELETE_STMT) {
    relation = node.delete_stmt->relation;
    where = node.delete_stmt->where_clause;
  } else {
    return;
  }
  const std::string table = table_key(relation);
  const std::string name = display_name(table);
  const char* verb = update ? "updates" : "deletes";
  Finding f{.base = Verdict::safe, .cost = Cost::blocks_writes, .table = table};
  f.message =
      where ? fmt::format("{} rows of {} inside the migration: they stay locked until it commits", verb, name)
            : fmt::format("{} every row of {} inside the migration: the rows stay locked until it commits", verb, name);
  const auto& held = ctx.state().access_exclusive_held;
  if (held.count(table)) {
    f.cost = Cost::blocks_all;
    f.message += fmt::format(
        ", and the schema change earlier in this transaction holds ACCESS EXCLUSIVE on {} until then", name);
  } else if (!held.empty()) {
    f.message += fmt::format(
        ", and so does the ACCESS EXCLUSIVE lock of the schema change on {} earlier in this "
        "transaction",
        display_name(*held.begin()));
  }
  f.hint = fmt::format(
      "move it out of the migration: {} in batches of a few thousand rows ({} ... WHERE id IN (SELECT id FROM {} "
      "WHERE ... LIMIT 5000)) from a script or job, once the schema change has shipped",
      update ? "backfill" : "delete", update ? "UPDATE" : "DELETE FROM", quote_table(table));
  ctx.report(std::move(f));
}

}  // namespace slipway::lint::rules
