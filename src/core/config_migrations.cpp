// [migrations]: the folder, its tool's layout, and the timeouts and retries of apply.
#include "core/config_sections.hpp"

namespace slipway {

void read_migrations(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "migrations",
               {"dir", "format", "lock_timeout", "statement_timeout", "lock_retries", "retry_backoff", "table"});
  r.path(t, "migrations", "dir", c.migrations.dir);
  r.one_of(t, "migrations", "format", c.migrations.format, {"auto", "prisma", "flyway", "golang-migrate", "plain"});
  r.duration(t, "migrations", "lock_timeout", c.migrations.lock_timeout);
  r.duration(t, "migrations", "statement_timeout", c.migrations.statement_timeout);
  r.integer(t, "migrations", "lock_retries", c.migrations.lock_retries, 0, 100);
  r.duration(t, "migrations", "retry_backoff", c.migrations.retry_backoff);
  r.string(t, "migrations", "table", c.migrations.table);
}

}  // namespace slipway
