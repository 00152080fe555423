// transaction-nesting: PostgreSQL has no nested transactions. A BEGIN inside a transaction only
// warns, and the first COMMIT then ends the outer transaction early; a COMMIT outside one does
// nothing (or ends the transaction the migration tool wraps the file in); a BEGIN never ended
// leaves the transaction, and every lock it took, open until the session ends.
#include <fmt/format.h>

#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

bool is_begin(const sql::Node& node) {
  if (node.node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT) return false;
  const auto kind = node.transaction_stmt->kind;
  return kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN ||
         kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START;
}

bool is_end(const sql::Node& node) {
  if (node.node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT) return false;
  const auto kind = node.transaction_stmt->kind;
  return kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT ||
         kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK ||
         kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE;
}

// True when a COMMIT, ROLLBACK or PREPARE TRANSACTION follows the current statement in its file.
bool ended_later(const Context& ctx) {
  for (const sql::Statement& s : ctx.file().statements()) {
    if (s.offset > ctx.statement().offset && is_end(*s.node)) return true;
  }
  return false;
}

}  // namespace

void transaction_nesting(Context& ctx) {
  const sql::Node& node = ctx.node();
  const SchemaState& state = ctx.state();
  if (is_begin(node)) {
    if (state.explicit_transaction) {
      ctx.report({
          .base = Verdict::review,
          .message = "BEGIN inside a transaction is ignored with a warning: the next COMMIT ends the outer "
                     "transaction, and the statements after it run outside any",
          .hint = "remove the inner BEGIN and its COMMIT: PostgreSQL has no nested transactions (use SAVEPOINT "
                  "for a partial rollback)",
      });
    } else if (state.file_transaction) {
      ctx.report({
          .base = Verdict::review,
          .message = "BEGIN in a file the migration tool already runs in one transaction is ignored with a warning, "
                     "and its COMMIT ends the tool's transaction early",
          .hint = "remove BEGIN and COMMIT from the file: the tool wraps it in a transaction already",
      });
    } else if (!ended_later(ctx)) {
      ctx.report({
          .base = Verdict::review,
          .message = "transaction left open: no COMMIT or ROLLBACK follows this BEGIN in the file, so its locks "
                     "are held until the session ends",
          .hint = "end the file with COMMIT;",
      });
    }
    return;
  }
  if (!is_end(node) || node.transaction_stmt->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE ||
      state.explicit_transaction)
    return;
  const bool commit = node.transaction_stmt->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT;
  if (state.file_transaction) {
    const bool more = ctx.statement().offset != ctx.file().statements().back().offset;
    ctx.report({
        .base = Verdict::review,
        .message = fmt::format("{} the transaction the migration tool wraps the file in{}",
                               commit ? "COMMIT ends" : "ROLLBACK undoes the statements before it and ends",
                               more ? ": the statements after it run outside it" : ""),
        .hint = "remove it: the tool commits the file's transaction itself",
    });
    return;
  }
  ctx.report({
      .base = Verdict::review,
      .message = fmt::format("{} without a BEGIN: there is no transaction to end, PostgreSQL only warns",
                             commit ? "COMMIT" : "ROLLBACK"),
      .hint = "remove it, or add the BEGIN it was meant to close before the statements it should group",
  });
}

}  // namespace slipway::lint::rules
