// require-concurrent-index-deletion: DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the
// index's table. The drop itself is quick, but the lock request waits behind every running query
// on the table, and every query that arrives after it queues behind it: a long report turns a
// millisecond drop into an outage. An index created earlier in the same run is nobody's yet.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint::rules {
namespace {

bool is_new_index(const Context& ctx, const std::string& key) {
  if (!ctx.state().new_indexes.count(key)) return false;
  return !(ctx.live() && ctx.live()->indexes.count(key));
}

}  // namespace

void require_concurrent_index_deletion(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_DROP_STMT) return;
  const auto& stmt = *ctx.node().drop_stmt;
  if (stmt.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || stmt.concurrent) return;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < stmt.n_objects; ++i) {
    if (stmt.objects[i]->node_case != PG_QUERY__NODE__NODE_LIST) continue;
    const auto& list = *stmt.objects[i]->list;
    const std::string key = pg::qualify(sql::dotted_name(list.items, list.n_items));
    if (!is_new_index(ctx, key)) names.push_back(display_name(key));
  }
  if (names.empty()) return;
  ctx.report({
      .base = Verdict::review,
      .message = fmt::format(
          "DROP INDEX {} without CONCURRENTLY takes ACCESS EXCLUSIVE on {}: the drop is quick, but it waits "
          "behind running queries and every query on {} queues behind it",
          fmt::join(names, ", "), names.size() > 1 ? "their tables" : "its table", names.size() > 1 ? "them" : "it"),
      .hint = "DROP INDEX CONCURRENTLY, in a migration of its own (it cannot run in a transaction), one index per "
              "statement",
  });
}

}  // namespace slipway::lint::rules
