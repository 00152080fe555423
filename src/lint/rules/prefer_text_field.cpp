// prefer-text-field: a varchar(n) limit is part of the column's type, so changing it later is an
// ALTER COLUMN TYPE under ACCESS EXCLUSIVE (and a full rewrite to lower it). text with a CHECK
// on length() stores the same bytes, and a new limit is a NOT VALID CHECK validated online.
// Advice only: it never raises the verdict.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void prefer_text_field(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    if (site.kind == ColumnSite::Kind::alter_type) continue;  // changing-column-type judges those
    const PgQuery__TypeName* type = site.def->type_name;
    if (sql::type_string(type).rfind("character varying(", 0) != 0) continue;
    const PgQuery__Node* limit = type->typmods[0];
    const std::string n =
        limit->node_case == PG_QUERY__NODE__NODE_A_CONST && limit->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL
            ? fmt::format("{}", limit->a_const->ival ? limit->a_const->ival->ival : 0)
            : "n";
    ctx.report({
        .base = Verdict::safe,
        .message = fmt::format("{}.{} is varchar({}): changing the limit later is an ALTER COLUMN TYPE under ACCESS "
                               "EXCLUSIVE (a rewrite to lower it)",
                               display_name(site.table), site.column, n),
        .hint = fmt::format("{0} text with CHECK (length({0}) <= {1}): a new limit is a NOT VALID CHECK validated "
                            "online, no rewrite",
                            quote_ident(site.column), n),
        .offset = ctx.offset_of(site.def->location),
    });
  }
}

}  // namespace slipway::lint::rules
