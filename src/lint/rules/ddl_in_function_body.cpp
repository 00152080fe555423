// ddl-in-function-body: DDL run from a DO block or a function body (plpgsql or sql) is invisible
// to slipway: the body is a string to the parser, so the locks and rewrites of its ALTERs and
// CREATEs go unchecked, and EXECUTE builds statements that only exist at run time. The body is
// tokenized with PostgreSQL's scanner, so words inside its strings and comments do not count;
// a DDL keyword counts where a statement starts (after ';', BEGIN, THEN, ELSE or LOOP).
#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "lint/helpers.hpp"
#include "lint/rules/rules.hpp"

namespace slipway::lint::rules {
namespace {

constexpr std::array<std::pair<PgQuery__Token, std::string_view>, 10> kDdl{{
    {PG_QUERY__TOKEN__ALTER, "ALTER"},
    {PG_QUERY__TOKEN__CREATE, "CREATE"},
    {PG_QUERY__TOKEN__DROP, "DROP"},
    {PG_QUERY__TOKEN__TRUNCATE, "TRUNCATE"},
    {PG_QUERY__TOKEN__GRANT, "GRANT"},
    {PG_QUERY__TOKEN__REVOKE, "REVOKE"},
    {PG_QUERY__TOKEN__REINDEX, "REINDEX"},
    {PG_QUERY__TOKEN__CLUSTER, "CLUSTER"},
    {PG_QUERY__TOKEN__VACUUM, "VACUUM"},
    {PG_QUERY__TOKEN__LOCK_P, "LOCK"},
}};

struct Body {
  std::string_view text;
  std::string_view language;
  std::string subject;  // "DO block", "function archive_loans"
};

struct Found {
  std::vector<std::string_view> ddl;  // distinct keywords, in order of appearance
  bool dynamic = false;
  std::size_t first = 0;  // offset of the first hit in the body
  bool any = false;
};

bool lower_equals(std::string_view text, std::string_view lower) {
  return std::equal(text.begin(), text.end(), lower.begin(), lower.end(),
                    [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b; });
}

Found scan_body(const Body& body) {
  Found out;
  const bool plpgsql = body.language == "plpgsql";
  const std::vector<ScanToken> tokens = scan_tokens(body.text);
  const ScanToken* prev = nullptr;  // the previous token that is not a comment
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const ScanToken& t = tokens[i];
    if (t.token == PG_QUERY__TOKEN__SQL_COMMENT || t.token == PG_QUERY__TOKEN__C_COMMENT) continue;
    const std::string_view prev_text = prev ? body.text.substr(prev->start, prev->end - prev->start) : "";
    const bool starts_statement = !prev || prev->token == PG_QUERY__TOKEN__ASCII_59 ||
                                  prev->token == PG_QUERY__TOKEN__BEGIN_P || prev->token == PG_QUERY__TOKEN__THEN ||
                                  prev->token == PG_QUERY__TOKEN__ELSE || prev_text == ">>" ||
                                  (prev->token == PG_QUERY__TOKEN__IDENT && lower_equals(prev_text, "loop"));
    prev = &t;
    if (!starts_statement) continue;
    const auto ddl = std::find_if(kDdl.begin(), kDdl.end(), [&t](const auto& k) { return k.first == t.token; });
    const bool execute = plpgsql && t.token == PG_QUERY__TOKEN__EXECUTE;
    if (ddl == kDdl.end() && !execute) continue;
    // CREATE TEMP TABLE touches nothing that exists.
    if (t.token == PG_QUERY__TOKEN__CREATE && i + 1 < tokens.size() &&
        (tokens[i + 1].token == PG_QUERY__TOKEN__TEMP || tokens[i + 1].token == PG_QUERY__TOKEN__TEMPORARY))
      continue;
    if (!out.any) out.first = t.start;
    out.any = true;
    if (execute) {
      out.dynamic = true;
    } else if (std::find(out.ddl.begin(), out.ddl.end(), ddl->second) == out.ddl.end()) {
      out.ddl.push_back(ddl->second);
    }
  }
  return out;
}

void check_body(Context& ctx, const Body& body) {
  if (body.language != "plpgsql" && body.language != "sql") return;
  const Found found = scan_body(body);
  if (!found.any) return;
  std::string what;
  if (!found.ddl.empty()) what = fmt::format("DDL ({})", fmt::join(found.ddl, ", "));
  if (found.dynamic) what += fmt::format("{}dynamic SQL (EXECUTE)", what.empty() ? "" : " and ");
  const std::string_view source = ctx.file().source(ctx.statement());
  const std::size_t at = source.find(body.text);
  ctx.report({
      .base = Verdict::review,
      .message =
          fmt::format("{} runs {} that slipway cannot inspect: its locks and rewrites are unknown", body.subject, what),
      .hint = "write the DDL as plain statements of the migration so that each one is checked (IF [NOT] EXISTS "
              "covers most re-run guards); if it must stay in the body, SET lock_timeout first and check its locks "
              "by hand",
      .offset = at == std::string_view::npos ? 0 : ctx.statement().offset + at + found.first,
  });
}

// The String argument of the DefElem named `name` among `options`, or "".
const sql::Node* option(sql::Node* const* options, std::size_t n, std::string_view name) {
  for (std::size_t i = 0; i < n; ++i) {
    if (options[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) continue;
    const auto& d = *options[i]->def_elem;
    if (d.defname && d.defname == name) return d.arg;
  }
  return nullptr;
}

}  // namespace

void ddl_in_function_body(Context& ctx) {
  const sql::Node& node = ctx.node();
  if (node.node_case == PG_QUERY__NODE__NODE_DO_STMT) {
    const auto& s = *node.do_stmt;
    const std::string_view language = sql::string_value(option(s.args, s.n_args, "language"));
    check_body(ctx, {.text = sql::string_value(option(s.args, s.n_args, "as")),
                     .language = language.empty() ? "plpgsql" : language,
                     .subject = "DO block"});
    return;
  }
  if (node.node_case != PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) return;
  const auto& s = *node.create_function_stmt;
  const sql::Node* as = option(s.options, s.n_options, "as");
  if (!as || as->node_case != PG_QUERY__NODE__NODE_LIST || as->list->n_items != 1) return;
  check_body(ctx, {.text = sql::string_value(as->list->items[0]),
                   .language = sql::string_value(option(s.options, s.n_options, "language")),
                   .subject = fmt::format("{} {}", s.is_procedure ? "procedure" : "function",
                                          sql::dotted_name(s.funcname, s.n_funcname))});
}

}  // namespace slipway::lint::rules
