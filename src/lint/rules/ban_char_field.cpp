// ban-char-field: character(n) pads every value with spaces to n characters, ignores trailing
// spaces in comparisons and is no faster than text or varchar. Advice only: it never raises the
// verdict. The one-byte internal type "char" (quoted) is not this type and passes.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// "3" for character(3); "n" when the length is not a plain number or not given.
std::string length_of(const PgQuery__TypeName& type) {
  if (type.n_typmods != 1) return "n";
  const PgQuery__Node* m = type.typmods[0];
  if (m->node_case != PG_QUERY__NODE__NODE_A_CONST || m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL) return "n";
  return fmt::format("{}", m->a_const->ival ? m->a_const->ival->ival : 0);
}

}  // namespace

void ban_char_field(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    const std::string type = sql::type_string(site.def->type_name);
    if (!type.starts_with("character") || type.starts_with("character varying")) continue;
    ctx.report({
        .base = Verdict::safe,
        .message = fmt::format("{}.{} is {}: values are blank-padded to the length and trailing spaces are ignored "
                               "in comparisons",
                               display_name(site.table), site.column, type),
        .hint = fmt::format("use text, with CHECK (length({0}) = {1}) if the length is fixed", quote_ident(site.column),
                            length_of(*site.def->type_name)),
        .offset = ctx.offset_of(site.def->location),
    });
  }
}

}  // namespace slipway::lint::rules
