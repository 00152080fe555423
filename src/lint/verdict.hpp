// The review's vocabulary: verdicts and PostgreSQL's table lock modes.
#pragma once

#include <string_view>

namespace slipway::lint {

// The checklist's three buckets, ordered so that std::max picks the worse.
enum class Verdict { safe = 0, review = 1, dangerous = 2 };

std::string_view to_string(Verdict v);  // "safe" | "review" | "dangerous"

// PostgreSQL's table-level lock modes, weakest first
// (https://www.postgresql.org/docs/current/explicit-locking.html).
enum class LockMode {
  none,
  access_share,            // SELECT
  row_share,               // SELECT FOR UPDATE
  row_exclusive,           // INSERT, UPDATE, DELETE
  share_update_exclusive,  // VACUUM, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT
  share,                   // CREATE INDEX
  share_row_exclusive,     // CREATE TRIGGER, ADD FOREIGN KEY
  exclusive,               // REFRESH MATERIALIZED VIEW CONCURRENTLY
  access_exclusive,        // most ALTER TABLE forms, DROP, TRUNCATE
};

std::string_view to_string(LockMode m);  // "ACCESS EXCLUSIVE", or "" for none
// What other sessions cannot do while the lock is held: "nothing", "schema changes",
// "writes", "reads and writes".
std::string_view blocked_by(LockMode m);

}  // namespace slipway::lint
