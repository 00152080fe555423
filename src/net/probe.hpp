// Small blocking network helpers for the control path (not the proxy's hot path): parsing
// "host:port", connecting with a timeout, and probing a health URL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/units.hpp"

namespace slipway::net {

struct HostPort {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};

// "127.0.0.1:3000", "[::1]:3000", "app:3000". Fails with a hint on anything else.
Result<HostPort> parse_host_port(std::string_view text);

// Connects to `address` within `timeout` (the name is resolved first, with the system's resolver):
// the connected socket, non-blocking and close-on-exec, which the caller closes; or an
// environment error ("connection refused", "connect timed out") naming host:port.
Result<int> connect_tcp(const HostPort& address, Duration timeout);

// Sends `GET path` to `address` with `Connection: close` and returns the response's status
// code, or an environment error (refused, timed out, not HTTP) within `timeout`.
Result<int> http_status(const HostPort& address, std::string_view path, Duration timeout);

}  // namespace slipway::net
