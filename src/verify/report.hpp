// The verdict of `slipway verify`: every part (smoke, integrity, perf, security, websocket)
// appends checks to one report::Report (core/report.hpp), which the command renders once. A
// check's id is a stable kebab-case name documented in docs/commands/verify.md ("smoke-assert",
// "tls-protocol", "header-hsts"); its subject says which instance it is about ("admin login > GET
// /api/me", "table loans", "TLSv1.0").
#pragma once

#include <cstdint>

#include "core/report.hpp"

namespace slipway::verify {

// verify's report is a report::Report("verify", "part"), the default.
using report::Check;
using report::Report;
using report::Status;

// `slipway verify integrity --snapshot` names the snapshot it saved in its report ("snapshot_id"),
// which a deploy compares against after the release.
inline void set_snapshot_id(Report& report, std::int64_t id) {
  report.extra()["snapshot_id"] = id;
}
// The snapshot a report names, or 0.
inline std::int64_t snapshot_id(const Report& report) {
  const auto* id = report.extra().if_contains("snapshot_id");
  return id && id->is_int64() ? id->as_int64() : 0;
}

}  // namespace slipway::verify
