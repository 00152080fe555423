// table-rewrite: statements whose whole job is to rewrite a table (or recompute a materialized
// view) under ACCESS EXCLUSIVE: VACUUM FULL, CLUSTER, ALTER TABLE ... SET LOGGED / SET UNLOGGED /
// SET TABLESPACE / SET ACCESS METHOD, and REFRESH MATERIALIZED VIEW without CONCURRENTLY. Reads
// and writes wait for the whole rewrite, so the verdict grows with the table.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// VACUUM (FULL), VACUUM FULL, but not VACUUM (FULL false).
bool is_full(const PgQuery__VacuumStmt& s) {
  for (std::size_t i = 0; i < s.n_options; ++i) {
    if (s.options[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
    const auto& d = *s.options[i]->def_elem;
    if (std::string_view(d.defname) != "full") continue;
    if (!d.arg) return true;
    if (d.arg->node_case == PG_QUERY__NODE__NODE_INTEGER) return d.arg->integer->ival != 0;
    const std::string_view v = sql::string_value(d.arg);
    return v != "false" && v != "off" && v != "no" && v != "0";
  }
  return false;
}

void report_rewrite(Context& ctx, const std::string& table, std::string message, std::string hint) {
  ctx.report({.base = Verdict::safe,
              .cost = Cost::blocks_all,
              .table = table,
              .message = std::move(message),
              .hint = std::move(hint)});
}

void check_vacuum(Context& ctx, const PgQuery__VacuumStmt& s) {
  if (!s.is_vacuumcmd || !is_full(s)) return;
  if (s.n_rels == 0) {
    ctx.report({.base = Verdict::dangerous,
                .message = "VACUUM FULL without a table rewrites every table of the database, each under ACCESS "
                           "EXCLUSIVE",
                .hint = "name the tables that need it and rebuild them online with pg_repack, outside the migration; "
                        "plain VACUUM takes no blocking lock"});
    return;
  }
  for (std::size_t i = 0; i < s.n_rels; ++i) {
    if (s.rels[i]->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION) continue;
    const std::string table = table_key(s.rels[i]->vacuum_relation->relation);
    report_rewrite(ctx, table, fmt::format("VACUUM FULL rewrites {}", display_name(table)),
                   fmt::format("pg_repack --table={} (or pg_squeeze) rebuilds it online, outside the migration; "
                               "plain VACUUM takes no blocking lock",
                               display_name(table)));
  }
}

void check_alter(Context& ctx, const PgQuery__AlterTableStmt& s) {
  if (s.objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && s.objtype != PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW) return;
  const std::string table = table_key(s.relation);
  const std::string name = display_name(table);
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(*ctx.statement().node)) {
    const std::string target = cmd->name ? cmd->name : "";
    switch (cmd->subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged:
        report_rewrite(ctx, table, fmt::format("SET LOGGED rewrites {} and writes all of it to the WAL", name),
                       "create tables LOGGED from the start; for this one, copy it into a new logged table in "
                       "batches and swap the names in a short transaction");
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetUnLogged:
        report_rewrite(
            ctx, table,
            fmt::format("SET UNLOGGED rewrites {}, whose data is then lost on a crash and not replicated", name),
            "keep the table logged; for scratch data, create a separate UNLOGGED table and copy into it");
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetTableSpace:
        report_rewrite(
            ctx, table, fmt::format("SET TABLESPACE {} copies {} to the new tablespace", target, name),
            fmt::format("pg_repack --table={} --tablespace={} moves it online, outside the migration", name, target));
        break;
      case PG_QUERY__ALTER_TABLE_TYPE__AT_SetAccessMethod:
        report_rewrite(ctx, table, fmt::format("SET ACCESS METHOD {} rewrites {}", target, name),
                       fmt::format("create a new table USING {}, copy rows in batches (a trigger keeps new writes), "
                                   "then swap the names in a short transaction",
                                   target));
        break;
      default: break;
    }
  }
}

}  // namespace

void table_rewrite(Context& ctx) {
  const sql::Node& node = ctx.node();
  switch (node.node_case) {
    case PG_QUERY__NODE__NODE_VACUUM_STMT: check_vacuum(ctx, *node.vacuum_stmt); break;
    case PG_QUERY__NODE__NODE_CLUSTER_STMT: {
      const auto& s = *node.cluster_stmt;
      if (!s.relation) {
        ctx.report({.base = Verdict::dangerous,
                    .message = "CLUSTER without a table rewrites every table clustered before, each under ACCESS "
                               "EXCLUSIVE",
                    .hint = "reorder the tables that need it online with pg_repack --order-by, outside the migration"});
        break;
      }
      const std::string table = table_key(s.relation);
      report_rewrite(ctx, table, fmt::format("CLUSTER rewrites {} in index order", display_name(table)),
                     fmt::format("pg_repack --table={} --order-by=<columns> does it online, outside the migration",
                                 display_name(table)));
      break;
    }
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: check_alter(ctx, *node.alter_table_stmt); break;
    case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT: {
      const auto& s = *node.refresh_mat_view_stmt;
      if (s.concurrent || s.skip_data) break;
      const std::string view = table_key(s.relation);
      report_rewrite(
          ctx, view,
          fmt::format("REFRESH MATERIALIZED VIEW without CONCURRENTLY recomputes {} under an exclusive lock",
                      display_name(view)),
          fmt::format("REFRESH MATERIALIZED VIEW CONCURRENTLY {} (it needs a unique index on the view: CREATE "
                      "UNIQUE INDEX ... ON {} (...)), from a scheduled job rather than the migration",
                      quote_table(view), quote_table(view)));
      break;
    }
    default: break;
  }
}

}  // namespace slipway::lint::rules
