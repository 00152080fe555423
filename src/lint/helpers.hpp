// Small questions about parse trees that several rules (and the schema state) ask.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/parse.hpp"
#include "sql/tree.hpp"

namespace slipway::lint {

// The qualified key ("public.loans") of a RangeVar.
std::string table_key(const PgQuery__RangeVar* rv);
// "loans" for "public.loans"; other schemas stay: "audit.log".
std::string display_name(const std::string& key);

// For CHECK (col IS NOT NULL), the column's name.
std::optional<std::string> not_null_check_column(const PgQuery__Constraint& c);

// The ALTER TABLE sub-commands of a statement, or an empty list for other statements.
std::vector<const PgQuery__AlterTableCmd*> alter_table_cmds(const sql::Node& node);

// The column constraints of a ColumnDef of a given type (CONSTR_DEFAULT, CONSTR_NOTNULL...).
const PgQuery__Constraint* column_constraint(const PgQuery__ColumnDef& def, PgQuery__ConstrType type);

// True when the constraint was written NOT VALID.
bool is_not_valid(const PgQuery__Constraint& c);

// The scanner's tokens (sql/parse.hpp), under the names the rules use.
using ScanToken = sql::Token;
inline std::vector<ScanToken> scan_tokens(std::string_view text) {
  return sql::scan(text);
}
// An identifier as SQL must spell it: loans, "LoanHistory", "order" (quoted when not a plain
// lower-case name, or when it is a keyword).
std::string quote_ident(std::string_view name);
// display_name() spelled as SQL: "LoanHistory" for "public.LoanHistory", audit.log for "audit.log".
std::string quote_table(const std::string& key);

// A column definition with its table: CREATE TABLE columns, ALTER TABLE ADD COLUMN and
// ALTER COLUMN ... TYPE (whose ColumnDef carries only the new type).
struct ColumnSite {
  enum class Kind { create_table, add_column, alter_type };
  Kind kind = Kind::create_table;
  std::string table;   // qualified key
  std::string column;  // the column's name
  const PgQuery__ColumnDef* def = nullptr;
};
// The column definitions of a CREATE TABLE or ALTER TABLE statement, in order.
std::vector<ColumnSite> column_sites(const sql::Node& node);
// True for serial, bigserial and smallserial (and serial2/4/8): an integer with a sequence default.
bool is_serial(const PgQuery__TypeName* type);

}  // namespace slipway::lint
