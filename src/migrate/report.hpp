// What `slipway migrate status | plan | apply` print, for people (text) and for scripts (JSON).
// The JSON shapes are documented in docs/commands/migrate.md and are part of the public contract.
#pragma once

#include <string>

#include "core/output.hpp"
#include "migrate/apply.hpp"
#include "migrate/plan.hpp"
#include "migrate/status.hpp"

namespace slipway::migrate {

std::string render_status(const Status& status, Format format, const Style& style);
// `file` is where the plan was written.
std::string render_plan(const Status& status, const Plan& plan, const pg::LiveSchema* live, const std::string& file,
                        Format format, const Style& style);
std::string render_apply(const ApplyReport& report, Format format, const Style& style);

}  // namespace slipway::migrate
