// [notify]: which events are sent, and where: webhook, Slack, PagerDuty, email, SMS (watch only).
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "core/config_sections.hpp"
#include "core/redact.hpp"

namespace slipway {

namespace {

// tls = "starttls" | "implicit" | "none"; without it, the older starttls = true, or port 465.
void read_email_tls(ConfigReader& r, const toml::table& e, NotifyEmail& email) {
  bool starttls = false;
  r.boolean(e, "notify.email", "starttls", starttls);
  if (e.get("tls")) {
    r.one_of(e, "notify.email", "tls", email.tls, {"starttls", "implicit", "none"},
             "\"starttls\" upgrades a plain connection (port 587), \"implicit\" is TLS from the first byte (SMTPS, "
             "port 465), \"none\" is plain text (a local relay)");
    if (const toml::node* old = e.get("starttls"))
      r.error(*old, "notify.email has both tls and starttls",
              "starttls = true is the older spelling of tls = \"starttls\": keep tls only");
  } else if (starttls) {
    email.tls = "starttls";
  } else if (email.smtp.ends_with(":465")) {
    email.tls = "implicit";  // as Alertmanager and Grafana do: port 465 is SMTPS
  }
}

// proxy: a URL of a scheme libcurl speaks to a proxy with.
void read_email_proxy(ConfigReader& r, const toml::table& e, NotifyEmail& email) {
  r.string(e, "notify.email", "proxy", email.proxy);
  const std::string_view proxy = email.proxy;
  const std::string_view scheme = proxy.substr(0, proxy.find("://"));
  constexpr std::array<std::string_view, 6> kProxySchemes{"socks5h", "socks5", "socks4a", "socks4", "http", "https"};
  if (!proxy.empty() && (scheme.size() == proxy.size() ||
                         std::find(kProxySchemes.begin(), kProxySchemes.end(), scheme) == kProxySchemes.end()))
    r.error(*e.get("proxy"),
            fmt::format("notify.email.proxy must be a socks5h://, socks5://, socks4a://, socks4://, "
                        "http:// or https:// URL, not \"{}\"",
                        redact(proxy)),
            "for example proxy = \"socks5h://proxy.example.com:1080\" or \"http://proxy.example.com:3128\"");
}

}  // namespace

void read_notify(ConfigReader& r, const toml::table& t, Config& c) {
  r.check_keys(t, "notify",
               {"on", "webhook", "slack_webhook", "pagerduty_routing_key", "pagerduty_url", "email", "sms"});
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
    r.check_keys(*e, "notify.email", {"smtp", "from", "to", "username", "password", "tls", "starttls", "proxy"});
    r.string(*e, "notify.email", "smtp", c.notify.email.smtp);
    r.string(*e, "notify.email", "from", c.notify.email.from);
    r.strings(*e, "notify.email", "to", c.notify.email.to);
    r.string(*e, "notify.email", "username", c.notify.email.username);
    r.string(*e, "notify.email", "password", c.notify.email.password);
    read_email_tls(r, *e, c.notify.email);
    read_email_proxy(r, *e, c.notify.email);
  }
  if (const auto* sms = r.table(t, "sms", "notify")) {
    r.check_keys(*sms, "notify.sms", {"url", "username", "password", "from", "to"});
    NotifySms& out = c.notify.sms;
    r.string(*sms, "notify.sms", "url", out.url);
    r.string(*sms, "notify.sms", "username", out.username);
    r.string(*sms, "notify.sms", "password", out.password);
    r.string(*sms, "notify.sms", "from", out.from);
    r.strings(*sms, "notify.sms", "to", out.to);
    if (out.url.empty() || out.from.empty() || out.to.empty())
      r.error(*sms, "notify.sms needs url, from and to",
              "url = \"https://api.twilio.com/2010-04-01/Accounts/${TWILIO_SID}/Messages.json\", username = "
              "\"${TWILIO_SID}\", password = \"${TWILIO_TOKEN}\", from = \"+15550100\", to = [\"+15550111\"]");
  }
}

}  // namespace slipway
