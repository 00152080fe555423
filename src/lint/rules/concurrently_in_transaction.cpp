// concurrently-in-transaction: CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX ...
// CONCURRENTLY and DETACH PARTITION ... CONCURRENTLY refuse to run inside a transaction block, so
// the migration fails at this statement, on any table. The transaction is either an explicit
// BEGIN, or the one the migration tool wraps around a multi-statement file (Prisma, Flyway,
// golang-migrate). REFRESH MATERIALIZED VIEW CONCURRENTLY is allowed in a transaction.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// The statement's CONCURRENTLY form ("CREATE INDEX CONCURRENTLY"), or "" when it has none.
std::string concurrent_form(const sql::Node& node) {
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_INDEX_STMT: return node.index_stmt->concurrent ? "CREATE INDEX CONCURRENTLY" : "";
    case PG_QUERY__NODE__NODE_DROP_STMT:
      return node.drop_stmt->concurrent && node.drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX
                 ? "DROP INDEX CONCURRENTLY"
                 : "";
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
      const auto& s = *node.reindex_stmt;
      for (std::size_t i = 0; i < s.n_params; ++i) {
        if (s.params[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            std::string_view(s.params[i]->def_elem->defname) == "concurrently") {
          return "REINDEX CONCURRENTLY";
        }
      }
      return "";
    }
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(node)) {
        if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
            cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD && cmd->def->partition_cmd->concurrent) {
          return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
        }
      }
      return "";
    default: return "";
  }
}

}  // namespace

void concurrently_in_transaction(Context& ctx) {
  if (!ctx.in_transaction()) return;
  const std::string form = concurrent_form(ctx.node());
  if (form.empty()) return;
  if (ctx.state().explicit_transaction) {
    ctx.report({
        .base = Verdict::dangerous,
        .message = fmt::format("will fail: {} cannot run inside a transaction block (this one is inside BEGIN)", form),
        .hint = "move it out of BEGIN ... COMMIT, into a migration file of its own",
    });
    return;
  }
  ctx.report({
      .base = Verdict::dangerous,
      .message = fmt::format("will fail: {} cannot run inside a transaction block, and the migration tool runs this "
                             "whole file in a transaction",
                             form),
      .hint = "Prisma, Flyway and golang-migrate run a multi-statement migration file in one transaction: move it "
              "to a migration file of its own",
  });
}

}  // namespace slipway::lint::rules
