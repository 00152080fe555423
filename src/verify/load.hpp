// The load generator behind `slipway verify perf`: HTTP/1.1 keep-alive connections on Asio, in
// two models.
//
// Closed model (wrk): N connections, each sends its next request when the previous response
// arrived (after an optional think time). Latency is from send to response. A server that
// stalls slows the senders down with it, so the stall shows in few samples: coordinated omission.
//
// Open model (wrk2, k6's constant-arrival-rate): requests are due at a constant rate, spread
// evenly over the connections; each connection has its own schedule. Latency is measured from
// the time a request was *due*, not from when the connection got round to sending it, so a
// 1 s stall at 1000 req/s counts about 1000 requests late by 0..1 s, as users would see it.
//
//   LoadOptions o; o.url = "http://127.0.0.1:8080/health"; o.connections = 64;
//   o.duration = 10s; o.rate = 2000;            // 0 = closed model
//   auto r = run_load(o);                       // r->latency.percentile(99), r->requests ...
//
// Each thread owns an io_context, its connections and a Histogram; they are merged at the end,
// so memory is fixed whatever the duration and nothing is shared on the hot path.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "verify/histogram.hpp"

namespace slipway::verify {

struct LoadProgress {
  double elapsed_s = 0;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
};

struct LoadOptions {
  std::string url;
  std::string method = "GET";
  net::Headers headers;
  std::string body;
  int connections = 100;
  int threads = 0;  // 0: one per core, at most one per connection
  std::chrono::milliseconds duration{10'000};
  double rate = 0;  // requests per second over all connections; 0 = closed model
  std::chrono::milliseconds think_time{0};
  std::chrono::milliseconds timeout{10'000};
  bool verify_peer = true;
  std::string ca_file;
  std::function<void(const LoadProgress&)> progress;  // about once a second, on the calling thread
};

struct LoadResult {
  Histogram latency;                   // microseconds, of completed responses (any status)
  std::uint64_t requests = 0;          // completed responses
  std::uint64_t errors = 0;            // transport errors and responses with status >= 400
  std::uint64_t transport_errors = 0;  // connect, TLS, read/write, timeouts, bad responses
  std::uint64_t timeouts = 0;
  std::array<std::uint64_t, 6> status_classes{};  // [1] 1xx ... [5] 5xx
  std::uint64_t body_bytes = 0;
  double seconds = 0;
  bool open_model = false;
  std::string first_error;  // the first transport error, for the report

  [[nodiscard]] double rps() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

// Runs the load. Fails (bad input) on a bad URL or options, (environment) when the host does
// not resolve; connection failures during the run are counted as errors, not returned.
Result<LoadResult> run_load(const LoadOptions& options);

}  // namespace slipway::verify
