// The probes of [[watch.probe]]: each is made once from its config and then run again and again
// by the daemon (or once by `watch check`), answering ok or failed with a short reason, how long
// it took and what it measured. No probe writes its own network code or checks:
//
//   http      net::HttpClient, then verify's assertions over the response ("status < 400" when
//             the probe lists no conditions); the first one that fails is the reason; with
//             cert_days on an https URL, also the days left on the certificate it was served
//   tcp       net::connect_tcp: a connection within the timeout, closed at once
//   tls       net::check_certificate: one verifying handshake; chain, host name, days left
//   postgres  pg::Connection, kept open between probes and opened again when it dropped, then
//             SELECT 1 (the checklist's "database connection lost")
//   sql       the same kept connection; one read-only SELECT whose one number must keep the
//             condition ("value < 5": failed logins in the last 5 minutes)
//   host      CPU busy share (/proc/stat deltas), memory in use (/proc/meminfo), disk in use
//             (statvfs) above a percent; disk also forecasts when it will be full (host_probe.hpp)
//   metrics   a Prometheus endpoint's request counter and latency histogram, judged over a
//             window of scrapes (request_window.hpp): error rate and p50/p95/p99
//
// Every probe is bounded by the probe's timeout (connect, request, query); a name that needs DNS
// is resolved by the system's resolver first.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::watch {

struct ProbeResult {
  bool ok = false;
  std::string reason;  // why it failed ("connection refused", "status == 200: found 503"); redacted
  std::chrono::microseconds latency{0};
  // What the probe measured, for `watch check`, /metrics and the post-deploy comparison:
  // {"error_rate", 0.031}, {"p95_seconds", 0.12}, {"requests", 412}, {"percent", 83.5}, {"value", 12}.
  std::vector<std::pair<std::string, double>> values;
  // A passing probe's remark: "12 requests in the window, fewer than min_requests = 20".
  std::string note;
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual ProbeResult run() = 0;
  // Forgets what earlier runs measured over a window (the metrics probe's scrapes), so that the
  // next results cover only what comes after: a deploy's end. Most probes measure nothing over time.
  virtual void restart_window() {}
};

// The probe `config` describes. Fails (input, at the key's file:line:col) on a condition verify
// cannot parse, an address that is not host:port, a bad URL, or a postgres or sql probe with no
// database URL at all.
Result<std::unique_ptr<Probe>> make_probe(const WatchProbe& probe, const Config& config);

}  // namespace slipway::watch
