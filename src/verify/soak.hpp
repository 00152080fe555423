// The soak part: sample the target's memory and its PostgreSQL connections for a long while,
// optionally under a modest load, and fail when either grows beyond a bound. The checklist's
// "no memory leaks after 1 hour, DB connections stable".
//
//   SoakOptions o; o.pid = 1234; o.database_url = "postgresql://..."; o.duration = 1h;
//   auto probes = open_probes(o);          // checks the process exists, connects to the database
//   run_soak(o, *probes, report);          // checks soak-rss-growth, soak-db-connections, soak-load
//
// RSS comes from /proc/PID/statm (by PID, or a PID file re-read every sample so a restart is
// caught), or from a Prometheus metrics URL (process_resident_memory_bytes, or another metric).
// Connections are `count(*) FROM pg_stat_activity WHERE datname = current_database()`, without
// the soak's own. Growth is judged by estimate_growth (growth.hpp): warm-up, then the median of
// the first quarter against the median of the last.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "verify/growth.hpp"
#include "verify/load.hpp"
#include "verify/report.hpp"

namespace slipway::verify {

struct SoakOptions {
  std::chrono::milliseconds duration{3'600'000};
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds warmup{-1};  // -1: a tenth of the duration
  int pid = 0;
  std::string pid_file;
  std::string metrics_url;
  std::string metric = "process_resident_memory_bytes";
  std::string database_url;
  GrowthBound max_rss_growth;  // 20%
  int max_connection_growth = 5;
  std::vector<LoadOptions> load;  // run for the whole soak, one thread each
  net::ClientOptions http;        // for the metrics URL
  bool progress = false;          // a status line on stderr (when it is a terminal)
  std::size_t max_series = 720;   // samples per series in the JSON report; more are averaged
};

// One sampled quantity. `read` fails on a sample that could not be taken; when `final_error`
// is set, it failed for good (the process exited or restarted) and sampling it stops.
struct Probe {
  std::string source;  // "pid 1234", "http://127.0.0.1:9100/metrics process_resident_memory_bytes"
  std::function<Result<double>(bool& final_error)> read;
  explicit operator bool() const { return static_cast<bool>(read); }
};

struct SoakProbes {
  Probe rss;          // bytes
  Probe connections;  // a count
};

// Sets up the probes the options name. Fails (bad input) when they name none, or more than one
// RSS source; (environment) when the process does not exist or the database is unreachable.
Result<SoakProbes> open_probes(const SoakOptions& options);

// Samples every interval for the duration (running the load meanwhile) and adds the checks
// soak-rss-growth, soak-db-connections and soak-load, report.extra()["soak"] with the figures
// and the series, and a text note.
void run_soak(const SoakOptions& options, SoakProbes& probes, Report& report);

// The value of `metric` in Prometheus text exposition format, summed over its label sets.
// Fails (environment) when the metric is absent.
Result<double> prometheus_value(std::string_view text, std::string_view metric);

// The resident set size of `pid` in bytes, from /proc. Fails (environment) when it has exited.
Result<double> process_rss(int pid);

}  // namespace slipway::verify
