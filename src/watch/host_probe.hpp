// The host probe: this machine's CPU, memory or disk, failing above a percent. The checklist's
// "memory above 80 % for 5 minutes" is `check = "memory"`, `above = 80`, `down_after = "5m"`: the
// probe judges one reading, and down_after is the time it must stay above before the alert fires.
//
//   cpu     the busy share of all CPUs between two readings of /proc/stat (the previous run's
//           and this one's; the first run reads twice, 200 ms apart): 1 - (idle + iowait) / total
//   memory  1 - MemAvailable / MemTotal from /proc/meminfo (what can be had without swapping)
//   disk    statvfs(path): used / (used + available to a non-root user), as df shows it; with a
//           forecast, also the free space's trend over the last samples (DiskForecast), failing
//           when it reaches zero within the forecast ("full in about 5h at this rate")
//
// /proc is read under a root given to the constructor, so a test points it at files it writes.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "core/config.hpp"
#include "watch/probe.hpp"

namespace slipway::watch {

// A least-squares line through the last `max_samples` (time, free bytes) readings of one disk:
// when it falls, the time until it reaches zero.
class DiskForecast {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit DiskForecast(std::size_t max_samples = 64) : max_samples_(std::max<std::size_t>(max_samples, 3)) {}

  void add(TimePoint at, double free_bytes);
  // From the last sample until the line reaches zero free bytes; nothing while it does not fall
  // or with fewer than 3 samples over at least a second. Bytes per hour it falls by, in `rate`.
  [[nodiscard]] std::optional<std::chrono::seconds> time_to_full(double* rate = nullptr) const;

 private:
  std::size_t max_samples_;
  std::deque<std::pair<TimePoint, double>> samples_;
};

class HostProbe final : public Probe {
 public:
  // `proc` is where /proc is ("/proc" outside tests).
  HostProbe(const WatchProbe& p, std::filesystem::path proc);
  ProbeResult run() override;

 private:
  struct CpuTimes {
    double busy = 0;
    double total = 0;
  };
  ProbeResult cpu();
  ProbeResult memory();
  ProbeResult disk();
  Result<CpuTimes> read_cpu() const;

  std::string check_;
  double above_;
  std::string path_;
  Duration forecast_;
  std::filesystem::path proc_;
  std::optional<CpuTimes> last_cpu_;
  DiskForecast trend_;
};

}  // namespace slipway::watch
