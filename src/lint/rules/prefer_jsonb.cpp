// prefer-jsonb: a json column stores the text as written and re-parses it on every access; it
// has no equality operator (no DISTINCT, GROUP BY or UNIQUE) and no GIN index. jsonb is what
// the application almost always wants. Advice only: it never raises the verdict.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void prefer_jsonb(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    const std::string type = sql::type_string(site.def->type_name);
    if (type != "json" && type != "json[]") continue;
    ctx.report({
        .base = Verdict::safe,
        .message = fmt::format("{}.{} is {}: re-parsed on every access, no equality operator and no GIN index",
                               display_name(site.table), site.column, type),
        .hint = fmt::format("use jsonb ({} jsonb{}); keep json only to preserve the exact text, key order or "
                            "duplicate keys",
                            quote_ident(site.column), type == "json[]" ? "[]" : ""),
        .offset = ctx.offset_of(site.def->location),
    });
  }
}

}  // namespace slipway::lint::rules
