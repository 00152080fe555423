#include "lint/registry.hpp"

#include <array>

#include "lint/rules/rules.hpp"

namespace slipway::lint {
namespace {

// The one list of rules: id, summary, check. The order is the order findings are reported in.
constexpr std::array<Rule, 39> kRules{{
    {"ban-drop-table", "DROP TABLE deletes the table's data and breaks code that still uses it", rules::ban_drop_table},
    {"ban-drop-column", "DROP COLUMN deletes the column's data and breaks code that still reads it",
     rules::ban_drop_column},
    {"ban-truncate", "TRUNCATE deletes every row and takes an ACCESS EXCLUSIVE lock", rules::ban_truncate},
    {"ban-drop-database", "DROP DATABASE and DROP SCHEMA delete everything in them", rules::ban_drop_database},
    {"dropping-constraint", "DROP CONSTRAINT removes a guarantee the data and the code rely on",
     rules::dropping_constraint},
    {"ban-drop-not-null", "DROP NOT NULL lets NULLs in that the running code does not expect",
     rules::ban_drop_not_null},
    {"renaming-column", "Renaming a column breaks the running code that uses the old name", rules::renaming_column},
    {"renaming-table", "Renaming a table breaks the running code that uses the old name", rules::renaming_table},
    {"changing-enum", "Enum changes: ADD VALUE inside a transaction, RENAME VALUE, and new enums",
     rules::changing_enum},
    {"identifier-too-long", "Identifiers over 63 bytes are silently truncated by PostgreSQL",
     rules::identifier_too_long},
    {"transaction-nesting", "BEGIN inside a transaction, COMMIT without BEGIN, or a transaction left open",
     rules::transaction_nesting},
    {"ddl-in-function-body", "DDL inside DO blocks and function bodies cannot be inspected",
     rules::ddl_in_function_body},
    {"ban-domain-constraint", "Domain CHECK constraints are validated against every column that uses the domain",
     rules::ban_domain_constraint},
    {"require-concurrent-index-creation", "CREATE INDEX without CONCURRENTLY blocks writes while the index builds",
     rules::require_concurrent_index_creation},
    {"require-concurrent-index-deletion", "DROP INDEX without CONCURRENTLY blocks reads and writes",
     rules::require_concurrent_index_deletion},
    {"require-concurrent-reindex", "REINDEX without CONCURRENTLY blocks writes, and reads that use the index",
     rules::require_concurrent_reindex},
    {"concurrently-in-transaction", "CONCURRENTLY cannot run inside a transaction: the migration will fail",
     rules::concurrently_in_transaction},
    {"adding-foreign-key-constraint",
     "A foreign key without NOT VALID scans the table while blocking writes on both tables",
     rules::adding_foreign_key_constraint},
    {"adding-check-constraint", "A CHECK constraint without NOT VALID scans the table under ACCESS EXCLUSIVE",
     rules::adding_check_constraint},
    {"validate-in-same-transaction",
     "VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the strong lock",
     rules::validate_in_same_transaction},
    {"setting-not-null", "SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK proves it",
     rules::setting_not_null},
    {"disallowed-unique-constraint", "ADD UNIQUE or PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
     rules::disallowed_unique_constraint},
    {"adding-exclusion-constraint",
     "An exclusion constraint builds its index under ACCESS EXCLUSIVE, with no concurrent form",
     rules::adding_exclusion_constraint},
    {"require-lock-timeout",
     "A statement that takes a strong lock without lock_timeout can queue every query behind it",
     rules::require_lock_timeout},
    {"holding-access-exclusive", "Statements after an ACCESS EXCLUSIVE lock in the same transaction extend the outage",
     rules::holding_access_exclusive},
    {"index-column-count", "Non-unique indexes on more than three columns rarely pay for their writes",
     rules::index_column_count},
    {"adding-required-field", "ADD COLUMN NOT NULL without a DEFAULT fails on a table that has rows",
     rules::adding_required_field},
    {"adding-field-with-default", "A volatile DEFAULT on ADD COLUMN rewrites the table",
     rules::adding_field_with_default},
    {"adding-serial-or-generated-column", "Adding a serial, identity or stored generated column rewrites the table",
     rules::adding_serial_or_generated_column},
    {"changing-column-type", "Changing a column's type rewrites the table unless the conversion is binary compatible",
     rules::changing_column_type},
    {"prefer-jsonb", "json keeps the text as written and has no equality operator: use jsonb", rules::prefer_jsonb},
    {"prefer-identity", "serial columns have ownership and permission pitfalls: use GENERATED ... AS IDENTITY",
     rules::prefer_identity},
    {"prefer-text-field", "varchar(n) limits are costly to change: use text with a CHECK", rules::prefer_text_field},
    {"prefer-timestamptz", "timestamp without time zone loses the offset: use timestamptz", rules::prefer_timestamptz},
    {"prefer-bigint", "integer keys run out at 2.1 billion: use bigint", rules::prefer_bigint},
    {"ban-char-field", "char(n) pads with spaces and wastes storage: use text or varchar", rules::ban_char_field},
    {"prefer-robust-stmts", "Without IF NOT EXISTS / IF EXISTS a partly applied migration cannot be re-run",
     rules::prefer_robust_stmts},
    {"table-rewrite", "VACUUM FULL, CLUSTER, SET LOGGED and friends rewrite the table under ACCESS EXCLUSIVE",
     rules::table_rewrite},
    {"backfill-in-migration", "UPDATE or DELETE of existing rows in a migration locks rows for the whole transaction",
     rules::backfill_in_migration},
}};

}  // namespace

std::span<const Rule> all_rules() {
  return kRules;
}

std::vector<std::string_view> rule_ids() {
  std::vector<std::string_view> ids;
  for (const Rule& r : kRules) ids.push_back(r.id);
  return ids;
}

const Rule* find_rule(std::string_view id) {
  for (const Rule& r : kRules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace slipway::lint
