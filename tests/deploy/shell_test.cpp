#include "deploy/shell.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "core/fs.hpp"

namespace slipway::deploy {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(Shell, RunsInTheFolderWithTheHookVariables) {
  const fs::path dir = fs::temp_directory_path() / ("slipway-shell-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto r = run_shell("pwd; echo \"$SLIPWAY_VERSION\" >&2; exit 3", dir, {{"SLIPWAY_VERSION", "v2"}}, 10s);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->status.code, 3);
  EXPECT_EQ(r->output, fs::canonical(dir).string() + "\nv2\n");
  EXPECT_EQ(r->describe(), "exited with 3");
  fs::remove_all(dir);
}

TEST(Shell, ATimeoutStopsTheCommandAndWhatItStarted) {
  const fs::path pid_file = fs::temp_directory_path() / ("slipway-shell-pid-" + std::to_string(getpid()));
  auto r = run_shell("sleep 30 & echo $! > " + pid_file.string() + "; wait", {}, {}, 300ms);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->describe().find("timed out after 300ms"), std::string::npos);
  auto pid = read_text_file(pid_file);
  ASSERT_TRUE(pid.has_value());
  // The background sleep was in the step's process group, so it was stopped too.
  const int sleeper = std::stoi(*pid);
  for (int i = 0; i < 100 && ::kill(sleeper, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_NE(::kill(sleeper, 0), 0);
  fs::remove(pid_file);
}

TEST(Shell, ABackgroundServerDoesNotKeepTheStepRunning) {
  // A release step that starts a daemon and exits: the step is done when the shell is.
  const fs::path pid_file = fs::temp_directory_path() / ("slipway-shell-daemon-" + std::to_string(getpid()));
  auto r = run_shell("(sleep 30; echo late) & echo $! > " + pid_file.string() + "; echo started", {}, {}, 20s);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ok());  // not timed out: the shell's exit ended the step
  EXPECT_EQ(r->output, "started\n");
  auto pid = read_text_file(pid_file);
  ASSERT_TRUE(pid.has_value());
  ::kill(std::stoi(*pid), SIGKILL);
  fs::remove(pid_file);
}

}  // namespace
}  // namespace slipway::deploy
