#include "watch/alert.hpp"

#include <algorithm>

namespace slipway::watch {

std::string_view to_string(State s) {
  switch (s) {
    case State::ok: return "ok";
    case State::pending: return "pending";
    case State::firing: return "firing";
  }
  return "ok";
}

std::optional<State> state_from_string(std::string_view text) {
  for (State s : {State::ok, State::pending, State::firing})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

std::string_view to_string(Notice n) {
  switch (n) {
    case Notice::none: return "none";
    case Notice::firing: return "firing";
    case Notice::resolved: return "resolved";
    case Notice::reminder: return "reminder";
    case Notice::flapping: return "flapping";
  }
  return "none";
}

namespace {

AlertState enter(AlertState s, State state, TimePoint now) {
  s.state = state;
  s.since = now;
  return s;
}

Step on_success(const AlertState& cur, const Timing& t, TimePoint now) {
  switch (cur.state) {
    case State::ok: {
      AlertState next = cur;
      if (next.since == TimePoint{}) next.since = now;
      return {next, Notice::none, now + t.every};
    }
    case State::pending: {  // never alerted: back to ok, quietly
      AlertState next = enter(cur, State::ok, now);
      next.first_failure.reset();
      next.reason.clear();
      return {next, Notice::none, now + t.every};
    }
    case State::firing: {
      AlertState next = cur;
      next.successes = cur.successes + 1;
      if (next.successes < t.up_after) return {next, Notice::none, now + t.retry_every};
      next = enter(next, State::ok, now);
      next.successes = 0;
      next.first_failure.reset();
      next.last_notice.reset();
      return {next, Notice::resolved, now + t.every};
    }
  }
  return {cur, Notice::none, now + t.every};
}

Step on_failure(const AlertState& cur, const Timing& t, std::string_view reason, TimePoint now) {
  AlertState next = cur;
  next.reason = std::string(reason);
  next.successes = 0;
  if (cur.state == State::ok) {
    next = enter(next, State::pending, now);
    next.first_failure = now;
  }
  if (next.state == State::pending) {
    if (now - *next.first_failure < t.down_after) return {next, Notice::none, now + t.retry_every};
    next = enter(next, State::firing, now);
    next.last_notice = now;
    return {next, Notice::firing, now + t.retry_every};
  }
  // firing
  if (t.critical && t.repeat > Duration::zero() && next.last_notice && now - *next.last_notice >= t.repeat) {
    next.last_notice = now;
    return {next, Notice::reminder, now + t.retry_every};
  }
  return {next, Notice::none, now + t.retry_every};
}

}  // namespace

Step observe(const AlertState& current, const Timing& timing, bool ok, std::string_view reason, TimePoint now) {
  return ok ? on_success(current, timing, now) : on_failure(current, timing, reason, now);
}

Notice announce(AlertState& s, Notice stepped, bool held, TimePoint now) {
  if (held || s.flapping) return Notice::none;
  if (s.state == State::firing && !s.announced) {
    s.announced = true;
    s.last_notice = now;
    return Notice::firing;
  }
  if (s.state == State::ok && s.announced) {
    s.announced = false;
    return Notice::resolved;
  }
  if (stepped == Notice::reminder && s.announced) return Notice::reminder;
  return Notice::none;
}

bool record_result(AlertState& s, bool ok, int window, double threshold) {
  s.recent += ok ? '+' : '-';
  const auto keep = static_cast<std::size_t>(std::max(window, 2));
  if (s.recent.size() > keep) s.recent.erase(0, s.recent.size() - keep);
  if (s.recent.size() * 2 < keep) return false;
  int changes = 0;
  for (std::size_t i = 1; i < s.recent.size(); ++i) changes += s.recent[i] != s.recent[i - 1] ? 1 : 0;
  const double share = 100.0 * changes / static_cast<double>(s.recent.size() - 1);
  if (!s.flapping && share >= threshold) {
    s.flapping = true;
    return true;
  }
  if (s.flapping && share < threshold / 2) s.flapping = false;
  return false;
}

}  // namespace slipway::watch
