// validate-in-same-transaction: the point of ADD CONSTRAINT ... NOT VALID is to validate later,
// under VALIDATE CONSTRAINT's weak lock. Validating in the same transaction gains nothing: the
// strong lock ADD CONSTRAINT took (ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables
// for a foreign key) is held until COMMIT, so it is held for the whole scan.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// The ADD CONSTRAINT ... NOT VALID that added `name` earlier in this file, or nullptr.
const PgQuery__Constraint* added_earlier(const Context& ctx, std::string_view name) {
  const PgQuery__Constraint* found = nullptr;
  for (const sql::Statement& s : ctx.file().statements()) {
    if (s.offset >= ctx.statement().offset) break;
    for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(*s.node)) {
      if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && cmd->def &&
          cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && cmd->def->constraint->conname &&
          name == cmd->def->constraint->conname) {
        found = cmd->def->constraint;
      }
    }
  }
  return found;
}

}  // namespace

void validate_in_same_transaction(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint || !cmd->name) continue;
    if (!ctx.state().not_valid_in_transaction.count(cmd->name)) continue;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    const PgQuery__Constraint* added = added_earlier(ctx, cmd->name);
    const bool foreign = added && added->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
    const std::string lock = foreign ? fmt::format("SHARE ROW EXCLUSIVE lock on {} and {}", display_name(table),
                                                   display_name(table_key(added->pktable)))
                                     : "ACCESS EXCLUSIVE lock";
    ctx.report({
        .base = Verdict::safe,
        .cost = foreign ? Cost::blocks_writes : Cost::blocks_all,
        .table = table,
        .message = fmt::format("VALIDATE CONSTRAINT {} runs in the transaction that added it NOT VALID, so the {} "
                               "from ADD CONSTRAINT is held during the scan",
                               cmd->name, lock),
        .hint = ctx.state().explicit_transaction
                    ? "COMMIT between ADD CONSTRAINT ... NOT VALID and VALIDATE CONSTRAINT (Prisma: put VALIDATE in "
                      "a migration file of its own)"
                    : "the migration tool runs this file in one transaction: put VALIDATE CONSTRAINT in a later "
                      "migration file",
    });
  }
}

}  // namespace slipway::lint::rules
