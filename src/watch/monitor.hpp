// The monitor: every probe of [watch] with its alert state, kept in the state store, and the
// outbox of notifications it decided to send. `slipway watch run` calls it in a loop; `watch
// check` runs each probe once through it without storing anything.
//
// One step of a probe is one transaction: its new alert state and, when the step has a notice
// (alert.hpp), the outbox row of that notice. Delivery reads the outbox afterwards and deletes a
// row only once every channel took it; a failed row is tried again with a doubling pause (5 s up
// to 5 min). So a notice is sent at least once, and once when nothing crashes between sending and
// deleting. A restart loads the stored states: what did not change says nothing, what changed
// while watch was down is a transition like any other.
//
// The notification is a notify::Event of source "watch", kind "firing" | "resolved" |
// "reminder", whose webhook body carries source, alert (the probe), severity, started_at and
// message; PagerDuty gets a trigger or resolve on the dedup key "slipway-<project>-watch-<probe>".
#pragma once

#include <chrono>
#include <memory>
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

// The notify::Event of an outbox row's payload (see payload()).
notify::Event event_of(const std::string& project, const boost::json::object& payload);

// What `watch status` shows of one probe.
struct ProbeStatus {
  std::string name;
  std::string state;  // up | down | pending | unknown
  std::string since;  // RFC 3339, or empty when never probed
  std::string reason;
};

class Monitor {
 public:
  // Makes every probe (input errors for bad conditions or addresses) and loads their stored
  // states from `store`, which must outlive the monitor.
  static Result<std::unique_ptr<Monitor>> open(const Config& config, state::Store& store,
                                               notify::NotifyOptions notify_options = {});

  // Runs every probe due at `now` (all of them on the first call), steps its state and stores it
  // with its notice. Fails only when the store does.
  Result<void> probe_due(TimePoint now);
  // Sends the outbox rows due at `now`.
  Result<void> deliver(TimePoint now);
  // The earliest time a probe is due.
  [[nodiscard]] TimePoint next_due() const;

  // Where each probe result goes (History) and what is logged (state changes, failed
  // deliveries); both optional, and must outlive the monitor.
  void attach(History* history, const Log* log) {
    history_ = history;
    log_ = log;
  }

  // Prometheus text for /metrics; safe from any thread.
  [[nodiscard]] std::string metrics() const EXCLUDES(mutex_);

 private:
  struct Target {
    WatchProbe config;
    Timing timing;
    std::unique_ptr<Probe> probe;
    AlertState state;
    TimePoint next_probe{};
    bool loaded = false;  // had a stored state
  };
  struct Counters {
    std::string name;
    std::string state;
    double latency_seconds = 0;
    bool up = false;
    std::uint64_t probes = 0;
    std::uint64_t failures = 0;
  };

  Monitor(const Config& config, state::Store& store, notify::NotifyOptions options)
      : config_(config), store_(store), notify_options_(std::move(options)) {}
  Result<void> step(Target& target, TimePoint now);
  boost::json::object payload(const Target& target, Notice notice, TimePoint now) const;

  const Config& config_;
  state::Store& store_;
  notify::NotifyOptions notify_options_;
  std::vector<Target> targets_;
  History* history_ = nullptr;
  const Log* log_ = nullptr;
  mutable Mutex mutex_;
  std::vector<Counters> counters_ GUARDED_BY(mutex_);
  std::uint64_t delivered_ GUARDED_BY(mutex_) = 0;
  std::uint64_t delivery_failures_ GUARDED_BY(mutex_) = 0;
};

// `watch status`: each configured probe with its stored state.
Result<std::vector<ProbeStatus>> stored_status(const Config& config, state::Store& store);

}  // namespace slipway::watch
