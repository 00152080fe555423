#include "backup/database.hpp"

#include <charconv>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/suggest.hpp"
#include "pg/catalog.hpp"

namespace slipway::backup {

namespace {

// User schemas, and relations an extension does not own.
constexpr const char* kUserRelation =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' "
    "AND n.nspname NOT LIKE 'pg_toast_temp%' AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = "
    "'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')";

// Our own catalog queries failing is the environment's doing (permissions, a lost connection),
// not the user's input.
Error environment(const Error& e, std::string where) {
  return Error::environment(e.message, std::move(where), e.hint);
}

}  // namespace

Result<std::vector<TableRef>> list_tables(pg::Connection& conn) {
  auto rows = conn.query(std::string("SELECT n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || "
                                     "quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                     "c.relnamespace WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ") +
                         kUserRelation + " ORDER BY 1");
  if (!rows) return fail(environment(rows.error(), "listing tables"));
  std::vector<TableRef> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back({rows->text(i, 0), rows->text(i, 1)});
  return out;
}

Result<std::uint64_t> count_rows(pg::Connection& conn, const TableRef& table) {
  auto rows = conn.query("SELECT count(*) FROM ONLY " + table.quoted);
  if (!rows) return fail(environment(rows.error(), "counting the rows of " + table.name));
  std::uint64_t n = 0;
  const std::string text = rows->text(0, 0);
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

Result<std::string> schema_fingerprint(pg::Connection& conn) {
  const std::string sql = fmt::format(
      R"sql(
SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
  SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text AS line
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {0}
  UNION ALL
  SELECT 'column ' || n.nspname || '.' || c.relname || ' ' ||
         lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 4, '0') || ' ' || a.attname || ' ' ||
         format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
         coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {0}
  UNION ALL
  SELECT 'constraint ' || n.nspname || '.' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {0}
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(c.oid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {0}
  UNION ALL
  SELECT 'enum ' || n.nspname || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    GROUP BY n.nspname, t.typname
) s)sql",
      kUserRelation);
  auto rows = conn.query(sql);
  if (!rows) return fail(environment(rows.error(), "reading the schema"));
  return sha256_hex(rows->text(0, 0));
}

Result<std::uint64_t> count_user_relations(pg::Connection& conn) {
  auto rows = conn.query(std::string("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND ") +
                         kUserRelation);
  if (!rows) return fail(environment(rows.error(), "reading the catalog"));
  std::uint64_t n = 0;
  const std::string text = rows->text(0, 0);
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

Result<TableRef> find_table(const std::vector<TableRef>& tables, const std::string& name) {
  const std::string wanted = pg::qualify(name);
  std::vector<std::string_view> names;
  for (const TableRef& t : tables) {
    if (t.name == wanted) return t;
    names.push_back(t.name);
  }
  return fail(Error::input(fmt::format("no table '{}'{}", wanted, did_you_mean(wanted, names)), name,
                           "name it as schema.table; a name without a schema means public"));
}

}  // namespace slipway::backup
