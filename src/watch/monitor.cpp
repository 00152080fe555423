#include "watch/monitor.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "core/json_fields.hpp"
#include "core/redact.hpp"
#include "core/time.hpp"
#include "core/units.hpp"
#include "watch/windows.hpp"

namespace slipway::watch {

namespace json = boost::json;

namespace {

constexpr std::size_t kDeliveriesPerCall = 1000;  // rows due at once go in one call, to be grouped
constexpr Duration kFirstRetry = std::chrono::seconds(5);
constexpr Duration kLastRetry = std::chrono::minutes(5);
constexpr std::size_t kParallel = 16;  // probes run at once
// A dependency whose last pass is older than this is probed again before its dependent alerts.
constexpr Duration kFreshPass = std::chrono::seconds(1);

state::WatchAlertRow to_row(const std::string& probe, const AlertState& s, TimePoint now) {
  return {.probe = probe,
          .state = std::string(to_string(s.state)),
          .since_ms = to_unix_ms(s.since),
          .first_failure_ms = s.first_failure ? to_unix_ms(*s.first_failure) : 0,
          .successes = s.successes,
          .last_notice_ms = s.last_notice ? to_unix_ms(*s.last_notice) : 0,
          .reason = s.reason,
          .updated_ms = to_unix_ms(now),
          .announced = s.announced,
          .flapping = s.flapping,
          .recent = s.recent};
}

std::optional<AlertState> from_row(const state::WatchAlertRow& row) {
  auto st = state_from_string(row.state);
  if (!st) return std::nullopt;
  AlertState s;
  s.state = *st;
  s.since = from_unix_ms(row.since_ms);
  if (row.first_failure_ms) s.first_failure = from_unix_ms(row.first_failure_ms);
  s.successes = row.successes;
  if (row.last_notice_ms) s.last_notice = from_unix_ms(row.last_notice_ms);
  s.reason = row.reason;
  s.announced = row.announced;
  s.flapping = row.flapping;
  s.recent = row.recent.substr(0, 200);
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

// Channels that get one message per notice: machines expect one per alert (PagerDuty keeps one
// incident per dedup key). The others (people) get the notices due together as one message.
bool groups(std::string_view channel) {
  return channel == "slack" || channel == "email" || channel == "sms";
}

const std::string& project_name(const Config& c) {
  static const std::string fallback = "slipway";
  return c.project.name.empty() ? fallback : c.project.name;
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

std::vector<std::string> route(const Config& config, std::string_view severity) {
  const auto& listed = severity == "critical" ? config.watch.route_critical : config.watch.route_warning;
  std::vector<std::string> out;
  for (const auto& channel : notify::configured_channels(config.notify)) {
    const bool wanted = listed.empty() ? (channel != "sms" || severity == "critical")
                                       : std::find(listed.begin(), listed.end(), channel) != listed.end();
    if (wanted) out.push_back(channel);
  }
  return out;
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
  const bool down = e.kind == "firing" || e.kind == "reminder" || e.kind == "regression";
  e.id = "watch-" + alert;
  e.summary = text("message");
  e.reason = text("reason");
  e.emoji = e.kind == "resolved" ? ":white_check_mark:" : down ? ":rotating_light:" : ":warning:";
  e.footer = "slipway watch";
  e.fields = {{"Probe", alert},
              {"Severity", severity},
              {"Since", text("started_at")},
              {"Window", text("window")},
              {"Reason", e.kind == "resolved" ? "" : e.reason}};
  e.rows = e.fields;
  e.webhook = {{"source", "watch"},
               {"alert", alert},
               {"severity", severity},
               {"started_at", text("started_at")},
               {"message", e.summary}};
  if (!e.reason.empty() && e.kind != "resolved") e.webhook["reason"] = e.reason;
  if (!text("window").empty()) e.webhook["window"] = text("window");
  // A regression is an incident of its own deploy, not the probe's alert (which may be fine).
  const std::string key =
      notify::pagerduty_dedup_key(project, e.kind == "regression" ? e.id + "-regression-" + text("deploy") : e.id);
  e.critical = severity == "critical";
  if (e.kind == "resolved") {
    e.alert = notify::Alert::resolve;
    e.resolves = {key};
  } else if (down) {
    e.alert = notify::Alert::trigger;
    e.dedup_key = key;
  }
  e.custom_details = {{"probe", alert}, {"reason", e.reason}};
  return e;
}

Result<std::unique_ptr<Monitor>> Monitor::open(const Config& config, state::Store& store,
                                               notify::NotifyOptions notify_options, std::string holder) {
  std::unique_ptr<Monitor> m(new Monitor(config, store, std::move(notify_options), std::move(holder)));
  // Dependencies first (config_watch.cpp refused loops), so a round probes them before their dependents.
  std::vector<const WatchProbe*> order;
  while (order.size() < config.watch.probes.size()) {
    const std::size_t before = order.size();
    for (const auto& p : config.watch.probes) {
      if (std::find(order.begin(), order.end(), &p) != order.end()) continue;
      const bool ready = p.depends_on.empty() || std::any_of(order.begin(), order.end(), [&](const WatchProbe* q) {
                           return q->name == p.depends_on;
                         });
      if (ready) order.push_back(&p);
    }
    if (order.size() == before)  // a loop or a name config_watch.cpp would have refused: keep file order
      for (const auto& p : config.watch.probes)
        if (std::find(order.begin(), order.end(), &p) == order.end()) order.push_back(&p);
  }
  for (const WatchProbe* p : order) {
    auto probe = make_probe(*p, config);
    if (!probe) return fail(probe.error());
    Target t{.config = *p, .timing = timing_of(*p), .probe = std::move(*probe)};
    for (std::size_t i = 0; i < m->targets_.size(); ++i)
      if (m->targets_[i].config.name == p->depends_on) t.dependency = static_cast<int>(i);
    m->targets_.push_back(std::move(t));
  }
  if (auto r = m->load(); !r) return fail(r.error());
  MutexLock lock(m->mutex_);
  for (const auto& t : m->targets_)
    m->counters_.push_back({.name = t.config.name, .state = std::string(to_string(t.state.state))});
  m->is_leader_ = m->holder_.empty();
  return m;
}

Result<void> Monitor::load() {
  auto rows = store_.watch_alerts();
  if (!rows) return fail(rows.error());
  for (auto& t : targets_) {
    t.state = {};
    t.loaded = false;
    t.next_probe = {};
    t.held = true;
    const auto row = std::find_if(rows->begin(), rows->end(), [&](const auto& r) { return r.probe == t.config.name; });
    if (row == rows->end()) continue;
    if (auto s = from_row(*row)) {
      t.state = *s;
      t.loaded = true;
      t.last_ok = s->state == State::ok;
    }
  }
  return {};
}

Result<bool> Monitor::lead(TimePoint now) {
  if (holder_.empty()) return true;
  if (epoch_ > 0 && now - renewed_ < config_.watch.lease / 3) return true;
  std::optional<std::int64_t> epoch;
  auto r = store_.transaction([&]() -> Result<void> {
    auto claimed = store_.claim_leadership(holder_, to_unix_ms(now), to_unix_ms(now + config_.watch.lease));
    if (!claimed) return fail(claimed.error());
    epoch = *claimed;
    return {};
  });
  if (!r) return fail(r.error());
  const std::int64_t before = epoch_;
  epoch_ = epoch.value_or(0);
  if (epoch_ > 0) renewed_ = now;
  if (epoch_ > 0 && epoch_ != before) {
    if (auto loaded = load(); !loaded) {
      epoch_ = 0;
      return fail(loaded.error());
    }
  }
  MutexLock lock(mutex_);
  is_leader_ = epoch_ > 0;
  return epoch_ > 0;
}

void Monitor::keep_lease(TimePoint now) {
  if (!holder_.empty() && epoch_ > 0) (void)lead(now);
}

void Monitor::resign() {
  if (holder_.empty() || epoch_ == 0) return;
  (void)store_.resign_leadership(holder_);
  epoch_ = 0;
}

Result<void> Monitor::fence(TimePoint now) {
  if (holder_.empty()) return {};
  auto holds = epoch_ > 0 ? store_.holds_leadership(holder_, epoch_, to_unix_ms(now)) : Result<bool>(false);
  if (!holds) return fail(holds.error());
  if (!*holds)
    return fail(Error::environment("this watch is no longer the leader: another one took the lease", store_.describe(),
                                   "nothing to do: the other instance probes and sends now"));
  return {};
}

bool Monitor::held(const Target& t) const {
  if (!t.quiet.empty()) return true;
  return t.dependency >= 0 && !targets_[static_cast<std::size_t>(t.dependency)].last_ok;
}

json::object Monitor::payload(const Target& t, Notice notice, TimePoint now) const {
  const std::string& project = project_name(config_);
  const TimePoint started = t.state.first_failure.value_or(t.state.since);
  const std::string during =
      t.quiet_before.empty() || !t.quiet.empty() ? "" : fmt::format(" (it changed during {})", t.quiet_before);
  std::string message;
  switch (notice) {
    case Notice::firing:
      message = fmt::format("{}: {} is down since {} ({}){}", project, t.config.name, format_rfc3339(started),
                            t.state.reason, during);
      break;
    case Notice::reminder:
      message = fmt::format("{}: {} is still down, for {} ({})", project, t.config.name, format_age(started, now),
                            t.state.reason);
      break;
    case Notice::flapping: {
      const auto changes = std::count_if(t.state.recent.begin() + 1, t.state.recent.end(),
                                         [&, i = std::size_t{0}](char c) mutable { return c != t.state.recent[i++]; });
      message =
          fmt::format("{}: {} is flapping: {} of its last {} results changed; its alerts are held until it settles",
                      project, t.config.name, changes, t.state.recent.size());
      break;
    }
    default: message = fmt::format("{}: {} is up again{}", project, t.config.name, during); break;
  }
  json::object out{{"event", to_string(notice)},    {"alert", t.config.name},
                   {"severity", t.config.severity}, {"started_at", format_rfc3339(started)},
                   {"message", redact(message)},    {"reason", redact(t.state.reason)}};
  if (!during.empty()) out["window"] = t.quiet_before;
  return out;
}

Result<void> Monitor::enqueue(const json::object& body, const std::string& probe, std::string_view severity,
                              TimePoint now) {
  const std::string text = json::serialize(body);
  const std::string event = json::value_to<std::string>(body.at("event"));
  for (const auto& channel : route(config_, severity)) {
    // People's channels wait group_wait for what else comes, to get it as one message.
    const TimePoint due = groups(channel) ? now + config_.watch.group_wait : now;
    auto id = store_.add_outbox({.probe = probe,
                                 .event = event,
                                 .channel = channel,
                                 .payload = text,
                                 .created_ms = to_unix_ms(now),
                                 .next_attempt_ms = to_unix_ms(due)});
    if (!id) return fail(id.error());
  }
  return record_event(store_, probe, now, event, json::value_to<std::string>(body.at("message")));
}

Result<void> Monitor::save(Target& t, const AlertState& before, Notice notice, TimePoint now) {
  // Neither `recent` nor a new reason alone is worth a write (a host or metrics probe's reason
  // holds its measure, new every run): a restart does without the last few results and words.
  const bool changed = !t.loaded || before.state != t.state.state || before.successes != t.state.successes ||
                       before.announced != t.state.announced || before.flapping != t.state.flapping ||
                       notice != Notice::none;
  if (!changed) return {};
  auto written = store_.transaction([&]() -> Result<void> {
    if (auto r = fence(now); !r) return r;
    if (auto r = store_.save_watch_alert(to_row(t.config.name, t.state, now)); !r) return r;
    if (notice == Notice::none) return {};
    return enqueue(payload(t, notice, now), t.config.name, t.config.severity, now);
  });
  if (!written) {
    t.state = before;  // stepped again next time: the notice is not lost
    return fail(written.error());
  }
  t.loaded = true;
  if (log_ && before.state != t.state.state)
    log_change(*log_, t.config.name, before.state, t.state.state, t.state.reason);
  return {};
}

Result<void> Monitor::step(Target& t, const ProbeResult& result, TimePoint now) {
  if (history_) history_->add(t.config.name, now, result.ok, result.latency, result.reason);
  t.last_ok = result.ok;
  t.last_run = now;
  {
    MutexLock lock(mutex_);
    for (auto& c : counters_) {
      if (c.name != t.config.name) continue;
      c.up = result.ok;
      c.latency_seconds = std::chrono::duration<double>(result.latency).count();
      ++c.probes;
      if (!result.ok) ++c.failures;
    }
  }
  t.values = result.values;
  const Step s = observe(t.state, t.timing, result.ok, result.reason, now);
  const AlertState before = t.state;
  t.state = s.next;
  t.next_probe = s.next_probe;
  const bool flap_started = record_result(t.state, result.ok, config_.watch.flap_window, config_.watch.flap_threshold);
  // A dependent about to say "down": is its dependency really up? Ask it again when its pass is old.
  if (t.dependency >= 0 && t.state.state == State::firing && !t.state.announced) {
    Target& d = targets_[static_cast<std::size_t>(t.dependency)];
    if (d.last_ok && now - d.last_run >= kFreshPass)
      if (auto r = step(d, d.probe->run(), now); !r) return r;
  }
  t.held = held(t);
  Notice notice = Notice::none;
  if (flap_started && !t.held)
    notice = Notice::flapping;
  else
    notice = announce(t.state, s.notice, t.held, now);
  {
    MutexLock lock(mutex_);
    for (auto& c : counters_)
      if (c.name == t.config.name) {
        c.state = std::string(to_string(t.state.state));
        c.held = t.held;
      }
  }
  if (auto r = save(t, before, notice, now); !r) return r;
  if (!t.held) t.quiet_before.clear();  // said, or nothing changed under the window
  return judge_deploy(t, now);
}

namespace {

double value_of(const std::vector<std::pair<std::string, double>>& values, std::string_view name) {
  for (const auto& [key, value] : values)
    if (key == name) return value;
  return std::numeric_limits<double>::quiet_NaN();
}

std::string seconds_text(double s) {
  return s < 1 ? fmt::format("{:.0f} ms", s * 1000) : fmt::format("{:.2f} s", s);
}

}  // namespace

// Metrics probes keep their values from before each deploy's window, and start measuring afresh
// when it ends.
void Monitor::track_deploys(TimePoint now) {
  for (auto& t : targets_) {
    if (t.config.kind != "metrics" || t.config.post_deploy <= Duration::zero()) continue;
    auto& pd = t.post_deploy;
    for (const auto& w : windows_) {
      if (w.kind != "deploy" || (pd && pd->window == w.id)) continue;
      pd = PostDeploy{.window = w.id, .deploy = w.ref, .what = w.reason, .before = t.values};
    }
    if (!pd) continue;
    const bool open = std::any_of(windows_.begin(), windows_.end(), [&](const auto& w) { return w.id == pd->window; });
    if (pd->running && !open) {  // the deploy ended: what follows is its own
      pd->running = false;
      pd->until = now + t.config.post_deploy;
      t.probe->restart_window();
    }
    if (!pd->running && now >= pd->until) pd.reset();
  }
}

// One "regression" per deploy when a metrics probe's values after it are worse than before it
// by more than its bounds.
Result<void> Monitor::judge_deploy(Target& t, TimePoint now) {
  auto& pd = t.post_deploy;
  if (!pd || pd->running || pd->said || now >= pd->until || t.held) return {};
  std::vector<std::string> worse;
  const double rate_before = value_of(pd->before, "error_rate");
  const double rate_after = value_of(t.values, "error_rate");
  if (t.config.regression_error_rate > 0 && !std::isnan(rate_before) && !std::isnan(rate_after) &&
      (rate_after - rate_before) * 100 > t.config.regression_error_rate)
    worse.push_back(fmt::format("the error rate from {:.1f} % to {:.1f} %", rate_before * 100, rate_after * 100));
  const double p95_before = value_of(pd->before, "p95_seconds");
  const double p95_after = value_of(t.values, "p95_seconds");
  if (t.config.regression_p95 > 0 && !std::isnan(p95_before) && !std::isnan(p95_after) &&
      p95_after > p95_before * t.config.regression_p95 &&
      p95_after - p95_before >= std::chrono::duration<double>(t.config.regression_p95_min).count())
    worse.push_back(fmt::format("p95 from {} to {}", seconds_text(p95_before), seconds_text(p95_after)));
  if (worse.empty()) return {};
  std::string what = worse[0];
  for (std::size_t i = 1; i < worse.size(); ++i) what += " and " + worse[i];
  const json::object body{{"event", "regression"},
                          {"alert", t.config.name},
                          {"severity", t.config.severity},
                          {"started_at", format_rfc3339(now)},
                          {"deploy", pd->deploy},
                          {"message", redact(fmt::format("{}: {} ({}) raised {} ({})", project_name(config_), pd->what,
                                                         pd->deploy, what, t.config.name))},
                          {"reason", redact(what)}};
  auto written = store_.transaction([&]() -> Result<void> {
    if (auto r = fence(now); !r) return r;
    return enqueue(body, t.config.name, t.config.severity, now);
  });
  if (!written) return written;
  pd->said = true;
  return {};
}

// Targets whose notices were held and no longer are (a window closed, a dependency passed) are
// probed again at once: what is said then rests on a fresh result, not on one from before the
// release went out or the database came back.
void Monitor::update_holds(TimePoint now) {
  for (auto& t : targets_) {
    const bool h = held(t);
    if (t.held && !h) t.next_probe = std::min(t.next_probe, now);
    t.held = h;
  }
}

Result<void> Monitor::refresh(TimePoint now) {
  if (leading()) {
    // Windows past their expiry are closed once, by whoever leads; a deploy's or the gate's that
    // expired means what opened it did not close it.
    auto written = store_.transaction([&]() -> Result<void> {
      if (auto r = fence(now); !r) return r;
      auto expired = store_.expire_windows(to_unix_ms(now));
      if (!expired) return fail(expired.error());
      for (const auto& w : *expired) {
        if (w.kind == "silence") continue;
        const json::object body{
            {"event", "window-closed"},
            {"alert", w.kind == "deploy" ? "deploy-window" : "maintenance-window"},
            {"severity", "warning"},
            {"started_at", format_rfc3339(from_unix_ms(w.opened_ms))},
            {"message",
             redact(fmt::format("{}: {} expired after {} without being closed: whatever opened it may have died; "
                                "alerts are sent again",
                                project_name(config_), describe(w), format_age(from_unix_ms(w.opened_ms), now)))},
            {"window", describe(w)}};
        if (auto r = enqueue(body, "", "warning", now); !r) return r;
      }
      return {};
    });
    if (!written) return written;
  }
  auto open = store_.windows(to_unix_ms(now), std::numeric_limits<std::int64_t>::max());  // open ones only
  if (!open) return fail(open.error());
  windows_ = std::move(*open);
  for (auto& t : targets_) {
    std::string quiet;
    for (const auto& w : windows_)
      if (covers(w, t.config)) quiet = describe(w);
    if (!quiet.empty()) t.quiet_before = quiet;
    // What a window covered (a maintenance's own 503s, a deploy's restart) is not held against
    // what comes after it: a metrics probe starts measuring afresh.
    if (!t.quiet.empty() && quiet.empty()) t.probe->restart_window();
    t.quiet = std::move(quiet);
  }
  {
    MutexLock lock(mutex_);
    open_windows_ = windows_.size();
  }
  update_holds(now);
  track_deploys(now);
  return {};
}

Result<void> Monitor::probe_due(TimePoint now) {
  if (!leading()) return {};
  // Twice at most: the second round probes the targets the first one released (their
  // dependency passed again).
  for (int round = 0; round < 2; ++round) {
    std::vector<std::size_t> due;
    for (std::size_t i = 0; i < targets_.size(); ++i)
      if (targets_[i].next_probe <= now) due.push_back(i);
    if (due.empty()) break;
    // The probes themselves run side by side (each is bounded by its timeout); their results are
    // stepped one by one, dependencies first.
    std::vector<ProbeResult> results(due.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t k = next++; k < due.size(); k = next++) results[k] = targets_[due[k]].probe->run();
    };
    std::vector<std::thread> workers;
    for (std::size_t w = 1; w < std::min(kParallel, due.size()); ++w) workers.emplace_back(work);
    work();
    for (auto& w : workers) w.join();
    for (std::size_t k = 0; k < due.size(); ++k)
      if (auto r = step(targets_[due[k]], results[k], now); !r) return r;
    update_holds(now);
  }
  return {};
}

TimePoint Monitor::next_due() const {
  TimePoint next = TimePoint::max();
  if (!leading()) return next;
  for (const auto& t : targets_) next = std::min(next, t.next_probe);
  return next;
}

Result<void> Monitor::send(const std::string& channel, std::vector<state::OutboxRow> rows, TimePoint now) {
  // Only rows this leader could claim are sent (a deposed one claims none).
  if (!holder_.empty()) {
    std::vector<state::OutboxRow> claimed;
    for (auto& row : rows) {
      auto ok = store_.claim_outbox(row.id, holder_, epoch_, to_unix_ms(now));
      if (!ok) return fail(ok.error());
      if (*ok) claimed.push_back(std::move(row));
    }
    rows = std::move(claimed);
  }
  if (rows.empty()) return {};
  std::vector<json::object> bodies;
  for (const auto& row : rows) {
    json::object body;
    std::error_code ec;
    if (auto parsed = json::parse(row.payload, ec); !ec && parsed.is_object()) body = parsed.as_object();
    bodies.push_back(std::move(body));
  }
  notify::Event event = event_of(project_name(config_), bodies.front());
  if (rows.size() > 1) {  // one message for people, listing every notice
    std::string list;
    for (const auto& b : bodies) {
      JsonFields f(&b);
      list += "- " + f.str("message", JsonFields::optional) + "\n";
    }
    event.summary = fmt::format("{}: {} watch notices", project_name(config_), rows.size());
    event.emoji = ":bell:";
    event.reason.clear();
    event.fields = {{"Notices", std::to_string(rows.size())}};
    event.rows = event.fields;
    event.details = list;
    event.email_details = list;
    event.id = "watch-group";
  }
  NotifyConfig channels = notify::only(config_.notify, channel);
  channels.on = {event.kind};
  const auto deliveries = notify::notify(channels, event, notify_options_);
  std::string failed;
  for (const auto& d : deliveries)
    if (!d.ok) failed += (failed.empty() ? "" : "; ") + d.channel + ": " + d.message;
  {
    MutexLock lock(mutex_);
    (failed.empty() ? delivered_ : delivery_failures_) += rows.size();
  }
  if (failed.empty()) sent_[channel].push_back(now);
  for (const auto& row : rows) {
    if (log_ && !failed.empty())
      log_->write(Level::warn, fmt::format("{} of {} not delivered: {}", row.event, row.probe, failed),
                  {{"probe", row.probe}, {"event", row.event}, {"error", failed}});
    if (failed.empty()) {
      if (auto r = store_.delete_outbox(row.id); !r) return r;
      continue;
    }
    Duration pause = kFirstRetry;
    for (int i = 0; i < row.attempts && pause < kLastRetry; ++i) pause *= 2;
    if (auto r = store_.retry_outbox(row.id, to_unix_ms(now + std::min(pause, kLastRetry)), redact(failed)); !r)
      return r;
  }
  return {};
}

Result<void> Monitor::deliver(TimePoint now) {
  if (!leading()) return {};
  auto rows = store_.due_outbox(to_unix_ms(now), kDeliveriesPerCall);
  if (!rows) return fail(rows.error());
  // People's channels: the rows due now go as one message, within the hour's rate limit.
  std::map<std::string, std::vector<state::OutboxRow>> grouped;
  for (auto& row : *rows) {
    keep_lease(now);
    if (!groups(row.channel)) {
      if (auto r = send(row.channel, {row}, now); !r) return r;
      continue;
    }
    grouped[row.channel].push_back(std::move(row));
  }
  for (auto& [channel, list] : grouped) {
    keep_lease(now);
    auto& sent = sent_[channel];
    while (!sent.empty() && now - sent.front() >= std::chrono::hours(1)) sent.pop_front();
    if (config_.watch.rate_limit > 0 && sent.size() >= static_cast<std::size_t>(config_.watch.rate_limit)) {
      const TimePoint slot = sent.front() + std::chrono::hours(1);  // held, then sent together
      for (const auto& row : list)
        if (auto r = store_.retry_outbox(row.id, to_unix_ms(slot), "held by watch.rate_limit"); !r) return r;
      continue;
    }
    if (auto r = send(channel, std::move(list), now); !r) return r;
  }
  return {};
}

void Monitor::store_alert(bool down, const std::string& why, TimePoint now) {
  const std::string& project = project_name(config_);
  const json::object body{
      {"event", down ? "firing" : "resolved"},
      {"alert", "state-store"},
      {"severity", "critical"},
      {"started_at", format_rfc3339(store_failing_.value_or(now))},
      {"message", redact(down ? fmt::format("{}: watch cannot reach its state store {} ({}); probes and alerts are "
                                            "stopped until it answers",
                                            project, store_.describe(), why)
                              : fmt::format("{}: watch reaches its state store {} again", project, store_.describe()))},
      {"reason", redact(why)}};
  notify::Event event = event_of(project, body);
  for (const auto& channel : route(config_, "critical")) {
    NotifyConfig one = notify::only(config_.notify, channel);
    one.on = {event.kind};
    (void)notify::notify(one, event, notify_options_);
  }
}

Result<void> Monitor::turn(TimePoint now) {
  Result<void> result;
  const auto run = [&](auto&& part) {
    if (!result) return;
    if (auto r = part(); !r) result = fail(r.error());
  };
  run([&]() -> Result<void> {
    auto led = lead(now);
    if (!led) return fail(led.error());
    return {};
  });
  run([&] { return refresh(now); });
  run([&] { return probe_due(now); });
  run([&] { return deliver(now); });
  // One failed turn (a deposed leader's fenced write, a busy file) is not an outage.
  if (!result && !store_failing_) store_failing_ = now;
  if (result && store_failing_) {
    if (store_alerted_) store_alert(false, "", now);
    store_failing_.reset();
    store_alerted_ = false;
  }
  if (!result && !store_alerted_ && now - *store_failing_ >= config_.watch.store_down_after) {
    store_alert(true, result.error().message, now);
    store_alerted_ = true;
  }
  return result;
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
  out +=
      "# HELP slipway_watch_probe_held Whether the probe's notices are held (a window, a failing dependency).\n"
      "# TYPE slipway_watch_probe_held gauge\n";
  for (const auto& c : counters_)
    out += fmt::format("slipway_watch_probe_held{{probe=\"{}\"}} {}\n", label(c.name), c.held ? 1 : 0);
  out += fmt::format(
      "# HELP slipway_watch_leader Whether this instance leads (probes and sends).\n"
      "# TYPE slipway_watch_leader gauge\nslipway_watch_leader {}\n"
      "# HELP slipway_watch_windows_open Windows (deploys, maintenance, silences) open now.\n"
      "# TYPE slipway_watch_windows_open gauge\nslipway_watch_windows_open {}\n",
      is_leader_ ? 1 : 0, open_windows_);
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
        s.announced = st->announced;
        s.flapping = st->flapping;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace slipway::watch
