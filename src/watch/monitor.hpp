// The monitor: every probe of [watch] with its alert state, kept in the state store, and the
// outbox of notifications it decided to send. `slipway watch run` calls it in a loop (lead(),
// refresh(), probe_due(), deliver()); `watch check` runs each probe once without the monitor.
//
// One step of a probe is one transaction: its new alert state and, when the step has a notice
// (alert.hpp's observe() and announce()), one outbox row per channel the notice is routed to.
// Delivery reads the outbox afterwards and deletes a row once its channel took it; a refused row
// is tried again with a doubling pause (5 s up to 5 min). So a notice is sent at least once, and
// once when nothing crashes between sending and deleting. A restart loads the stored states: what
// did not change says nothing, what changed while watch was down is a transition like any other.
//
// What holds notices back (the state machine keeps stepping; announce() catches up later):
//   windows       a deploy's, the gate's maintenance, a silence (watch/windows.hpp), read from the
//                 store every turn; when the last window over a probe closes, the probe runs again
//                 at once and what changed is said
//   depends_on    a probe whose dependency's last result failed is "unreachable": its own
//                 alerts wait (the dependency is probed again first when its pass is old), and
//                 it runs again as soon as the dependency passes
//   flapping      one "flapping" notice, then nothing until it settles
//
// After a deploy: a metrics probe keeps its values from before each deploy's window, restarts its
// window when the deploy ends, and for its post_deploy compares what it measures with them; an
// error rate or a p95 that regressed past the probe's bounds is one "regression" notice for that
// deploy ("deploy v3 raised p95 from 120 ms to 900 ms"). Kept in memory: a restart of watch in
// those minutes ends the comparison.
//
// Leadership: two `watch run` on one state store elect a leader through the store's lease row
// (lead()). Only the leader probes and sends; each of its writes checks in its transaction that
// its lease and epoch still hold, and each outbox row is claimed with the epoch before sending,
// so a deposed leader writes and sends nothing more. A new leader reloads the stored states.
//
// The notification is a notify::Event of source "watch", kind "firing" | "resolved" |
// "reminder" | "flapping" | "window-closed", whose webhook body carries source, alert (the
// probe), severity, started_at and message; PagerDuty gets a trigger or resolve on the dedup key
// "slipway-<project>-watch-<probe>". Slack, email and SMS rows due together for one channel go
// as one message listing them (group_wait), at most rate_limit an hour.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/mutex.hpp"
#include "notify/notify.hpp"
#include "state/store.hpp"
#include "watch/alert.hpp"
#include "watch/history.hpp"
#include "watch/log.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {

// What the timing of a [[watch.probe]] means to the state machine.
Timing timing_of(const WatchProbe& probe);

// The notify::Event of an outbox row's payload (see Monitor::payload()).
notify::Event event_of(const std::string& project, const boost::json::object& payload);

// The channels of [notify] a notice of `severity` goes to (watch.route, else every configured
// channel; SMS for critical only), in the order webhook, slack, pagerduty, email, sms.
std::vector<std::string> route(const Config& config, std::string_view severity);

// What `watch status` shows of one probe.
struct ProbeStatus {
  std::string name;
  std::string state;  // up | down | pending | unknown
  std::string since;  // RFC 3339, or empty when never probed
  std::string reason;
  bool announced = false;  // the last notice sent said "down"
  bool flapping = false;
};

class Monitor {
 public:
  // Makes every probe (input errors for bad conditions or addresses) and loads their stored
  // states from `store`, which must outlive the monitor. `holder` names this process in the
  // leader's lease (host:pid:nonce); empty: no leadership (a monitor alone on its store, tests).
  static Result<std::unique_ptr<Monitor>> open(const Config& config, state::Store& store,
                                               notify::NotifyOptions notify_options = {}, std::string holder = {});

  // Takes or renews the leader's lease at `now` (renewed at a third of watch.lease); true while
  // this monitor leads. Gaining it (again) reloads the stored states and probes everything.
  Result<bool> lead(TimePoint now);
  [[nodiscard]] bool leading() const { return holder_.empty() || epoch_ > 0; }
  // Lets the lease go (a clean stop), so that another instance takes over at once.
  void resign();

  // Reads the windows open at `now`; the leader first closes those past their expiry (a deploy's
  // or the gate's that expired sends "window-closed") and says what changed under windows that
  // ended.
  Result<void> refresh(TimePoint now);
  // Runs every probe due at `now` (all of them on the first call, at most kParallel at once),
  // steps its state and stores it with its notices. Fails only when the store does.
  Result<void> probe_due(TimePoint now);
  // Sends the outbox rows due at `now`.
  Result<void> deliver(TimePoint now);
  // The earliest time a probe is due.
  [[nodiscard]] TimePoint next_due() const;

  // One turn of `watch run`: lead(), refresh(), and for the leader probe_due() and deliver(). A
  // state store that fails every turn for watch.store_down_after is an alert of its own, sent straight to
  // the critical channels (no outbox: it is the store that is gone) by every instance on its own,
  // on the stable dedup key "slipway-<project>-watch-state-store", and resolved when it answers
  // again. Returns the first error of the turn, for the log.
  Result<void> turn(TimePoint now);

  // Where each probe result goes (History) and what is logged (state changes, failed
  // deliveries); both optional, and must outlive the monitor.
  void attach(History* history, const Log* log) {
    history_ = history;
    log_ = log;
  }

  // Prometheus text for /metrics; safe from any thread.
  [[nodiscard]] std::string metrics() const EXCLUDES(mutex_);

 private:
  // A metrics probe around a deploy (judge_deploy()): the values before it, and until when the
  // values after it are compared with them.
  struct PostDeploy {
    std::int64_t window = 0;  // the deploy's window
    std::string deploy;       // its id
    std::string what;         // "deploy v3"
    std::vector<std::pair<std::string, double>> before;
    bool running = true;  // the window is open
    TimePoint until{};
    bool said = false;
  };
  struct Target {
    WatchProbe config;
    Timing timing;
    std::unique_ptr<Probe> probe;
    AlertState state;
    TimePoint next_probe{};
    bool loaded = false;  // had a stored state
    int dependency = -1;  // index in targets_ of depends_on
    bool last_ok = true;  // the last result (before any: the stored state is ok)
    TimePoint last_run{};
    bool held = false;                                   // notices held at the last look
    std::string quiet;                                   // the window over it, described; empty: none
    std::string quiet_before;                            // the window it was under last, for the message at its close
    std::vector<std::pair<std::string, double>> values;  // what its last run measured
    std::optional<PostDeploy> post_deploy;
  };
  struct Counters {
    std::string name;
    std::string state;
    double latency_seconds = 0;
    bool up = false;
    std::uint64_t probes = 0;
    std::uint64_t failures = 0;
    bool held = false;
  };

  Monitor(const Config& config, state::Store& store, notify::NotifyOptions options, std::string holder)
      : config_(config), store_(store), notify_options_(std::move(options)), holder_(std::move(holder)) {}
  Result<void> load();
  bool held(const Target& t) const;
  Result<void> step(Target& t, const ProbeResult& result, TimePoint now);
  // Writes `t`'s state (when it changed from `before`) and the outbox rows of `notice` in one
  // transaction fenced by the lease; on failure `t` goes back to `before`.
  Result<void> save(Target& t, const AlertState& before, Notice notice, TimePoint now);
  void update_holds(TimePoint now);
  void track_deploys(TimePoint now);
  Result<void> judge_deploy(Target& t, TimePoint now);
  Result<void> enqueue(const boost::json::object& payload, const std::string& probe, std::string_view severity,
                       TimePoint now);
  Result<void> fence(TimePoint now);
  boost::json::object payload(const Target& t, Notice notice, TimePoint now) const;
  Result<void> send(const std::string& channel, std::vector<state::OutboxRow> rows, TimePoint now);
  void keep_lease(TimePoint now);
  void store_alert(bool down, const std::string& why, TimePoint now);

  const Config& config_;
  state::Store& store_;
  notify::NotifyOptions notify_options_;
  std::string holder_;
  std::int64_t epoch_ = 0;  // the lease's epoch while leading; 0 otherwise
  TimePoint renewed_{};
  std::vector<Target> targets_;  // dependencies before what depends on them
  std::vector<state::WindowRow> windows_;
  std::map<std::string, std::deque<TimePoint>> sent_;  // per channel, for rate_limit
  std::optional<TimePoint> store_failing_;             // since when every turn failed
  bool store_alerted_ = false;
  History* history_ = nullptr;
  const Log* log_ = nullptr;
  mutable Mutex mutex_;
  std::vector<Counters> counters_ GUARDED_BY(mutex_);
  std::uint64_t delivered_ GUARDED_BY(mutex_) = 0;
  std::uint64_t delivery_failures_ GUARDED_BY(mutex_) = 0;
  bool is_leader_ GUARDED_BY(mutex_) = false;
  std::size_t open_windows_ GUARDED_BY(mutex_) = 0;
};

// `watch status`: each configured probe with its stored state.
Result<std::vector<ProbeStatus>> stored_status(const Config& config, state::Store& store);

}  // namespace slipway::watch
