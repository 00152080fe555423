#include "watch/monitor.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/json_fields.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "core/units.hpp"

namespace slipway::watch {

namespace json = boost::json;

namespace {

constexpr std::size_t kDeliveriesPerCall = 50;
constexpr Duration kFirstRetry = std::chrono::seconds(5);
constexpr Duration kLastRetry = std::chrono::minutes(5);

std::int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint from_ms(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

state::WatchAlertRow to_row(const std::string& probe, const AlertState& s, TimePoint now) {
  return {.probe = probe,
          .state = std::string(to_string(s.state)),
          .since_ms = to_ms(s.since),
          .first_failure_ms = s.first_failure ? to_ms(*s.first_failure) : 0,
          .successes = s.successes,
          .last_notice_ms = s.last_notice ? to_ms(*s.last_notice) : 0,
          .reason = s.reason,
          .updated_ms = to_ms(now)};
}

std::optional<AlertState> from_row(const state::WatchAlertRow& row) {
  auto st = state_from_string(row.state);
  if (!st) return std::nullopt;
  AlertState s;
  s.state = *st;
  s.since = from_ms(row.since_ms);
  if (row.first_failure_ms) s.first_failure = from_ms(row.first_failure_ms);
  s.successes = row.successes;
  if (row.last_notice_ms) s.last_notice = from_ms(row.last_notice_ms);
  s.reason = row.reason;
  return s;
}

// up | down | pending: the words of `watch status` and DESIGN's JSON contract.
std::string_view status_word(State s) {
  switch (s) {
    case State::ok: return "up";
    case State::pending: return "pending";
    case State::firing: return "down";
  }
  return "unknown";
}

// Prometheus label values escape \, " and newlines.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Timing timing_of(const WatchProbe& p) {
  return {.every = p.every,
          .retry_every = p.retry_every,
          .down_after = p.down_after,
          .up_after = p.up_after,
          .repeat = p.repeat,
          .critical = p.severity == "critical"};
}

notify::Event event_of(const std::string& project, const json::object& payload) {
  // The outbox row's payload, as this file wrote it; a key it lacks reads as empty.
  JsonFields f(&payload);
  const auto text = [&f](std::string_view key) { return f.str(key, JsonFields::optional); };
  notify::Event e;
  e.kind = text("event");
  e.source = "watch";
  e.project = project;
  const std::string alert = text("alert");
  const std::string severity = text("severity");
  e.id = "watch-" + alert;
  e.summary = text("message");
  e.reason = text("reason");
  e.emoji = e.kind == "resolved" ? ":white_check_mark:" : ":rotating_light:";
  e.footer = "slipway watch";
  e.fields = {{"Probe", alert},
              {"Severity", severity},
              {"Since", text("started_at")},
              {"Reason", e.kind == "resolved" ? "" : e.reason}};
  e.rows = e.fields;
  e.webhook = {{"source", "watch"},
               {"alert", alert},
               {"severity", severity},
               {"started_at", text("started_at")},
               {"message", e.summary}};
  if (!e.reason.empty() && e.kind != "resolved") e.webhook["reason"] = e.reason;
  const std::string key = notify::pagerduty_dedup_key(project, e.id);
  e.critical = severity == "critical";
  if (e.kind == "resolved") {
    e.alert = notify::Alert::resolve;
    e.resolves = {key};
  } else {
    e.alert = notify::Alert::trigger;
    e.dedup_key = key;
  }
  e.custom_details = {{"probe", alert}, {"reason", e.reason}};
  return e;
}

Result<std::unique_ptr<Monitor>> Monitor::open(const Config& config, state::Store& store,
                                               notify::NotifyOptions notify_options) {
  std::unique_ptr<Monitor> m(new Monitor(config, store, std::move(notify_options)));
  auto rows = store.watch_alerts();
  if (!rows) return fail(rows.error());
  for (const auto& p : config.watch.probes) {
    auto probe = make_probe(p, config);
    if (!probe) return fail(probe.error());
    Target t{.config = p, .timing = timing_of(p), .probe = std::move(*probe)};
    const auto row = std::find_if(rows->begin(), rows->end(), [&](const auto& r) { return r.probe == p.name; });
    if (row != rows->end()) {
      if (auto s = from_row(*row)) {
        t.state = *s;
        t.loaded = true;
      }
    }
    m->targets_.push_back(std::move(t));
  }
  MutexLock lock(m->mutex_);
  for (const auto& t : m->targets_)
    m->counters_.push_back({.name = t.config.name, .state = std::string(to_string(t.state.state))});
  return m;
}

json::object Monitor::payload(const Target& t, Notice notice, TimePoint now) const {
  const std::string& project = config_.project.name.empty() ? std::string("slipway") : config_.project.name;
  const TimePoint started = t.state.first_failure.value_or(t.state.since);
  std::string message;
  switch (notice) {
    case Notice::firing:
      message =
          fmt::format("{}: {} is down since {} ({})", project, t.config.name, format_rfc3339(started), t.state.reason);
      break;
    case Notice::reminder:
      message = fmt::format("{}: {} is still down, for {} ({})", project, t.config.name, format_age(started, now),
                            t.state.reason);
      break;
    default: message = fmt::format("{}: {} is up again", project, t.config.name); break;
  }
  return {{"event", to_string(notice)},    {"alert", t.config.name},
          {"severity", t.config.severity}, {"started_at", format_rfc3339(started)},
          {"message", redact(message)},    {"reason", redact(t.state.reason)}};
}

Result<void> Monitor::step(Target& t, TimePoint now) {
  const ProbeResult result = t.probe->run();
  if (history_) history_->add(t.config.name, now, result.ok, result.latency, result.reason);
  const Step s = observe(t.state, t.timing, result.ok, result.reason, now);
  const AlertState before = t.state;
  t.state = s.next;
  t.next_probe = s.next_probe;
  {
    MutexLock lock(mutex_);
    for (auto& c : counters_) {
      if (c.name != t.config.name) continue;
      c.state = std::string(to_string(t.state.state));
      c.up = result.ok;
      c.latency_seconds = std::chrono::duration<double>(result.latency).count();
      ++c.probes;
      if (!result.ok) ++c.failures;
    }
  }
  // A step that changes nothing stored (ok and still ok) is not written.
  const bool changed = !t.loaded || before.state != t.state.state || before.successes != t.state.successes ||
                       before.reason != t.state.reason || s.notice != Notice::none;
  if (!changed) return {};
  // The old state stays in memory until the transaction is in.
  auto written = store_.transaction([&]() -> Result<void> {
    if (auto r = store_.save_watch_alert(to_row(t.config.name, t.state, now)); !r) return r;
    if (s.notice == Notice::none) return {};
    const json::object body = payload(t, s.notice, now);
    auto id = store_.add_outbox({.probe = t.config.name,
                                 .event = std::string(to_string(s.notice)),
                                 .payload = json::serialize(body),
                                 .created_ms = to_ms(now),
                                 .next_attempt_ms = to_ms(now)});
    if (!id) return fail(id.error());
    return record_event(store_, t.config.name, now, to_string(s.notice),
                        json::value_to<std::string>(body.at("message")));
  });
  if (!written) {
    t.state = before;  // step again next time: the notice is not lost
    return fail(written.error());
  }
  t.loaded = true;
  if (log_ && before.state != t.state.state)
    log_change(*log_, t.config.name, before.state, t.state.state, t.state.reason);
  return {};
}

Result<void> Monitor::probe_due(TimePoint now) {
  for (auto& t : targets_) {
    if (t.next_probe > now) continue;
    if (auto r = step(t, now); !r) return r;
  }
  return {};
}

TimePoint Monitor::next_due() const {
  TimePoint next = TimePoint::max();
  for (const auto& t : targets_) next = std::min(next, t.next_probe);
  return next;
}

Result<void> Monitor::deliver(TimePoint now) {
  auto rows = store_.due_outbox(to_ms(now), kDeliveriesPerCall);
  if (!rows) return fail(rows.error());
  for (const auto& row : *rows) {
    json::object body;
    if (auto parsed = json::parse(row.payload); parsed.is_object()) body = parsed.as_object();
    NotifyConfig channels = config_.notify;
    channels.on = {row.event};
    const auto deliveries = notify::notify(channels, event_of(config_.project.name, body), notify_options_);
    std::string failed;
    for (const auto& d : deliveries)
      if (!d.ok) failed += (failed.empty() ? "" : "; ") + d.channel + ": " + d.message;
    {
      MutexLock lock(mutex_);
      ++(failed.empty() ? delivered_ : delivery_failures_);
    }
    if (log_ && !failed.empty())
      log_->write(Level::warn, fmt::format("{} of {} not delivered: {}", row.event, row.probe, failed),
                  {{"probe", row.probe}, {"event", row.event}, {"error", failed}});
    if (failed.empty()) {
      if (auto r = store_.delete_outbox(row.id); !r) return r;
      continue;
    }
    Duration pause = kFirstRetry;
    for (int i = 0; i < row.attempts && pause < kLastRetry; ++i) pause *= 2;
    if (auto r = store_.retry_outbox(row.id, to_ms(now + std::min(pause, kLastRetry)), redact(failed)); !r) return r;
  }
  return {};
}

std::string Monitor::metrics() const {
  MutexLock lock(mutex_);
  std::string out =
      "# HELP slipway_watch_probe_up Whether the probe's last run succeeded.\n# TYPE slipway_watch_probe_up gauge\n";
  for (const auto& c : counters_)
    out += fmt::format("slipway_watch_probe_up{{probe=\"{}\"}} {}\n", label(c.name), c.up ? 1 : 0);
  out +=
      "# HELP slipway_watch_probe_duration_seconds The last run's latency.\n"
      "# TYPE slipway_watch_probe_duration_seconds gauge\n";
  for (const auto& c : counters_)
    out +=
        fmt::format("slipway_watch_probe_duration_seconds{{probe=\"{}\"}} {:.6f}\n", label(c.name), c.latency_seconds);
  out += "# HELP slipway_watch_probes_total Probe runs.\n# TYPE slipway_watch_probes_total counter\n";
  for (const auto& c : counters_)
    out += fmt::format("slipway_watch_probes_total{{probe=\"{}\"}} {}\n", label(c.name), c.probes);
  out +=
      "# HELP slipway_watch_probe_failures_total Probe runs that failed.\n"
      "# TYPE slipway_watch_probe_failures_total counter\n";
  for (const auto& c : counters_)
    out += fmt::format("slipway_watch_probe_failures_total{{probe=\"{}\"}} {}\n", label(c.name), c.failures);
  out +=
      "# HELP slipway_watch_alert_state The probe's alert state (1 for the state it is in).\n"
      "# TYPE slipway_watch_alert_state gauge\n";
  for (const auto& c : counters_)
    for (std::string_view s : {"ok", "pending", "firing"})
      out += fmt::format("slipway_watch_alert_state{{probe=\"{}\",state=\"{}\"}} {}\n", label(c.name), s,
                         c.state == s ? 1 : 0);
  out += fmt::format(
      "# HELP slipway_watch_notifications_total Outbox rows sent, by result.\n"
      "# TYPE slipway_watch_notifications_total counter\n"
      "slipway_watch_notifications_total{{result=\"delivered\"}} {}\n"
      "slipway_watch_notifications_total{{result=\"failed\"}} {}\n",
      delivered_, delivery_failures_);
  return out;
}

Result<std::vector<ProbeStatus>> stored_status(const Config& config, state::Store& store) {
  auto rows = store.watch_alerts();
  if (!rows) return fail(rows.error());
  std::vector<ProbeStatus> out;
  for (const auto& p : config.watch.probes) {
    ProbeStatus s{.name = p.name, .state = "unknown"};
    const auto row = std::find_if(rows->begin(), rows->end(), [&](const auto& r) { return r.probe == p.name; });
    if (row != rows->end()) {
      if (auto st = from_row(*row)) {
        s.state = std::string(status_word(st->state));
        s.since = format_rfc3339(st->since);
        s.reason = st->state == State::ok ? "" : row->reason;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace slipway::watch
