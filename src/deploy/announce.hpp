// What a deploy tells the channels of [notify]: the event each record announces, as a
// notify::Event (notify/notify.hpp sends it). Pure, so the tests and the docs read it.
//
// PagerDuty gets alerts, not a feed: failure and rollback trigger an alert whose dedup key is
// "slipway-<project>-<deploy id>" (so the rollback of a failed deploy updates the same alert, and
// a failed rollback raises it to critical); success resolves the deploy's own key and those of the
// deploys that failed since the last success (open_alerts()). Start and blocked send nothing to
// PagerDuty.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "deploy/record.hpp"
#include "notify/notify.hpp"

namespace slipway::deploy {

enum class EventKind { start, success, failure, rollback, blocked };
std::string_view to_string(EventKind kind);

// The event a record's status announces: running -> start, succeeded -> success (rollback for a
// record of kind rollback), failed -> failure, rolled-back and rollback-failed -> rollback,
// blocked -> blocked.
EventKind event_for(const DeployRecord& record);

// The deploys whose PagerDuty alert is still open: walking `newest_first` (History::list()),
// skipping `except`, the ids of failed, rolled-back and rollback-failed deploys before the first
// succeeded one.
std::vector<std::string> open_alerts(const std::vector<DeployRecord>& newest_first, std::string_view except = {});

// One line: "loans: v2 deployed (d-20261121-0935, 4min12s)".
std::string event_summary(EventKind kind, std::string_view project, const DeployRecord& record);

// The notification of `kind` for `record`. `resolves`, for a success (and a rollback that
// succeeded): earlier deploy ids whose PagerDuty alerts it resolves, from open_alerts().
notify::Event deploy_event(EventKind kind, std::string_view project, const DeployRecord& record,
                           const std::vector<std::string>& resolves = {});

}  // namespace slipway::deploy
