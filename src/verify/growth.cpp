#include "verify/growth.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/units.hpp"

namespace slipway::verify {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

}  // namespace

Growth estimate_growth(const std::vector<Sample>& samples, double warmup_s) {
  std::vector<Sample> s;
  for (const Sample& x : samples) {
    if (x.t >= warmup_s) s.push_back(x);
  }
  Growth g;
  g.used = s.size();
  if (s.size() < 4) return g;
  const std::size_t quarter = s.size() / 4;
  std::vector<double> first, last;
  for (std::size_t i = 0; i < quarter; ++i) {
    first.push_back(s[i].value);
    last.push_back(s[s.size() - quarter + i].value);
  }
  g.baseline = median(first);
  g.final = median(last);
  g.growth = g.final - g.baseline;

  double mt = 0, mv = 0;
  for (const Sample& x : s) {
    mt += x.t;
    mv += x.value;
  }
  mt /= static_cast<double>(s.size());
  mv /= static_cast<double>(s.size());
  double num = 0, den = 0;
  for (const Sample& x : s) {
    num += (x.t - mt) * (x.value - mv);
    den += (x.t - mt) * (x.t - mt);
  }
  g.per_hour = den > 0 ? num / den * 3600.0 : 0;
  return g;
}

Result<GrowthBound> parse_growth_bound(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  const auto bad = [&] {
    return fail(Error::input(fmt::format("'{}' is not a growth bound", text), "",
                             "write a percentage of the starting value (\"20%\") or an amount (\"50MB\", \"5\")"));
  };
  GrowthBound b;
  b.text = std::string(t);
  if (t.ends_with('%')) {
    t.remove_suffix(1);
    const auto* end = t.data() + t.size();
    const auto r = std::from_chars(t.data(), end, b.value);
    if (t.empty() || r.ec != std::errc() || r.ptr != end || b.value < 0) return bad();
    b.percent = true;
    return b;
  }
  auto size = parse_size(t);
  if (!size) return bad();
  b.value = static_cast<double>(*size);
  b.percent = false;
  return b;
}

GrowthVerdict judge_growth(const Growth& g, const GrowthBound& bound) {
  const double limit = bound.limit(g.baseline);
  if (g.growth > limit) return GrowthVerdict::over;
  if (g.growth > 0 && g.growth >= 0.8 * limit) return GrowthVerdict::near;
  return GrowthVerdict::pass;
}

std::vector<Sample> downsample(const std::vector<Sample>& samples, std::size_t max) {
  if (max == 0 || samples.size() <= max) return samples;
  std::vector<Sample> out;
  out.reserve(max);
  for (std::size_t i = 0; i < max; ++i) {
    const std::size_t from = i * samples.size() / max, to = (i + 1) * samples.size() / max;
    Sample m;
    for (std::size_t j = from; j < to; ++j) {
      m.t += samples[j].t;
      m.value += samples[j].value;
    }
    const auto n = static_cast<double>(to - from);
    out.push_back({m.t / n, m.value / n});
  }
  return out;
}

}  // namespace slipway::verify
