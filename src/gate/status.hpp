// What `slipway gate status --format json` prints: the running gate's answer to the control
// socket's "status" (and to the mode and switch commands, with a note). The gate writes it with
// to_json, and a deploy reads it back with from_json: the upstream to return to, the mode it found,
// and the writes let through since its mark (so a restore can name what it did not keep).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/error.hpp"

namespace slipway::gate {

// A write forwarded outside normal mode: allow-listed, or an admin's.
struct WriteLetThrough {
  std::uint64_t seq = 0;  // 1, 2, ... since the gate started
  std::string at;         // RFC 3339 UTC
  std::string method;
  std::string path;
  std::string client;
  bool admin = false;  // false: the path is allow-listed
};

struct GateStatus {
  bool ok = true;
  std::string mode;  // normal | maintenance | read-only
  std::string message;
  std::int64_t retry_after = 0;
  std::string upstream;
  std::int64_t bypass_tokens = 0;  // unexpired
  std::int64_t connections = 0;
  std::int64_t in_flight = 0;
  std::uint64_t requests = 0;
  std::int64_t uptime_seconds = 0;
  std::string started_at;  // RFC 3339: a restarted gate (counters from 0) has another
  std::uint64_t writes_let_through = 0;
  std::vector<WriteLetThrough> recent_writes_let_through;  // the last 100, oldest first
  std::string note;                                        // what a mode or switch command did

  [[nodiscard]] boost::json::object to_json() const;
  // Bad input naming the key when `v` is not a gate's status.
  static Result<GateStatus> from_json(const boost::json::value& v);
};

}  // namespace slipway::gate
