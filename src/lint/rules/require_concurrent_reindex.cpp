// require-concurrent-reindex: REINDEX without CONCURRENTLY takes a SHARE lock on the table (writes
// wait) and ACCESS EXCLUSIVE on each index it rebuilds (reads that would use it wait too) for the
// whole rebuild. REINDEX ... CONCURRENTLY (PostgreSQL 12+) builds a new copy beside the old one.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint::rules {
namespace {

bool has_concurrently(const PgQuery__ReindexStmt& s) {
  for (std::size_t i = 0; i < s.n_params; ++i) {
    const sql::Node* p = s.params[i];
    if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && std::string_view(p->def_elem->defname) == "concurrently") {
      return true;
    }
  }
  return false;
}

}  // namespace

void require_concurrent_reindex(Context& ctx) {
  if (ctx.node().node_case != PG_QUERY__NODE__NODE_REINDEX_STMT) return;
  const auto& stmt = *ctx.node().reindex_stmt;
  if (has_concurrently(stmt)) return;
  const bool pg12 = ctx.settings().postgres_version >= 12;
  const std::string hint =
      pg12 ? "REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction; if it fails, drop the leftover "
             "*_ccnew index CONCURRENTLY and retry"
           : "before PostgreSQL 12: CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, then "
             "ALTER INDEX ... RENAME the copy";

  switch (stmt.kind) {
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE: {
      const std::string table = table_key(stmt.relation);
      ctx.report({
          .base = Verdict::safe,
          .cost = Cost::blocks_writes,
          .table = table,
          .message = fmt::format(
              "REINDEX TABLE without CONCURRENTLY locks {} against writes, and blocks the reads that use its "
              "indexes, while every index rebuilds",
              display_name(table)),
          .hint = hint,
      });
      return;
    }
    case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX: {
      const std::string index = table_key(stmt.relation);
      if (ctx.state().new_indexes.count(index) && !(ctx.live() && ctx.live()->indexes.count(index))) return;
      ctx.report({
          .base = Verdict::review,
          .message = fmt::format(
              "REINDEX INDEX {} without CONCURRENTLY locks its table against writes, and blocks the reads that "
              "use the index, while it rebuilds",
              display_name(index)),
          .hint = hint,
      });
      return;
    }
    default: {
      const bool system = stmt.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM;
      const std::string what = stmt.kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ? "SCHEMA"
                               : system                                                          ? "SYSTEM"
                                                                                                 : "DATABASE";
      ctx.report({
          .base = Verdict::review,
          .message = fmt::format("REINDEX {}{}{} without CONCURRENTLY rebuilds every index in it, each table locked "
                                 "against writes while its indexes rebuild",
                                 what, stmt.name && *stmt.name ? " " : "", stmt.name ? stmt.name : ""),
          .hint = system ? "system catalogs cannot be reindexed concurrently: run it in a maintenance window, not "
                           "in a migration"
                         : hint,
      });
    }
  }
}

}  // namespace slipway::lint::rules
