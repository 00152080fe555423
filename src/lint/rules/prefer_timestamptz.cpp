// prefer-timestamptz: timestamp without time zone stores a wall-clock reading with no offset, so
// the same instant reads differently depending on the writer's session TimeZone, and arithmetic
// across daylight-saving changes is off by an hour. timestamptz stores UTC in the same 8 bytes.
// Advice only: it never raises the verdict.
#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {

void prefer_timestamptz(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    const std::string type = sql::type_string(site.def->type_name);
    if (!type.starts_with("timestamp") || type.find("without time zone") == std::string::npos) continue;
    // timestamp(3) without time zone[] -> timestamptz(3)[]
    std::string better = "timestamptz";
    if (const auto open = type.find('('); open != std::string::npos && open < type.find(' ')) {
      better += type.substr(open, type.find(')') - open + 1);
    }
    if (type.ends_with("[]")) better += "[]";
    ctx.report({
        .base = Verdict::safe,
        .message = fmt::format("{}.{} is {}: it stores no offset, so its meaning depends on the writer's TimeZone",
                               display_name(site.table), site.column, type),
        .hint = fmt::format("use {} {} (Prisma: @db.Timestamptz): the same 8 bytes, stored as UTC and shown in "
                            "the session's time zone",
                            quote_ident(site.column), better),
        .offset = ctx.offset_of(site.def->location),
    });
  }
}

}  // namespace slipway::lint::rules
