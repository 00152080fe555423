// Inside watch: what the probe kinds share, and the makers make_probe() (probe.cpp) dispatches
// to, one file per kind (tls_probe.cpp, sql_probe.cpp, host_probe.cpp, metrics_probe.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "net/http_client.hpp"
#include "net/probe.hpp"
#include "pg/connection.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {

using Steady = std::chrono::steady_clock;

std::chrono::microseconds since(Steady::time_point start);
// A failed result, its reason redacted, timed from `start`.
ProbeResult failed(std::string reason, Steady::time_point start);

// "where: message" of an error, for a reason.
std::string one_line(const Error& e);

// One pg::Connection kept between probes (postgres, sql): opened on first use and again after
// drop(), which a probe calls when a query failed in a way that may have broken it.
class KeptConnection {
 public:
  KeptConnection(std::string url, Duration timeout) : url_(std::move(url)), timeout_(timeout) {}
  // The open connection, or why it could not be opened.
  Result<pg::Connection*> get();
  void drop() { connection_.reset(); }

 private:
  std::string url_;
  Duration timeout_;
  std::optional<pg::Connection> connection_;
};

// The probe's address as host:port; fails (input, at the key) when it is not one.
Result<net::HostPort> probe_address(const WatchProbe& p, const Config& config);

// The probe's url (http, metrics); fails (input, at the key) on an unset variable or a bad URL.
Result<net::Url> probe_url(const WatchProbe& p, const Config& config);

// The database a postgres or sql probe uses: its database_url, else database.url. Fails (input)
// when neither is set or the one used names an unset variable.
Result<std::string> probe_database_url(const WatchProbe& p, const Config& config);

// "" when a certificate for `server` valid until `not_after` has at least `cert_days` days left
// at `now`, else the reason: "certificate for example.com expires in 9 days (2026-12-17), below
// cert_days = 14" (or "expired 2 days ago (...)").
std::string certificate_days_problem(const std::string& server, std::chrono::system_clock::time_point not_after,
                                     std::int64_t cert_days, std::chrono::system_clock::time_point now);

Result<std::unique_ptr<Probe>> make_tls_probe(const WatchProbe& p, const Config& config);
Result<std::unique_ptr<Probe>> make_sql_probe(const WatchProbe& p, const Config& config);
Result<std::unique_ptr<Probe>> make_host_probe(const WatchProbe& p, const Config& config);
Result<std::unique_ptr<Probe>> make_metrics_probe(const WatchProbe& p, const Config& config);

}  // namespace slipway::watch
