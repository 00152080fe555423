#include "watch/test_alert.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/host.hpp"
#include "core/time.hpp"

namespace slipway::watch {

namespace {

constexpr std::string_view kKind = "test";

notify::Event test_event(const Config& config, const std::string& channel, bool critical) {
  const std::string project = config.project.name.empty() ? std::string("slipway") : config.project.name;
  const std::string severity = critical ? "critical" : "warning";
  notify::Event e;
  e.kind = kKind;
  e.source = "watch";
  e.project = project;
  e.id = "watch-test-alert";
  e.summary = fmt::format("test alert from slipway watch on {}: if you can read this, {} works", host_name(), channel);
  e.emoji = ":test_tube:";
  e.footer = "slipway watch test-alert: nothing is down";
  e.fields = {{"Test", "yes"}, {"Channel", channel}, {"Severity", severity}, {"Host", host_name()}};
  e.rows = e.fields;
  e.webhook = {{"source", "watch"},           {"alert", "test-alert"}, {"severity", severity},
               {"started_at", now_rfc3339()}, {"message", e.summary},  {"test", true}};
  e.alert = notify::Alert::trigger;
  e.critical = critical;
  e.dedup_key = notify::pagerduty_dedup_key(project, e.id);
  e.custom_details = {{"test", true}, {"channel", channel}};
  return e;
}

}  // namespace

Result<std::vector<notify::Delivery>> send_test_alert(const Config& config, const std::string& channel, bool critical,
                                                      const notify::NotifyOptions& options) {
  const auto names = notify::configured_channels(config.notify);
  if (names.empty())
    return fail(
        Error::input("[notify] has no channel to test", config.file.empty() ? "" : config.file.string(),
                     "add webhook, slack_webhook, pagerduty_routing_key, [notify.email] or [notify.sms] to [notify]"));
  if (!channel.empty() && std::find(names.begin(), names.end(), channel) == names.end())
    return fail(Error::input(fmt::format("--channel {}: not a configured channel", channel), "",
                             fmt::format("configured: {}", fmt::join(names, ", "))));
  std::vector<notify::Delivery> out;
  for (const auto& name : names) {
    if (!channel.empty() && name != channel) continue;
    NotifyConfig one = notify::only(config.notify, name);
    one.on = {std::string(kKind)};
    notify::Event event = test_event(config, name, critical);
    auto sent = notify::notify(one, event, options);
    if (sent.empty()) continue;
    notify::Delivery d = sent.front();
    if (name == "pagerduty" && d.ok) {  // close the test incident again
      event.alert = notify::Alert::resolve;
      event.resolves = {event.dedup_key};
      for (const auto& r : notify::notify(one, event, options)) {
        d.ok = r.ok;
        d.message += "; " + r.message;
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace slipway::watch
