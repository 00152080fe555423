// The gate's network side: the HTTP/1.1 reverse proxy, its upstream connection pools, WebSocket
// tunnels, and the admin listener (/health, /metrics). Boost.Beast stays inside proxy.cpp and
// http.cpp; nothing else includes it.
#pragma once

#include <functional>
#include <string_view>

#include "core/error.hpp"
#include "gate/gate.hpp"

namespace slipway::gate {

// How many proxy threads gate.threads asks for (0 = one per core).
std::size_t proxy_threads(const GateConfig& config);

// Listens on gate.listen and gate.admin_listen and serves until SIGINT or SIGTERM, then lets
// in-flight requests finish (up to gate.drain_timeout) and returns. `ready` is called once
// both listeners are bound. Fails when an address cannot be bound.
Result<void> serve(Gate& gate, const std::function<void()>& ready);

// Whether reads take the fast path that skips the speculative recv (readiness.hpp): compiled in
// for Boost 1.81's epoll reactor, off with SLIPWAY_GATE_PORTABLE_READINESS=1.
bool fast_reads();

}  // namespace slipway::gate
