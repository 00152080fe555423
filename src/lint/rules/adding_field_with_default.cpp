// adding-field-with-default: ADD COLUMN ... DEFAULT rewrites the table under ACCESS EXCLUSIVE
// when the default must be computed row by row. Since PostgreSQL 11 a non-volatile default
// (a constant, now(), CURRENT_DATE, current_setting(...)) is evaluated once and stored in the
// catalog, so only a volatile one (gen_random_uuid(), random(), clock_timestamp(), nextval())
// rewrites; before 11 every non-NULL default does. Serial, identity and generated columns are
// adding-serial-or-generated-column's business.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

constexpr std::string_view kVolatile[] = {"gen_random_uuid",
                                          "uuid_generate_v1",
                                          "uuid_generate_v1mc",
                                          "uuid_generate_v4",
                                          "uuid_generate_v7",
                                          "gen_random_bytes",
                                          "random",
                                          "random_normal",
                                          "setseed",
                                          "clock_timestamp",
                                          "timeofday",
                                          "nextval",
                                          "currval",
                                          "lastval",
                                          "setval",
                                          "txid_current",
                                          "txid_current_if_assigned",
                                          "pg_current_xact_id",
                                          "uuidv7"};

// Immutable or stable built-ins commonly seen in defaults: evaluated once when the column is added.
constexpr std::string_view kNonVolatile[] = {"now",
                                             "statement_timestamp",
                                             "transaction_timestamp",
                                             "current_setting",
                                             "current_database",
                                             "current_schema",
                                             "inet_client_addr",
                                             "pg_backend_pid",
                                             "lower",
                                             "upper",
                                             "initcap",
                                             "concat",
                                             "concat_ws",
                                             "length",
                                             "btrim",
                                             "ltrim",
                                             "rtrim",
                                             "trim",
                                             "replace",
                                             "substring",
                                             "substr",
                                             "left",
                                             "right",
                                             "lpad",
                                             "rpad",
                                             "md5",
                                             "abs",
                                             "round",
                                             "floor",
                                             "ceil",
                                             "to_char",
                                             "to_date",
                                             "to_timestamp",
                                             "to_number",
                                             "date_trunc",
                                             "date_part",
                                             "extract",
                                             "timezone",
                                             "make_date",
                                             "make_time",
                                             "make_timestamp",
                                             "make_timestamptz",
                                             "make_interval",
                                             "to_json",
                                             "to_jsonb",
                                             "json_build_object",
                                             "json_build_array",
                                             "jsonb_build_object",
                                             "jsonb_build_array",
                                             "array_fill",
                                             "uuid_nil"};

enum class Volatility { stable, unknown, volatile_ };

struct Classified {
  Volatility volatility = Volatility::stable;
  const PgQuery__FuncCall* call = nullptr;  // the function that decided it
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Volatility volatility_of(const PgQuery__FuncCall& call) {
  const std::string schema = call.n_funcname > 1 ? lower(sql::string_value(call.funcname[0])) : "";
  const std::string name = lower(sql::last_name(call.funcname, call.n_funcname));
  const auto in = [&](const auto& list) { return std::ranges::find(list, name) != std::end(list); };
  if (in(kVolatile)) return Volatility::volatile_;
  if (in(kNonVolatile) && (schema.empty() || schema == "pg_catalog")) return Volatility::stable;
  return Volatility::unknown;
}

// The worst function call in the expression; operators, casts and constants are non-volatile.
Classified classify(const sql::Node& expr) {
  Classified worst;
  const auto visit = [&](const sql::Node& n) {
    if (n.node_case != PG_QUERY__NODE__NODE_FUNC_CALL) return;
    const Volatility v = volatility_of(*n.func_call);
    if (v > worst.volatility) worst = {v, n.func_call};
  };
  visit(expr);
  sql::for_each_node(&expr.base, visit);
  return worst;
}

const sql::Node* default_of(const PgQuery__ColumnDef& def) {
  if (def.raw_default) return def.raw_default;
  const PgQuery__Constraint* c = column_constraint(def, PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT);
  return c ? c->raw_expr : nullptr;
}

bool is_null_constant(const sql::Node& n) {
  return n.node_case == PG_QUERY__NODE__NODE_A_CONST && n.a_const->isnull;
}

}  // namespace

void adding_field_with_default(Context& ctx) {
  for (const ColumnSite& site : column_sites(ctx.node())) {
    if (site.kind != ColumnSite::Kind::add_column || is_serial(site.def->type_name)) continue;
    const sql::Node* expr = default_of(*site.def);
    if (!expr || is_null_constant(*expr)) continue;
    const std::string name = display_name(site.table);
    const std::string column = fmt::format("{}.{}", name, site.column);
    const bool not_null = site.def->is_not_null || column_constraint(*site.def, PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL);
    const Classified c = classify(*expr);
    const bool root = c.call && expr->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && expr->func_call == c.call;
    const std::string call = c.call ? sql::dotted_name(c.call->funcname, c.call->n_funcname) + "()" : "";
    Finding f{.base = Verdict::safe, .cost = Cost::blocks_all, .table = site.table};
    f.hint = fmt::format(
        "add {} without a default, then ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {} in a second statement (no "
        "rewrite: it applies to new rows), and backfill existing rows in batches outside the migration{}",
        quote_ident(site.column), quote_table(site.table), quote_ident(site.column), root ? call : "...",
        not_null ? "; SET NOT NULL last, through a validated CHECK" : "");
    if (ctx.settings().postgres_version < 11) {
      f.message = fmt::format("ADD COLUMN {} with a DEFAULT rewrites {} before PostgreSQL 11 (target: {})", column,
                              name, ctx.settings().postgres_version);
      f.offset = ctx.offset_of(site.def->location);
    } else if (c.volatility == Volatility::stable) {
      continue;
    } else {
      const std::string what =
          root ? fmt::format("the {}default {}", c.volatility == Volatility::volatile_ ? "volatile " : "", call)
               : fmt::format("a default calling {}{}", c.volatility == Volatility::volatile_ ? "the volatile " : "",
                             call);
      f.message = c.volatility == Volatility::volatile_
                      ? fmt::format("ADD COLUMN {} with {} rewrites {}", column, what, name)
                      : fmt::format("ADD COLUMN {} with {} may rewrite {} (volatility of {} unknown)", column, what,
                                    name, call);
      f.offset = ctx.offset_of(c.call->location);
      if (c.volatility == Volatility::unknown) {
        f.hint = fmt::format(
            "if {} is declared IMMUTABLE or STABLE there is no rewrite (ignore this finding); "
            "otherwise {}",
            call, f.hint);
      }
    }
    ctx.report(std::move(f));
  }
}

}  // namespace slipway::lint::rules
