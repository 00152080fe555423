// The gate's counters for Prometheus, and its JSON-lines access log.
//
// Each proxy thread counts into its own shard (relaxed atomics on its own cache lines), so the
// hot path never contends; /metrics sums the shards when scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "gate/state.hpp"

namespace slipway::gate {

class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  struct alignas(64) Shard {
    std::array<std::array<std::atomic<std::uint64_t>, 600>, 3> requests{};  // [mode][status]
    std::atomic<std::uint64_t> rejected{0};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency{};
    std::atomic<std::uint64_t> latency_sum_us{0};

    void request(Mode mode, unsigned status) {
      requests[static_cast<std::size_t>(mode)][status < 600 ? status : 0].fetch_add(1, std::memory_order_relaxed);
    }
    void upstream_latency(double seconds);
  };

  explicit Metrics(std::size_t shards);
  Shard& shard(std::size_t i) { return *shards_[i % shards_.size()]; }

  // The Prometheus text exposition; `gauges` are extra "name value" lines.
  [[nodiscard]] std::string prometheus(Mode mode, int connections, int in_flight) const;
  [[nodiscard]] std::uint64_t total_requests() const;

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

struct AccessEntry {
  std::string_view client;
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  Mode mode = Mode::normal;
  std::string_view upstream;  // empty when the gate answered itself
  double duration_ms = 0;
  std::uint64_t bytes = 0;  // response body bytes sent
  bool admin = false;
};

// One JSON object per line:
// {"time":"2025-01-02T03:04:05.678Z","client":"10.0.0.7","method":"GET","target":"/api/loans",
//  "status":200,"mode":"normal","upstream":"127.0.0.1:3000","duration_ms":1.92,"bytes":512,"admin":false}
//
// The file can be rotated from outside (logrotate moves it, then sends SIGHUP: reopen()) or by
// size: once it holds `max_size` bytes it becomes access.log.1, the older ones move up
// (.1 -> .2, ...) and the one past `keep` is removed. Lines are written whole, under a mutex.
class AccessLog {
 public:
  // "-" writes to stdout; an empty path turns the log off. The file's folder is created.
  static Result<std::unique_ptr<AccessLog>> open(const std::filesystem::path& path, std::uint64_t max_size = 0,
                                                 int keep = 5);
  ~AccessLog();
  void write(const AccessEntry& entry);
  void flush();
  // Opens the file at its path again (after it was moved away). On failure the old one stays
  // open and the reason is returned.
  Result<void> reopen();

 private:
  Result<void> reopen_locked();
  void rotate_locked();

  std::mutex mutex_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::filesystem::path path_;
  std::uint64_t max_size_ = 0;
  std::uint64_t size_ = 0;  // of the open file
  int keep_ = 5;
  bool rotate_failed_ = false;  // said once on stderr
};

}  // namespace slipway::gate
