// What a backup reads from PostgreSQL besides pg_dump's stream: the tables pg_dump writes data
// for, their exact row counts, and a fingerprint of the schema. Create reads them inside the
// REPEATABLE READ transaction whose snapshot pg_dump uses, so counts match the dump exactly;
// restore reads them again from the target to prove the restore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/connection.hpp"

namespace slipway::backup {

struct TableRef {
  std::string name;    // "public.loans", as manifests and messages write it
  std::string quoted;  // "public.loans" or "\"Audit\".\"Log\"": safe to splice into SQL
};

// Ordinary tables and partitions of user schemas (not extension members): those whose rows
// pg_dump writes. Sorted by name.
Result<std::vector<TableRef>> list_tables(pg::Connection& conn);
// count(*) FROM ONLY the table.
Result<std::uint64_t> count_rows(pg::Connection& conn, const TableRef& table);
// SHA-256 of a canonical text of tables, columns (type, nullability, default, position),
// constraints, indexes and enum types: equal on two databases with the same schema.
Result<std::string> schema_fingerprint(pg::Connection& conn);
// Tables, views, sequences and other relations in user schemas.
Result<std::uint64_t> count_user_relations(pg::Connection& conn);
// The table a user named ("users" means "public.users"); an input error with a "did you mean".
Result<TableRef> find_table(const std::vector<TableRef>& tables, const std::string& name);

}  // namespace slipway::backup
