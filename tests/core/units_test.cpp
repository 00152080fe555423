#include <gtest/gtest.h>

#include "core/units.hpp"

namespace slipway {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnitAndCombinations) {
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("5s"), 5s);
  EXPECT_EQ(*parse_duration("15min"), 15min);
  EXPECT_EQ(*parse_duration("15m"), 15min);
  EXPECT_EQ(*parse_duration("2h"), 2h);
  EXPECT_EQ(*parse_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("1d"), 24h);
  EXPECT_EQ(*parse_duration("10 min"), 10min);
}

TEST(Duration, FormatsMeasuredSecondsWithOneDecimal) {
  EXPECT_EQ(format_seconds(6350ms), "6.3s");
  EXPECT_EQ(format_seconds(0ms), "0.0s");
  EXPECT_EQ(format_seconds(29750ms), "29.8s");
}

TEST(Duration, RejectsBareNumbersAndUnknownUnits) {
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("5 parsecs"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("s"));
  auto e = parse_duration("5x");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().hint.find("15min"), std::string::npos);
}

TEST(Duration, FormatsShortestExactSpelling) {
  EXPECT_EQ(format_duration(5000ms), "5s");
  EXPECT_EQ(format_duration(90s), "1min30s");
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(1250ms), "1s250ms");
  EXPECT_EQ(*parse_duration(format_duration(3723004ms)), 3723004ms);
}

TEST(Size, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(*parse_size("1GB"), 1'000'000'000u);
  EXPECT_EQ(*parse_size("100 MB"), 100'000'000u);
  EXPECT_EQ(*parse_size("512MiB"), 512u << 20);
  EXPECT_EQ(*parse_size("1.5kB"), 1500u);
  EXPECT_EQ(*parse_size("42"), 42u);
  EXPECT_EQ(*parse_size("1_000"), 1000u);
  EXPECT_FALSE(parse_size("1 GX"));
  EXPECT_FALSE(parse_size("GB"));
  EXPECT_FALSE(parse_size("-1GB"));
}

TEST(Size, FormatsForPeople) {
  EXPECT_EQ(format_size(999), "999 B");
  EXPECT_EQ(format_size(1'400'000'000), "1.4 GB");
  EXPECT_EQ(format_count(2'300'000), "2.3M");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(150'000), "150k");
  EXPECT_EQ(format_count(1'000'000), "1M");
}

}  // namespace
}  // namespace slipway
