// What the live database knows that a migration file does not: table sizes and column types.
//
// load_live_schema() reads it in one round trip per catalog, so linting against a database
// costs a few milliseconds however many statements there are.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/error.hpp"

namespace slipway::pg {

class Connection;

struct TableStats {
  std::uint64_t rows = 0;   // pg_class.reltuples (the planner's estimate), or 0 when never analyzed
  std::uint64_t bytes = 0;  // pg_total_relation_size: heap, indexes and TOAST
};

struct ColumnInfo {
  std::string type;  // format_type(): "integer", "character varying(20)", "text"
  bool not_null = false;
};

struct LiveSchema {
  int server_major = 0;  // 15 for PostgreSQL 15.x
  // Keys are "schema.table" with the schema always written ("public.loans").
  std::map<std::string, TableStats> tables;
  std::map<std::string, std::map<std::string, ColumnInfo>> columns;  // table key -> column -> info
  std::set<std::string> indexes;                                     // "schema.index"
  std::set<std::string> types;                                       // user-defined types, "schema.type"

  [[nodiscard]] const TableStats* table(const std::string& key) const;
  [[nodiscard]] const ColumnInfo* column(const std::string& table_key, const std::string& column) const;
};

// "loans" -> "public.loans"; "audit.log" stays.
std::string qualify(const std::string& name);

// Reads sizes, columns, indexes and types of every user schema.
Result<LiveSchema> load_live_schema(Connection& conn);

}  // namespace slipway::pg
