// The running gate's shared core, without any networking: its state (mode, message, upstream),
// the admin check, metrics and the access log, and the control commands that change them.
//
// The proxy threads read the state through snapshot(): an immutable Snapshot swapped under a
// mutex, with a version counter the threads poll cheaply, so a request never waits for a
// control command. A switch publishes a new Snapshot with a fresh in-flight counter, then waits
// for the old one's counter to reach zero (the drain).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/mutex.hpp"
#include "gate/admin.hpp"
#include "gate/metrics.hpp"
#include "gate/policy.hpp"
#include "gate/state.hpp"
#include "gate/status.hpp"
#include "net/probe.hpp"

namespace slipway::gate {

// A deploy's bypass token and when it stops counting.
struct BypassToken {
  std::string token;
  std::chrono::steady_clock::time_point expires;
};

// A write the gate forwarded outside normal mode (an allow-listed path, or an admin when
// gate.admin_writes is on): what a restore of a backup taken in that mode may not hold. The path
// is kept without its query (which may carry a token), at most 200 bytes.
struct Snapshot {
  std::uint64_t version = 0;
  Mode mode = Mode::normal;
  std::string message;           // effective: the state's, else gate.message
  std::int64_t retry_after = 0;  // effective seconds
  std::string upstream;          // HOST:PORT
  net::HostPort address;
  std::shared_ptr<std::atomic<int>> in_flight;  // requests sent to this upstream and not yet answered
  std::vector<BypassToken> bypass;              // deploy bypass tokens (never written to disk)
};

class Gate {
 public:
  // Loads the state file, the maintenance page and the admin keys. `threads` is the number of
  // metrics shards (one per proxy thread).
  static Result<std::unique_ptr<Gate>> create(const Config& config, std::size_t threads);

  [[nodiscard]] const GateConfig& config() const { return config_; }
  [[nodiscard]] const AdminCheck& admin() const { return admin_; }
  [[nodiscard]] const std::vector<IpRange>& trusted_proxies() const { return trusted_proxies_; }
  [[nodiscard]] const Rules& rules() const { return rules_; }
  [[nodiscard]] std::string_view page() const { return page_; }
  Metrics& metrics() { return metrics_; }
  AccessLog* access_log() { return access_log_.get(); }

  [[nodiscard]] std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  [[nodiscard]] std::shared_ptr<const Snapshot> snapshot() const;

  // True when `token` is an unexpired deploy bypass token of `snap` (compared in constant time).
  static bool bypasses(const Snapshot& snap, std::string_view token);

  // Notes a write forwarded outside normal mode (not a deploy bypass's); `gate status` lists the
  // last 100 and counts them all, so a deploy can name what a restore would not hold.
  void note_write_let_through(std::string_view method, std::string_view target, std::string_view client, bool admin);

  // The control socket's handler: one JSON request in, one JSON answer out (see control.hpp).
  std::string control(std::string_view request);

  std::atomic<int> connections{0};  // open client connections
  std::atomic<int> active{0};       // requests being answered
  std::atomic<bool> stopping{false};

 private:
  Gate(const Config& config, std::size_t threads);
  Result<void> publish(State state, bool new_upstream);  // saves, then swaps the snapshot
  std::shared_ptr<const Snapshot> make_snapshot(const State& state, const net::HostPort& address, std::uint64_t version,
                                                std::shared_ptr<std::atomic<int>> in_flight) const REQUIRES(mutex_);
  std::string status_json(bool ok, std::string_view note) const;
  std::string bypass(const std::string& token, bool on, std::chrono::seconds ttl);
  Result<std::string> do_switch(std::string_view upstream);

  GateConfig config_;
  AdminCheck admin_;
  std::vector<IpRange> trusted_proxies_;
  Rules rules_;
  std::string page_;
  Metrics metrics_;
  std::unique_ptr<AccessLog> access_log_;
  std::chrono::steady_clock::time_point started_;
  std::string started_at_;  // RFC 3339: a deploy tells a restarted gate (counters from 0) from this one

  mutable Mutex writes_mutex_;
  std::uint64_t writes_let_through_ GUARDED_BY(writes_mutex_) = 0;
  std::deque<WriteLetThrough> recent_writes_ GUARDED_BY(writes_mutex_);  // the last kRecentWrites

  mutable Mutex mutex_;
  State state_ GUARDED_BY(mutex_);
  std::vector<BypassToken> bypass_ GUARDED_BY(mutex_);
  std::shared_ptr<const Snapshot> snapshot_ GUARDED_BY(mutex_);
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace slipway::gate
