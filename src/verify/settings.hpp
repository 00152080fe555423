// [verify] in slipway.toml, and the flow files it names.
//
//   [verify]
//   base_url = "http://127.0.0.1:3000"
//   flows = ["verify/smoke.toml"]       # files of [[flow]] tables, relative to slipway.toml
//   timeout = "10s"                     # per request
//   ca_file = "certs/ca.pem"            # trust a private CA
//   insecure = false                    # skip certificate checks (smoke, perf, websocket)
//   [[verify.flow]] ...                 # flows may also sit here (see flow.hpp, docs/config.md)
//   [verify.perf] / [[verify.perf.endpoint]] / [verify.integrity] / [verify.security] / [verify.websocket] /
//   [verify.soak]
//
// core reads base_url and reports a key not in kVerifyKeys; this file reads the rest with core's
// ConfigReader (core/config_reader.hpp), from the document load_config parsed, with file:line:col
// errors for every problem found, all at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "net/http_client.hpp"
#include "verify/flow.hpp"
#include "verify/outline.hpp"
#include "verify/soak.hpp"
#include "verify/threshold.hpp"

namespace slipway::verify {

struct PerfEndpoint {
  std::string name;
  std::string method = "GET";
  std::string path;  // relative to base_url, templated
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<Threshold> thresholds;  // besides [verify.perf] thresholds
  int connections = 0;                // 0: [verify.perf]'s
  std::chrono::milliseconds duration{0};
  double rate = -1;  // -1: [verify.perf]'s
};

struct PerfSettings {
  int connections = 100;
  int threads = 0;
  std::chrono::milliseconds duration{10'000};
  double rate = 0;
  std::chrono::milliseconds think_time{0};
  std::vector<Threshold> thresholds;
  std::string login_flow;  // run first; its captures fill {{...}} in endpoints
  std::vector<PerfEndpoint> endpoints;
};

struct IntegritySettings {
  std::vector<std::string> tables;
  std::vector<std::string> may_grow;                          // row count may go up
  std::vector<std::string> may_shrink;                        // may go down
  std::vector<std::string> may_change;                        // either way, and checksums may differ
  std::map<std::string, std::vector<std::string>> checksums;  // table -> columns
};

struct SecuritySettings {
  std::string url;       // default: base_url
  std::string http_url;  // the plain-HTTP address whose first hop must redirect to HTTPS
  std::vector<std::string> cors_origins;
  std::vector<std::string> compression_paths;   // JSON or static paths that should be compressed
  std::vector<std::string> compression_exempt;  // BREACH: paths with secrets, compression off is fine
  std::vector<std::string> debug_paths;         // more leak routes to probe
  // false: plain HTTP is expected (loopback behind a TLS terminator); the TLS, https-redirect and
  // HSTS checks are reported as skip, not pass.
  bool expect_tls = true;
  std::vector<std::string> skip;  // check ids reported as skip (security_check_ids())
  bool configured = false;
};

struct WebSocketSettings {
  std::string url;  // ws:// or wss://, or a path relative to base_url; templated
  std::string login_flow;
  std::string message;  // sent and expected back (echo); empty: ping frames
  int round_trips = 10;
  std::vector<Threshold> thresholds;  // default p(95) < 100ms
  bool configured = false;
};

// [verify.soak]: what to sample and the bounds (see soak.hpp); the load reuses [verify.perf]'s
// endpoints at a modest rate.
struct SoakSettings {
  SoakOptions options;  // duration, interval, warmup, pid, pid_file, metrics_url, metric, database_url, bounds
  bool load = false;    // run the [[verify.perf.endpoint]]s during the soak
  double rate = 10;     // requests per second over all endpoints
  int connections = 2;  // per endpoint
  bool configured = false;
};

struct VerifySettings {
  std::string base_url;
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file;
  bool insecure = false;
  std::vector<Flow> flows;
  std::vector<std::string> flow_files;  // verify.flows as written (relative to the file they are in)
  PerfSettings perf;
  IntegritySettings integrity;
  SecuritySettings security;
  WebSocketSettings websocket;
  SoakSettings soak;
  bool perf_configured = false;
  bool integrity_configured = false;
  // Sent with every request, WebSocket handshake and load request: a deploy's bypass token
  // (X-Slipway-Bypass, from $SLIPWAY_GATE_BYPASS; see docs/commands/deploy.md).
  net::Headers always_headers;

  // The HTTP client's options: timeout, TLS trust, always_headers.
  [[nodiscard]] net::ClientOptions client_options() const;

  // Whether plain `slipway verify` has anything to run (every part but soak, which runs alone).
  [[nodiscard]] bool any_part_configured() const {
    return !flows.empty() || integrity_configured || (perf_configured && !perf.endpoints.empty()) ||
           security.configured || websocket.configured;
  }
};

// Reads [verify] from the slipway.toml load_config parsed (config.document: the file is not read
// again), or from config.verify_file when set, which it reads and parses; defaults when there is
// neither. Errors: every problem, each with file:line:col.
tl::expected<VerifySettings, std::vector<Error>> load_verify_settings(const Config& config);

// Parses a flow file's text ([[flow]] tables), as if read from `path`. Fuzzed.
tl::expected<std::vector<Flow>, std::vector<Error>> parse_flow_file(std::string_view text, const std::string& path);

}  // namespace slipway::verify
