// The control socket: how `slipway gate maintenance|read-only|switch|status` talk to a running
// gate. A Unix socket, permission 0600 (only the gate's user may steer it). One request per
// connection: the client writes one JSON object and shuts down its side; the gate answers with
// one JSON object and closes.
//
//   -> {"command":"maintenance","on":true,"message":"Back at 14:00","retry_after":600}
//   <- {"ok":true,"mode":"maintenance",...}
//   <- {"ok":false,"kind":"findings","error":"...","hint":"..."}
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/error.hpp"
#include "core/units.hpp"

namespace slipway::gate {

class ControlServer {
 public:
  using Handler = std::function<std::string(std::string_view request)>;

  // Listens on `path` (its folder is created) and serves requests one at a time on a thread of
  // its own, calling `tick` about twice a second. Fails when another gate already listens there.
  static Result<std::unique_ptr<ControlServer>> start(const std::filesystem::path& path, Handler handler,
                                                      std::function<void()> tick);
  ~ControlServer();  // stops the thread and removes the socket file

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer() = default;
  void serve();

  std::filesystem::path path_;
  Handler handler_;
  std::function<void()> tick_;
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

// Sends `request` to the gate at `path` and returns its answer. An environment error (exit 3)
// when no gate listens there.
Result<std::string> control_call(const std::filesystem::path& path, std::string_view request, Duration timeout);

}  // namespace slipway::gate
