#include "deploy/lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "state/store.hpp"

namespace slipway::deploy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DeployLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fs::path("slipway-lock-" + std::to_string(getpid()) + "-" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = dir_ / "state.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A separate handle on the same file, as a second slipway process would have.
  sqlite::Database open() {
    auto db = state::open_file(path_);
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().render());
    return std::move(*db);
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

  fs::path dir_;
  fs::path path_;
  TimePoint now_ = TimePoint(std::chrono::seconds(1'800'000'000));
  std::function<void()> on_sleep_;
};

TEST_F(DeployLockTest, SecondAcquirerIsRefusedWithTheHolderNamed) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(db1, {.deploy_id = "d1", .message = "deploy v2"}, env(100));
  ASSERT_TRUE(first.has_value()) << first.error().render();
  EXPECT_FALSE(first->acquired().took_over.has_value());

  auto second = DeployLock::acquire(db2, {.deploy_id = "d2"}, env(200));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().exit_code(), ExitCode::findings);
  EXPECT_NE(second.error().message.find("ci@web-1 (pid 100)"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("deploy v2"), std::string::npos);

  auto held = DeployLock::status(db2);
  ASSERT_TRUE(held.has_value());
  ASSERT_TRUE(held->has_value());
  EXPECT_EQ((*held)->deploy_id, "d1");
}

TEST_F(DeployLockTest, WaitingGetsTheLockWhenItIsReleased) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  int sleeps = 0;
  on_sleep_ = [&] {
    if (++sleeps == 3) {
      ASSERT_TRUE(first->release().has_value());
    }
  };
  auto second = DeployLock::acquire(db2, {.deploy_id = "d2", .wait = 1min}, env(200));
  ASSERT_TRUE(second.has_value()) << second.error().render();
  EXPECT_EQ(sleeps, 3);
  EXPECT_EQ(second->acquired().info.deploy_id, "d2");
}

TEST_F(DeployLockTest, WaitingGivesUpAtTheDeadline) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(db1, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  const auto start = now_;
  auto second = DeployLock::acquire(db2, {.deploy_id = "d2", .wait = 5s}, env(200));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(now_ - start, 5s);
  EXPECT_NE(second.error().hint.find("--lock-wait"), std::string::npos);
}

TEST_F(DeployLockTest, AnExpiredLeaseIsTakenOver) {
  auto db1 = open();
  auto db2 = open();
  auto first = DeployLock::acquire(db1, {.deploy_id = "d1", .lease = 10min}, env(100));
  ASSERT_TRUE(first.has_value());
  now_ += 9min;
  EXPECT_FALSE(DeployLock::acquire(db2, {.deploy_id = "d2"}, env(200)).has_value());
  ASSERT_TRUE(first->renew().has_value());  // renewing moves the lease to now + 10 min
  now_ += 9min;
  EXPECT_FALSE(DeployLock::acquire(db2, {.deploy_id = "d2"}, env(200)).has_value());
  now_ += 2min;
  auto second = DeployLock::acquire(db2, {.deploy_id = "d2"}, env(200));
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->acquired().took_over.has_value());
  EXPECT_EQ(second->acquired().took_over->deploy_id, "d1");
  EXPECT_NE(second->acquired().stale_reason.find("lease ran out 1min"), std::string::npos)
      << second->acquired().stale_reason;

  // The old holder learns that it lost the lock, and its release leaves the new holder alone.
  auto renewed = first->renew();
  ASSERT_FALSE(renewed.has_value());
  EXPECT_NE(renewed.error().message.find("taken over"), std::string::npos);
  ASSERT_TRUE(first->release().has_value());
  auto held = DeployLock::status(db2);
  ASSERT_TRUE(held.has_value() && held->has_value());
  EXPECT_EQ((*held)->deploy_id, "d2");
}

TEST_F(DeployLockTest, AHolderWhoseProcessDiedIsStale) {
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
  auto crashed = DeployLock::acquire(db1, {.deploy_id = "crashed", .lease = 1h}, dead);
  ASSERT_TRUE(crashed.has_value());

  LockEnvironment me = env(static_cast<int>(getpid()));
  me.alive = nullptr;
  me.host.clear();
  auto second = DeployLock::acquire(db2, {.deploy_id = "next"}, me);
  ASSERT_TRUE(second.has_value()) << second.error().render();
  ASSERT_TRUE(second->acquired().took_over.has_value());
  EXPECT_EQ(second->acquired().took_over->deploy_id, "crashed");
  EXPECT_NE(second->acquired().stale_reason.find("no longer running"), std::string::npos);
}

TEST_F(DeployLockTest, ForceReleaseRemovesWhateverIsHeld) {
  auto db = open();
  auto first = DeployLock::acquire(db, {.deploy_id = "d1"}, env(100));
  ASSERT_TRUE(first.has_value());
  auto removed = DeployLock::force_release(db);
  ASSERT_TRUE(removed.has_value() && removed->has_value());
  EXPECT_EQ((*removed)->deploy_id, "d1");
  auto none = DeployLock::status(db);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace slipway::deploy
