// [state]: where the deploy records and the lock live: a SQLite file or a PostgreSQL URL.
#include "core/config_sections.hpp"

namespace slipway {

void read_state(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "state", {"url"});
  r.string(t, "state", "url", c.state.url);
  if (!c.state.url.empty() && !is_postgres_url(c.state.url)) c.state.url = r.resolve(c.state.url).string();
}

}  // namespace slipway
