// prefer-robust-stmts: a migration that runs outside a transaction and fails half-way leaves its
// first statements applied; re-running it then fails on the first CREATE or DROP that already
// happened. IF NOT EXISTS / IF EXISTS make each statement re-runnable. Inside a transaction (or
// a file of one non-concurrent statement) a failure rolls everything back, so it passes.
// A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS would keep, so
// that one needs a DROP INDEX CONCURRENTLY IF EXISTS of the same index earlier in the file.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

constexpr std::string_view kWhy = "a partly applied migration cannot be re-run";

// The dropped objects as written: "a.b, c".
std::string drop_names(const PgQuery__DropStmt& s) {
  std::string out;
  for (std::size_t i = 0; i < s.n_objects; ++i) {
    const sql::Node* o = s.objects[i];
    if (i) out += ", ";
    if (o->node_case != PG_QUERY__NODE__NODE_LIST) continue;
    for (std::size_t k = 0; k < o->list->n_items; ++k) {
      if (k) out += '.';
      out += quote_ident(sql::string_value(o->list->items[k]));
    }
  }
  return out;
}

// True when a statement before the current one drops the index `name` with IF EXISTS.
bool dropped_before(const Context& ctx, std::string_view name) {
  for (const sql::Statement& s : ctx.file().statements()) {
    if (s.offset >= ctx.statement().offset) break;
    if (s.node->node_case != PG_QUERY__NODE__NODE_DROP_STMT) continue;
    const auto& d = *s.node->drop_stmt;
    if (d.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || !d.missing_ok) continue;
    for (std::size_t i = 0; i < d.n_objects; ++i) {
      const sql::Node* o = d.objects[i];
      if (o->node_case == PG_QUERY__NODE__NODE_LIST && sql::last_name(o->list->items, o->list->n_items) == name) {
        return true;
      }
    }
  }
  return false;
}

void check_index(Context& ctx, const PgQuery__IndexStmt& s) {
  const std::string name = s.idxname && *s.idxname ? quote_ident(s.idxname) : "";
  if (s.concurrent) {
    if (!name.empty() && dropped_before(ctx, s.idxname)) return;
    std::string message;
    if (name.empty()) {
      message =
          "CREATE INDEX CONCURRENTLY without a name: a failed build leaves an INVALID index behind and a re-run "
          "builds another one";
    } else if (s.if_not_exists) {
      message = fmt::format(
          "CREATE INDEX CONCURRENTLY {}: a failed build leaves an INVALID index behind, which IF NOT "
          "EXISTS then silently keeps",
          name);
    } else {
      message = fmt::format(
          "CREATE INDEX CONCURRENTLY {}: a failed build leaves an INVALID index behind, so a re-run fails", name);
    }
    const std::string index = name.empty() ? "<name>" : name;
    ctx.report({.base = Verdict::safe,
                .message = message,
                .hint = fmt::format("{}drop a leftover first: DROP INDEX CONCURRENTLY IF EXISTS {}; then CREATE INDEX "
                                    "CONCURRENTLY {} ON ...",
                                    name.empty() ? "name the index and " : "", index, index)});
    return;
  }
  if (s.if_not_exists) return;
  if (name.empty()) {
    ctx.report({.base = Verdict::safe,
                .message = "CREATE INDEX without a name builds a second, duplicate index when a partly applied "
                           "migration is re-run",
                .hint = "name the index: CREATE INDEX IF NOT EXISTS <name> ON ..."});
    return;
  }
  ctx.report({.base = Verdict::safe,
              .message = fmt::format("CREATE INDEX {} without IF NOT EXISTS: {}", name, kWhy),
              .hint = fmt::format("CREATE INDEX IF NOT EXISTS {} ON ...", name)});
}

}  // namespace

void prefer_robust_stmts(Context& ctx) {
  if (ctx.in_transaction()) return;
  const sql::Node& node = ctx.node();
  const bool alone = ctx.file().statements().size() == 1;
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      if (alone || node.create_stmt->if_not_exists) return;
      ctx.report({.base = Verdict::safe,
                  .message = fmt::format("CREATE TABLE {} without IF NOT EXISTS: {}",
                                         display_name(table_key(node.create_stmt->relation)), kWhy),
                  .hint = fmt::format("CREATE TABLE IF NOT EXISTS {} (...)",
                                      quote_table(table_key(node.create_stmt->relation)))});
      return;
    case PG_QUERY__NODE__NODE_INDEX_STMT:
      if (alone && !node.index_stmt->concurrent) return;
      check_index(ctx, *node.index_stmt);
      return;
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const auto& d = *node.drop_stmt;
      const bool table = d.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE;
      if (!table && d.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX) return;
      if (d.missing_ok || (alone && !d.concurrent)) return;
      const char* what = table ? "TABLE" : (d.concurrent ? "INDEX CONCURRENTLY" : "INDEX");
      ctx.report({.base = Verdict::safe,
                  .message = fmt::format("DROP {} {} without IF EXISTS: {}", what, drop_names(d), kWhy),
                  .hint = fmt::format("DROP {} IF EXISTS {}", what, drop_names(d))});
      return;
    }
    default: break;
  }
  if (alone) return;
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(node)) {
    const std::string key = table_key(node.alter_table_stmt->relation);
    const std::string table = display_name(key);
    if (cmd->missing_ok) continue;
    if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && cmd->def &&
        cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
      const auto& def = *cmd->def->column_def;
      ctx.report({.base = Verdict::safe,
                  .message = fmt::format("ADD COLUMN {}.{} without IF NOT EXISTS: {}", table, def.colname, kWhy),
                  .hint = fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} ...", quote_table(key),
                                      quote_ident(def.colname)),
                  .offset = ctx.offset_of(def.location)});
    } else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn) {
      ctx.report(
          {.base = Verdict::safe,
           .message = fmt::format("DROP COLUMN {}.{} without IF EXISTS: {}", table, cmd->name, kWhy),
           .hint = fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", quote_table(key), quote_ident(cmd->name))});
    }
  }
}

}  // namespace slipway::lint::rules
