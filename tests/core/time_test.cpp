#include <gtest/gtest.h>

#include "core/time.hpp"

namespace slipway {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

SystemTime at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

TEST(Rfc3339, FormatsUtcWithAndWithoutMilliseconds) {
  const auto t = at(2026, 3, 12, 10, 15, 0) + 42ms + 900us;
  EXPECT_EQ(format_rfc3339(t), "2026-03-12T10:15:00Z");
  EXPECT_EQ(format_rfc3339(t, true), "2026-03-12T10:15:00.042Z");
  EXPECT_EQ(format_rfc3339(at(1999, 12, 31, 23, 59, 59)), "1999-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(at(1969, 7, 20, 20, 17, 40) + 5ms, true), "1969-07-20T20:17:40.005Z");
}

TEST(Rfc3339, ParsesWhatItFormatsAndOffsets) {
  const auto t = at(2026, 3, 12, 10, 15, 0) + 42ms;
  EXPECT_EQ(*parse_rfc3339(format_rfc3339(t, true)), t);
  EXPECT_EQ(*parse_rfc3339("2026-03-12T10:15:00Z"), at(2026, 3, 12, 10, 15, 0));
  EXPECT_EQ(*parse_rfc3339("2026-03-12T11:15:00+01:00"), at(2026, 3, 12, 10, 15, 0));
  EXPECT_EQ(*parse_rfc3339("2026-03-12 05:45:00-04:30"), at(2026, 3, 12, 10, 15, 0));
  EXPECT_EQ(*parse_rfc3339("2026-03-12t10:15:00.5z"), at(2026, 3, 12, 10, 15, 0) + 500ms);
  EXPECT_EQ(*parse_rfc3339("2024-02-29T00:00:00.123456789Z"),
            at(2024, 2, 29, 0, 0, 0) + duration_cast<system_clock::duration>(123456789ns));
}

TEST(Rfc3339, RejectsWhatIsNotATime) {
  for (const char* text : {"", "2026-03-12", "2026-03-12T10:15:00", "2026-02-30T00:00:00Z", "2026-03-12T24:00:00Z",
                           "2026-03-12T10:15:00.Z", "2026-03-12T10:15:00Zjunk", "2026-3-12T10:15:00Z",
                           "2026-03-12T10:15:00+0100", "yesterday"}) {
    auto r = parse_rfc3339(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind, ErrorKind::bad_input) << text;
    EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
  }
}

TEST(Age, ExactInWholeSecondsOrOneUnitForAColumn) {
  const auto t = at(2026, 3, 12, 10, 15, 0);
  EXPECT_EQ(format_age(t, t + 30h + 4s + 900ms), "1d6h4s");
  EXPECT_EQ(format_age(t, t + 999ms), "0s");
  EXPECT_EQ(format_age(t, t + 4min + 3s + 120ms), "4min3s");
  EXPECT_EQ(format_age(t, t + 42s, AgeStyle::largest_unit), "42s");
  EXPECT_EQ(format_age(t, t + 12min + 59s, AgeStyle::largest_unit), "12min");
  EXPECT_EQ(format_age(t, t + 47h, AgeStyle::largest_unit), "47h");
  EXPECT_EQ(format_age(t, t + 73h, AgeStyle::largest_unit), "3d");
  EXPECT_EQ(format_age(t + 5s, t, AgeStyle::largest_unit), "0s");  // a clock that went back
}

}  // namespace
}  // namespace slipway
