// changing-column-type: ALTER COLUMN ... TYPE rewrites the table under ACCESS EXCLUSIVE, unless
// the conversion is one PostgreSQL knows needs no rewrite. Those are judged against the column's
// real current type (from the database, or from earlier statements of this run):
//
//   from                          to                                 rewrite?
//   varchar(n)                    varchar(m), m >= n; varchar; text  no
//   text                          varchar (no limit)                 no
//   numeric(p,s)                  numeric(q,s), q >= p; numeric      no
//   varbit(n)                     varbit(m), m >= n; varbit          no
//   timestamp(p) / timestamptz(p) / time(p) / interval(p)
//                                 the same type, more precision      no
//   cidr                          inet                               no
//   xml                           text, varchar                      no
//   anything else (int -> bigint, varchar -> int, text -> varchar(n), any USING)   yes
//
// A conversion that needs no rewrite is safe. Anything else is review even on a tiny table,
// because the application reads the new type, and dangerous on a large one.
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

struct ParsedType {
  std::string base;       // "character varying", "timestamp with time zone", "integer[]"
  std::vector<int> mods;  // (20) -> {20}; (10,2) -> {10, 2}; none -> {}
};

ParsedType parse_type(std::string_view t) {
  ParsedType out;
  const auto open = t.find('(');
  const auto close = t.find(')', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) {
    out.base = std::string(t);
    return out;
  }
  out.base = std::string(t.substr(0, open)) + std::string(t.substr(close + 1));
  std::string_view mods = t.substr(open + 1, close - open - 1);
  while (!mods.empty()) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(mods.data(), mods.data() + mods.size(), v);
    if (ec != std::errc()) break;
    out.mods.push_back(v);
    mods.remove_prefix(static_cast<std::size_t>(ptr - mods.data()));
    if (!mods.empty() && mods.front() == ',') mods.remove_prefix(1);
  }
  return out;
}

// True when a modifier change only relaxes the limit: no mods (unbounded) accepts anything.
bool widens(const ParsedType& from, const ParsedType& to) {
  if (to.mods.empty()) return true;
  if (from.mods.empty()) return false;
  return to.mods.front() >= from.mods.front();
}

bool needs_no_rewrite(const ParsedType& from, const ParsedType& to) {
  const std::string& a = from.base;
  const std::string& b = to.base;
  if (a == "character varying" && b == "character varying") return widens(from, to);
  if (a == "character varying" && b == "text") return true;
  if (a == "text" && b == "character varying") return to.mods.empty();
  if (a == "numeric" && b == "numeric") {
    if (to.mods.empty()) return true;
    if (from.mods.empty()) return false;
    const int from_scale = from.mods.size() > 1 ? from.mods[1] : 0;
    const int to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
    return from_scale == to_scale && to.mods[0] >= from.mods[0];
  }
  if (a == "bit varying" && b == "bit varying") return widens(from, to);
  for (const char* precise : {"timestamp without time zone", "timestamp with time zone", "time without time zone",
                              "time with time zone", "interval"}) {
    if (a == precise && b == precise) return widens(from, to);
  }
  if (a == "cidr" && b == "inet") return true;
  if (a == "xml" && (b == "text" || (b == "character varying" && to.mods.empty()))) return true;
  return false;
}

}  // namespace

void changing_column_type(Context& ctx) {
  for (const PgQuery__AlterTableCmd* cmd : alter_table_cmds(ctx.node())) {
    if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType) continue;
    if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) continue;
    const auto& def = *cmd->def->column_def;
    const std::string table = table_key(ctx.node().alter_table_stmt->relation);
    const std::string column = fmt::format("{}.{}", display_name(table), cmd->name);
    const std::string to = sql::type_string(def.type_name);
    const bool has_using = def.raw_default != nullptr;
    const std::optional<std::string> from = ctx.column_type(table, cmd->name);
    const std::string recipe =
        "add a new column of the new type, dual-write it from the code, backfill in batches, switch reads, then "
        "drop the old column in a later release";

    if (from && *from == to && !has_using) {
      ctx.report({.base = Verdict::safe,
                  .message = fmt::format("{} is already {}: this statement changes nothing", column, to),
                  .hint = "remove the statement"});
      continue;
    }
    if (from && !has_using && needs_no_rewrite(parse_type(*from), parse_type(to))) {
      ctx.report({.base = Verdict::safe,
                  .message = fmt::format("{} from {} to {} needs no rewrite (binary compatible)", column, *from, to),
                  .hint = "none needed: only a brief ACCESS EXCLUSIVE lock for the catalog change"});
      continue;
    }
    std::string message;
    if (from) {
      message = fmt::format("changing {} from {} to {}{} rewrites {}", column, *from, to,
                            has_using ? " with USING" : "", display_name(table));
    } else {
      message = fmt::format(
          "changing {} to {}{} rewrites {} unless the old type converts without one "
          "(current type unknown: give --database)",
          column, to, has_using ? " with USING" : "", display_name(table));
    }
    ctx.report({.base = Verdict::review, .cost = Cost::blocks_all, .table = table, .message = message, .hint = recipe});
  }
}

}  // namespace slipway::lint::rules
