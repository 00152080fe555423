// The alert state machine of one probe: pure, driven by probe results and the times they were
// taken, so that the daemon, a restart and the unit tests (with a fake clock) all step it alike.
//
//   ok ──failure──> pending ──failures until down_after since the FIRST failure──> firing
//    ^                 │                                                           │
//    └────success──────┘ (nothing was sent: nothing to resolve)                   │
//    └──────────── up_after consecutive successes ("resolved") ───────────────────┘
//
// A failure re-probes after retry_every, a success in ok after every; while pending or firing
// every probe comes after retry_every, so recovery is seen quickly. While firing, a critical
// probe sends a "reminder" every `repeat` (0: never). Each transition returns its notice once:
// stepping the same state with the same kind of result never repeats it, and a stored state
// reloaded after a restart carries on where it stopped (what was sent is part of the state).
//
//   every = 5m, retry_every = 30s, down_after = 2m, up_after = 2
//   10:00:00 fail -> pending;  10:00:30 .. 10:01:30 fail -> pending;  10:02:00 fail -> firing (sends "firing")
//   10:02:30 ok -> firing (1 of 2);  10:03:00 ok -> ok (sends "resolved")
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/units.hpp"

namespace slipway::watch {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

enum class State { ok, pending, firing };
std::string_view to_string(State s);
// "ok" | "pending" | "firing"; nullopt for anything else (a stored row from a newer Slipway).
std::optional<State> state_from_string(std::string_view text);

// What a step asks to send; none for most steps.
enum class Notice { none, firing, resolved, reminder, flapping };
std::string_view to_string(Notice n);

struct Timing {
  Duration every = std::chrono::minutes(5);
  Duration retry_every = std::chrono::seconds(30);
  Duration down_after = std::chrono::minutes(2);  // from the first failed probe; 0 = at once
  int up_after = 2;                               // consecutive successes while firing
  Duration repeat = std::chrono::minutes(30);     // reminders while firing (critical only); 0 = none
  bool critical = true;
};

// A probe's alert state, as the state store keeps it.
struct AlertState {
  State state = State::ok;
  TimePoint since{};                       // when `state` was entered (epoch: never probed)
  std::optional<TimePoint> first_failure;  // the first failure of the current run of failures
  int successes = 0;                       // consecutive successes while firing
  std::optional<TimePoint> last_notice;    // the last firing or reminder sent
  std::string reason;                      // the last failure's reason
  // What the outside world was told: the last notice sent said "down" (firing or reminder). It
  // differs from `state` while notices are held (a window, a failing dependency, flapping); see
  // announce().
  bool announced = false;
  bool flapping = false;
  std::string recent;  // the last results, oldest first: '+' passed, '-' failed
};

struct Step {
  AlertState next;
  Notice notice = Notice::none;
  TimePoint next_probe;  // when to probe again
};

// The state after a probe that succeeded (`ok`) or failed with `reason` at `now`.
Step observe(const AlertState& current, const Timing& timing, bool ok, std::string_view reason, TimePoint now);

// What to tell the outside world now, given the state after a step (`stepped` is observe()'s
// notice) and whether notices are held (`held`: a window, a failing dependency). Nothing while
// held or flapping; otherwise whatever makes `announced` agree with the state again: "firing"
// for a firing alert not announced (it went down while held), "resolved" for an announced one
// that is ok (it came back while held, or just now), a reminder only for an announced one. So
// a window that opens and closes around a failure and its recovery says nothing, and one that
// closes on a change says it once. Updates `s.announced` and `s.last_notice`.
Notice announce(AlertState& s, Notice stepped, bool held, TimePoint now);

// Flap detection over the last `window` results: adds this result to `s.recent`, and sets
// `s.flapping` when at least half the window is known and the share of consecutive results that
// differ reaches `threshold` percent; clears it once the share is below half the threshold.
// True when flapping just started (the one "flapping" notice).
bool record_result(AlertState& s, bool ok, int window, double threshold);

}  // namespace slipway::watch
