#include "verify/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace slipway::verify {

namespace {

constexpr int kSubBits = 10;                                          // 1024 buckets per power of two
constexpr std::uint64_t kExact = std::uint64_t{1} << (kSubBits + 1);  // 2048 values counted exactly
constexpr int kTopExponent = 35;                                      // highest bit of kMaxValue
constexpr std::size_t kCounters = kExact + (kTopExponent - kSubBits) * (std::size_t{1} << kSubBits);

// Values in [0, 2048) map to themselves. A larger value with highest bit e keeps its top 11 bits
// (1024..2047) and lands at (e - 10) * 1024 + those bits; consecutive exponents follow on.
std::size_t index_of(std::uint64_t v) {
  if (v < kExact) return static_cast<std::size_t>(v);
  const int shift = std::bit_width(v) - 1 - kSubBits;
  return static_cast<std::size_t>(shift) * (std::size_t{1} << kSubBits) + static_cast<std::size_t>(v >> shift);
}

// The largest value that maps to counter `i`.
std::uint64_t highest_of(std::size_t i) {
  if (i < kExact) return i;
  const std::size_t shift = i / (std::size_t{1} << kSubBits) - 1;
  const std::uint64_t sub = i - shift * (std::size_t{1} << kSubBits);
  return ((sub + 1) << shift) - 1;
}

}  // namespace

Histogram::Histogram() : counts_(kCounters, 0) {}

void Histogram::record(std::uint64_t value_us, std::uint64_t count) {
  if (count == 0) return;
  if (value_us > kMaxValue) {
    value_us = kMaxValue;
    clamped_ += count;
  }
  counts_[index_of(value_us)] += count;
  total_ += count;
  min_ = std::min(min_, value_us);
  max_ = std::max(max_, value_us);
  sum_ += static_cast<long double>(value_us) * static_cast<long double>(count);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  clamped_ += other.clamped_;
  sum_ += other.sum_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  clamped_ = 0;
  sum_ = 0;
}

double Histogram::mean() const {
  return total_ ? static_cast<double>(sum_ / static_cast<long double>(total_)) : 0.0;
}

std::uint64_t Histogram::percentile(double percent) const {
  if (total_ == 0) return 0;
  if (percent >= 100.0) return max_;
  const auto wanted = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(std::max(percent, 0.0) / 100.0 * static_cast<double>(total_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= wanted) return std::clamp(highest_of(i), min_, max_);
  }
  return max_;
}

}  // namespace slipway::verify
