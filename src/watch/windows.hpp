// Windows: spans in which watch keeps probing and recording but sends nothing for the probes they
// cover, and at whose close it says once what changed (alert.hpp's announce()). They are rows of
// the state store (state::WindowRow), so whoever shares the store opens them:
//
//   kind          opened by                           covers                       closed by
//   deploy        slipway deploy, as it starts       the probes with deploy_window  the deploy, as it ends
//   maintenance   slipway gate maintenance on        the probes with deploy_window  gate maintenance off
//   silence       slipway watch silence --for 30m    --probe NAME..., else all      watch silence --end
//
// Every window expires by itself: a deploy's and the gate's after watch.window_max (2 h), a
// silence after its --for. A deploy's or the gate's that expired before it was closed is worth a
// word (whatever opened it died): the leader sends "window-closed" once.
#pragma once

#include <string>

#include "core/config.hpp"
#include "state/store.hpp"

namespace slipway::watch {

// Whether `window` holds back the notices of `probe`.
bool covers(const state::WindowRow& window, const WatchProbe& probe);

// "deploy d-20261208-0301's window", "the gate's maintenance window", "a silence by ops@host (db upgrade)".
std::string describe(const state::WindowRow& window);

}  // namespace slipway::watch
