#include "pg/catalog.hpp"

#include <charconv>

#include "pg/connection.hpp"

namespace slipway::pg {
namespace {

constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'";

std::uint64_t to_u64(const std::string& s) {
  // reltuples is a float ("2.3e+06"), and -1 when the table was never analyzed.
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);
  return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

}  // namespace

const TableStats* LiveSchema::table(const std::string& key) const {
  auto it = tables.find(key);
  return it == tables.end() ? nullptr : &it->second;
}

const ColumnInfo* LiveSchema::column(const std::string& table_key, const std::string& column) const {
  auto t = columns.find(table_key);
  if (t == columns.end()) return nullptr;
  auto c = t->second.find(column);
  return c == t->second.end() ? nullptr : &c->second;
}

std::string qualify(const std::string& name) {
  return name.find('.') == std::string::npos ? "public." + name : name;
}

Result<LiveSchema> load_live_schema(Connection& conn) {
  LiveSchema schema;
  schema.server_major = conn.server_version() / 10000;

  // pg_total_relation_size() waits for a table another session holds ACCESS EXCLUSIVE on; a
  // review must not hang behind a running migration. Give it a second, then count the pages the
  // catalog knows (as of the last VACUUM or ANALYZE, like reltuples), which takes no lock.
  const std::string from = std::string(
                               "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "LEFT JOIN pg_class t ON t.oid = c.reltoastrelid "
                               "WHERE c.relkind IN ('r', 'p', 'm') AND ") +
                           kUserSchemas;
  auto saved = conn.query("SELECT current_setting('lock_timeout')");
  if (!saved) return fail(saved.error());
  const std::string previous = saved->size() ? saved->text(0, 0) : "0";
  (void)conn.execute("SET lock_timeout = '1s'");
  auto tables = conn.query("SELECT n.nspname || '.' || c.relname, c.reltuples, pg_total_relation_size(c.oid) " + from);
  (void)conn.query("SELECT set_config('lock_timeout', $1, false)", {previous});
  if (!tables) {
    tables = conn.query(
        "SELECT n.nspname || '.' || c.relname, c.reltuples, (c.relpages + COALESCE(t.relpages, 0) + "
        "COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = c.oid), 0))::bigint * current_setting('block_size')::bigint " +
        from);
  }
  if (!tables) return fail(tables.error());
  for (std::size_t i = 0; i < tables->size(); ++i) {
    schema.tables[tables->text(i, 0)] = {to_u64(tables->text(i, 1)), to_u64(tables->text(i, 2))};
  }

  auto columns = conn.query(
      std::string(
          "SELECT n.nspname || '.' || c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
          "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm') AND ") +
      kUserSchemas);
  if (!columns) return fail(columns.error());
  for (std::size_t i = 0; i < columns->size(); ++i) {
    schema.columns[columns->text(i, 0)][columns->text(i, 1)] = {columns->text(i, 2), columns->text(i, 3) == "t"};
  }

  auto indexes = conn.query(
      std::string("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind IN ('i', 'I') AND ") +
      kUserSchemas);
  if (!indexes) return fail(indexes.error());
  for (std::size_t i = 0; i < indexes->size(); ++i) schema.indexes.insert(indexes->text(i, 0));

  auto types = conn.query(
      std::string(
          "SELECT n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
          "WHERE t.typtype IN ('e', 'd', 'c') AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid "
          "AND c.relkind <> 'c') AND ") +
      kUserSchemas);
  if (!types) return fail(types.error());
  for (std::size_t i = 0; i < types->size(); ++i) schema.types.insert(types->text(i, 0));
  return schema;
}

}  // namespace slipway::pg
