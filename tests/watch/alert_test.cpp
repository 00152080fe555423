// The alert state machine with a fake clock: each transition's notice comes exactly once.
#include "watch/alert.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;

// Steps a machine through results at the times it asks for, collecting the notices.
struct Driver {
  Timing timing;
  AlertState state;
  TimePoint now = TimePoint(std::chrono::hours(1000));
  std::vector<Notice> sent;

  Notice probe(bool ok) {
    const Step s = observe(state, timing, ok, ok ? "" : "connection refused", now);
    state = s.next;
    now = s.next_probe;
    if (s.notice != Notice::none) sent.push_back(s.notice);
    return s.notice;
  }
};

TEST(AlertTest, FiresWhenDownForDownAfterSinceTheFirstFailure) {
  Driver d;  // every 5m, retry 30s, down_after 2m
  EXPECT_EQ(d.probe(true), Notice::none);
  const TimePoint first = d.now;
  EXPECT_EQ(d.probe(false), Notice::none);
  EXPECT_EQ(d.state.state, State::pending);
  EXPECT_EQ(d.now - first, 30s);  // re-probed after retry_every
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d.probe(false), Notice::none);
  EXPECT_EQ(d.state.state, State::pending);
  EXPECT_EQ(d.probe(false), Notice::firing);  // 2 minutes after the first failure
  EXPECT_EQ(d.state.state, State::firing);
  EXPECT_EQ(*d.state.first_failure, first);
  EXPECT_EQ(d.state.reason, "connection refused");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(d.probe(false), Notice::none);  // once per transition
}

TEST(AlertTest, APendingProbeThatRecoversSendsNothing) {
  Driver d;
  d.probe(false);
  d.probe(false);
  EXPECT_EQ(d.probe(true), Notice::none);
  EXPECT_EQ(d.state.state, State::ok);
  EXPECT_FALSE(d.state.first_failure);
  // A new failure starts a new clock: down_after counts from it, not from the earlier one.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d.probe(false), Notice::none);
  EXPECT_EQ(d.probe(false), Notice::firing);
  EXPECT_TRUE(d.sent.size() == 1);
}

TEST(AlertTest, ResolvesAfterUpAfterConsecutiveSuccesses) {
  Driver d;
  d.timing.down_after = 0s;
  EXPECT_EQ(d.probe(false), Notice::firing);  // down_after 0: at once
  EXPECT_EQ(d.probe(true), Notice::none);
  EXPECT_EQ(d.probe(false), Notice::none);  // the run of successes starts again
  EXPECT_EQ(d.state.successes, 0);
  EXPECT_EQ(d.probe(true), Notice::none);
  const TimePoint before = d.now;
  EXPECT_EQ(d.probe(true), Notice::resolved);
  EXPECT_EQ(d.state.state, State::ok);
  EXPECT_EQ(d.state.since, before);
  EXPECT_EQ(d.now - before, 5min);  // back to `every`
  EXPECT_EQ(d.probe(true), Notice::none);
  EXPECT_EQ(d.sent, (std::vector<Notice>{Notice::firing, Notice::resolved}));
}

TEST(AlertTest, CriticalAlertsRemindEveryRepeatWhileFiring) {
  Driver d;
  d.timing.down_after = 0s;
  d.timing.retry_every = 1min;
  d.timing.repeat = 30min;
  d.probe(false);
  for (int i = 0; i < 65; ++i) d.probe(false);
  EXPECT_EQ(d.sent, (std::vector<Notice>{Notice::firing, Notice::reminder, Notice::reminder}));

  Driver w = d;
  w.sent.clear();
  w.timing.critical = false;  // warnings never remind
  for (int i = 0; i < 65; ++i) w.probe(false);
  EXPECT_TRUE(w.sent.empty());

  Driver z = d;
  z.sent.clear();
  z.timing.repeat = 0s;
  for (int i = 0; i < 65; ++i) z.probe(false);
  EXPECT_TRUE(z.sent.empty());
}

TEST(AlertTest, AStoredStateCarriesOnAfterARestart) {
  Driver d;
  d.timing.down_after = 0s;
  d.probe(false);
  ASSERT_EQ(d.state.state, State::firing);
  // A restart reloads the state; the probe is still down: nothing new to say.
  Driver restarted;
  restarted.timing = d.timing;
  restarted.state = d.state;
  restarted.now = d.now + 10min;
  EXPECT_EQ(restarted.probe(false), Notice::none);
  // It recovered while watch was down: the restart sends the one "resolved".
  Driver recovered = restarted;
  EXPECT_EQ(recovered.probe(true), Notice::none);
  EXPECT_EQ(recovered.probe(true), Notice::resolved);
}

TEST(AlertTest, StatesRoundTripAsText) {
  for (State s : {State::ok, State::pending, State::firing}) EXPECT_EQ(state_from_string(to_string(s)), s);
  EXPECT_FALSE(state_from_string("resolved"));
}

}  // namespace
}  // namespace slipway::watch
