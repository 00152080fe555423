// The probes of [[watch.probe]]: each is made once from its config and then run again and again
// by the daemon (or once by `watch check`), answering ok or failed with a short reason and how
// long it took. No probe writes its own network code or checks:
//
//   http      net::HttpClient, then verify's assertions over the response ("status < 400" when
//             the probe lists no conditions); the first one that fails is the reason
//   tcp       net::connect_tcp: a connection within the timeout, closed at once
//   postgres  pg::Connection, kept open between probes and opened again when it dropped, then
//             SELECT 1 (the checklist's "database connection lost")
//
// Every probe is bounded by the probe's timeout (connect, request, query); a name that needs DNS
// is resolved by the system's resolver first.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"

namespace slipway::watch {

struct ProbeResult {
  bool ok = false;
  std::string reason;  // why it failed ("connection refused", "status == 200: found 503"); redacted
  std::chrono::microseconds latency{0};
};

class Probe {
 public:
  virtual ~Probe() = default;
  virtual ProbeResult run() = 0;
};

// The probe `config` describes. Fails (input, at the condition's file:line:col) on a condition
// verify cannot parse, an address that is not host:port, or a postgres probe with no URL at all.
Result<std::unique_ptr<Probe>> make_probe(const WatchProbe& probe, const Config& config);

}  // namespace slipway::watch
