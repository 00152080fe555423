// [database]: the app's URL and the direct one migrations and backups use.
#include "core/config_sections.hpp"

namespace slipway {

void read_database(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "database", {"url", "direct_url"});
  r.string(t, "database", "url", c.database.url);
  r.string(t, "database", "direct_url", c.database.direct_url);
}

}  // namespace slipway
