// ban-truncate: TRUNCATE deletes every row of the table at once under an ACCESS EXCLUSIVE lock,
// with no WHERE and no undo once committed. TRUNCATE ... CASCADE also empties every table that
// has a foreign key to it, which the statement does not name.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void ban_truncate(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT) return;
  const auto& stmt = *ctx.node().truncate_stmt;
  const bool cascade = stmt.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
  for (std::size_t i = 0; i < stmt.n_relations; ++i) {
    if (stmt.relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) continue;
    const PgQuery__RangeVar* rv = stmt.relations[i]->range_var;
    const std::string table = table_key(rv);
    const std::string name = display_name(table);
    ctx.report({
        .base = Verdict::dangerous,
        .table = table,
        .message = cascade
                       ? fmt::format("TRUNCATE {0} CASCADE deletes every row of {0} and of every table with a "
                                     "foreign key to it, under ACCESS EXCLUSIVE locks",
                                     name)
                       : fmt::format("TRUNCATE deletes every row of {} at once, under an ACCESS EXCLUSIVE lock", name),
        .hint = fmt::format("delete only the rows that must go, with DELETE ... WHERE in batches from a script "
                            "rather than a migration; truncate only a table no code uses{}",
                            cascade ? ", and name every table to empty instead of CASCADE" : ""),
        .offset = ctx.offset_of(rv->location),
    });
  }
}

}  // namespace slipway::lint::rules
