#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/timezone.hpp"
#include "glibc_zone.hpp"

namespace slipway {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

sys_seconds at(year_month_day d, seconds time_of_day = 0s) {
  return sys_days{d} + time_of_day;
}

using test::GlibcZone;

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TimeZone, UtcNeedsNoFile) {
  auto z = TimeZone::load("UTC", "/nonexistent");
  ASSERT_TRUE(z) << z.error().render();
  EXPECT_EQ(z->utc_offset(at(2026y / 7 / 1)), 0s);
  EXPECT_EQ(TimeZone::utc().name(), "UTC");
}

TEST(TimeZone, BerlinHasA23HourAndA25HourDay) {
  auto z = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(z) << z.error().render();
  // 2026-03-29: clocks go 02:00 -> 03:00 at 01:00 UTC.
  EXPECT_EQ(z->utc_offset(at(2026y / 3 / 29, 59min + 59s)), 1h);
  EXPECT_EQ(z->utc_offset(at(2026y / 3 / 29, 1h)), 2h);
  // 2026-10-25: clocks go 03:00 -> 02:00 at 01:00 UTC.
  EXPECT_EQ(z->utc_offset(at(2026y / 10 / 25, 59min + 59s)), 2h);
  EXPECT_EQ(z->utc_offset(at(2026y / 10 / 25, 1h)), 1h);
  // Far past the table: the footer's rule ("CET-1CEST,M3.5.0,M10.5.0/3") decides.
  EXPECT_EQ(z->utc_offset(at(2090y / 3 / 26, 59min)), 1h);
  EXPECT_EQ(z->utc_offset(at(2090y / 3 / 26, 1h)), 2h);
  EXPECT_EQ(z->utc_offset(at(2090y / 10 / 29, 59min)), 2h);
  EXPECT_EQ(z->utc_offset(at(2090y / 10 / 29, 1h)), 1h);
}

TEST(TimeZone, AgreesWithGlibcOverCenturiesInManyZones) {
  const std::vector<std::string> zones = {
      "Europe/Berlin",    "America/New_York", "America/Los_Angeles", "Pacific/Auckland",  "Australia/Lord_Howe",
      "Asia/Kolkata",     "Asia/Kathmandu",   "America/Sao_Paulo",   "Africa/Casablanca", "Europe/Dublin",
      "Pacific/Chatham",  "America/St_Johns", "Asia/Tehran",         "Europe/London",     "Pacific/Apia",
      "Antarctica/Troll", "America/Santiago", "Asia/Gaza",           "Europe/Moscow",     "Etc/GMT+5"};
  std::mt19937_64 rng(20260101);
  const std::int64_t from = sys_seconds{sys_days{1901y / 1 / 1}}.time_since_epoch().count();
  const std::int64_t to = sys_seconds{sys_days{2200y / 1 / 1}}.time_since_epoch().count();
  std::uniform_int_distribution<std::int64_t> instant(from, to);
  for (const auto& name : zones) {
    auto z = TimeZone::load(name);
    ASSERT_TRUE(z) << z.error().render();
    GlibcZone glibc(name);
    int mismatches = 0;
    for (int i = 0; i < 20000 && mismatches < 5; ++i) {
      const sys_seconds t{seconds{instant(rng)}};
      const auto want = GlibcZone::offset(t);
      if (z->utc_offset(t) != want) {
        ++mismatches;
        ADD_FAILURE() << name << " at " << t.time_since_epoch().count() << ": " << z->utc_offset(t).count()
                      << " != glibc " << want.count();
      }
    }
    // And every half hour of 2030..2045: each DST change from both sides, in the table and after it.
    for (std::int64_t t = sys_seconds{sys_days{2030y / 1 / 1}}.time_since_epoch().count();
         t < sys_seconds{sys_days{2045y / 1 / 1}}.time_since_epoch().count() && mismatches < 5; t += 1800) {
      const sys_seconds s{seconds{t}};
      if (z->utc_offset(s) != GlibcZone::offset(s)) {
        ++mismatches;
        ADD_FAILURE() << name << " at " << t << ": " << z->utc_offset(s).count() << " != glibc "
                      << GlibcZone::offset(s).count();
      }
    }
  }
}

TEST(TimeZone, UnknownNameSaysWhatNamesLookLikeAndSuggests) {
  auto z = TimeZone::load("Europe/Berln");
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().kind, ErrorKind::bad_input);
  EXPECT_NE(z.error().message.find("unknown time zone \"Europe/Berln\""), std::string::npos) << z.error().message;
  EXPECT_NE(z.error().message.find("Europe/Berlin"), std::string::npos) << z.error().message;
  EXPECT_NE(z.error().hint.find("\"Europe/Berlin\""), std::string::npos);
}

TEST(TimeZone, RejectsNamesThatLeaveTheDatabase) {
  for (const char* bad : {"../../etc/passwd", "/etc/localtime", "Europe/../../etc", "", "Europe//Berlin", "a b"}) {
    auto z = TimeZone::load(bad);
    ASSERT_FALSE(z) << bad;
    EXPECT_EQ(z.error().kind, ErrorKind::bad_input) << bad;
  }
}

TEST(TimeZone, MissingDatabaseIsAnEnvironmentError) {
  auto z = TimeZone::load("Europe/Berlin", "/nonexistent/zoneinfo");
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().kind, ErrorKind::environment);
  EXPECT_NE(z.error().hint.find("tzdata"), std::string::npos);
}

TEST(TimeZone, RefusesLeapSecondZones) {
  const std::filesystem::path right = "/usr/share/zoneinfo/right/UTC";
  ASSERT_TRUE(std::filesystem::exists(right));
  auto z = TimeZone::from_tzif("right/UTC", read_bytes(right));
  ASSERT_FALSE(z);
  EXPECT_NE(z.error().message.find("leap seconds"), std::string::npos);
}

TEST(TimeZone, RejectsTruncatedAndCorruptFiles) {
  const std::string berlin = read_bytes("/usr/share/zoneinfo/Europe/Berlin");
  ASSERT_GT(berlin.size(), 100u);
  for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{43}, std::size_t{60}, berlin.size() - 2}) {
    EXPECT_FALSE(TimeZone::from_tzif("cut", berlin.substr(0, cut))) << cut;
  }
  std::string bad_magic = berlin;
  bad_magic[0] = 'X';
  EXPECT_FALSE(TimeZone::from_tzif("x", bad_magic));
}

TEST(TimeZone, PosixStrings) {
  auto ny = TimeZone::from_posix("ny", "EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(ny) << ny.error().render();
  EXPECT_EQ(ny->utc_offset(at(2026y / 3 / 8, 6h + 59min)), -5h);  // 01:59 EST
  EXPECT_EQ(ny->utc_offset(at(2026y / 3 / 8, 7h)), -4h);          // 02:00 EST -> 03:00 EDT
  EXPECT_EQ(ny->utc_offset(at(2026y / 11 / 1, 5h + 59min)), -4h);
  EXPECT_EQ(ny->utc_offset(at(2026y / 11 / 1, 6h)), -5h);

  // Southern hemisphere: DST spans the new year.
  auto nz = TimeZone::from_posix("nz", "NZST-12NZDT,M9.5.0,M4.1.0/3");
  ASSERT_TRUE(nz);
  EXPECT_EQ(nz->utc_offset(at(2026y / 1 / 15)), 13h);
  EXPECT_EQ(nz->utc_offset(at(2026y / 7 / 15)), 12h);

  // Quoted names, minutes, and RFC 8536's DST all year.
  auto india = TimeZone::from_posix("in", "<+0530>-5:30");
  ASSERT_TRUE(india);
  EXPECT_EQ(india->utc_offset(at(2026y / 7 / 1)), 5h + 30min);
  auto always = TimeZone::from_posix("x", "EST5EDT,0/0,J365/25");
  ASSERT_TRUE(always) << always.error().render();
  for (auto d : {2025y / 1 / 1, 2025y / 6 / 1, 2025y / 12 / 31, 2026y / 1 / 1}) {
    EXPECT_EQ(always->utc_offset(at(d, 12h)), -4h) << static_cast<int>(d.year());
  }
  EXPECT_EQ(always->utc_offset(at(2026y / 1 / 1, 4h)), -4h);  // local midnight of the new year

  for (const char* bad :
       {"", "C", "CET", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,J0,J365", "CET-25", "CET-1CEST,M3.5.0/168,M10.5.0", "<AB", "CET-1 trailing"}) {
    EXPECT_FALSE(TimeZone::from_posix("bad", bad)) << bad;
  }
}

}  // namespace
}  // namespace slipway
