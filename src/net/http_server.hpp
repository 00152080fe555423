// A small HTTP/1.1 server for a daemon's own endpoints: the gate's admin listener (/health,
// Prometheus /metrics), and watch's. It answers from a handler, one request at a time per
// connection, on a thread of its own, so a slow scrape never waits on the daemon's work and the
// daemon's work never waits on a scrape.
//
// Limits: a 16 KB header, a 64 KB body, 30 s per read or write (a client that sends nothing is
// dropped), keep-alive when the client asks. Beast stays in http_server.cpp; this header is plain.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace slipway::net {

struct ServerRequest {
  std::string_view method;
  std::string_view target;  // as sent: path and query
  std::string_view path;    // the target without its query
};

struct ServerAnswer {
  unsigned status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<ServerAnswer(const ServerRequest&)>;

  // Listens on `listen` ("127.0.0.1:9090") and serves with `handler` until
  // destroyed or closed. `key` names the setting in errors ("gate.admin_listen"): bad input for
  // an address that is not IP:port, an environment error when the port cannot be had.
  static Result<std::unique_ptr<HttpServer>> start(std::string_view listen, std::string_view key, Handler handler);
  ~HttpServer();  // closes and joins the thread

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port it listens on; 0 once closed.
  [[nodiscard]] std::uint16_t port() const;
  // Stops accepting; answers in progress finish. Safe from any thread.
  void close();

  struct State;

 private:
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace slipway::net
