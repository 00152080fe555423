// Notifications to the channels of [notify] in slipway.toml: a webhook (the event as JSON), Slack
// (incoming-webhook format), PagerDuty Events v2, email over SMTP, and SMS through a Twilio-compatible API. What
// happened is an Event its producer fills (deploy/announce.hpp for deploys; watch for its checks): its one-line
// summary, the facts a channel lists, the text of its details, and what it does to a PagerDuty alert. This module knows
// the channels: their payloads (pure, below; the tests and the docs read them) and their delivery.
// docs/commands/deploy.md#notifications shows each payload.
//
// Channels are independent: each gets a timeout and one retry when no connection could be made,
// and its outcome is one Delivery. A notification never fails what it reports on; the caller
// records the deliveries. No secret (routing key, SMTP password, the token path of a webhook URL)
// appears in a Delivery's message: they are registered with register_secret() before anything is
// sent.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/config.hpp"

namespace slipway::notify {

struct Field {
  std::string name;
  std::string value;  // an empty value is not listed
};

// What an event does to PagerDuty: nothing (a feed item only), open or update the alert of
// `dedup_key`, or resolve the alerts of `resolves`.
enum class Alert { none, trigger, resolve };

struct Event {
  std::string kind;              // "start", "failure", ...: what notify.on filters and X-Slipway-Event says
  std::string source;            // "deploy", "watch": PagerDuty's group, the X-Slipway-<Source> email header
  std::string project;           // project.name: in titles and PagerDuty's component
  std::string id;                // what the event is about (a deploy id): in the email's Message-ID
  std::string summary;           // one line: "loans: v2 deployed (d-20261121-0935, 4min12s)"
  std::string reason;            // why, when something went wrong; empty otherwise
  std::string emoji = ":bell:";  // Slack's, before the summary
  std::string footer;            // Slack's context line
  std::vector<Field> fields;     // Slack's fields, at most 10
  std::vector<Field> rows;       // the email's "Name        value" rows
  std::string details;           // Slack's code block (phase lines), or empty
  std::string email_details;     // the email's sections after its rows (phases, output), or empty
  boost::json::object webhook;   // the webhook body's keys after event, project, summary and sent_at

  Alert alert = Alert::none;
  bool critical = false;               // a triggered alert's severity: critical, else error
  std::string dedup_key;               // the alert a trigger opens or updates
  std::vector<std::string> resolves;   // the alerts a resolve closes, in order
  std::string alert_source;            // PagerDuty's payload.source (the host), else "slipway"
  boost::json::object custom_details;  // PagerDuty's payload.custom_details
};

struct Delivery {
  std::string channel;  // webhook | slack | pagerduty | email | sms
  bool ok = false;
  std::string message;  // the receiver's answer ("202 Accepted"), or what failed; redacted
  int attempts = 0;     // connections tried: 1, or 2 after a connection failure
};

struct NotifyOptions {
  std::chrono::milliseconds timeout{5000};  // per channel and attempt
  std::chrono::milliseconds retry_pause{500};
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  std::string host_name;  // EHLO and Message-ID; empty = this machine's
  std::string ca_file;    // PEM file of CAs to trust besides the system's (HTTPS, STARTTLS and SMTPS)
};

// The payloads, as sent (pure).
boost::json::object webhook_payload(const Event& event, std::chrono::system_clock::time_point now);
boost::json::object slack_payload(const Event& event);
// PagerDuty Events v2 bodies for `event`, in the order sent: none when it has no alert.
std::vector<boost::json::object> pagerduty_payloads(const Event& event, std::string_view routing_key,
                                                    std::chrono::system_clock::time_point now);
// The SMS form body for one number: To, From and Body (the summary, at most 320 bytes),
// application/x-www-form-urlencoded.
std::string sms_form(const Event& event, const NotifySms& sms, std::string_view to);
// The email (RFC 5322 headers, a text/plain UTF-8 body), before dot-stuffing.
std::string email_message(const Event& event, const NotifyEmail& email, const NotifyOptions& options);

// "slipway-<project>-<id>", at most 255 bytes: the dedup key of a deploy's alert.
std::string pagerduty_dedup_key(std::string_view project, std::string_view id);
// `text` cut to at most `max` bytes, on a UTF-8 boundary, ending in "..." when cut.
std::string cut(std::string_view text, std::size_t max);

// The configured channels of `config`, in the order webhook, slack, pagerduty, email, sms.
std::vector<std::string> configured_channels(const NotifyConfig& config);
// `config` with every channel but `channel` cleared ("": all of them kept).
NotifyConfig only(const NotifyConfig& config, std::string_view channel);

// Sends `event` to every configured channel when `config.on` lists its kind; one Delivery per
// channel that had something to send (none when the event is filtered out).
std::vector<Delivery> notify(const NotifyConfig& config, const Event& event, const NotifyOptions& options = {});

}  // namespace slipway::notify
