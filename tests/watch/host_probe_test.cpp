// The host probe on /proc files the test writes (CPU and memory numbers it chooses), on the real
// /proc and root file system once, and the disk forecast's line on samples with set times.
#include "watch/host_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_dir.hpp"

namespace slipway::watch {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

WatchProbe host(const std::string& check, double above) {
  WatchProbe p;
  p.name = check;
  p.key = "watch.probe[0]";
  p.kind = "host";
  p.check = check;
  p.above = above;
  return p;
}

// /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice.
void write_stat(const fs::path& dir, long user, long system, long idle, long iowait) {
  std::ofstream(dir / "stat") << "cpu  " << user << " 0 " << system << " " << idle << " " << iowait
                              << " 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1234\n";
}

void write_meminfo(const fs::path& dir, long total_kb, long available_kb) {
  std::ofstream(dir / "meminfo") << "MemTotal:       " << total_kb
                                 << " kB\nMemFree:          1000 kB\nMemAvailable:   " << available_kb
                                 << " kB\nBuffers:          100 kB\n";
}

double percent(const ProbeResult& r) {
  for (const auto& [k, v] : r.values) {
    if (k == "percent") return v;
  }
  ADD_FAILURE() << "no percent in the result";
  return -1;
}

TEST(HostProbeTest, CpuIsTheBusyShareBetweenTwoRuns) {
  const auto dir = test::fresh_test_dir("watch-host");
  write_stat(dir, 1000, 500, 8000, 500);
  HostProbe probe(host("cpu", 80), dir);
  auto first = probe.run();  // reads twice 200 ms apart; the file did not move
  EXPECT_TRUE(first.ok);
  EXPECT_EQ(first.note, "no CPU time passed between two readings of /proc/stat");

  write_stat(dir, 1300, 600, 8550, 550);  // +300 +100 busy, +550 +50 idle: 400 of 1000
  auto r = probe.run();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_DOUBLE_EQ(percent(r), 40);

  write_stat(dir, 2100, 700, 8600, 550);  // +800 +100 busy, +50 idle: 900 of 950
  r = probe.run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "CPU 94.7 % busy, above 80.0 %");
  fs::remove_all(dir);
}

TEST(HostProbeTest, MemoryIsWhatIsNotAvailable) {
  const auto dir = test::fresh_test_dir("watch-host");
  write_meminfo(dir, 16'000'000, 4'000'000);
  HostProbe probe(host("memory", 80), dir);
  auto r = probe.run();
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_DOUBLE_EQ(percent(r), 75);
  write_meminfo(dir, 16'000'000, 2'000'000);
  r = probe.run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "memory 87.5 % in use (2.0 GB of 16.4 GB available), above 80.0 %");
  std::ofstream(dir / "meminfo") << "MemTotal: 16000000 kB\nMemFree: 100 kB\n";  // a kernel before 3.14
  r = probe.run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("has no MemTotal and MemAvailable"), std::string::npos) << r.reason;
  fs::remove_all(dir);
}

TEST(HostProbeTest, AMissingProcFileFailsNamingIt) {
  const auto dir = test::fresh_test_dir("watch-host");
  HostProbe probe(host("cpu", 80), dir);
  const auto r = probe.run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find((dir / "stat").string()), std::string::npos) << r.reason;
  fs::remove_all(dir);
}

// The real machine: numbers between 0 and 100, and a threshold of 100 is never passed.
TEST(HostProbeTest, TheRealProcAndRootDiskGiveAPercent) {
  for (const char* check : {"cpu", "memory", "disk"}) {
    auto probe = make_probe(host(check, 100), Config{});
    ASSERT_TRUE(probe) << probe.error().render();
    const auto r = (*probe)->run();
    EXPECT_TRUE(r.ok) << check << ": " << r.reason;
    const double p = percent(r);
    EXPECT_GE(p, 0) << check;
    EXPECT_LE(p, 100) << check;
  }
  auto full = make_probe(host("disk", 0), Config{});  // any use at all is above 0 %
  ASSERT_TRUE(full);
  const auto r = (*full)->run();
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.reason.starts_with("disk / ")) << r.reason;
}

TEST(DiskForecastTest, AFallingLineGivesTheTimeUntilItReachesZero) {
  DiskForecast f(4);
  const DiskForecast::TimePoint t0{};
  EXPECT_FALSE(f.time_to_full());
  // 10 GB free, falling 1 GB an hour: the fifth sample pushes out the first.
  for (int h = 0; h < 5; ++h) f.add(t0 + std::chrono::hours(h), 10e9 - h * 1e9);
  double rate = 0;
  const auto left = f.time_to_full(&rate);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 6h);  // 6 GB left at the last sample
  EXPECT_DOUBLE_EQ(rate, 1e9);
}

TEST(DiskForecastTest, SteadyOrGrowingFreeSpaceForecastsNothing) {
  DiskForecast f;
  const DiskForecast::TimePoint t0{};
  for (int m = 0; m < 10; ++m) f.add(t0 + std::chrono::minutes(m), 5e9 + (m % 2) * 1e6 + m * 1e3);
  EXPECT_FALSE(f.time_to_full());
  DiskForecast two;
  two.add(t0, 2e9);
  two.add(t0 + 1h, 1e9);  // two samples are not a trend
  EXPECT_FALSE(two.time_to_full());
}

TEST(HostProbeTest, ADiskWithAForecastKeepsPassingWhileItsFreeSpaceHolds) {
  auto p = host("disk", 100);
  p.forecast = std::chrono::hours(24);
  p.path = fs::temp_directory_path().string();
  HostProbe probe(p, "/proc");
  for (int i = 0; i < 4; ++i) {
    const auto r = probe.run();
    EXPECT_TRUE(r.ok) << r.reason;
  }
}

}  // namespace
}  // namespace slipway::watch
