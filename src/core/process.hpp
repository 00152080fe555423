// Child processes: pg_dump, pg_restore, and later the deploy steps' own commands.
//
// A child is started from an argv (never a shell string), with extra environment variables, and
// each of its standard streams connected one of four ways (Stdio). A caller that streams, such as
// the backup pipeline, takes stdout as a pipe and reads it while a background thread drains
// stderr, so the child never blocks on a full stderr pipe and its last lines are there to quote
// when it fails:
//
//   ProcessSpec spec{.argv = {"pg_dump", "-Fc", "--dbname=..."}, .env = {{"PGPASSWORD", pw}}};
//   spec.out = Stdio::pipe;
//   auto child = Process::spawn(spec);               // Error::environment when pg_dump is missing
//   while ((n = *child->read_stdout(buf, size)) > 0) consume(buf, n);
//   ExitStatus status = child->wait();               // status.ok(), status.describe()
//   if (!status.ok()) report(child->stderr_tail());  // the last 64 KiB it printed
//
// The environment given in the spec is never printed; argv may be (see describe_command()), so
// secrets go through the environment.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway {

// How one of the child's standard streams is connected.
enum class Stdio {
  inherit,  // the parent's own
  null,     // /dev/null
  pipe,     // a pipe the caller writes (stdin) or reads (stdout); for stderr, the same as capture
  capture,  // read by a background thread: stdout whole, stderr its last 64 KiB
};

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0]: a path, or a name looked up in PATH
  std::map<std::string, std::string> env;  // set in the child, over the parent's environment
  std::vector<std::string> unset_env;      // removed from the child's environment
  std::filesystem::path cwd;               // empty: the parent's
  Stdio in = Stdio::null;
  Stdio out = Stdio::capture;
  Stdio err = Stdio::capture;
  // When set, stdout and stderr both append to this file instead (out and err are ignored).
  // Unlike a pipe, a file never keeps the parent waiting on a background grandchild that
  // inherited it: a deploy step that starts a server and exits is done when the step exits.
  std::filesystem::path output_file;
  // The child leads a new process group, and kill() signals the whole group (a shell and what
  // it started), as a timeout needs.
  bool own_group = false;
  // run_process: when set, the child runs in its own group (own_group), and at this time the
  // group gets SIGTERM, then SIGKILL 5 s later; RunOutput::timed_out says so.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct ExitStatus {
  int code = -1;   // the exit code, or -1 when a signal ended the child
  int signal = 0;  // the signal that ended it, or 0

  [[nodiscard]] bool ok() const { return code == 0; }
  // "exited with 1", "killed by signal 9 (Killed)".
  [[nodiscard]] std::string describe() const;
};

class Process {
 public:
  // Starts the child. Fails with an environment error (exit 3) when argv[0] cannot be run.
  static Result<Process> spawn(const ProcessSpec& spec);

  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  // Kills (SIGKILL) and reaps a child that was not waited for.
  ~Process();

  [[nodiscard]] pid_t pid() const;

  // Writes all of `data` to the child's stdin (Stdio::pipe). Returns false, without raising
  // SIGPIPE, when the child has closed its end (it stopped reading, or exited).
  Result<bool> write_stdin(std::string_view data);
  void close_stdin();
  // Reads up to `size` bytes of the child's stdout (Stdio::pipe); 0 at end of stream.
  Result<std::size_t> read_stdout(void* data, std::size_t size);

  // Sends `signal`; does nothing once the child was waited for.
  void kill(int signal = SIGTERM);
  // Closes stdin if still open, waits for the child to exit and for the capture threads.
  ExitStatus wait();
  // wait(), but at `deadline` the child (its group, with own_group) gets SIGTERM, and SIGKILL
  // `grace` later; `timed_out` says whether that happened.
  ExitStatus wait_until(std::chrono::steady_clock::time_point deadline, bool& timed_out,
                        std::chrono::seconds grace = std::chrono::seconds(5));

  // What Stdio::capture collected; complete after wait().
  [[nodiscard]] std::string captured_stdout() const;
  [[nodiscard]] std::string stderr_tail() const;

 private:
  struct Impl;
  explicit Process(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct RunOutput {
  ExitStatus status;
  bool timed_out = false;  // stopped at spec.deadline
  std::string out;
  std::string err;  // the last 64 KiB
};

// Runs `spec` to completion, feeding `input` to stdin when it is Stdio::pipe, and returns what it
// printed (stdout and stderr are captured whatever the spec says).
Result<RunOutput> run_process(ProcessSpec spec, std::string_view input = {});

// "pg_dump -Fc -Z0 --dbname=..." for messages: words with spaces or quotes are single-quoted.
// The result still goes through redact() before it is printed.
std::string describe_command(const std::vector<std::string>& argv);

// The last non-empty line of a child's output, for a one-line error message.
std::string last_line(std::string_view text);

}  // namespace slipway
