#include "verify/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace slipway::verify {
namespace {

// The histogram may report a value at most 1/1024 above the exact one, never below it.
void expect_close(std::uint64_t reported, std::uint64_t exact, const char* what) {
  EXPECT_GE(reported, exact) << what;
  EXPECT_LE(static_cast<double>(reported), static_cast<double>(exact) * (1.0 + 1.0 / 1024.0) + 1.0) << what;
}

std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double percent) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

TEST(Histogram, EmptyReportsZero) {
  const Histogram h;
  EXPECT_EQ(h.count(), 0U);
  EXPECT_EQ(h.percentile(99), 0U);
  EXPECT_EQ(h.min(), 0U);
  EXPECT_EQ(h.max(), 0U);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 1000U);
  EXPECT_EQ(h.percentile(50), 500U);
  EXPECT_EQ(h.percentile(99), 990U);
  EXPECT_EQ(h.percentile(100), 1000U);
  EXPECT_EQ(h.min(), 1U);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(Histogram, UniformDistributionWithinThreeDigits) {
  Histogram h;
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 1; v <= 2'000'000; v += 7) {
    h.record(v);
    values.push_back(v);
  }
  for (const double p : {1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9}) {
    expect_close(h.percentile(p), exact_percentile(values, p), "uniform");
  }
  EXPECT_EQ(h.percentile(100), values.back());
}

TEST(Histogram, ExponentialDistributionMatchesSortedSamples) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> latency(1.0 / 10'000.0);  // mean 10 ms
  Histogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 500'000; ++i) {
    const auto v = static_cast<std::uint64_t>(latency(rng)) + 1;
    h.record(v);
    values.push_back(v);
  }
  for (const double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    expect_close(h.percentile(p), exact_percentile(values, p), "exponential");
  }
  EXPECT_NEAR(h.mean(), 10'000.0, 100.0);
}

TEST(Histogram, StallsShowInTheTail) {
  // 99 % of requests take about 1 ms and 1 % stall for a second: p99 stays fast, p99.5 is the stall.
  Histogram h;
  for (int i = 0; i < 9'900; ++i) h.record(1'000 + static_cast<std::uint64_t>(i % 50));
  for (int i = 0; i < 100; ++i) h.record(1'000'000);
  EXPECT_LT(h.percentile(99), 1'100U);
  expect_close(h.percentile(99.5), 1'000'000, "stall");
  EXPECT_EQ(h.max(), 1'000'000U);
}

TEST(Histogram, MemoryIsFixedWhateverIsRecorded) {
  Histogram h;
  const auto before = h.memory_bytes();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2'000'000; ++i) h.record(rng() >> (rng() % 64));
  EXPECT_EQ(h.memory_bytes(), before);
  EXPECT_LT(before, 256U * 1024U);
  EXPECT_GT(h.clamped(), 0U);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  Histogram a;
  Histogram b;
  Histogram both;
  for (std::uint64_t v = 1; v < 300'000; v += 13) {
    (v % 2 ? a : b).record(v * 3);
    both.record(v * 3);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  for (const double p : {10.0, 50.0, 99.0, 100.0}) EXPECT_EQ(a.percentile(p), both.percentile(p));
  EXPECT_EQ(a.min(), both.min());
  EXPECT_DOUBLE_EQ(a.mean(), both.mean());
}

TEST(Histogram, ResetEmptiesIt) {
  Histogram h;
  h.record(5'000, 10);
  EXPECT_EQ(h.count(), 10U);
  h.reset();
  EXPECT_EQ(h.count(), 0U);
  EXPECT_EQ(h.percentile(50), 0U);
}

}  // namespace
}  // namespace slipway::verify
