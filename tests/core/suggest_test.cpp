#include <gtest/gtest.h>

#include "core/suggest.hpp"

namespace slipway {
namespace {

TEST(Suggest, EditDistanceCountsTranspositionsAsOne) {
  EXPECT_EQ(edit_distance("lint", "lint"), 0u);
  EXPECT_EQ(edit_distance("lnit", "lint"), 1u);
  EXPECT_EQ(edit_distance("lit", "lint"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Suggest, PicksTheClosePlausibleName) {
  const std::vector<std::string_view> keys{"lock_timeout", "statement_timeout", "dir", "format"};
  EXPECT_EQ(suggest("lock_timout", keys), "lock_timeout");
  EXPECT_EQ(suggest("formt", keys), "format");
  EXPECT_EQ(suggest("statement", keys), "statement_timeout");  // a prefix
  EXPECT_FALSE(suggest("completely_else", keys));
  EXPECT_EQ(did_you_mean("dri", keys), ", did you mean 'dir'?");
  EXPECT_EQ(did_you_mean("zzzzzz", keys), "");
}

}  // namespace
}  // namespace slipway
