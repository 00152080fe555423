// holding-access-exclusive: an ACCESS EXCLUSIVE lock taken in a transaction is held until COMMIT,
// so every later statement of the transaction runs while nobody can read or write that table.
// A quick catalog change (ADD COLUMN, COMMENT, SET, DROP CONSTRAINT) adds nothing, so this flags
// only statements that can take long, the heuristic being:
//   - long work: CREATE INDEX (not concurrent), UPDATE, DELETE, INSERT/CREATE TABLE ... reading a
//     table, CLUSTER, REFRESH MATERIALIZED VIEW, and ALTER TABLE ... TYPE, validating ADD
//     CONSTRAINT, SET NOT NULL (without a validated CHECK on PG12+), VALIDATE CONSTRAINT;
//   - any lock on another existing table: waiting for it (behind that table's queries) is
//     waiting with the first table locked.
// Tables created in this run do not count: nobody waits for them.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

bool reads_a_table(const sql::Node* node) {
  if (!node) return false;
  bool found = false;
  sql::for_each_node(&node->base,
                     [&](const sql::Node& n) { found = found || n.node_case == PG_QUERY__NODE__NODE_RANGE_VAR; });
  return found;
}

bool validates(const PgQuery__Constraint& c) {
  switch (c.contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: return !is_not_valid(c);
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: return !(c.indexname && *c.indexname);
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION: return true;
    default: return false;
  }
}

// What makes the statement long ("CREATE INDEX"), or "" for a quick one. Work on a new table is quick.
std::string long_work(const Context& ctx) {
  const sql::Node& node = ctx.node();
  const auto existing = [&ctx](const PgQuery__RangeVar* rv) { return rv && !ctx.is_new_table(table_key(rv)); };
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      return !node.index_stmt->concurrent && existing(node.index_stmt->relation) ? "CREATE INDEX" : "";
    case PG_QUERY__NODE__NODE_UPDATE_STMT: return existing(node.update_stmt->relation) ? "UPDATE" : "";
    case PG_QUERY__NODE__NODE_DELETE_STMT: return existing(node.delete_stmt->relation) ? "DELETE" : "";
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      return reads_a_table(node.insert_stmt->select_stmt) ? "INSERT ... SELECT" : "";
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      return reads_a_table(node.create_table_as_stmt->query) ? "CREATE TABLE ... AS" : "";
    case PG_QUERY__NODE__NODE_CLUSTER_STMT: return "CLUSTER";
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: return "REFRESH MATERIALIZED VIEW";
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
      const std::string table = table_key(node.alter_table_stmt->relation);
      if (ctx.is_new_table(table)) return "";
      for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(node)) {
        switch (cmd->subtype) {
          case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType: return "ALTER COLUMN ... TYPE";
          case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint: return "VALIDATE CONSTRAINT";
          case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
            if (!(ctx.settings().postgres_version >= 12 &&
                  ctx.state().validated_not_null_checks.count({table, cmd->name ? cmd->name : ""}))) {
              return "SET NOT NULL";
            }
            break;
          case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
            if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                validates(*cmd->def->constraint)) {
              return "ADD CONSTRAINT";
            }
            break;
          default: break;
        }
      }
      return "";
    }
    default: return "";
  }
}

// The first existing table, other than the held ones, that the statement locks; or "".
std::string other_table(const Context& ctx, const std::set<std::string>& held) {
  const sql::Node& node = ctx.node();
  if (ctx.lock().mode == LockMode::none && node.node_case != PG_QUERY__NODE__NODE_CREATE_STMT) return "";
  for (const std::string& t : tables_of(node)) {
    if (node.node_case == PG_QUERY__NODE__NODE_CREATE_STMT && t == table_key(node.create_stmt->relation)) continue;
    if (!held.count(t) && !ctx.is_new_table(t)) return t;
  }
  return "";
}

}  // namespace

void holding_access_exclusive(Context& ctx) {
  if (!ctx.in_transaction()) return;
  std::set<std::string> held;
  for (const std::string& t : ctx.state().access_exclusive_held) {
    if (!ctx.is_new_table(t)) held.insert(t);
  }
  if (held.empty()) return;
  const std::string first = display_name(*held.begin());
  std::string what = long_work(ctx);
  std::string hint = fmt::format(
      "COMMIT right after the statement that locks {}, and run this one in a transaction of its own (Prisma: a "
      "separate migration file)",
      first);
  if (what.empty()) {
    const std::string other = other_table(ctx, held);
    if (other.empty()) return;
    what = fmt::format("a statement on {}", display_name(other));
    hint = fmt::format("one table per transaction: COMMIT before touching {} (Prisma: a separate migration file)",
                       display_name(other));
  }
  ctx.report({
      .base = Verdict::safe,
      .cost = Cost::blocks_all,
      .table = *held.begin(),
      .message = fmt::format("{} runs while {} is still locked ACCESS EXCLUSIVE by an earlier statement of this "
                             "transaction: the lock is held until COMMIT",
                             what, first),
      .hint = hint,
  });
}

}  // namespace slipway::lint::rules
