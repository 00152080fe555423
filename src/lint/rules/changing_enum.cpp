// changing-enum: enum types are hard to change under a running application.
//   ALTER TYPE ... ADD VALUE in a transaction  fails before PostgreSQL 12; on 12+ the new value
//                                              cannot be used until COMMIT
//   ALTER TYPE ... RENAME VALUE                the running code still sends the old label
//   CREATE TYPE ... AS ENUM                    values can never be removed: advice only
// ADD VALUE outside a transaction is fine and passes.
#include <fmt/format.h>

#include "lint/rules/rules.hpp"
#include "pg/catalog.hpp"

namespace slipway::lint::rules {
namespace {

void check_alter_enum(Context& ctx, const PgQuery__AlterEnumStmt& stmt) {
  const std::string type = sql::dotted_name(stmt.type_name, stmt.n_type_name);
  if (stmt.old_val && *stmt.old_val) {
    const bool is_new = ctx.state().new_types.count(pg::qualify(type)) > 0;
    ctx.report({
        .base = is_new ? Verdict::safe : Verdict::review,
        .message =
            fmt::format("renaming value '{}' of enum {} to '{}' breaks the running code that still sends "
                        "the old label{}",
                        stmt.old_val, type, stmt.new_val, is_new ? " (safe: the type is created in this run)" : ""),
        .hint = "add the new value (ADD VALUE), release code that writes it and reads both, migrate the rows with "
                "UPDATE in batches, and stop using the old value; enum values cannot be removed",
    });
    return;
  }
  if (!ctx.in_transaction()) return;
  if (ctx.settings().postgres_version < 12) {
    ctx.report({
        .base = Verdict::dangerous,
        .message = fmt::format("will fail: ALTER TYPE ... ADD VALUE cannot run inside a transaction block before "
                               "PostgreSQL 12 (adding '{}' to {})",
                               stmt.new_val, type),
        .hint = "run ALTER TYPE ... ADD VALUE in a migration of its own that the tool does not wrap in a "
                "transaction, outside BEGIN ... COMMIT",
    });
    return;
  }
  ctx.report({
      .base = Verdict::safe,
      .message = fmt::format("'{}' added to {} in a transaction cannot be used until the transaction commits",
                             stmt.new_val, type),
      .hint = "use the new value in a later migration, or run the ADD VALUE outside the transaction",
  });
}

}  // namespace

void changing_enum(Context& ctx) {
  const sql::Node& node = ctx.node();
  if (node.node_case == PG_QUERY__NODE__NODE_ALTER_ENUM_STMT) {
    check_alter_enum(ctx, *node.alter_enum_stmt);
  } else if (node.node_case == PG_QUERY__NODE__NODE_CREATE_ENUM_STMT) {
    const auto& stmt = *node.create_enum_stmt;
    ctx.report({
        .base = Verdict::safe,
        .message = fmt::format("enum {}: values can be added but never removed, and renaming one breaks running code",
                               sql::dotted_name(stmt.type_name, stmt.n_type_name)),
        .hint = "if the list will change, consider a lookup table with a foreign key, or a text column with a "
                "CHECK (col IN (...)) constraint",
    });
  }
}

}  // namespace slipway::lint::rules
