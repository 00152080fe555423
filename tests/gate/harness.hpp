// Drives a real `slipway gate run` process in the gate's black-box tests: writes its
// slipway.toml in a temporary folder, starts and stops it, and talks HTTP, raw bytes and
// WebSocket to it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"

namespace slipway::test {

struct Reply {
  int status = -1;  // -1: the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};
using Headers = std::vector<std::pair<std::string, std::string>>;

// One request on a fresh connection.
Reply fetch(unsigned short port, const std::string& method, const std::string& target, const Headers& headers = {},
            const std::string& body = {});

// A keep-alive connection for request loops.
class Client {
 public:
  explicit Client(unsigned short port);
  ~Client();
  Reply fetch(const std::string& method, const std::string& target);

 private:
  struct Impl;
  Impl* impl_;
};

// Writes `bytes`, then reads until the gate closes the connection (at most 5 s).
std::string raw_exchange(unsigned short port, const std::string& bytes);

// A raw connection, for answers read as they arrive. Reads wait at most 10 s.
class RawConnection {
 public:
  explicit RawConnection(unsigned short port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  void send(const std::string& bytes);
  // Reads until `text` has arrived, the connection closes or 10 s pass; returns all read so far.
  const std::string& read_until(const std::string& text);
  const std::string& read_to_close();
  // Sends `bytes` and half-closes, the end of file in the same TCP segment as the bytes (with
  // TCP_CORK): the gate cannot read the one without the other.
  void send_last(const std::string& bytes);
  [[nodiscard]] bool closed() const { return closed_; }  // the gate closed the connection

 private:
  int fd_ = -1;
  std::string got_;
  bool closed_ = false;
};

// Opens a WebSocket to `target` through the gate, sends each message and returns the echoes.
std::vector<std::string> websocket_echo(unsigned short port, const std::string& target,
                                        const std::vector<std::string>& messages);

class GateProcess {
 public:
  // `gate_toml` lines go in [gate]; `admin_toml` lines in [gate.admin].
  GateProcess(const std::string& upstream, const std::string& gate_toml = "", const std::string& admin_toml = "");
  ~GateProcess();  // stops the gate and removes its folder

  void start();  // returns once the gate accepts connections
  int stop();    // SIGTERM, then its exit code
  void signal(int sig) const;
  // `slipway gate <args> --config <its slipway.toml>`.
  RunResult ctl(const std::vector<std::string>& args) const;
  [[nodiscard]] std::string file(const std::string& relative) const;  // a file in its folder, or ""
  void write(const std::string& relative, const std::string& text) const;

  unsigned short port = 0;
  unsigned short admin_port = 0;
  std::string dir;
  std::string config;

 private:
  int pid_ = -1;
};

}  // namespace slipway::test
