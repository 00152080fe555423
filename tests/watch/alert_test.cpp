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

// What the outside world hears: observe() then announce(), with notices held while `held`.
struct Announcer {
  Timing timing{.down_after = 0s, .up_after = 1};
  AlertState state;
  TimePoint now = TimePoint(std::chrono::hours(1000));
  bool held = false;
  std::vector<Notice> sent;

  void probe(bool ok) {
    const Step s = observe(state, timing, ok, ok ? "" : "503", now);
    state = s.next;
    now = s.next_probe;
    record(announce(state, s.notice, held, now));
  }
  // The window closes: what changed is said once.
  void release() {
    held = false;
    record(announce(state, Notice::none, false, now));
  }
  void record(Notice n) {
    if (n != Notice::none) sent.push_back(n);
  }
};

TEST(AlertAnnounce, FailingAndRecoveringInsideAWindowSaysNothing) {
  Announcer a;
  a.probe(true);
  a.held = true;
  a.probe(false);
  EXPECT_EQ(a.state.state, State::firing);
  a.probe(true);
  a.release();
  EXPECT_TRUE(a.sent.empty());
  EXPECT_FALSE(a.state.announced);
}

TEST(AlertAnnounce, DownPastTheCloseOfAWindowFiresOnceAtTheClose) {
  Announcer a;
  a.held = true;
  a.probe(false);
  a.probe(false);
  EXPECT_TRUE(a.sent.empty());
  a.release();
  EXPECT_EQ(a.sent, std::vector<Notice>{Notice::firing});
  a.probe(false);
  a.release();  // nothing new to say
  EXPECT_EQ(a.sent, std::vector<Notice>{Notice::firing});
}

TEST(AlertAnnounce, DownBeforeAWindowAndUpAfterItIsResolvedOnceAtTheClose) {
  Announcer a;
  a.probe(false);
  EXPECT_EQ(a.sent, std::vector<Notice>{Notice::firing});
  a.held = true;
  a.probe(true);  // resolved inside: held
  EXPECT_EQ(a.sent.size(), 1u);
  a.release();
  EXPECT_EQ(a.sent, (std::vector<Notice>{Notice::firing, Notice::resolved}));
}

TEST(AlertAnnounce, DownBeforeAndDownAfterAWindowSaysNothingAtTheClose) {
  Announcer a;
  a.probe(false);
  a.held = true;
  a.probe(false);
  a.release();
  EXPECT_EQ(a.sent, std::vector<Notice>{Notice::firing});
}

TEST(AlertAnnounce, RemindersWaitWhileHeldAndComeOnlyForWhatWasAnnounced) {
  Announcer a;
  a.timing.repeat = 1min;
  a.timing.retry_every = 1min;
  a.held = true;
  for (int i = 0; i < 5; ++i) a.probe(false);
  EXPECT_TRUE(a.sent.empty());  // never announced: no reminder of it
  a.release();
  a.probe(false);  // at the close
  EXPECT_EQ(a.sent, std::vector<Notice>{Notice::firing});
  a.probe(false);  // `repeat` after the firing said at the close
  EXPECT_EQ(a.sent, (std::vector<Notice>{Notice::firing, Notice::reminder}));
}

TEST(AlertFlapping, AlternatingResultsFlapOnceAndSettleWhenSteady) {
  AlertState s;
  int started = 0;
  for (int i = 0; i < 40; ++i) started += record_result(s, i % 2 == 0, 20, 50) ? 1 : 0;
  EXPECT_EQ(started, 1);
  EXPECT_TRUE(s.flapping);
  EXPECT_EQ(s.recent.size(), 20u);
  // Steady passes push the changes out: with 15 the window still holds 5 changes of 19 (26 %),
  // with 16 it holds 4 (21 %), below half the threshold.
  for (int i = 0; i < 15; ++i) EXPECT_FALSE(record_result(s, true, 20, 50));
  EXPECT_TRUE(s.flapping);
  EXPECT_FALSE(record_result(s, true, 20, 50));
  EXPECT_FALSE(s.flapping);
}

TEST(AlertFlapping, AnOutageAndARecoveryAreNotFlapping) {
  AlertState s;
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(record_result(s, i < 10 || i >= 20, 20, 50));
  EXPECT_FALSE(s.flapping);
}

TEST(AlertFlapping, NothingIsJudgedBeforeHalfTheWindowIsKnown) {
  AlertState s;
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(record_result(s, i % 2 == 0, 20, 50));
  EXPECT_FALSE(s.flapping);
  EXPECT_TRUE(record_result(s, false, 20, 50));
}

TEST(AlertAnnounce, AFlappingAlertSaysNothingUntilItSettles) {
  AlertState s;
  s.state = State::firing;
  s.flapping = true;
  EXPECT_EQ(announce(s, Notice::firing, false, TimePoint{}), Notice::none);
  s.flapping = false;
  EXPECT_EQ(announce(s, Notice::none, false, TimePoint{}), Notice::firing);
}

}  // namespace
}  // namespace slipway::watch
