// The WebSocket check: connect to [verify.websocket] url (after its login flow, whose captures
// fill {{...}}), measure ping or echo round trips, judge them with thresholds (default the
// checklist's p(95) < 100ms).
#pragma once

#include "core/env.hpp"
#include "verify/report.hpp"
#include "verify/settings.hpp"
#include "verify/smoke.hpp"

namespace slipway::verify {

// "http://h:1/api" + "/ws/events" -> "ws://h:1/ws/events" (wss for https); ws:// URLs stay.
std::string websocket_url(const std::string& base_url, const std::string& path);

// Adds "websocket-connect" and one "websocket-budget" per threshold. Fails only on bad input.
Result<void> run_websocket_check(const VerifySettings& settings, const Variables& vars, const Environment& env,
                                 const std::string& run_id, Report& report);

}  // namespace slipway::verify
