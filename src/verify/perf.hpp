// The perf part: load runs against endpoints, judged by budgets in k6's threshold syntax.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "verify/load.hpp"
#include "verify/report.hpp"
#include "verify/threshold.hpp"

namespace slipway::verify {

struct PerfTarget {
  std::string name;  // "health", or the URL for an ad hoc run
  LoadOptions load;
  std::vector<Threshold> thresholds;
};

// Runs each target in turn and adds to `report`: a "perf-run" check per target (fail when no
// response came back, warn on errors) and a "perf-budget" check per threshold. The
// measurements go to report.extra()["perf"] as [{"name","url","model",...,"requests","rps",
// "errors","latency_ms":{"p50","p95","p99","max",...}}], and a summary table to the text notes.
// Fails only on bad input (a bad URL); an unreachable target is a failed check.
Result<void> run_perf(std::vector<PerfTarget> targets, Report& report, bool progress);

// The JSON measurements of one run.
boost::json::object perf_json(const PerfTarget& target, const LoadResult& result);

}  // namespace slipway::verify
