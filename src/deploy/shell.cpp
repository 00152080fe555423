#include "deploy/shell.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "core/fs.hpp"

namespace slipway::deploy {

std::string ShellRun::describe(Duration timeout) const {
  if (timed_out) return fmt::format("timed out after {} and was stopped", format_duration(timeout));
  return status.describe();
}

Result<ShellRun> run_shell(const std::string& command, const std::filesystem::path& cwd,
                           const std::map<std::string, std::string>& env, Duration timeout) {
  char path[] = "/tmp/slipway-step-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return fail(Error::environment("cannot create a temporary file for a step's output", "/tmp"));
  ::close(fd);
  const std::filesystem::path log = path;

  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.env = env;
  spec.cwd = cwd;
  spec.output_file = log;
  spec.own_group = true;

  const auto start = std::chrono::steady_clock::now();
  auto child = Process::spawn(spec);
  if (!child) {
    std::filesystem::remove(log);
    return fail(child.error());
  }

  // A watchdog stops the command's whole process group at the timeout: TERM, then KILL.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool timed_out = false;
  std::thread watchdog([&] {
    std::unique_lock lock(m);
    if (cv.wait_for(lock, timeout, [&] { return done; })) return;
    timed_out = true;
    child->kill(SIGTERM);
    if (cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; })) return;
    child->kill(SIGKILL);
  });
  ShellRun run;
  run.status = child->wait();
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  run.timed_out = timed_out;
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  auto text = read_text_file(log);
  run.output = text ? std::move(*text) : std::string();
  std::filesystem::remove(log);
  return run;
}

}  // namespace slipway::deploy
