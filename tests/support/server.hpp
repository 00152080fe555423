// Real servers for tests: nginx with a config written by the test, or any program that prints
// "ready PORT" (bench/stall_server.js). Each listens on 127.0.0.1 on a port chosen at run time
// and is stopped when the object is destroyed.
#pragma once

#include <sys/types.h>
#include <functional>
#include <string>
#include <vector>

namespace slipway::test {

// A TCP port free on 127.0.0.1 right now (bound to port 0, then released).
int free_port();
// Waits until 127.0.0.1:port accepts a connection; false after `seconds`.
bool wait_for_port(int port, double seconds = 10);

class Nginx {
 public:
  // Starts nginx in a fresh temporary directory. `http_block` is the text inside http { };
  // "@DIR@" in it becomes that directory and "@PORT0@", "@PORT1@", ... free ports. Fails the
  // test (throws) when nginx is missing or does not start.
  // `prepare(dir)` runs before nginx starts, to write certificates and files it needs.
  Nginx(std::string http_block, int ports = 1, const std::function<void(const std::string&)>& prepare = {});
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  [[nodiscard]] int port(int i = 0) const { return ports_.at(static_cast<std::size_t>(i)); }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<int> ports_;
  pid_t pid_ = -1;
};

// A child process that prints "ready PORT" on stdout when it listens (a program that does not
// listen prints "ready 0" when it has started).
class ChildServer {
 public:
  explicit ChildServer(const std::vector<std::string>& argv);
  ~ChildServer();
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace slipway::test
