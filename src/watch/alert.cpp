#include "watch/alert.hpp"

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

}  // namespace slipway::watch
