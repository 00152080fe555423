// The child-process runner: argv without a shell, environment, pipes, exit status, stderr tail.
#include "core/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace slipway {
namespace {

TEST(Process, RunsArgvWithoutAShellAndCapturesOutput) {
  auto r = run_process({.argv = {"printf", "%s|%s", "a b", "$HOME"}});
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->out, "a b|$HOME");  // no word splitting, no expansion
}

TEST(Process, PassesAndRemovesEnvironmentVariables) {
  ::setenv("SLIPWAY_PROCESS_TEST_GONE", "x", 1);
  ProcessSpec spec{.argv = {"sh", "-c", "echo \"$SLIPWAY_A|${SLIPWAY_PROCESS_TEST_GONE:-unset}\""}};
  spec.env = {{"SLIPWAY_A", "secret value"}};
  spec.unset_env = {"SLIPWAY_PROCESS_TEST_GONE"};
  auto r = run_process(spec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "secret value|unset\n");
}

TEST(Process, ReportsExitCodesSignalsAndTheStderrTail) {
  auto r = run_process({.argv = {"sh", "-c", "echo first >&2; echo 'last line' >&2; exit 7"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status.code, 7);
  EXPECT_EQ(r->status.describe(), "exited with 7");
  EXPECT_EQ(last_line(r->err), "last line");

  auto killed = run_process({.argv = {"sh", "-c", "kill -9 $$"}});
  ASSERT_TRUE(killed.has_value());
  EXPECT_FALSE(killed->status.ok());
  EXPECT_EQ(killed->status.signal, 9);
}

// Regression: a deploy phase had no deadline, and a hung child (with what it started) kept the
// deploy waiting forever.
TEST(Process, ADeadlineStopsTheChildAndWhatItStarted) {
  char path[] = "/tmp/slipway-deadline-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ProcessSpec spec{.argv = {"sh", "-c", std::string("sleep 30 & echo $! > ") + path + "; wait"}};
  spec.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  auto r = run_process(spec);
  ASSERT_TRUE(r.has_value()) << r.error().render();
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->status.ok());
  std::ifstream in(path);
  pid_t grandchild = 0;
  in >> grandchild;
  std::filesystem::remove(path);
  ASSERT_GT(grandchild, 0);
  // Gone, or a zombie waiting for init: not sleeping on (bounded wait for the reaper).
  const auto alive = [&] {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
  };
  for (int i = 0; i < 100 && alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(alive());

  auto quick = run_process({.argv = {"true"}, .deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30)});
  ASSERT_TRUE(quick.has_value());
  EXPECT_FALSE(quick->timed_out);
  EXPECT_TRUE(quick->status.ok());
}

TEST(Process, KeepsOnlyTheTailOfAHugeStderr) {
  auto r = run_process({.argv = {"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo end >&2"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_LE(r->err.size(), 64u * 1024);
  EXPECT_EQ(last_line(r->err).substr(last_line(r->err).size() - 3), "end");
}

TEST(Process, StreamsStdinAndStdout) {
  ProcessSpec spec{.argv = {"tr", "a-z", "A-Z"}, .in = Stdio::pipe, .out = Stdio::pipe};
  auto child = Process::spawn(spec);
  ASSERT_TRUE(child.has_value());
  ASSERT_TRUE(*child->write_stdin("hello pipes"));
  child->close_stdin();
  std::string out;
  char buf[64];
  for (;;) {
    auto n = child->read_stdout(buf, sizeof buf);
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  EXPECT_TRUE(child->wait().ok());
  EXPECT_EQ(out, "HELLO PIPES");
}

TEST(Process, WritingToAChildThatStoppedReadingIsFalseNotSigpipe) {
  auto child = Process::spawn({.argv = {"head", "-c", "1"}, .in = Stdio::pipe});
  ASSERT_TRUE(child.has_value());
  const std::string block(1 << 20, 'x');
  bool open = true;
  for (int i = 0; i < 64 && open; ++i) {
    auto w = child->write_stdin(block);
    ASSERT_TRUE(w.has_value());
    open = *w;
  }
  EXPECT_FALSE(open);
  EXPECT_TRUE(child->wait().ok());
}

TEST(Process, AMissingProgramIsAnEnvironmentError) {
  auto r = Process::spawn({.argv = {"slipway-no-such-program"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::environment);
  EXPECT_NE(r.error().message.find("slipway-no-such-program"), std::string::npos);
}

TEST(Process, DescribeCommandQuotesWordsWithSpaces) {
  EXPECT_EQ(describe_command({"pg_dump", "-Fc", "--dbname=host='x' port=5"}),
            "pg_dump -Fc '--dbname=host='\\''x'\\'' port=5'");
}

}  // namespace
}  // namespace slipway
