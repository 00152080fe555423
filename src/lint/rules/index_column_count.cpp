// index-column-count: a non-unique index on more than three columns is rarely used beyond its
// leading columns, yet every INSERT and every UPDATE of any of its columns pays to maintain all of
// them, and it takes space and cache. Best practice (strong_migrations): at most three columns.
// Advice only; unique indexes are exempt, their width is the constraint.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void index_column_count(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_INDEX_STMT) return;
  const auto& stmt = *ctx.node().index_stmt;
  if (stmt.unique || stmt.primary || stmt.n_index_params <= 3) return;
  const std::string name = stmt.idxname && *stmt.idxname ? fmt::format("{} ", stmt.idxname) : "";
  ctx.report({
      .base = Verdict::safe,
      .message = fmt::format("index {}on {} has {} columns: past the first few they rarely help a query, and every "
                             "write pays to maintain them",
                             name, display_name(table_key(stmt.relation)), stmt.n_index_params),
      .hint = "index the 1 to 3 columns the queries filter on, most selective first; add more only with INCLUDE "
              "(...) when an index-only scan needs them",
  });
}

}  // namespace slipway::lint::rules
