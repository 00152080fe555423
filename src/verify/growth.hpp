// Is a resource growing? The estimator behind `slipway verify soak`.
//
// A soak samples a value (RSS, connection count) every few seconds. First-versus-last would let
// one garbage-collection peak or one burst of connections decide the verdict, so the estimate
// skips a warm-up (caches fill, pools open), then compares the median of the first quarter of
// the remaining samples with the median of the last quarter. A spike in the middle moves
// neither median; a steady climb moves the last one. The least-squares slope over the same
// samples is reported per hour, for people to judge the trend.
//
//   samples (t s, MB): 0:100 10:101 20:100 ... 3590:140   warm-up 360 s
//   -> baseline 100.5 (median of the first quarter), final 139 (of the last), growth +38.5 (+38%)
//
// A bound is relative ("20%": of the baseline) or absolute ("50MB" for bytes, "5" for a count).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace slipway::verify {

struct Sample {
  double t = 0;  // seconds since the soak started
  double value = 0;
};

struct Growth {
  std::size_t used = 0;  // samples after the warm-up
  double baseline = 0;   // median of the first quarter of them
  double final = 0;      // median of the last quarter
  double growth = 0;     // final - baseline
  double per_hour = 0;   // least-squares slope, per hour
  [[nodiscard]] double percent() const { return baseline > 0 ? 100.0 * growth / baseline : 0; }
};

// Too few samples after the warm-up (fewer than 4) give used < 4 and no estimate.
Growth estimate_growth(const std::vector<Sample>& samples, double warmup_s);

struct GrowthBound {
  double value = 20;
  bool percent = true;  // of the baseline; else absolute, in the sampled unit
  std::string text = "20%";

  // The largest growth allowed over `baseline`.
  [[nodiscard]] double limit(double baseline) const { return percent ? baseline * value / 100.0 : value; }
};

// "20%", "12.5%", or a size ("50MB", "512MiB", "1000000"). Fails (bad input) naming the forms.
Result<GrowthBound> parse_growth_bound(std::string_view text);

enum class GrowthVerdict { pass, near, over };
// over: growth > limit; near: growth >= 80% of the limit and above 0; else pass.
GrowthVerdict judge_growth(const Growth& g, const GrowthBound& bound);

// At most `max` samples, each the mean of a run of neighbours (time and value), for reports.
std::vector<Sample> downsample(const std::vector<Sample>& samples, std::size_t max);

}  // namespace slipway::verify
