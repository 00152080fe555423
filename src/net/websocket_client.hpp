// A WebSocket check: connect (ws:// or wss://), then measure round trips, either ping frames
// answered by pongs (every RFC 6455 server does that) or a text message echoed back.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "net/http_client.hpp"

namespace slipway::net {

struct WebSocketRun {
  std::chrono::microseconds connect{0};                // TCP + TLS + upgrade
  std::vector<std::chrono::microseconds> round_trips;  // one per ping (or echo)
  std::string first_message;                           // what the server sent first, if anything
};

// Connects to `url` and measures `count` round trips; `echo` empty means ping frames. Fails
// (environment) when the upgrade is refused (naming the status) or a round trip times out.
Result<WebSocketRun> websocket_round_trips(const std::string& url, int count, const std::string& echo,
                                           const ClientOptions& options);

}  // namespace slipway::net
