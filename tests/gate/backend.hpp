// A real HTTP/1.1 backend for the gate's black-box tests, on 127.0.0.1 and a port the kernel
// picks. It answers every request with JSON describing what it received, so a test sees what
// the gate forwarded:
//   {"backend":"blue","method":"POST","target":"/x","xff":"127.0.0.1","proto":"http","host":...,"body":3}
// and has a few special paths: /health (200, or 503 when `healthy` is false), /slow?ms=N,
// /chunked (a chunked answer), /big (1 MB), /ws (a WebSocket echo), /stream (a read-until-close
// answer: "first\n", then "second\n" once release_stream is set, or after 10 s), /close-after
// (a keep-alive answer, after which the backend closes the connection without having said so).
#pragma once

#include "server.hpp"  // free_port()

#include <atomic>
#include <memory>
#include <string>

namespace slipway::test {

class Backend {
 public:
  explicit Backend(std::string name);
  ~Backend();  // stops the server and joins its threads
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  [[nodiscard]] unsigned short port() const;
  [[nodiscard]] std::string address() const;  // "127.0.0.1:PORT"

  std::atomic<bool> healthy{true};
  std::atomic<int> requests{0};
  std::atomic<bool> release_stream{false};

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slipway::test
