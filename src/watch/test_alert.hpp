// `slipway watch test-alert`: a clearly marked test notification through each configured channel
// of [notify], one channel at a time, so that each message names the channel it came through:
//
//   test alert from slipway watch on web-1: if you can read this, slack works
//
// It goes straight to the channels: not through the outbox, and no alert state changes. On
// PagerDuty the test incident (dedup key slipway-<project>-watch-test-alert) is triggered and
// then resolved at once, so nobody has to close it by hand.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "notify/notify.hpp"

namespace slipway::watch {

// Sends the test alert through `channel` (empty: every configured one), as critical or not; one
// Delivery per channel. Fails (input) when no channel is configured or `channel` is not one of
// them.
Result<std::vector<notify::Delivery>> send_test_alert(const Config& config, const std::string& channel, bool critical,
                                                      const notify::NotifyOptions& options = {});

}  // namespace slipway::watch
