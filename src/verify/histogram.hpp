// Latency histogram with fixed memory and three significant digits, after HdrHistogram.
//
// Values are microseconds. Values below 2048 are counted exactly; above, each power of two is cut
// into 1024 equal buckets, so a value is known to within 1/1024 (< 0.1 %) of itself. The table
// covers 1 us to 2^36 us (about 19 hours) in 27,648 counters (216 KiB), whatever the number of
// values or the length of the run; larger values are clamped to the top and counted as such.
#pragma once

#include <cstdint>
#include <vector>

namespace slipway::verify {

class Histogram {
 public:
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << 36) - 1;

  Histogram();

  void record(std::uint64_t value_us, std::uint64_t count = 1);
  void merge(const Histogram& other);
  void reset();

  [[nodiscard]] std::uint64_t count() const { return total_; }
  [[nodiscard]] std::uint64_t min() const { return total_ ? min_ : 0; }
  [[nodiscard]] std::uint64_t max() const { return max_; }
  [[nodiscard]] double mean() const;
  [[nodiscard]] std::uint64_t clamped() const { return clamped_; }  // values above kMaxValue
  // The smallest recorded-equivalent value v such that `percent` % of values are <= v. 0 when
  // empty; percentile(100) is the exact maximum.
  [[nodiscard]] std::uint64_t percentile(double percent) const;
  // Bytes held by the counters: constant for the object's life.
  [[nodiscard]] std::size_t memory_bytes() const { return counts_.size() * sizeof(std::uint64_t); }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t clamped_ = 0;
  long double sum_ = 0;
};

}  // namespace slipway::verify
