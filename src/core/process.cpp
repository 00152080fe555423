#include "core/process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace slipway {

namespace {

constexpr std::size_t kStderrTail = 64 * 1024;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A pipe whose ends are close-on-exec in the parent; posix_spawn's dup2 clears the flag on the
// child's copy.
Result<std::pair<int, int>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(Error::environment(fmt::format("cannot create a pipe: {}", std::strerror(errno))));
  }
  return std::pair{fds[0], fds[1]};
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exited with {}", code);
}

struct Process::Impl {
  pid_t pid = -1;
  bool reaped = false;
  bool own_group = false;  // kill() signals the whole process group
  ExitStatus status;
  int in = -1;   // our end of the child's stdin (Stdio::pipe)
  int out = -1;  // our end of the child's stdout (Stdio::pipe)
  int err = -1;  // our end of the child's stderr (Stdio::pipe)
  std::thread out_thread;
  std::thread err_thread;
  mutable std::mutex mutex;
  std::string out_text;  // guarded by mutex
  std::string err_tail;  // guarded by mutex

  void capture(int fd, bool tail_only) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex);
      std::string& dest = tail_only ? err_tail : out_text;
      dest.append(buf, static_cast<std::size_t>(n));
      if (tail_only && dest.size() > 2 * kStderrTail) dest.erase(0, dest.size() - kStderrTail);
    }
    ::close(fd);
  }

  void join() {
    if (out_thread.joinable()) out_thread.join();
    if (err_thread.joinable()) err_thread.join();
  }

  ~Impl() {
    close_fd(in);
    close_fd(out);
    close_fd(err);
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
    }
    join();
  }
};

Process::Process(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;
Process::~Process() = default;

Result<Process> Process::spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) return fail(Error::input("no program to run"));
  auto impl = std::make_unique<Impl>();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::vector<int> child_ends;  // closed in the parent after the spawn
  const auto cleanup = [&] {
    posix_spawn_file_actions_destroy(&actions);
    for (int fd : child_ends) ::close(fd);
  };

  // Wires child fd `target` as `mode` says; `ours` receives the parent's end of a pipe.
  const auto wire = [&](int target, Stdio mode, int& ours) -> Result<void> {
    switch (mode) {
      case Stdio::inherit: return {};
      case Stdio::null:
        posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
        return {};
      case Stdio::pipe:
      case Stdio::capture: {
        auto p = make_pipe();
        if (!p) return fail(p.error());
        const auto [read_end, write_end] = *p;
        const int child = target == 0 ? read_end : write_end;
        ours = target == 0 ? write_end : read_end;
        child_ends.push_back(child);
        posix_spawn_file_actions_adddup2(&actions, child, target);
        return {};
      }
    }
    return {};
  };
  const bool to_file = !spec.output_file.empty();
  for (auto [target, mode, ours] :
       {std::tuple{0, spec.in, &impl->in}, std::tuple{1, spec.out, &impl->out}, std::tuple{2, spec.err, &impl->err}}) {
    if (to_file && target > 0) continue;
    if (auto w = wire(target, mode, *ours); !w) {
      cleanup();
      return fail(w.error());
    }
  }
  if (to_file) {
    posix_spawn_file_actions_addopen(&actions, 1, spec.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (spec.own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  impl->own_group = spec.own_group;
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());

  // The environment: the parent's, minus unset_env, with spec.env over it.
  std::vector<std::string> env_strings;
  std::set<std::string> replaced(spec.unset_env.begin(), spec.unset_env.end());
  for (const auto& [k, v] : spec.env) replaced.insert(k);
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const std::string key(entry.substr(0, entry.find('=')));
    if (!replaced.contains(key)) env_strings.emplace_back(entry);
  }
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const int rc = ::posix_spawnp(&impl->pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  cleanup();
  if (rc != 0) {
    impl->pid = -1;
    return fail(Error::environment(fmt::format("cannot run {}: {}", spec.argv[0], std::strerror(rc)), "",
                                   rc == ENOENT ? "install it, or check PATH" : ""));
  }
  Impl* raw = impl.get();
  if (spec.out == Stdio::capture && !to_file) {
    const int fd = std::exchange(impl->out, -1);
    impl->out_thread = std::thread([raw, fd] { raw->capture(fd, false); });
  }
  if ((spec.err == Stdio::capture || spec.err == Stdio::pipe) && !to_file) {
    const int fd = std::exchange(impl->err, -1);
    impl->err_thread = std::thread([raw, fd] { raw->capture(fd, true); });
  }
  return Process(std::move(impl));
}

pid_t Process::pid() const {
  return impl_->pid;
}

Result<bool> Process::write_stdin(std::string_view data) {
  if (impl_->in < 0) return false;
  // Block SIGPIPE for this thread while writing, and swallow one that the write raised, so a
  // child that stops reading is an EPIPE here rather than the end of slipway.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool open = true;
  int error = 0;
  while (!data.empty()) {
    const ssize_t n = ::write(impl_->in, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        open = false;
      } else {
        error = errno;
      }
      break;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (!open) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_set, nullptr, &zero);
    }
    close_fd(impl_->in);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  if (error != 0) return fail(Error::environment(fmt::format("cannot write to a child: {}", std::strerror(error))));
  return open;
}

void Process::close_stdin() {
  close_fd(impl_->in);
}

Result<std::size_t> Process::read_stdout(void* data, std::size_t size) {
  if (impl_->out < 0) return std::size_t{0};
  for (;;) {
    const ssize_t n = ::read(impl_->out, data, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) {
      return fail(Error::environment(fmt::format("cannot read from a child: {}", std::strerror(errno))));
    }
  }
}

void Process::kill(int signal) {
  if (impl_->pid > 0 && !impl_->reaped) ::kill(impl_->own_group ? -impl_->pid : impl_->pid, signal);
}

ExitStatus Process::wait() {
  Impl& p = *impl_;
  close_fd(p.in);
  if (p.pid > 0 && !p.reaped) {
    int st = 0;
    while (::waitpid(p.pid, &st, 0) < 0) {
      if (errno != EINTR) break;
    }
    p.reaped = true;
    if (WIFEXITED(st)) {
      p.status = {WEXITSTATUS(st), 0};
    } else if (WIFSIGNALED(st)) {
      p.status = {-1, WTERMSIG(st)};
    }
  }
  close_fd(p.out);
  close_fd(p.err);
  p.join();
  return p.status;
}

std::string Process::captured_stdout() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->out_text;
}

std::string Process::stderr_tail() const {
  std::lock_guard lock(impl_->mutex);
  const std::string& t = impl_->err_tail;
  return t.size() > kStderrTail ? t.substr(t.size() - kStderrTail) : t;
}

ExitStatus Process::wait_until(std::chrono::steady_clock::time_point deadline, bool& timed_out,
                               std::chrono::seconds grace) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  timed_out = false;
  std::thread watchdog([&] {
    std::unique_lock lock(m);
    if (cv.wait_until(lock, deadline, [&] { return done; })) return;
    timed_out = true;
    kill(SIGTERM);
    if (cv.wait_for(lock, grace, [&] { return done; })) return;
    kill(SIGKILL);
  });
  ExitStatus status = wait();
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_all();
  watchdog.join();
  return status;
}

Result<RunOutput> run_process(ProcessSpec spec, std::string_view input) {
  spec.out = Stdio::capture;
  spec.err = Stdio::capture;
  if (spec.deadline) spec.own_group = true;
  auto child = Process::spawn(spec);
  if (!child) return fail(child.error());
  if (spec.in == Stdio::pipe) {
    auto w = child->write_stdin(input);
    if (!w) return fail(w.error());
  }
  RunOutput out;
  out.status = spec.deadline ? child->wait_until(*spec.deadline, out.timed_out) : child->wait();
  out.out = child->captured_stdout();
  out.err = child->stderr_tail();
  return out;
}

std::string describe_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    if (a.find_first_of(" \t'\"\\$") == std::string::npos && !a.empty()) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  const std::size_t nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

}  // namespace slipway
