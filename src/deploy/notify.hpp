// Notifications of a deploy's events (start, success, failure, rollback, blocked) to the channels
// of [notify] in slipway.toml: a webhook (the event as JSON), Slack (incoming-webhook format),
// PagerDuty Events v2, and email over SMTP. docs/commands/deploy.md#notifications shows each
// payload.
//
// Channels are independent: each gets a 5 s timeout and one retry when no connection could be
// made, and its outcome is one Delivery. A notification never fails a deploy; the caller records
// the deliveries. No secret (routing key, SMTP password, the token path of a webhook URL) appears
// in a Delivery's message: they are registered with register_secret() before anything is sent.
//
// PagerDuty gets alerts, not a feed: failure and rollback trigger an alert whose dedup key is
// "slipway-<project>-<deploy id>" (so the rollback of a failed deploy updates the same alert, and
// a failed rollback raises it to critical); success resolves the deploy's own key and those in
// Event::resolves, the deploys that failed since the last success (open_alerts()). Start and
// blocked send nothing to PagerDuty.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "deploy/record.hpp"

namespace slipway::deploy {

enum class EventKind { start, success, failure, rollback, blocked };
std::string_view to_string(EventKind kind);

// The event a record's status announces: running -> start, succeeded -> success (rollback for a
// record of kind rollback), failed -> failure, rolled-back and rollback-failed -> rollback,
// blocked -> blocked.
EventKind event_for(const DeployRecord& record);

struct Event {
  EventKind kind = EventKind::start;
  std::string project;  // project.name: in titles, subjects and PagerDuty's dedup key
  DeployRecord record;
  // For success (and a rollback that succeeded): earlier deploy ids whose PagerDuty alerts this
  // event resolves, from open_alerts().
  std::vector<std::string> resolves;
};

// The deploys whose PagerDuty alert is still open: walking `newest_first` (History::list()),
// skipping `except`, the ids of failed, rolled-back and rollback-failed deploys before the first
// succeeded one.
std::vector<std::string> open_alerts(const std::vector<DeployRecord>& newest_first, std::string_view except = {});

struct Delivery {
  std::string channel;  // webhook | slack | pagerduty | email
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

// The payloads, as sent (pure; the tests and the docs read them).
boost::json::object webhook_payload(const Event& event, std::chrono::system_clock::time_point now);
boost::json::object slack_payload(const Event& event);
// PagerDuty Events v2 bodies for `event`, in the order sent: none for start and blocked.
std::vector<boost::json::object> pagerduty_payloads(const Event& event, std::string_view routing_key,
                                                    std::chrono::system_clock::time_point now);
// "slipway-<project>-<deploy id>", at most 255 bytes.
std::string pagerduty_dedup_key(std::string_view project, std::string_view deploy_id);
// The email (RFC 5322 headers, a text/plain UTF-8 body), before dot-stuffing.
std::string email_message(const Event& event, const NotifyEmail& email, const NotifyOptions& options);
// One line: "loans: v2 deployed (d-20261121-0935, 4min12s)".
std::string event_summary(const Event& event);

// Sends `event` to every configured channel when `config.on` lists its kind; one Delivery per
// channel that had something to send (none when the event is filtered out).
std::vector<Delivery> notify(const NotifyConfig& config, const Event& event, const NotifyOptions& options = {});

}  // namespace slipway::deploy
