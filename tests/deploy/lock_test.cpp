// The deploy lock's contract, run on both state stores (SQLite and PostgreSQL), then what only
// PostgreSQL's session lock adds: a holder whose session ended is stale at once, a hung holder
// past its lease has its session ended, and `lock release` ends the holder's session.
#include "deploy/lock.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "postgres.hpp"

namespace slipway::deploy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

enum class Backend { sqlite, postgres };

class DeployLockTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fs::path("slipway-lock-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(dir_);
    path_ = dir_ / "state.db";
    if (GetParam() == Backend::postgres) url_ = test::Postgres::instance().create_database();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A separate handle on the same state, as a second slipway process would have.
  std::unique_ptr<state::Store> open() {
    auto db = url_.empty() ? state::open_file(path_) : state::open_url(url_);
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().render());
    return db ? std::move(*db) : nullptr;
  }

  // A fake clock and a second "process" on the same host.
  LockEnvironment env(int pid) {
    LockEnvironment e;
    e.now = [this] { return now_; };
    e.sleep = [this](std::chrono::milliseconds d) {
      now_ += d;
      if (on_sleep_) on_sleep_();
    };
    e.alive = [](const std::string&, int) { return true; };
    e.host = "web-1";
    e.pid = pid;
    e.user = "ci";
    return e;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  fs::path path_;
  std::string url_;
  TimePoint now_ = TimePoint(std::chrono::seconds(1'800'000'000));
  std::function<void()> on_sleep_;
};

TEST_P(DeployLockTest, SecondAcquirerIsRefusedWithTheHolderNamed) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1", .message = "deploy v2"}, env(100));
  ASSERT_TRUE(first.has_value()) << first.error().render();
  EXPECT_FALSE(first->acquired().took_over.has_value());

  auto second = DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().exit_code(), ExitCode::findings);
  EXPECT_NE(second.error().message.find("ci@web-1 (pid 100)"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("deploy v2"), std::string::npos);

  auto held = DeployLock::status(*db2);
  ASSERT_TRUE(held.has_value());
  ASSERT_TRUE(held->has_value());
  EXPECT_EQ((*held)->deploy_id, "d1");
}

TEST_P(DeployLockTest, WaitingGetsTheLockWhenItIsReleased) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  int sleeps = 0;
  on_sleep_ = [&] {
    if (++sleeps == 3) {
      ASSERT_TRUE(first->release().has_value());
    }
  };
  auto second = DeployLock::acquire(*db2, {.deploy_id = "d2", .wait = 1min}, env(200));
  ASSERT_TRUE(second.has_value()) << second.error().render();
  EXPECT_EQ(sleeps, 3);
  EXPECT_EQ(second->acquired().info.deploy_id, "d2");
}

TEST_P(DeployLockTest, WaitingGivesUpAtTheDeadline) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  const auto start = now_;
  auto second = DeployLock::acquire(*db2, {.deploy_id = "d2", .wait = 5s}, env(200));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(now_ - start, 5s);
  EXPECT_NE(second.error().hint.find("--lock-wait"), std::string::npos);
}

TEST_P(DeployLockTest, AnExpiredLeaseIsTakenOver) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1", .lease = 10min}, env(100));
  ASSERT_TRUE(first.has_value());
  now_ += 9min;
  EXPECT_FALSE(DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200)).has_value());
  ASSERT_TRUE(first->renew().has_value());  // renewing moves the lease to now + 10 min
  now_ += 9min;
  EXPECT_FALSE(DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200)).has_value());
  now_ += 2min;
  auto second = DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200));
  ASSERT_TRUE(second.has_value()) << second.error().render();
  ASSERT_TRUE(second->acquired().took_over.has_value());
  EXPECT_EQ(second->acquired().took_over->deploy_id, "d1");
  EXPECT_NE(second->acquired().stale_reason.find("lease ran out 1min"), std::string::npos)
      << second->acquired().stale_reason;
  if (GetParam() == Backend::postgres) {
    // The hung holder's session still held the lock: it was ended, and the report says so.
    EXPECT_NE(second->acquired().stale_reason.find("database session (backend"), std::string::npos)
        << second->acquired().stale_reason;
    EXPECT_GT(second->acquired().took_over->backend, 0);
  }

  // The old holder learns that it lost the lock, and its release leaves the new holder alone.
  auto renewed = first->renew();
  ASSERT_FALSE(renewed.has_value());
  // It names the new holder, for the record of the deploy that stops. On PostgreSQL its ended
  // session is opened again by the state store, which then reads the new holder's row.
  EXPECT_NE(renewed.error().message.find("taken over by "), std::string::npos) << renewed.error().message;
  EXPECT_NE(renewed.error().message.find("(pid 200, deploy d2)"), std::string::npos) << renewed.error().message;
  EXPECT_FALSE(first->held());
  EXPECT_TRUE(first->release().has_value());  // a no-op now: the lock is not its own
  auto held = DeployLock::status(*db2);
  ASSERT_TRUE(held.has_value() && held->has_value());
  EXPECT_EQ((*held)->deploy_id, "d2");
}

TEST_P(DeployLockTest, ForceReleaseRemovesWhateverIsHeld) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  auto removed = DeployLock::force_release(*db2);
  ASSERT_TRUE(removed.has_value() && removed->has_value()) << (removed ? "" : removed.error().render());
  EXPECT_EQ((*removed)->deploy_id, "d1");
  // On PostgreSQL the holder's session is ended too, so it cannot carry on as the holder.
  EXPECT_EQ((*removed)->backend > 0, GetParam() == Backend::postgres);
  auto none = DeployLock::status(*db2);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto renewed = first->renew();
  ASSERT_FALSE(renewed.has_value());
  if (GetParam() == Backend::sqlite) {
    EXPECT_EQ(renewed.error().message, "the deploy lock was removed (`slipway lock release`)");
  }
  EXPECT_FALSE(first->held());
  auto next = DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200));
  ASSERT_TRUE(next.has_value()) << next.error().render();
  EXPECT_FALSE(next->acquired().took_over.has_value());
}

TEST_P(DeployLockTest, ReleaseLetsTheNextDeployInWithoutATakeover) {
  auto db1 = open();
  auto db2 = open();
  {
    auto first = DeployLock::acquire(*db1, {.deploy_id = "d1"}, env(100));
    ASSERT_TRUE(first.has_value());
  }  // released when it goes out of scope
  auto second = DeployLock::acquire(*db2, {.deploy_id = "d2"}, env(200));
  ASSERT_TRUE(second.has_value()) << second.error().render();
  EXPECT_FALSE(second->acquired().took_over.has_value());
  // And the first handle can take it again after the second lets go.
  ASSERT_TRUE(second->release().has_value());
  auto again = DeployLock::acquire(*db1, {.deploy_id = "d3"}, env(100));
  ASSERT_TRUE(again.has_value()) << again.error().render();
  EXPECT_FALSE(again->acquired().took_over.has_value());
}

INSTANTIATE_TEST_SUITE_P(Stores, DeployLockTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const auto& p) { return p.param == Backend::sqlite ? "sqlite" : "postgres"; });

// ---- SQLite: the holder's pid is all there is to check --------------------------------------

class SqliteLockTest : public DeployLockTest {};

TEST_P(SqliteLockTest, AHolderWhoseProcessDiedIsStale) {
  // A real process that has exited: its pid is not alive on this host.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  waitpid(child, &status, 0);

  auto db1 = open();
  auto db2 = open();
  // The row a crashed deploy leaves behind: it names a pid that no longer runs on this host.
  LockEnvironment dead = env(static_cast<int>(child));
  dead.alive = nullptr;  // the real check
  dead.host.clear();     // this machine
  auto crashed = DeployLock::acquire(*db1, {.deploy_id = "crashed", .lease = 1h}, dead);
  ASSERT_TRUE(crashed.has_value());

  LockEnvironment me = env(static_cast<int>(getpid()));
  me.alive = nullptr;
  me.host.clear();
  auto second = DeployLock::acquire(*db2, {.deploy_id = "next"}, me);
  ASSERT_TRUE(second.has_value()) << second.error().render();
  ASSERT_TRUE(second->acquired().took_over.has_value());
  EXPECT_EQ(second->acquired().took_over->deploy_id, "crashed");
  EXPECT_NE(second->acquired().stale_reason.find("no longer running"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, SqliteLockTest, ::testing::Values(Backend::sqlite),
                         [](const auto&) { return "sqlite"; });

// ---- PostgreSQL: the holder's session says whether it is alive, from any host ---------------

class PgLockTest : public DeployLockTest {};

// Regression guard for the win over SQLite: a holder on another host (its pid uncheckable) that
// was killed is seen as gone at once, because its database session ended with it.
TEST_P(PgLockTest, AHolderKilledOnAnotherHostIsStaleBecauseItsSessionEnded) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    char ok = 'n';
    auto db = state::open_url(url_);
    LockEnvironment far = env(4242);
    far.host = "laptop-7";  // another machine: its pid cannot be checked from here
    if (db) {
      auto held = DeployLock::acquire(**db, {.deploy_id = "killed", .lease = 1h}, far);
      if (held) ok = 'y';
      (void)!write(ready[1], &ok, 1);
      pause();  // until killed, holding the lock
    }
    (void)!write(ready[1], &ok, 1);
    _exit(0);
  }
  ASSERT_GT(child, 0);
  close(ready[1]);
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  close(ready[0]);
  ASSERT_EQ(ok, 'y');

  auto db = open();
  auto status = DeployLock::status(*db);
  ASSERT_TRUE(status.has_value() && status->has_value());
  EXPECT_EQ((*status)->session, state::Session::alive);
  EXPECT_EQ(stale_reason(**status, now_, env(1)), "");
  EXPECT_FALSE(DeployLock::acquire(*db, {.deploy_id = "next"}, env(200)).has_value());

  kill(child, SIGKILL);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  // The server notices the closed connection at once, but its backend takes a moment to exit:
  // wait for the lock (the clock is fake; each poll sleeps a little for real).
  on_sleep_ = [] { std::this_thread::sleep_for(20ms); };
  auto next = DeployLock::acquire(*db, {.deploy_id = "next", .wait = 5min}, env(200));
  ASSERT_TRUE(next.has_value()) << next.error().render();
  ASSERT_TRUE(next->acquired().took_over.has_value());
  EXPECT_EQ(next->acquired().took_over->deploy_id, "killed");
  EXPECT_EQ(next->acquired().took_over->host, "laptop-7");
  EXPECT_EQ(next->acquired().stale_reason, "its database session ended");
}

TEST_P(PgLockTest, ATakeoverThisRoleMayNotDoIsRefusedNamingTheHolder) {
  auto db1 = open();  // the superuser's session
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1", .message = "deploy v2", .lease = 10min}, env(100));
  ASSERT_TRUE(first.has_value());
  auto& pg = test::Postgres::instance();
  auto db2 = state::open_url(pg.create_role(url_, "lock_deployer",
                                            "GRANT USAGE ON SCHEMA slipway TO lock_deployer; GRANT SELECT, INSERT, "
                                            "UPDATE, DELETE ON ALL TABLES IN SCHEMA slipway TO lock_deployer"));
  ASSERT_TRUE(db2.has_value()) << db2.error().render();

  now_ += 11min;
  auto second = DeployLock::acquire(**db2, {.deploy_id = "d2"}, env(200));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().exit_code(), ExitCode::findings) << second.error().render();
  EXPECT_NE(second.error().message.find("ci@web-1 (pid 100)"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("lease ran out"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().hint.find("slipway lock release"), std::string::npos) << second.error().hint;
  // Nothing changed: the first deploy still holds it and can renew.
  EXPECT_TRUE(first->renew().has_value());
  pg.exec(url_, "DROP OWNED BY lock_deployer; DROP ROLE lock_deployer");
}

TEST_P(PgLockTest, RenewNoticesTheSessionLockIsGone) {
  auto db1 = open();
  auto first = DeployLock::acquire(*db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  // Someone ends the holder's session behind slipway's back.
  test::Postgres::instance().exec(
      url_,
      "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND objid = 1 "
      "AND objsubid = 2 AND granted");
  EXPECT_FALSE(first->renew().has_value());
  auto db2 = open();
  auto status = DeployLock::status(*db2);
  ASSERT_TRUE(status.has_value() && status->has_value());
  EXPECT_EQ((*status)->session, state::Session::ended);
  EXPECT_EQ(stale_reason(**status, now_, env(1)), "its database session ended");
}

INSTANTIATE_TEST_SUITE_P(Stores, PgLockTest, ::testing::Values(Backend::postgres),
                         [](const auto&) { return "postgres"; });

}  // namespace
}  // namespace slipway::deploy
