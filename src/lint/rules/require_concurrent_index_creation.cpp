// require-concurrent-index-creation: CREATE INDEX without CONCURRENTLY takes a SHARE lock, which
// blocks every INSERT, UPDATE and DELETE on the table until the index is built. A table created
// earlier in this run is empty and unused: its index is built at once, and no advice is given
// (CONCURRENTLY would even fail in the migration tool's per-file transaction).
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void require_concurrent_index_creation(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_INDEX_STMT) return;
  const auto& stmt = *ctx.node().index_stmt;
  if (stmt.concurrent) return;
  const std::string table = table_key(stmt.relation);
  if (ctx.is_new_table(table)) return;
  ctx.report({
      .base = Verdict::safe,
      .cost = Cost::blocks_writes,
      .table = table,
      .message = fmt::format("CREATE INDEX without CONCURRENTLY locks {} against writes while the index builds",
                             display_name(table)),
      .hint = "CREATE INDEX CONCURRENTLY, in a migration of its own (it cannot run in a transaction); if it fails, "
              "DROP INDEX CONCURRENTLY the invalid index and retry",
  });
}

}  // namespace slipway::lint::rules
