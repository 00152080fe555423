// adding-required-field: ALTER TABLE ... ADD COLUMN ... NOT NULL without a DEFAULT fails with
// "column contains null values" as soon as the table has one row: PostgreSQL has nothing to put
// in the existing rows. Identity, serial and generated columns fill themselves, so they pass.
// With a database the row count decides: rows -> dangerous (it will fail), empty -> safe.
#include <fmt/format.h>

#include "core/units.hpp"
#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

// Above this size a table that the statistics call empty probably has rows (never analyzed).
constexpr std::uint64_t kEmptyTableBytes = 1'000'000;

bool required_without_default(const PgQuery__ColumnDef& def) {
  const bool not_null = def.is_not_null || column_constraint(def, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) ||
                        column_constraint(def, PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY);
  if (!not_null || def.raw_default || is_serial(def.type_name)) return false;
  for (auto type : {PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT, PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY,
                    PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED}) {
    if (column_constraint(def, type)) return false;
  }
  return true;
}

}  // namespace

void adding_required_field(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    if (site.kind != ColumnSite::Kind::add_column || !required_without_default(*site.def)) continue;
    const std::string name = display_name(site.table);
    const std::string column = fmt::format(
        "{}.{} {}", name, site.column,
        site.def->is_not_null || column_constraint(*site.def, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) ? "NOT NULL"
                                                                                                     : "PRIMARY KEY");
    Finding f{.table = site.table, .offset = ctx.offset_of(site.def->location)};
    const pg::TableStats* stats = ctx.live() ? ctx.live()->table(site.table) : nullptr;
    if (stats && stats->rows > 0) {
      f.base = Verdict::dangerous;
      f.message = fmt::format("ADD COLUMN {} will fail: {} has rows and the new column has no default", column, name);
    } else if (stats && stats->bytes <= kEmptyTableBytes) {
      f.base = Verdict::safe;
      f.message = fmt::format("ADD COLUMN {} without a default works only while {} is empty (it is now)", column, name);
    } else if (stats) {
      f.base = Verdict::review;
      f.message = fmt::format(
          "ADD COLUMN {} without a default fails if {} has any row (statistics say 0 rows but it takes {}: "
          "never analyzed?)",
          column, name, format_size(stats->bytes));
    } else {
      f.base = Verdict::review;
      f.message = fmt::format("ADD COLUMN {} without a default fails if {} has any row", column, name);
    }
    const std::string recipe = fmt::format(
        "add it nullable, backfill in batches, then ADD CONSTRAINT {0} CHECK ({1} IS NOT NULL) NOT VALID, "
        "VALIDATE CONSTRAINT {0}, SET NOT NULL",
        quote_ident(site.column + "_not_null"), quote_ident(site.column));
    f.hint = ctx.settings().postgres_version >= 11
                 ? "give it a constant DEFAULT (instant on PostgreSQL 11+), or " + recipe
                 : recipe + " (a DEFAULT rewrites the table before PostgreSQL 11)";
    ctx.report(std::move(f));
  }
}

}  // namespace slipway::lint::rules
