// [notify]: which events are sent, and where: webhook, Slack, PagerDuty, email.
#include <fmt/format.h>

#include "core/config_sections.hpp"

namespace slipway {

void read_notify(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "notify", {"on", "webhook", "slack_webhook", "pagerduty_routing_key", "pagerduty_url", "email"});
  if (t.get("on")) {
    c.notify.on.clear();
    r.strings(t, "notify", "on", c.notify.on);
    for (const auto& e : c.notify.on) {
      if (e != "start" && e != "success" && e != "failure" && e != "rollback" && e != "blocked")
        r.error(*t.get("on"), fmt::format("notify.on has an unknown event \"{}\"", e),
                "events are start, success, failure, rollback and blocked");
    }
  }
  r.string(t, "notify", "webhook", c.notify.webhook);
  r.string(t, "notify", "slack_webhook", c.notify.slack_webhook);
  r.string(t, "notify", "pagerduty_routing_key", c.notify.pagerduty_routing_key);
  r.string(t, "notify", "pagerduty_url", c.notify.pagerduty_url);
  if (const auto* e = r.table(t, "email", "notify")) {
    r.check_keys(*e, "notify.email", {"smtp", "from", "to", "username", "password", "starttls"});
    r.string(*e, "notify.email", "smtp", c.notify.email.smtp);
    r.string(*e, "notify.email", "from", c.notify.email.from);
    r.strings(*e, "notify.email", "to", c.notify.email.to);
    r.string(*e, "notify.email", "username", c.notify.email.username);
    r.string(*e, "notify.email", "password", c.notify.email.password);
    r.boolean(*e, "notify.email", "starttls", c.notify.email.starttls);
  }
}

}  // namespace slipway
