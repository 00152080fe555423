// setting-not-null: ALTER COLUMN ... SET NOT NULL scans the whole table for NULLs under ACCESS
// EXCLUSIVE. From PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL)
// already proves it, so the safe recipe is: add that CHECK NOT VALID, VALIDATE it (weak lock),
// SET NOT NULL (no scan), drop the CHECK.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// The name of a CHECK (column IS NOT NULL) added NOT VALID and not validated yet, or "".
std::string pending_check(const Context& ctx, const std::string& table, const std::string& column) {
  for (const auto& [name, target] : ctx.state().not_null_checks_not_valid) {
    if (target.first == table && target.second == column) return name;
  }
  return "";
}

}  // namespace

void setting_not_null(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull || !cmd->name) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    const std::string column = cmd->name;
    const bool proven = ctx.state().validated_not_null_checks.count({table, column}) > 0;
    const int version = ctx.settings().postgres_version;
    if (proven && version >= 12) continue;

    const std::string pending = pending_check(ctx, table, column);
    const std::string bare = table.substr(table.find('.') + 1);
    const std::string check = quote_ident(pending.empty() ? fmt::format("{}_{}_not_null", bare, column) : pending);
    std::string message = fmt::format("SET NOT NULL on {}.{} scans {} under ACCESS EXCLUSIVE to check for NULLs",
                                      display_name(table), column, display_name(table));
    if (proven) {
      message += fmt::format(" (PostgreSQL {} ignores the validated CHECK ({} IS NOT NULL): only 12+ uses it)", version,
                             column);
    } else if (!pending.empty()) {
      message += fmt::format(" (CHECK {} is still NOT VALID: validate it first)", pending);
    }
    const std::string t = quote_table(table);
    const std::string col = quote_ident(column);
    std::string hint;
    if (version >= 12) {
      hint = fmt::format(
          "ALTER TABLE {0} ADD CONSTRAINT {1} CHECK ({2} IS NOT NULL) NOT VALID; in a later transaction "
          "ALTER TABLE {0} VALIDATE CONSTRAINT {1}; then SET NOT NULL (no scan on PG12+) and DROP "
          "CONSTRAINT {1}",
          t, check, col);
    } else if (proven) {
      hint = "the validated CHECK already keeps NULLs out: keep it instead, and SET NOT NULL after upgrading to 12+";
    } else {
      hint = fmt::format(
          "PostgreSQL {} has no scan-free SET NOT NULL: keep NULLs out with ALTER TABLE {} ADD "
          "CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID, then VALIDATE it; SET NOT NULL after "
          "upgrading to 12+",
          version, t, check, col);
    }
    ctx.report({
        .base = Verdict::safe,
        .cost = Cost::blocks_all,
        .table = table,
        .message = message,
        .hint = hint,
    });
  }
}

}  // namespace slipway::lint::rules
