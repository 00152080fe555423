// The progress line: what it says, tested without a terminal.
#include "core/progress.hpp"

#include <gtest/gtest.h>

namespace slipway {
namespace {

TEST(Progress, RendersBytesRateAndPercentWhenTheTotalIsKnown) {
  Progress known("restoring", 4000, false);
  const std::string line = known.render(1000, std::chrono::milliseconds(2000));
  EXPECT_NE(line.find("restoring"), std::string::npos) << line;
  EXPECT_NE(line.find(" 25%"), std::string::npos) << line;
  EXPECT_NE(line.find("500 B/s"), std::string::npos) << line;
  Progress unknown("dumping", 0, false);
  EXPECT_EQ(unknown.render(2'500'000, std::chrono::milliseconds(1000)), "dumping  2.5 MB  2.5 MB/s  1s");
}

}  // namespace
}  // namespace slipway
