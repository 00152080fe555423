// What the tests of the real `slipway watch run` share: the daemon in the background, a bounded
// wait, and the events a webhook sink received.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "deploy/sinks.hpp"
#include "net/http_server.hpp"
#include "process.hpp"

namespace slipway {

using namespace std::chrono_literals;

// `slipway watch run` in the background, its output in a file; stopped with SIGTERM.
class WatchDaemon {
 public:
  explicit WatchDaemon(const std::filesystem::path& dir, const std::string& log = "watch.log") : log_(dir / log) {
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(dir.c_str()) != 0) _exit(127);
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      const std::string bin = test::slipway_binary();
      execl(bin.c_str(), bin.c_str(), "watch", "run", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~WatchDaemon() {
    if (pid_ > 0) stop();
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int sig) const { ::kill(pid_, sig); }
  [[nodiscard]] bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  // kill -9, as a crash or an OOM kill would.
  void kill9() {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // SIGTERM, then at most 10 s for it to exit (SIGKILL after): its exit code, or -1.
  int stop() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  [[nodiscard]] std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// The backend's /health: up while it exists, refused once destroyed.
inline std::unique_ptr<net::HttpServer> start_backend(int port) {
  auto server = net::HttpServer::start("127.0.0.1:" + std::to_string(port), "backend", [](const auto&) {
    return net::ServerAnswer{200, "application/json", R"({"status":"ok"})"};
  });
  EXPECT_TRUE(server) << server.error().render();
  return server ? std::move(*server) : nullptr;
}

// Polls `done` every 50 ms, at most `tries` times.
inline bool eventually(const std::function<bool()>& done, int tries = 300) {
  for (int i = 0; i < tries; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

inline std::vector<boost::json::object> events(const test::HttpSink& sink, std::string_view kind) {
  std::vector<boost::json::object> out;
  for (const auto& r : sink.requests()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (!ec && v.is_object() && v.as_object().contains("event") && v.as_object().at("event").is_string() &&
        v.as_object().at("event").get_string() == kind)
      out.push_back(v.as_object());
  }
  return out;
}

}  // namespace slipway
