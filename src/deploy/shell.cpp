#include "deploy/shell.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "core/fs.hpp"

namespace slipway::deploy {

std::string ShellRun::describe() const {
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

  // At the timeout the command's whole process group is stopped: TERM, then KILL.
  ShellRun run;
  bool timed_out = false;
  run.status = child->wait_until(start + timeout, timed_out);
  run.timed_out = timed_out;
  run.timeout = timeout;
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  auto text = read_text_file(log);
  run.output = text ? std::move(*text) : std::string();
  std::filesystem::remove(log);
  return run;
}

}  // namespace slipway::deploy
