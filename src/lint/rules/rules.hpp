// Every lint rule's check function. Each is defined in rules/<name>.cpp and registered in
// registry.cpp; both lists follow the same order.
#pragma once

#include "lint/rule.hpp"

namespace slipway::lint::rules {

void ban_drop_table(Context& ctx);
void ban_drop_column(Context& ctx);
void ban_truncate(Context& ctx);
void ban_drop_database(Context& ctx);
void dropping_constraint(Context& ctx);
void ban_drop_not_null(Context& ctx);
void renaming_column(Context& ctx);
void renaming_table(Context& ctx);
void changing_enum(Context& ctx);
void identifier_too_long(Context& ctx);
void transaction_nesting(Context& ctx);
void ddl_in_function_body(Context& ctx);
void ban_domain_constraint(Context& ctx);
void require_concurrent_index_creation(Context& ctx);
void require_concurrent_index_deletion(Context& ctx);
void require_concurrent_reindex(Context& ctx);
void concurrently_in_transaction(Context& ctx);
void adding_foreign_key_constraint(Context& ctx);
void adding_check_constraint(Context& ctx);
void validate_in_same_transaction(Context& ctx);
void setting_not_null(Context& ctx);
void disallowed_unique_constraint(Context& ctx);
void adding_exclusion_constraint(Context& ctx);
void require_lock_timeout(Context& ctx);
void holding_access_exclusive(Context& ctx);
void index_column_count(Context& ctx);
void adding_required_field(Context& ctx);
void adding_field_with_default(Context& ctx);
void adding_serial_or_generated_column(Context& ctx);
void changing_column_type(Context& ctx);
void prefer_jsonb(Context& ctx);
void prefer_identity(Context& ctx);
void prefer_text_field(Context& ctx);
void prefer_timestamptz(Context& ctx);
void prefer_bigint(Context& ctx);
void ban_char_field(Context& ctx);
void prefer_robust_stmts(Context& ctx);
void table_rewrite(Context& ctx);
void backfill_in_migration(Context& ctx);

}  // namespace slipway::lint::rules
