// Numbers and articles in what commands print.
#include "core/output.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <boost/json.hpp>

namespace slipway {
namespace {

TEST(Output, NumbersPrintAsPlainDecimalsNotScientificNotation) {
  EXPECT_EQ(format_number(15366.0), "15366");
  EXPECT_EQ(format_number(11.441), "11.441");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(-2.25), "-2.25");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(1e-7), "0.0000001");
  EXPECT_EQ(format_number(1.2345e-5), "0.000012345");
  EXPECT_EQ(format_number(1.5e20), "150000000000000000000");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(format_number(0.05 * 100, 3), "5");
  EXPECT_EQ(format_number(15366.2345, 1), "15366.2");
  EXPECT_EQ(format_number(-0.0001, 1), "0");
}

TEST(Output, JsonDoublesAreNotInScientificNotation) {
  boost::json::value v = {{"rps", 15366.0}, {"p99", 11.441}, {"n", 3}, {"list", {0.001, "a\"b"}}};
  const std::string text = json_text(v);
  EXPECT_EQ(text, R"({"rps":15366,"p99":11.441,"n":3,"list":[0.001,"a\"b"]})");
  const auto back = boost::json::parse(text).as_object();
  EXPECT_EQ(back.at("p99").to_number<double>(), 11.441) << "reads back as the same double";
  EXPECT_EQ(back.at("list").as_array().at(0).to_number<double>(), 0.001);
}

TEST(Output, ArticleBeforeAVowelIsAn) {
  EXPECT_EQ(with_article("array"), "an array");
  EXPECT_EQ(with_article("object"), "an object");
  EXPECT_EQ(with_article("string"), "a string");
  EXPECT_EQ(with_article("number"), "a number");
}

}  // namespace
}  // namespace slipway
